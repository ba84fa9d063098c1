"""The vCard plugin as kith sees it: registration, sniffing, parity with vobject, the pool, fuzzing."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import registry
from pipeline.contracts import ImportOptions
from pipeline.errors import InputError
from pipeline.manager import make_plugin_manager
from plugins.vcard import VCardImporter, read

FIXTURES = Path(__file__).parent / "fixtures" / "vcard"


def test_registered_as_importer_and_exporter():
    pm = make_plugin_manager(builtins=("plugins.vcard",), entry_points=False)
    assert not pm.failed
    assert registry.importers(pm)["vcard"].name == "vcard"
    assert registry.exporters(pm)["vcard"].name == "vcard"


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("contacts.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\n", 0.95),
        ("export", b"\r\n\r\nbegin:vcard\nversion:2.1\n", 0.95),
        ("contacts.vcf", b"\xef\xbb\xbfBEGIN:VCARD\r\n", 0.95),
        ("contacts.vcf", "BEGIN:VCARD\r\n".encode("utf-16"), 0.95),
        ("notes.txt", b"Exported by PhoneTool 2.0\r\nBEGIN:VCARD\r\n", 0.7),
        ("contacts.vcf", b"", 0.3),
        ("contacts.vcf", b"First Name,Last Name\n", 0.3),
        ("Connections.csv", b"Notes:\nBEGIN:VCARD\n", 0.0),
        ("directory.xlsx", b"PK\x03\x04\x14\x00\x06\x00", 0.0),
        ("Connections.csv", b"First Name,Last Name,URL,Email Address,Company,Position,Connected On\n", 0.0),
        ("people.json", b'{"a": 1}', 0.0),
    ],
)
def test_sniff(name, head, expected):
    assert VCardImporter().sniff(Path(name), head) == expected


@pytest.mark.parametrize(
    "name", ["apple_icloud_3.0.vcf", "google_3.0.vcf", "android_2.1.vcf", "vcard_4.0.vcf", "names_3.0.vcf"]
)
def test_parity_with_vobject_on_names_emails_and_phones(name):
    """Our parser agrees with vobject (allowQP=True) on what vobject reads, and reads more.

    vobject skips Samsung's ``TEL;X-CUSTOM(…)`` line (a ParseError); we keep it.
    """
    import vobject

    text = (FIXTURES / name).read_bytes().decode("utf-8")
    theirs = []
    for card in vobject.readComponents(text, allowQP=True, ignoreUnreadable=True):
        kind = card.contents.get("kind") or card.contents.get("x-addressbookserver-kind")
        if kind and kind[0].value.lower() == "group":
            continue
        phones = [t.value.removeprefix("tel:") for t in card.contents.get("tel", [])]
        emails = [e.value for e in card.contents.get("email", [])]
        family = card.n.value.family if "n" in card.contents else ""
        theirs.append((card.fn.value if "fn" in card.contents else None, family, set(emails), set(phones)))
    ours = [
        (row["full_name"], row["family_name"] or "", set(row["emails"]), set(row["phones"]))
        for row in VCardImporter().read(FIXTURES / name, ImportOptions()).records.iter_rows(named=True)
    ]
    if name == "vcard_4.0.vcf":  # the KIND:org card names no person
        ours = [(fn or "Lakeside Robotics Lab", *rest) for fn, *rest in ours]
    assert [(fn, family, emails) for fn, family, emails, _ in ours] == [t[:3] for t in theirs]
    for (*_, our_phones), (*_, their_phones) in zip(ours, theirs, strict=True):
        assert their_phones <= our_phones
    missed = [ours_[3] - theirs_[3] for ours_, theirs_ in zip(ours, theirs, strict=True)]
    expected = [set(), set(), {"+1 206 555 0166"}] if name == "android_2.1.vcf" else [set()] * len(ours)
    assert missed == expected


def test_process_pool_gives_the_same_result(monkeypatch, tmp_path):
    monkeypatch.setattr(read, "POOL_BATCH", 3)
    cards = b"".join((FIXTURES / n).read_bytes() for n in ("apple_icloud_3.0.vcf", "android_2.1.vcf"))
    path = tmp_path / "many.vcf"
    path.write_bytes(cards * 4 + (FIXTURES / "apple_groups.vcf").read_bytes())
    one = VCardImporter().read(path, ImportOptions(settings={"workers": 1}))
    two = VCardImporter().read(path, ImportOptions(settings={"workers": 2}))
    assert two.info["workers"] == 2
    assert two.records.equals(one.records)
    assert two.records.height == 22
    assert two.rejects == one.rejects


# --- hypothesis: nothing but InputError ever leaves the importer -----------------------

_SAMPLES = [(FIXTURES / n).read_bytes() for n in ("apple_icloud_3.0.vcf", "android_2.1.vcf", "vcard_4.0.vcf")]
_SAMPLES.append((FIXTURES / "outlook_2.1_windows1252.vcf").read_bytes())
_TOKENS = [
    b"BEGIN:VCARD",
    b"END:VCARD",
    b"\r\n",
    b"\n ",
    b"=\r\n",
    b";ENCODING=QUOTED-PRINTABLE",
    b";CHARSET=x-unknown",
    b";CHARSET=ISO-8859-1",
    b"=C3",
    b":",
    b";",
    b'"',
    b"\\",
    b"item1.",
    b"X-ABLabel:",
    b"TEL;CELL:",
    b"N:",
    b"PHOTO;ENCODING=b:",
    b"AGENT:",
    b"\xff\xfe",
    b"\x00",
    b"\xe9",
]


def _read_never_raises_unexpectedly(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.vcf"
        path.write_bytes(data)
        try:
            result = VCardImporter().read(path, ImportOptions())
        except InputError as exc:
            assert str(path) in str(exc)
            return
        for extra in result.records["extra"]:
            assert isinstance(json.loads(extra), dict)
        assert result.records["source_ref"].null_count() == 0
        for reject in result.rejects:
            assert reject.ref and reject.reason


_FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_never_raise_out_of_the_importer(data):
    _read_never_raises_unexpectedly(data)


@_FUZZ
@given(st.sampled_from(_SAMPLES), st.floats(min_value=0, max_value=1))
def test_truncated_cards_never_raise(sample, fraction):
    _read_never_raises_unexpectedly(sample[: int(len(sample) * fraction)])


@_FUZZ
@given(
    st.sampled_from(_SAMPLES),
    st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.sampled_from(_TOKENS)), max_size=8),
)
def test_vcard_shaped_noise_never_raises(sample, insertions):
    data = bytearray(sample)
    for fraction, token in insertions:
        at = int(len(data) * fraction)
        data[at:at] = token
    _read_never_raises_unexpectedly(bytes(data))
