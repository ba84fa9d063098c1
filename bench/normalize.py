"""Benchmark of pipeline.normalize on a million messy contact rows (not part of the tests).

Generates (seeded) a CSV of realistic, messy alumni-directory rows — names in parts or
whole, SHOUTED, directory style, with titles, credentials, emoji; several e-mails per cell,
``mailto:`` and display forms, invalid ones; US phones in every punctuation, extensions,
foreign and unparseable numbers; LinkedIn URL variants; dates in several forms; "City, ST";
country names — then, in a fresh process so the generator's memory does not count:

1. times polars' plain ``read_csv`` of the file: the floor;
2. reads it as text (what an importer hands the core) and times ``normalize_records``;
3. prints rows/s, the ratio to the floor (wall and CPU time, best of ``--repeat`` runs each),
   and the process's peak RSS.

Usage: ``python bench/normalize.py [--rows 1000000] [--seed 7] [--region US] [--keep PATH]``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIVEN = (
    "Robert Bob Bobby William Bill Elizabeth Liz Beth Katherine Kate James Jim Michael Mike Thomas Tom "
    "Richard Rick Christopher Chris Daniel Dan David Steven Steve Joseph Joe John Jack Benjamin Ben "
    "Samuel Sam Anthony Tony Andrew Andy Matthew Matt Nicholas Nick Patricia Pat Margaret Maggie "
    "Jennifer Jen Susan Sue Deborah Deb Abigail Abby Alexander Alex Sandra Edward Ed Ronald Ron Donald "
    "Gregory Greg Frederick Fred Henry Lawrence Larry Gerald Charles Charlie Jeffrey Joshua Zachary "
    "Nathaniel Timothy Vincent Walter Rebecca Cynthia Kimberly Amanda Victoria Judith Theresa Mary "
    "Sarah Dorothy Virginia Philip Peter Raymond Kenneth Douglas Jacob Gabriel Emma Olivia Ava Sophia "
    "Mia Isabella Charlotte Amelia Harper Evelyn Liam Noah Oliver Elijah Lucas Mason Logan Ethan Aiden "
    "José Zoë Renée Søren Łukasz François Siobhán Chloé Björn Mónica Ángel Núria Dağ Thảo Minh Wei "
    "Priya Arjun Aisha Fatima Omar Yusuf Hiroshi Yuki Min-jun Seo-yeon Olga Dmitri Ingrid Lars Anneke "
    "Giulia Matteo Lucía Javier Camila Mateo Valentina Santiago Aaliyah Jamal Keisha DeShawn Tyrone"
).split()
FAMILY = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts McDonald O'Neil O'Brien MacArthur "
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Hoffmann Schäfer Dubois Lefèvre "
    "García Fernández González Martín Sánchez Pérez Gómez Díaz Álvarez Romero Núñez Muñoz Rossi Russo "
    "Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Kowalski Nowak Wiśniewski Wójcik "
    "Nguyễn Trần Lê Phạm Huỳnh Kim Park Choi Jung Kang Tanaka Suzuki Takahashi Watanabe Ito Yamamoto "
    "Chen Wang Li Zhang Liu Yang Huang Zhao Wu Zhou Patel Shah Singh Kumar Sharma Gupta Khan Ali "
    "Ivanov Petrov Smirnov Andersson Johansson Karlsson Nielsen Jensen Hansen Berg Dahl Lund Virtanen "
    "Smith-Jones Lloyd-Webber Fitzgerald Kennedy Murphy Kelly Sullivan Walsh Byrne Ryan Gallagher"
).split()
PARTICLE_FAMILY = ["van der Berg", "de la Cruz", "van Dijk", "de Souza", "da Silva", "von Trapp", "di Marco"]
ORGS = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Industries",
    "Wayne Enterprises",
    "Example University",
    "City of Springfield",
    "Self-Employed",
    "Freelance",
    "Hooli",
    "Vandelay Imports",
]
TITLES = [
    "Software Engineer",
    "Product Manager",
    "Director of Sales",
    "Teacher",
    "Nurse",
    "Analyst",
    "VP Marketing",
    "Consultant",
    "Attorney",
    "Data Scientist",
    "Founder",
    "Student",
]
CITIES = [
    ("Seattle", "WA"),
    ("Boston", "MA"),
    ("Austin", "TX"),
    ("Chicago", "IL"),
    ("Denver", "CO"),
    ("Portland", "OR"),
    ("New York", "NY"),
    ("San Francisco", "CA"),
    ("Atlanta", "GA"),
    ("Toronto", "ON"),
]
COUNTRIES = [
    "USA",
    "United States",
    "US",
    "us",
    "U.S.A.",
    "United States of America",
    "Canada",
    "UK",
    "Germany",
    "Deutschland",
    "France",
    "Mexico",
    "India",
    "",
    "",
]
AREA = [
    "206",
    "425",
    "312",
    "415",
    "617",
    "212",
    "646",
    "303",
    "512",
    "919",
    "404",
    "503",
    "713",
    "202",
    "305",
]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "alumni.example.edu"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DEGREES = ["BA", "BS", "MBA", "MS", "PhD", "BFA", "MA", ""]
EMOJI = ["🚀", "🌟", "✨", "🎓"]


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace("'", "")


def _row(r: random.Random, i: int) -> list[str]:
    given = r.choice(GIVEN)
    family = r.choice(PARTICLE_FAMILY) if r.random() < 0.02 else r.choice(FAMILY)
    middle = r.choice("ABCDEFGHJKLMNPRSTW") + "." if r.random() < 0.2 else ""
    full = " ".join(x for x in (given, middle, family) if x)
    roll = r.random()
    if roll < 0.03:
        full, given, family = full.upper(), given.upper(), family.upper()
    elif roll < 0.05:
        full = f"{family}, {given}" + (f" {middle}" if middle else "")
    elif roll < 0.06:
        full = "Dr. " + full
    elif roll < 0.08:
        full = full + r.choice([", MBA", " Jr.", ", PhD", " III", ", CPA", " MBA, PMP"])
    elif roll < 0.085:
        full = f"{full} {r.choice(EMOJI)}"
    elif roll < 0.09:
        full = f'{given} "{r.choice(GIVEN)}" {family}'
    elif roll < 0.11:
        full = full.replace(" ", "\u00a0", 1) + "  "
    mode = r.random()
    if mode < 0.6:
        row_names = ["", given, middle.rstrip("."), family]
    elif mode < 0.9:
        row_names = [full, "", "", ""]
    else:
        row_names = [full, given, "", family]

    local = f"{_ascii(given)}.{_ascii(family).replace(' ', '')}{r.randint(1, 999)}"
    email = f"{local}@{r.choice(DOMAINS)}"
    roll = r.random()
    if roll < 0.15:
        emails = ""
    elif roll < 0.25:
        emails = email.title()
    elif roll < 0.28:
        emails = "mailto:" + email
    elif roll < 0.33:
        emails = f'"{family}, {given}" <{email}>'
    elif roll < 0.41:
        emails = f"{email} ::: {_ascii(given)}{r.randint(1, 99)}@{r.choice(DOMAINS)}"
    elif roll < 0.45:
        emails = f"{email}; {email.upper()}"
    elif roll < 0.46:
        emails = r.choice(["n/a", f"{_ascii(given)}@", f"{_ascii(given)} at example.com"])
    else:
        emails = email

    area, exch, line = r.choice(AREA), r.randint(200, 999), r.randint(0, 9999)
    roll = r.random()
    forms = [
        f"({area}) {exch}-{line:04d}",
        f"{area}-{exch}-{line:04d}",
        f"{area}.{exch}.{line:04d}",
        f"+1 {area} {exch} {line:04d}",
        f"{area}{exch}{line:04d}",
        f"1-{area}-{exch}-{line:04d}",
    ]
    if roll < 0.25:
        phones = ""
    elif roll < 0.28:
        phones = f"{r.choice(forms)} x{r.randint(1, 9999)}"
    elif roll < 0.33:
        phones = f"{r.choice(forms)} ::: {r.choice(forms)}"
    elif roll < 0.36:
        phones = r.choice(
            [
                f"+44 20 7946 {r.randint(0, 9999):04d}",
                f"+49 30 {r.randint(1000000, 9999999)}",
                f"+33 1 42 68 {r.randint(10, 99)} {r.randint(10, 99)}",
            ]
        )
    elif roll < 0.37:
        phones = r.choice([f"{exch}-{line:04d}", "call the office", "000-000-0000"])
    else:
        phones = r.choice(forms)

    slug = f"{_ascii(given)}-{_ascii(family).replace(' ', '-')}-{r.randint(1000, 99999)}"
    roll = r.random()
    if roll < 0.5:
        url = ""
    elif roll < 0.7:
        url = f"https://www.linkedin.com/in/{slug}"
    else:
        url = r.choice(
            [
                f"http://linkedin.com/in/{slug}/",
                f"https://uk.linkedin.com/in/{slug}?trk=profile",
                f"www.linkedin.com/in/{slug.title()}",
                f"linkedin.com/in/{slug}/details/",
            ]
        )

    y, m, d = r.randint(2010, 2025), r.randint(1, 12), r.randint(1, 28)
    connected = (
        ""
        if r.random() < 0.4
        else (f"{d:02d} {MONTHS[m - 1]} {y}" if r.random() < 0.9 else f"{y}-{m:02d}-{d:02d}")
    )
    by, roll = r.randint(1950, 2003), r.random()
    if roll < 0.7:
        birthday = ""
    elif roll < 0.8:
        birthday = f"{by}-{m:02d}-{d:02d}"
    elif roll < 0.87:
        birthday = f"--{m:02d}-{d:02d}"
    elif roll < 0.92:
        birthday = f"1604-{m:02d}-{d:02d}"
    else:
        birthday = f"{m}/{d}/{by}"
    cy, roll = r.randint(1960, 2024), r.random()
    class_year = str(cy) if roll < 0.8 else (f"'{cy % 100:02d}" if roll < 0.9 else f"Class of {cy}")
    city, st = r.choice(CITIES)
    roll = r.random()
    if roll < 0.3:
        city_v, region_v = "", ""
    elif roll < 0.45:
        city_v, region_v = f"{city}, {st}", ""
    else:
        city_v, region_v = city, st
    tags = "" if r.random() < 0.7 else r.choice(["alumni ::: mentor", "volunteer;donor", "class-rep"])
    notes = "" if r.random() < 0.9 else "Met at reunion.\nFollow up about mentoring."
    extra = "" if r.random() < 0.6 else f'{{"Major": "{r.choice(["Economics", "History", "Biology"])}"}}'
    org = r.choice(ORGS) if r.random() < 0.8 else ""
    return [
        f"row {i + 2}",
        *row_names,
        emails,
        phones,
        org,
        r.choice(TITLES),
        city_v,
        region_v,
        r.choice(COUNTRIES),
        url,
        "Example University",
        r.choice(DEGREES),
        class_year,
        birthday,
        connected,
        tags,
        notes,
        extra,
    ]


HEADER = [
    "source_ref",
    "full_name",
    "given_name",
    "middle_name",
    "family_name",
    "emails",
    "phones",
    "organization",
    "title",
    "city",
    "region",
    "country",
    "linkedin_url",
    "school",
    "degree",
    "class_year",
    "birthday",
    "connected_on",
    "tags",
    "notes",
    "extra",
]


def generate(path: Path, rows: int, seed: int) -> None:
    import polars as pl

    r = random.Random(seed)
    data = [_row(r, i) for i in range(rows)]
    columns = list(zip(*data, strict=True))
    frame = pl.DataFrame(
        {h: list(c) for h, c in zip(HEADER, columns, strict=True)}, schema=dict.fromkeys(HEADER, pl.String)
    )
    frame.write_csv(path)


def run(path: Path, region: str, repeat: int) -> None:
    import polars as pl

    from pipeline.normalize import normalize_records

    # Best of N for both sides: on a shared machine the minimum is the least disturbed run.
    floors = [_timed(lambda: pl.read_csv(path))[:2] for _ in range(repeat)]  # frames dropped at once
    floor, floor_cpu = min(t[0] for t in floors), min(t[1] for t in floors)
    raw = pl.read_csv(path, infer_schema=False)
    raw = raw.with_columns(pl.col(pl.String).replace("", None))
    normalize_records(raw.head(1000), region=region)  # warm caches (lookup tables, regexes)
    runs, warnings, first_peak = [], 0, 0.0
    for _ in range(repeat):
        wall, cpu, result = _timed(lambda: normalize_records(raw, region=region))
        runs.append((wall, cpu))
        warnings = len(result.warnings)
        del result
        # The allocator keeps freed pages for a while, so later runs stack on the first
        # one's: the first run's peak is the peak of one normalization.
        first_peak = first_peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds, cpu = min(t[0] for t in runs), min(t[1] for t in runs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = raw.height
    print(f"file: {path.stat().st_size / 2**20:.1f} MiB, {rows:,} rows, {raw.width} columns, region {region}")
    print(f"best of {repeat}, wall (CPU, all threads)")
    print(f"floor   read_csv:          {floor:.3f} s  ({floor_cpu:.3f} s CPU)  {rows / floor:,.0f} rows/s")
    print(f"normalize_records:         {seconds:.3f} s  ({cpu:.3f} s CPU)  {rows / seconds:,.0f} rows/s")
    ratio, ratio_cpu = seconds / floor, cpu / floor_cpu
    print(f"ratio to floor:            {ratio:.1f}x wall, {ratio_cpu:.1f}x CPU  (target <= 10x)")
    print(f"peak RSS, one run:         {first_peak:,.0f} MiB  (target < 2048 MiB)")
    print(f"peak RSS, all {repeat} runs:      {peak:,.0f} MiB  (freed pages not yet returned to the OS)")
    print(f"warnings:                  {warnings:,}")
    print(f"load average at the end:   {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def _timed(fn):
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - start, time.process_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--region", default="US")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--keep", type=Path, help="write the CSV here and keep it (reused if it exists)")
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        generate(args.generate_only, args.rows, args.seed)
        return
    if args.run_only:
        run(args.run_only, args.region, args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "contacts.csv"
        me = [sys.executable, __file__, "--rows", str(args.rows), "--seed", str(args.seed)]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        if not path.exists():
            start = time.perf_counter()
            subprocess.run([*me, "--generate-only", str(path)], check=True, env=env)
            print(f"generated in {time.perf_counter() - start:.1f} s (seed {args.seed})")
        # A fresh process, so peak RSS is that of reading + normalizing only.
        run_args = ["--region", args.region, "--repeat", str(args.repeat), "--run-only", str(path)]
        subprocess.run([*me, *run_args], check=True, env=env)


if __name__ == "__main__":
    main()
