"""Encoding detection: BOMs, strict UTF-8, then the right legacy code page — never silent mojibake."""

from __future__ import annotations

import codecs

import pytest

from pipeline.errors import InputError
from pipeline.textio import decode_bytes, detect_encoding, looks_binary, read_text


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("First Name,Last Name\nJosé,Muñoz\nRenée,Zoë\n", "cp1252", "cp1252"),
        ("Vorname;Nachname;Straße\nJürgen;Weiß;Hauptstraße 5\n", "cp1252", "cp1252"),
        ("Kowalski, Łódź, Zażółć gęślą jaźń", "cp1250", "cp1250"),
        ("Привет, Иван Петров; Москва, улица Ленина", "cp1251", "cp1251"),
        ("Zoë Ñuñez, café", "latin-1", "cp1252"),
        ("plain ascii", "ascii", "utf-8"),
        ("Ünïcödé 🚀", "utf-8", "utf-8"),
    ],
)
def test_detects_the_encoding_and_decodes_without_mojibake(text, encoding, expected):
    data = text.encode(encoding)
    assert detect_encoding(data) == expected
    assert decode_bytes(data)[0] == text


@pytest.mark.parametrize(
    ("bom", "codec", "name"),
    [
        (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
    ],
)
def test_byte_order_marks_win_and_are_stripped(bom, codec, name):
    text, used = decode_bytes(bom + "Given Name,Family Name\nZoë,Müller\n".encode(codec))
    assert used == name and text.startswith("Given Name")


def test_utf16_without_a_bom_is_text_not_binary():
    assert not looks_binary("Name,E-mail\nAda,ada@example.com\n".encode("utf-16-le"))
    assert looks_binary(b"PK\x03\x04\x00\x00binary\x00stuff")


def test_size_limit_and_missing_file_are_one_line_errors(tmp_path):
    big = tmp_path / "big.vcf"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(InputError, match=r"big.vcf: file is 2,048 bytes, over the 1,024-byte limit"):
        read_text(big, max_bytes=1024)
    with pytest.raises(InputError, match=r"nope.csv: file not found"):
        read_text(tmp_path / "nope.csv")
