"""Files of every format kith knows, for checking that a sniff claims only its own.

Part of :mod:`pipeline.testing`; import the names from there. The snippets are embedded
so the check works for a plugin installed far from a kith checkout; when this code runs
from a checkout, the files of its ``sample_inputs/`` are used too.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from pipeline.contracts import Importer
from pipeline.importing import SNIFF_THRESHOLD
from pipeline.textio import read_head

#: Small files in the formats kith knows, embedded so the check works for a plugin
#: installed far from a kith checkout. Keys are format names, as the folders of
#: ``sample_inputs/`` are named; invented people, example.com addresses.
FOREIGN_SNIPPETS: dict[str, tuple[str, bytes]] = {
    "linkedin": (
        "Connections.csv",
        b'Notes:\n"When exporting your connection data, you may notice that some of the email addresses'
        b' are missing."\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\n'
        b"Maria,Gonzalez,https://www.linkedin.com/in/maria-gonzalez-pm,maria.gonzalez@example.com,"
        b'Fabrikam Inc.,Product Manager,12 Jan 2026\nKen,Watanabe,,,"Contoso, Ltd",Engineer,03 Feb 2026\n',
    ),
    "google": (
        "contacts.csv",
        b"First Name,Middle Name,Last Name,Nickname,Organization Name,Organization Title,Birthday,Notes,"
        b"Labels,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value\n"
        b"Robert,,Kowalski,Bob,Contoso Ltd,Senior Engineer,--07-04,,* myContacts ::: Alumni,* Work,"
        b"bob.kowalski@example.org,Mobile,+1 312-555-0177\n",
    ),
    "google_legacy": (
        "google.csv",
        "Name,Given Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,"
        "Phone 1 - Value\nAnna Schmidt,Anna,Schmidt,* My Contacts,* Home,anna.schmidt@example.de,Mobile,"
        "+49 30 5550 1234\n".encode("utf-16"),
    ),
    "outlook": (
        "contacts.csv",
        b'"Title","First Name","Middle Name","Last Name","Suffix","Company","Department","Job Title",'
        b'"Business Phone","Mobile Phone","E-mail Address","E-mail Type","E-mail Display Name","Notes"\n'
        b'"","Maria","","Gonzalez","","Northwind Traders","","Product Manager","(206) 555-0142",'
        b'"(206) 555-0199","maria.gonzalez@example.com","SMTP","Maria Gonzalez","Coffee on 3/4"\n',
    ),
    "thunderbird": (
        "thunderbird.csv",
        b"First Name,Last Name,Display Name,Nickname,Primary Email,Secondary Email,Work Phone,"
        b"Mobile Number,Job Title,Organization,Notes\nRobert,Kowalski,Bob Kowalski,Bob,"
        b"bob.kowalski@example.org,,312-555-0177,,Senior Engineer,Contoso Ltd,\n",
    ),
    "vcard": (
        "contacts.vcf",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;Jane;;;\r\nFN:Jane Doe\r\nORG:Acme\\, Inc.;\r\n"
        b"item1.EMAIL;type=INTERNET;type=pref:jane.doe@example.com\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"
        b"TEL;type=CELL;type=VOICE;type=pref:+1 555 0199\r\nEND:VCARD\r\n",
    ),
    "alumni": (
        "alumni_directory.csv",
        b"Constituent ID,First Name,Last Name,Class Year,Degree,Major,Email,Phone,Employer,City,State\n"
        b"100234,Priya,Patel,2011,BA,Economics,priya.patel@example.edu,(555) 555-0111,Contoso,Austin,TX\n",
    ),
    "text": ("notes.txt", b"Call Ken on Tuesday about the referral.\nBring the portfolio.\n"),
    "empty": ("empty.csv", b""),
    "binary": ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)),
}


def _generated_samples() -> dict[str, tuple[str, bytes]]:
    """Binary containers built at check time: a LinkedIn export zip and an alumni workbook."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Connections.csv", FOREIGN_SNIPPETS["linkedin"][1])
        zf.writestr("Profile.csv", b"First Name,Last Name,Headline\nJordan,Rivera,Analyst\n")
    samples = {"linkedin_zip": ("Basic_LinkedInDataExport_01-15-2026.zip", archive.getvalue())}
    from openpyxl import Workbook  # heavy; only needed here

    book = Workbook()
    sheet = book.active
    sheet.title = "Alumni"
    sheet.append(["Springfield University alumni, class of 2006-2011"])
    sheet.append(["First Name", "Last Name", "Class Year", "Degree", "Email"])
    sheet.append(["Priya", "Patel", 2011, "BA", "priya.patel@example.edu"])
    buffer = io.BytesIO()
    book.save(buffer)
    samples["alumni_xlsx"] = ("directory.xlsx", buffer.getvalue())
    return samples


def installed_sample_inputs() -> Path | None:
    """The ``sample_inputs/`` folder of the kith checkout this code runs from, if there is one."""
    folder = Path(__file__).resolve().parents[2] / "sample_inputs"
    return folder if folder.is_dir() else None


def foreign_files(folder: Path, own: Iterable[str] = ()) -> list[tuple[str, Path]]:
    """``(format, path)`` for every sample of a format not in ``own``: the embedded snippets
    (written into ``folder``) and the files of ``sample_inputs/<format>/`` when present.

    A format is skipped when it or its prefix before ``_`` is in ``own`` (``linkedin``
    also skips ``linkedin_zip``).
    """
    own = set(own)

    def skipped(fmt: str) -> bool:
        return fmt in own or fmt.split("_", 1)[0] in own

    found = []
    for fmt, (filename, content) in {**FOREIGN_SNIPPETS, **_generated_samples()}.items():
        if skipped(fmt):
            continue
        target = folder / fmt / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        found.append((fmt, target))
    samples = installed_sample_inputs()
    if samples is not None:
        for path in sorted(p for p in samples.rglob("*") if p.is_file() and not p.name.startswith(".")):
            relative = path.relative_to(samples)
            fmt = relative.parts[0] if len(relative.parts) > 1 else "samples"
            if not skipped(fmt):
                found.append((fmt, path))
    return found


def assert_sniff_declines_foreign_files(
    importer: Importer, *, own: Iterable[str] = (), extra: Iterable[Path] = ()
) -> dict[Path, float]:
    """``importer.sniff`` scores every other format's file below the detection threshold.

    :param own: formats that are the importer's own (see :func:`foreign_files`), skipped;
        the importer's name always counts as one.
    :param extra: more files it must not claim (e.g. a near miss of your own format).
    :return: every file's score, for further asserts.

    A sniff must also return a number in [0, 1] and never raise (a file it can't read is
    simply not its own).
    """
    scores: dict[Path, float] = {}
    claimed = []
    own = {importer.name, *own}
    with tempfile.TemporaryDirectory(prefix="kith-foreign-") as scratch:
        files = [*foreign_files(Path(scratch), own), *(("extra", Path(p)) for p in extra)]
        for fmt, path in files:
            try:
                score = importer.sniff(path, read_head(path))
            except Exception as exc:
                raise AssertionError(
                    f"importer {importer.name!r}: sniff raised {type(exc).__name__} on {fmt} file "
                    f"{path.name} ({exc}); return 0.0 for files that are not yours"
                ) from exc
            if not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
                raise AssertionError(f"importer {importer.name!r}: sniff returned {score!r} for {path.name}")
            scores[path] = float(score)
            if score >= SNIFF_THRESHOLD:
                claimed.append(f"{fmt} file {path.name} ({score:.2f})")
    if claimed:
        raise AssertionError(
            f"importer {importer.name!r} claims files of other formats (threshold {SNIFF_THRESHOLD}): "
            + "; ".join(claimed)
        )
    return scores
