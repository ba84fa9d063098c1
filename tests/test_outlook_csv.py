"""Tests for the Outlook CSV importer (classic English and German exports, Windows-1252)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.contracts import ImportOptions
from pipeline.schema import validate_raw
from plugins.outlook_csv import IMPORTER as OUTLOOK

FIX = Path(__file__).parent / "fixtures" / "outlook"


def read(path: Path, **options):
    result = OUTLOOK.read(path, ImportOptions(**options))
    validate_raw(result.records, "outlook_csv")
    return result


def test_english_export():
    result = read(FIX / "contacts.csv")
    assert result.info["encoding"] not in ("utf-8", "utf-8-sig")
    rows = {r["family_name"]: r for r in result.records.to_dicts()}
    maria = rows["Gonzalez"]
    assert maria["source_ref"] == "row 2"
    # personal numbers in preference order; fax and the company's main line stay out
    assert maria["phones"] == ["(206) 555-0199", "(206) 555-0142"]
    assert maria["street"] == "500 Pine St, Suite 1200" and maria["city"] == "Seattle"
    assert maria["tags"] == ["Alumni", "Job search"]
    assert maria["notes"] == "Coffee on 3/4 — ask about the PM opening."
    assert maria["linkedin_url"] == "https://www.linkedin.com/in/maria-gonzalez-ex"
    assert maria["birthday"] is None  # 0/0/00
    extra = json.loads(maria["extra"])
    assert extra["referred_by"] == "Robert Kowalski"
    assert extra["Business Fax"] == "(206) 555-0140" and extra["Company Main Phone"] == "(206) 555-0100"
    assert extra["Home City"] == "Bellevue"
    for noise in ("Sensitivity", "Priority", "Private", "Gender", "Anniversary", "E-mail Type"):
        assert noise not in extra
    gunther = rows["Schäfer"]
    assert (gunther["prefix"], gunther["given_name"], gunther["suffix"]) == ("Dr.", "Günther", "Jr.")
    assert gunther["emails"] == ["g.schafer@example.de", "guenther@example.org"]
    # no business address: the home address fills in, and stays in extra too
    assert (gunther["street"], gunther["city"], gunther["country"]) == ("Hauptstraße 5", "München", "Germany")
    assert gunther["birthday"] == "4/15/1975"
    assert json.loads(gunther["extra"])["Web Page"] == "https://fabrikam.example.com/team/gs"
    assert json.loads(rows["Room 4B"]["extra"]) == {"E-mail Type": "EX"}
    assert result.records.height == 3 and result.rejects == []  # the all-empty last line is not a contact
    assert result.info["mapping"]["Referred By"] == "extra:referred_by"


def test_german_export():
    result = read(FIX / "kontakte_de.csv")
    row = result.records.row(0, named=True)
    assert (row["prefix"], row["given_name"], row["family_name"]) == ("Frau", "Jürgen-Anna", "Weiß")
    assert (row["organization"], row["department"], row["title"]) == (
        "Müller & Söhne GmbH",
        "Vertrieb",
        "Leiterin Vertrieb",
    )
    assert row["phones"] == ["0170 5550123", "+49 211 5550 100"]
    assert row["emails"] == ["j.weiss@example.de"]
    assert (row["street"], row["city"], row["postal_code"], row["country"]) == (
        "Königsallee 1", "Düsseldorf", "40212", "Deutschland",
    )  # fmt: skip
    assert row["birthday"] is None and row["tags"] == ["Alumni", "Messe"]
    extra = json.loads(row["extra"])
    assert extra == {
        "Fax geschäftlich": "+49 211 5550 199",
        "E-Mail: Angezeigter Name": "Jürgen-Anna Weiß (j.weiss@example.de)",
        "referred_by": "Maria Gonzalez",
    }


def test_japanese_outlook_export_in_shift_jis():
    result = read(FIX / "contacts_ja_shiftjis.csv")
    assert result.info["encoding"] in ("cp932", "shift_jis")
    rows = {r["family_name"]: r for r in result.records.to_dicts()}
    hanako = rows["山田"]
    assert (hanako["given_name"], hanako["organization"], hanako["department"]) == (
        "花子",
        "株式会社サンプル商事",
        "営業部",
    )
    assert hanako["title"] == "課長"
    assert hanako["emails"] == ["hanako.yamada@example.com"]
    assert hanako["phones"] == ["090-5555-0102", "03-5555-0100"]  # mobile first; the fax stays in extra
    assert (hanako["city"], hanako["region"], hanako["postal_code"]) == ("千代田区", "東京都", "100-0005")
    assert hanako["notes"] == "展示会で名刺交換" and hanako["tags"] == ["顧客"]
    extra = json.loads(hanako["extra"])
    assert extra["会社 FAX"] == "03-5555-0101"
    assert "プライベート" not in extra and "電子メールの種類" not in extra  # Outlook's defaults are noise
    taro = rows["佐藤"]
    assert taro["emails"] == ["taro.sato@example.com", "taro@example.net"]
    assert taro["city"] == "大阪市"  # the home address where there is no business one


def test_french_outlook_export():
    result = read(FIX / "contacts_fr.csv")
    (row,) = result.records.to_dicts()
    assert (row["prefix"], row["given_name"], row["family_name"]) == ("Mme", "Élodie", "Marchand")
    assert (row["organization"], row["department"], row["title"]) == (
        "Atelier Lumière SARL",
        "Achats",
        "Responsable achats",
    )
    assert row["phones"] == ["06 55 50 12 34", "04 72 55 01 23"]
    assert (row["street"], row["city"], row["postal_code"], row["country"]) == (
        "12 rue des Lilas",
        "Lyon",
        "69003",
        "France",
    )
    assert row["emails"] == ["elodie.marchand@example.fr"] and row["birthday"] == "1990-05-14"
    assert json.loads(row["extra"])["Télécopie (bureau)"] == "04 72 55 01 99"
