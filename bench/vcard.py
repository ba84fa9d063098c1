"""Benchmark of the vCard importer on 50,000 generated mixed-dialect cards (not part of the tests).

Generates (seeded) a file mixing Apple/iCloud 3.0, Android 2.1 quoted-printable, Outlook 2.1,
Google 3.0 and 4.0 cards, some with base64 PHOTOs, then times:

- the floor: reading the file and splitting it into cards (``split.load`` + ``strip_payloads``
  + ``split_cards``), the least any importer must do;
- ``read_vcards`` with one process and with the 2-process pool;
- vobject's own ``readComponents(allowQP=True, ignoreUnreadable=True)`` on a 2,000-card
  sample, for comparison;

and prints cards/s, the ratio to the floor and peak RSS. Run:
``/work/main/.venv/bin/python bench/vcard.py [--cards N] [--out bench/out/cards.vcf]``.
"""

from __future__ import annotations

import argparse
import base64
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GIVEN = ["Maria", "Ken", "Robert", "Aisha", "Liam", "Sofia", "Chen", "Olga", "Priya", "José", "Zoë", "Ivan"]
FAMILY = ["Gonzalez", "Watanabe", "Kowalski", "Okafor", "Murphy", "Rossi", "Wei", "Petrova", "Nair", "Müller"]
ORGS = ["Acme, Inc.", "Globex", "Initech", "Umbrella Research", "Stark Industries", "Wayne Enterprises"]


def _qp(text: str, charset: str = "utf-8") -> str:
    raw = text.encode(charset)
    out = "".join(chr(b) if 33 <= b <= 126 and b != 61 else f"={b:02X}" for b in raw)
    # soft line breaks every 70 characters, continuation lines not indented (Android)
    return "=\r\n".join(out[i : i + 70] for i in range(0, len(out), 70))


def _photo(rng: random.Random, indent: str, width: int) -> str:
    data = base64.b64encode(rng.randbytes(rng.randint(3000, 12000))).decode()
    return ("\r\n" + indent).join(data[i : i + width] for i in range(0, len(data), width))


def card(rng: random.Random, index: int) -> str:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    email = f"{given.lower()}.{family.lower()}{index}@example.com".encode("ascii", "ignore").decode()
    phone = f"+1 206 555 {index % 10000:04d}"
    org = rng.choice(ORGS)
    photo = rng.random() < 0.15
    kind = index % 5
    if kind == 0:  # Apple / iCloud 3.0
        lines = [
            "VERSION:3.0",
            "PRODID:-//Apple Inc.//macOS 14.2//EN",
            f"N:{family};{given};;;",
            f"FN:{given} {family}",
            f"ORG:{org.replace(',', chr(92) + ',')};",
            f"item1.EMAIL;type=INTERNET;type=pref:{email}",
            "item1.X-ABLabel:_$!<Other>!$_",
            f"TEL;type=CELL;type=VOICE;type=pref:{phone}",
            "item2.TEL:+1 206 555 0100",
            "item2.X-ABLabel:Alumni line",
            "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15",
            f"X-ABUID:{index:08X}-ABCD-4F00-9C00-000000000000:ABPerson",
        ]
        if photo:
            lines.append("PHOTO;ENCODING=b;TYPE=JPEG:" + _photo(rng, " ", 74))
    elif kind == 1:  # Android 2.1, quoted-printable with soft breaks
        lines = [
            "VERSION:2.1",
            f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(family)};{_qp(given)};;;",
            f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(given + ' ' + family)}",
            f"TEL;CELL;PREF:{phone}",
            f"EMAIL;HOME:{email}",
            "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:"
            + _qp(f"Met {given} at the alumni mixer, talked about data roles at {org}.\r\nFollow up."),
        ]
        if photo:
            lines.append("PHOTO;ENCODING=BASE64;JPEG:" + _photo(rng, "  ", 76) + "\r\n")
    elif kind == 2:  # Outlook 2.1
        lines = [
            "VERSION:2.1",
            f"N;LANGUAGE=en-us:{family};{given}",
            f"FN:{given} {family}",
            f"ORG:{org}",
            "TITLE:Program Manager",
            f"TEL;WORK;VOICE:{phone}",
            "ADR;WORK;PREF;ENCODING=QUOTED-PRINTABLE:;;1600 Main St=0D=0A=\r\n"
            "Suite 2;Seattle;WA;98101;United States",
            f"EMAIL;PREF;INTERNET:{email}",
            "X-MS-OL-DEFAULT-POSTAL-ADDRESS:2",
        ]
    elif kind == 3:  # Google 3.0
        lines = [
            "VERSION:3.0",
            f"FN:{given} {family}",
            f"N:{family};{given};;;",
            f"EMAIL;TYPE=INTERNET;TYPE=WORK:{email}",
            f"TEL;TYPE=CELL:{phone}",
            "item1.ADR:;;;;;;",
            f"item2.URL:https\\://www.linkedin.com/in/{given.lower()}-{family.lower()}-{index}",
            "item2.X-ABLabel:LinkedIn",
            "NOTE:Contatti\\: contatta dopo le 18\\:00",
            "CATEGORIES:myContacts,Alumni",
        ]
        if photo:
            lines.append(
                "PHOTO:https://lh3.googleusercontent.com/contacts/AKHsnz1a2b3c4d5e6f7g8h9i0j/photo.jpg"
            )
    else:  # 4.0
        lines = [
            "VERSION:4.0",
            "KIND:individual",
            f"FN:{given} {family}",
            f"N:{family};{given};;;",
            f'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:{phone.replace(" ", "")}',
            f"EMAIL;TYPE=work;PREF=1:{email}",
            "BDAY:--0415",
            f"UID:urn:uuid:{index:08x}-0000-4000-8000-000000000000",
        ]
        if photo:
            lines.append("PHOTO:data:image/jpeg;base64," + _photo(rng, " ", 74))
    return "BEGIN:VCARD\r\n" + "\r\n".join(lines) + "\r\nEND:VCARD\r\n"


def generate(path: Path, cards: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for index in range(cards):
            handle.write(card(rng, index))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_batch_peak(chunks: list) -> float:
    """Peak memory of a pool worker that parsed one batch, from /proc (ru_maxrss of a spawned
    child still carries the parent's size from before exec)."""
    from plugins.vcard.read import parse_batch

    parse_batch(chunks, "cp1252", {})
    return _vm_hwm()


def _vm_hwm() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "cards.vcf")
    args = parser.parse_args()

    from pipeline.contracts import ImportOptions
    from plugins.vcard import split
    from plugins.vcard.read import read_vcards

    generate(args.out, args.cards)
    size = args.out.stat().st_size
    print(f"{args.cards:,} cards, {size / 2**20:.1f} MiB")
    rss_start = _rss_mib()

    start = time.perf_counter()
    data, _ = split.load(args.out)
    data, _ = split.strip_payloads(data)
    chunks = split.split_cards(data).chunks
    floor = time.perf_counter() - start
    assert len(chunks) == args.cards
    del data, chunks
    print(f"floor (read + split into cards): {floor:.2f} s")

    timings = {}
    for workers in (1, 2):
        start = time.perf_counter()
        result = read_vcards(args.out, ImportOptions(settings={"workers": workers}))
        timings[workers] = time.perf_counter() - start
        assert result.records.height == args.cards, (result.records.height, result.rejects[:3])
        elapsed = timings[workers]
        print(
            f"read_vcards, {workers} process(es): {elapsed:.2f} s = {args.cards / elapsed:,.0f} cards/s, "
            f"{elapsed / floor:.1f}x the floor"
        )
    print(f"peak RSS of the reading process: {_rss_mib():.0f} MiB (at start {rss_start:.0f} MiB)")
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from plugins.vcard.read import POOL_BATCH

    data, _ = split.strip_payloads(split.load(args.out)[0])
    batch = split.split_cards(data).chunks[:POOL_BATCH]
    del data
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        peak = pool.submit(_worker_batch_peak, batch).result()
    print(f"peak RSS of a pool worker after a batch of {len(batch):,} cards: {peak:.0f} MiB")

    import vobject

    sample = args.out.read_text(encoding="utf-8")
    cut = 0
    for _ in range(2000):
        cut = sample.index("END:VCARD", cut) + 9
    start = time.perf_counter()
    count = sum(1 for _ in vobject.readComponents(sample[:cut], allowQP=True, ignoreUnreadable=True))
    per_card = (time.perf_counter() - start) / count
    print(
        f"vobject readComponents (for comparison): {per_card * 1000:.2f} ms/card = "
        f"{1 / per_card:,.0f} cards/s, "
        f"{args.cards * per_card:.1f} s projected for {args.cards:,} cards"
    )


if __name__ == "__main__":
    main()
