"""Seeded generator of realistic contact sets with ground truth, for bench/dedupe.py.

People are drawn first (Zipf-distributed given and family names, so "John Smith" is
common and most surnames are rare; employers, postal codes, schools), then each person
shows up in one to five sources the way a job seeker's or alumni office's data does:

* ``linkedin``: formal name, current employer, profile URL, an email only ~10% of the time
  (the 2018 privacy default), connection date — and, as in the real export, no location;
* ``vcard`` (phone): nicknames, mobile and landline numbers, employer on 60% of cards, a home
  address on 20%, sometimes a year-less birthday;
* ``google_csv`` / ``outlook_csv``: emails (personal or work), phones, employer, title, a
  city and postal code on 15% of Google rows;
* ``alumni``: middle initial, class year, address, the directory's "Employer" column (55%),
  often no email or phone at all. Married names: 40% of such alumni rows carry only the name
  at graduation (no trace of the married name), the rest the current name with the maiden
  name in ``extra`` (Blackbaud's "Maiden name" column).

Noise: typos, initials, transliteration variants (Aleksandr/Alexander, Müller/Mueller),
old employers, emails with digits, a second record in the same source. Hard negatives:
spouses sharing a household email or landline, fathers and sons (Sr./Jr.) sharing a
landline and address, colleagues listing the company switchboard.

``GENERATOR_VERSION`` names this recipe; bench/dedupe.py caches generated sets under it.
Version 3: Gmail addresses are unique per *mailbox* (Gmail ignores dots in the local part;
version 2 gave ``john.smith@`` and ``johnsmith@`` to two different people). Version 4: the
same people and records, stored by bench/dedupe.py with normalization's derived name keys
(``name_key``, ``given_key``, ``family_key``) as the store holds them.

``generate(n_records, seed)`` returns ``(canonical records, truth)`` where ``truth`` has
record_id and the true person id. Deterministic for a given seed.

``generate_members(n_records, seed)`` is the member-directory profile (``MEMBERS_VERSION``):
three exports of one chapter's directory, no e-mail for most members and the chapter's shared
domain for most e-mails that exist, address and birth date or class year as the evidence, typos
in names, swapped or shifted birth dates, members who moved, spouses and fathers and sons at one
address.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import polars as pl

GENERATOR_VERSION = 4

GIVEN_M = (
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew "
    "Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason "
    "Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel "
    "Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Douglas "
    "Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Gerald Harold Sean Austin "
    "Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce Gabriel Logan Albert Willie Alan Juan "
    "Wayne Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Mason Philip Louis Wei Hiroshi Rahul Arjun "
    "Mohammed Omar Ahmed Luca Matteo Jakub Piotr Tomasz Krzysztof Lukas Jonas Mateo Santiago Diego Carlos "
    "Sergei Dmitri Aleksandr Yuri Mikhail Ivan Andrei Nikolai Jurgen Stefan Hans Pierre Jean Olivier"
).split()
GIVEN_F = (
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret "
    "Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca "
    "Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma Nicole Helen Samantha "
    "Katherine Christine Debra Rachel Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia Joyce "
    "Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah Jacqueline "
    "Martha Gloria Teresa Ann Sara Madison Frances Kathryn Janice Jean Abigail Alice Judy Sophia Grace "
    "Denise Amber Doris Marilyn Danielle Beverly Isabella Theresa Diana Natalie Brittany Charlotte Marie "
    "Kayla Alexis Lori Mei Yuki Priya Ananya Fatima Aisha Giulia Chiara Agnieszka Katarzyna Magdalena Zofia "
    "Lena Mia Sofia Valentina Camila Olga Natalia Svetlana Tatiana Ekaterina Irina Anastasia Chloe Zoe"
).split()
NICKNAMES = {
    "robert": ["Bob", "Rob", "Robby", "Bobby"],
    "william": ["Bill", "Will", "Billy"],
    "james": ["Jim", "Jimmy"],
    "john": ["Johnny", "Jack"],
    "michael": ["Mike", "Mikey"],
    "richard": ["Rick", "Dick", "Rich"],
    "joseph": ["Joe", "Joey"],
    "thomas": ["Tom", "Tommy"],
    "charles": ["Charlie", "Chuck"],
    "christopher": ["Chris"],
    "daniel": ["Dan", "Danny"],
    "matthew": ["Matt"],
    "anthony": ["Tony"],
    "donald": ["Don"],
    "steven": ["Steve"],
    "andrew": ["Andy", "Drew"],
    "joshua": ["Josh"],
    "kenneth": ["Ken", "Kenny"],
    "edward": ["Ed", "Ted", "Eddie"],
    "jeffrey": ["Jeff"],
    "timothy": ["Tim"],
    "ronald": ["Ron"],
    "nicholas": ["Nick"],
    "jonathan": ["Jon"],
    "stephen": ["Steve"],
    "benjamin": ["Ben"],
    "samuel": ["Sam"],
    "gregory": ["Greg"],
    "alexander": ["Alex"],
    "patrick": ["Pat"],
    "lawrence": ["Larry"],
    "gerald": ["Jerry"],
    "peter": ["Pete"],
    "zachary": ["Zach"],
    "elizabeth": ["Liz", "Beth", "Betsy"],
    "patricia": ["Pat", "Patty"],
    "jennifer": ["Jen", "Jenny"],
    "margaret": ["Peggy", "Maggie", "Meg"],
    "susan": ["Sue", "Susie"],
    "jessica": ["Jess"],
    "kimberly": ["Kim"],
    "deborah": ["Debbie", "Deb"],
    "rebecca": ["Becky"],
    "katherine": ["Kate", "Kathy", "Katie"],
    "catherine": ["Cathy", "Cate"],
    "christine": ["Chris"],
    "cynthia": ["Cindy"],
    "victoria": ["Vicky", "Tori"],
    "samantha": ["Sam"],
    "abigail": ["Abby"],
    "amanda": ["Mandy"],
    "kathleen": ["Kathy"],
    "pamela": ["Pam"],
    "judith": ["Judy"],
    "alexandra": ["Alex"],
    "dorothy": ["Dot"],
    "theresa": ["Terry"],
    "aleksandr": ["Sasha"],
}
TRANSLIT = {
    "Aleksandr": ["Alexander", "Alexandr"],
    "Sergei": ["Sergey"],
    "Dmitri": ["Dmitry", "Dmitriy"],
    "Yuri": ["Yury", "Iurii"],
    "Mikhail": ["Michail"],
    "Andrei": ["Andrey"],
    "Nikolai": ["Nikolay"],
    "Jurgen": ["Juergen", "Jürgen"],
    "Olga": ["Olha"],
    "Natalia": ["Natalya"],
    "Tatiana": ["Tatyana"],
    "Ekaterina": ["Yekaterina"],
    "Zoe": ["Zoë"],
    "Jose": ["José"],
}
FAMILY_TOP = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Kowalski Nowak Wisniewski Muller Schmidt "
    "Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Ivanov Smirnov Kuznetsov Popov Wang Li "
    "Zhang Liu Chen Yang Huang Zhao Wu Zhou Kim Park Choi Patel Shah Singh Kumar Sharma Rossi Russo Ferrari"
).split()
SYL_A = "ba be bo ca co da de di do fa fe ga go ha he ka ke ko la le li lo ma me mi mo na ne no pa pe ra re ri ro sa se so ta te to va ve vi wa we ya za".split()  # noqa: E501
SYL_B = "ber bert burn by chek dal den dorf field ford gard ham hart holm ick ien ika ini ins kin land ley lin lund man mann mer more nak ner nik ova ovic rich rick ski son sten ston ter ton vic well wick worth".split()  # noqa: E501
ORG_WORDS = "Acme Globex Initech Umbrella Stark Wayne Hooli Vandelay Soylent Cyberdyne Tyrell Wonka Aperture Massive Dynamic Northwind Contoso Fabrikam Litware Proseware Adventure Blue Yonder Alpine Coho Fourth Humongous Lucerne Margie Tailspin Trey Wingtip Woodgrove Bellows Pinnacle Summit Harbor Granite Cedar Maple Orbit Quantum Vertex Nimbus Zenith Apex Beacon Crescent Evergreen Falcon".split()  # noqa: E501
ORG_KIND = "Labs Systems Group Partners Health Bank Consulting Analytics Software Logistics Energy Media Foods Capital Robotics Studio".split()  # noqa: E501
LEGAL = ["", "", "", " Inc", " Inc.", " LLC", " Ltd", " Corp"]
CITIES = "Seattle Portland Boston Chicago Austin Denver Atlanta Phoenix Madison Oakland Berkeley Raleigh Durham Pittsburgh Cleveland Columbus Richmond Tucson Omaha Boise".split()  # noqa: E501
STREETS = "Main Oak Pine Maple Cedar Elm Washington Lake Hill Park View Sunset Lincoln Jackson Church Spring"
STREETS = STREETS.split()
ST_KIND = [("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Drive", "Dr"), ("Lane", "Ln")]
SCHOOLS = [f"{c} State University" for c in CITIES] + [f"University of {c}" for c in CITIES[:10]]
SOURCES = ("linkedin", "vcard", "google_csv", "outlook_csv", "alumni")
SOURCE_WEIGHTS = (0.3, 0.25, 0.2, 0.1, 0.15)
FREEMAIL = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me", "example.net")


class _Zipf:
    """Draw items with weight 1/(rank + offset)^s (cumulative table, bisect)."""

    def __init__(self, items: list, s: float, offset: float, rng: random.Random):
        import bisect
        import itertools

        self.items = items
        self.cum = list(itertools.accumulate(1.0 / (r + offset) ** s for r in range(len(items))))
        self.rng = rng
        self._bisect = bisect.bisect_left

    def draw(self):
        return self.items[self._bisect(self.cum, self.rng.random() * self.cum[-1])]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    k = rng.randrange(1, len(word) - 1)
    op = rng.random()
    if op < 0.35:  # transpose
        return word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    if op < 0.6:  # delete
        return word[:k] + word[k + 1 :]
    if op < 0.8:  # double
        return word[:k] + word[k] + word[k:]
    return word[:k] + rng.choice("aeiourstnl") + word[k + 1 :]


def _people(n_people: int, rng: random.Random) -> list[dict]:
    synth = sorted(
        {rng.choice(SYL_A).capitalize() + rng.choice(SYL_A) + rng.choice(SYL_B) for _ in range(120_000)}
    )
    rng.shuffle(synth)
    family = _Zipf(FAMILY_TOP + synth, 1.0, 3.0, rng)
    male = _Zipf(GIVEN_M, 1.0, 2.0, rng)
    female = _Zipf(GIVEN_F, 1.0, 2.0, rng)
    orgs_all = [f"{a} {b}" for a in ORG_WORDS for b in ORG_KIND] + [
        f"{a} {c} {b}" for a in ORG_WORDS for b in ORG_KIND for c in CITIES[:8]
    ]
    rng.shuffle(orgs_all)
    orgs = _Zipf(orgs_all, 0.9, 30.0, rng)
    postal = _Zipf([f"{rng.randrange(10000, 99999):05d}" for _ in range(20_000)], 0.6, 10.0, rng)
    people: list[dict] = []
    used_email: set[str] = set()
    switchboard: dict[str, str] = {}

    def phone() -> str:
        return f"+1{rng.randrange(200, 999)}{rng.randrange(200, 999)}{rng.randrange(0, 9999):04d}"

    def mailbox(addr: str) -> str:
        # Gmail ignores dots in the local part: john.smith@ and johnsmith@ are one mailbox, so
        # two people can never hold both (version 2 handed them to different people).
        local, _, domain = addr.partition("@")
        return f"{local.replace('.', '')}@{domain}" if domain == "gmail.com" else addr

    def email_for(given: str, fam: str, domain: str) -> str:
        g, f = given.lower(), fam.lower().replace(" ", "")
        base = rng.choice([f"{g}.{f}", f"{g[0]}{f}", f"{g}{f}", f"{g}_{f}", f"{f}.{g}"])
        base = base.encode("ascii", "ignore").decode() or "x"
        addr = f"{base}@{domain}"
        while mailbox(addr) in used_email:
            addr = f"{base}{rng.randrange(1, 999)}@{domain}"
        used_email.add(mailbox(addr))
        return addr

    def new_person(given=None, fam=None, female_=None, household=None) -> dict:
        is_f = rng.random() < 0.5 if female_ is None else female_
        g = given or (female if is_f else male).draw()
        f = fam or family.draw()
        org = orgs.draw()
        org_domain = org.lower().replace(" ", "") + ".example.com"
        year = rng.randrange(1950, 2002)
        p = {
            "pid": len(people),
            "given": g,
            "middle": rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.6 else None,
            "family": f,
            "maiden": None,
            "female": is_f,
            "suffix": None,
            "org": org,
            "old_org": orgs.draw() if rng.random() < 0.2 else None,
            "title": rng.choice(
                ["Engineer", "Manager", "Director", "Analyst", "Designer", "Consultant", "VP"]
            ),
            "mobile": phone(),
            "landline": household["landline"] if household else (phone() if rng.random() < 0.4 else None),
            "personal": None,
            "work": None,
            "household_email": household.get("household_email") if household else None,
            "slug": None,
            "birthday": dt.date(year, rng.randrange(1, 13), rng.randrange(1, 29)),
            "class_year": year + 22 + rng.randrange(-1, 3),
            "school": rng.choice(SCHOOLS),
            "postal": household["postal"] if household else postal.draw(),
            "city": household["city"] if household else rng.choice(CITIES),
            "street": household["street"]
            if household
            else f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} {rng.choice(ST_KIND)[0]}",
        }
        p["personal"] = email_for(g, f, rng.choice(FREEMAIL)) if rng.random() < 0.85 else None
        p["work"] = email_for(g, f, org_domain) if rng.random() < 0.6 else None
        p["switchboard"] = switchboard.setdefault(org, phone())
        slug = f"{g}-{f}".lower().encode("ascii", "ignore").decode().replace(" ", "-")
        p["slug"] = f"{slug}-{rng.randrange(16**6):06x}" if rng.random() < 0.7 else f"{slug}{len(people)}"
        people.append(p)
        return p

    while len(people) < n_people:
        p = new_person()
        r = rng.random()
        if r < 0.18 and len(people) < n_people:  # a spouse: same household, often the same family name
            spouse_f = not p["female"]
            hh = {"landline": p["landline"] or (p["mobile"] if rng.random() < 0.2 else None)}
            hh.update(postal=p["postal"], city=p["city"], street=p["street"])
            if rng.random() < 0.3:
                hh["household_email"] = email_for(p["family"] + "s", "family", rng.choice(FREEMAIL))
                p["household_email"] = hh["household_email"]
            s = new_person(fam=p["family"] if rng.random() < 0.8 else None, female_=spouse_f, household=hh)
            if s["female"] and s["family"] == p["family"] and rng.random() < 0.5:
                s["maiden"] = family.draw()
        elif r < 0.2 and len(people) < n_people:  # father and son with the same name
            p["suffix"] = "Sr."
            p["female"] = False
            hh = {
                "landline": p["landline"] or phone(),
                "postal": p["postal"],
                "city": p["city"],
                "street": p["street"],
            }
            p["landline"] = hh["landline"]
            s = new_person(given=p["given"], fam=p["family"], female_=False, household=hh)
            s["suffix"] = "Jr."
    return people[:n_people]


def _name_variant(p: dict, source: str, rng: random.Random) -> tuple[str, str]:
    g = p["given"]
    low = g.lower()
    nick_rate = {"vcard": 0.35, "google_csv": 0.2, "outlook_csv": 0.15, "linkedin": 0.1, "alumni": 0.05}[
        source
    ]
    if low in NICKNAMES and rng.random() < nick_rate:
        g = rng.choice(NICKNAMES[low])
    elif g in TRANSLIT and rng.random() < 0.5:
        g = rng.choice(TRANSLIT[g])
    f = p["family"]
    if source == "alumni" and p["maiden"] and rng.random() < 0.4:
        f = p["maiden"]  # listed under the name at graduation, with no other trace of the married name
    if f in ("Muller", "Schroder") and rng.random() < 0.5:
        f = rng.choice({"Muller": ["Mueller", "Müller"], "Schroder": ["Schroeder", "Schröder"]}[f])
    if rng.random() < 0.03:
        f = _typo(f, rng)
    if rng.random() < 0.02:
        g = _typo(g, rng)
    if source in ("vcard", "outlook_csv") and rng.random() < 0.03:
        g = g[0] + "."
    if rng.random() < 0.03:
        g, f = g.upper(), f.upper()
    return g, f


def _record(p: dict, source: str, rng: random.Random) -> dict:
    g, f = _name_variant(p, source, rng)
    r: dict = {"given_name": g, "family_name": f, "emails": [], "phones": []}
    suffix = p["suffix"] if p["suffix"] and rng.random() < 0.6 else None
    r["suffix"] = suffix
    if source == "alumni" and p["maiden"] and f != p["maiden"]:
        # Alumni systems keep the name at graduation in its own column (Blackbaud "Maiden name").
        r["extra"] = json.dumps({"maiden_name": p["maiden"]})
    r["full_name"] = " ".join(x for x in (g, f, suffix) if x)
    org = p["old_org"] if p["old_org"] and source != "linkedin" and rng.random() < 0.5 else p["org"]
    org_text = org + rng.choice(LEGAL)

    def maybe(rate: float) -> bool:
        return rng.random() < rate

    if source == "linkedin":
        r["organization"] = org_text if maybe(0.85) else None
        r["title"] = p["title"]
        r["linkedin_url"] = f"https://www.linkedin.com/in/{p['slug']}"
        if maybe(0.1):
            r["emails"] = [p["personal"] or p["work"]] if (p["personal"] or p["work"]) else []
        r["connected_on"] = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3500))
    elif source == "vcard":
        if maybe(0.9):
            r["phones"].append(p["mobile"])
        if p["landline"] and maybe(0.4):
            r["phones"].append(p["landline"])
        if p["personal"] and maybe(0.6):
            r["emails"].append(p["personal"])
        if p["household_email"] and maybe(0.5):
            r["emails"].append(p["household_email"])
        if p["work"] and maybe(0.2):
            r["emails"].append(p["work"])
        r["organization"] = org_text if maybe(0.6) else None
        if maybe(0.2):  # a home address on the card of someone close
            r.update(street=p["street"], city=p["city"], postal_code=p["postal"], country="US")
        if maybe(0.15):  # iOS social profiles
            r["linkedin_url"] = f"https://linkedin.com/in/{p['slug']}/"
        if maybe(0.2):
            b = p["birthday"]
            r["birthday"] = b.isoformat() if maybe(0.6) else f"--{b.month:02d}-{b.day:02d}"
    elif source in ("google_csv", "outlook_csv"):
        work_first = source == "outlook_csv"
        if p["personal"] and maybe(0.3 if work_first else 0.8):
            r["emails"].append(p["personal"])
        if p["work"] and maybe(0.7 if work_first else 0.3):
            r["emails"].append(p["work"])
        if p["household_email"] and maybe(0.3):
            r["emails"].append(p["household_email"])
        if maybe(0.5):
            r["phones"].append(p["mobile"])
        if work_first and maybe(0.2):
            r["phones"].append(p["switchboard"])
        if p["landline"] and maybe(0.2):
            r["phones"].append(p["landline"])
        r["organization"] = org_text if maybe(0.8 if work_first else 0.5) else None
        if not work_first and maybe(0.15):  # Google's "Website" field
            r["linkedin_url"] = f"http://www.linkedin.com/in/{p['slug']}"
        r["title"] = p["title"] if work_first and maybe(0.6) else None
        if maybe(0.1):
            r["birthday"] = p["birthday"].isoformat()
        if maybe(0.15):
            r.update(city=p["city"], postal_code=p["postal"], country="US")
    else:  # alumni
        r["middle_name"] = p["middle"] if maybe(0.5) else None
        r["school"] = p["school"]
        r["degree"] = rng.choice(["BA", "BS", "MBA", "MS", "PhD"])
        r["class_year"] = p["class_year"]
        if maybe(0.7):
            st = p["street"]
            if maybe(0.5):
                for long, short in ST_KIND:
                    st = st.replace(long, short)
            r.update(street=st, city=p["city"], postal_code=p["postal"], country="US")
        if maybe(0.4):
            r["birthday"] = p["birthday"].isoformat()
        if p["personal"] and maybe(0.4):
            r["emails"].append(p["personal"])
        if maybe(0.25):
            r["phones"].append(p["mobile"])
        if p["landline"] and maybe(0.15):
            r["phones"].append(p["landline"])
        r["organization"] = org_text if maybe(0.55) else None  # the directory's "Employer" column
    r["channel"] = {"linkedin": "linkedin", "alumni": "alumni"}.get(source, "other")
    return r


def generate(n_records: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``n_records`` canonical records and their truth (record_id → true person id)."""
    from pipeline.schema import CANONICAL, conform

    rng = random.Random(seed)
    people = _people(max(n_records // 2, 2), rng)
    counts = [1, 2, 3, 4, 5]
    count_w = [0.38, 0.3, 0.18, 0.09, 0.05]
    rows: list[dict] = []
    truth: list[int] = []
    k = 0
    while len(rows) < n_records:
        p = people[k % len(people)]
        k += 1
        n = rng.choices(counts, count_w)[0]
        chosen = set()
        while len(chosen) < n:
            chosen.add(rng.choices(SOURCES, SOURCE_WEIGHTS)[0])
        srcs = sorted(chosen)
        if rng.random() < 0.05:
            srcs.append(rng.choice(srcs))  # the same person twice in one source
        for s in srcs:
            rec = _record(p, s, rng)
            rec["source"] = s
            rows.append(rec)
            truth.append(p["pid"])
            if len(rows) >= n_records:
                break
    order = list(range(len(rows)))
    rng.shuffle(order)
    columns = {c: [rows[i].get(c) for i in order] for c in CANONICAL if c not in ("record_id", "source_ref")}
    columns["record_id"] = [f"r{n:07d}" for n in range(len(order))]
    columns["source_ref"] = [f"row {n + 2}" for n in range(len(order))]
    columns["source_file"] = [f"{rows[i]['source']}.export" for i in order]
    frame = conform(
        pl.DataFrame(
            columns, schema_overrides={c: t for c, t in CANONICAL.items() if c in columns}, strict=False
        )
    )
    truth_frame = pl.DataFrame({"record_id": columns["record_id"], "true_person": [truth[i] for i in order]})
    return frame, truth_frame


# --- member-directory profile ---------------------------------------------------------------

#: Names the member-directory recipe; bench/dedupe.py caches member sets under it.
MEMBERS_VERSION = 2
#: The chapter's own domain: most e-mails that exist end in it, so it says nothing about identity.
CHAPTER_DOMAIN = "members.example.org"
MEMBER_SOURCES = ("directory_2019.csv", "directory_2024.csv", "society_roster.csv")
MEMBER_SCHOOL = "Lakeside State University"
#: Postal codes per city: addresses cluster the way a chapter's members do.
_CITY_CODES = {c: [f"{9 * 1000 + 37 * i + k:05d}" for k in range(4)] for i, c in enumerate(CITIES)}


def _member_people(n_people: int, rng: random.Random) -> list[dict]:
    """Members: names from the contact generator's distributions, an address, a birth date, a class
    year; an e-mail for a third of them (mostly at the chapter's domain), a phone for a fifth;
    spouses at one address and fathers and sons with one name as hard negatives."""
    synth = sorted(
        {rng.choice(SYL_A).capitalize() + rng.choice(SYL_A) + rng.choice(SYL_B) for _ in range(60_000)}
    )
    rng.shuffle(synth)
    family = _Zipf(FAMILY_TOP + synth, 1.0, 3.0, rng)
    names = {False: _Zipf(GIVEN_M, 1.0, 2.0, rng), True: _Zipf(GIVEN_F, 1.0, 2.0, rng)}
    used: set[str] = set()

    def address() -> dict:
        city = rng.choice(CITIES)
        street = f"{rng.randrange(1, 2000)} {rng.choice(STREETS)} {rng.choice(ST_KIND)[0]}"
        return {"street": street, "city": city, "postal": rng.choice(_CITY_CODES[city])}

    def email(g: str, f: str) -> str | None:
        if rng.random() >= 0.33:
            return None
        domain = CHAPTER_DOMAIN if rng.random() < 0.65 else rng.choice(FREEMAIL)
        base = f"{g}.{f}".lower().replace(" ", "").encode("ascii", "ignore").decode() or "member"
        addr = f"{base}@{domain}"
        while addr in used:
            addr = f"{base}{rng.randrange(2, 999)}@{domain}"
        used.add(addr)
        return addr

    def person(home: dict, female: bool, given=None, fam=None, born=None) -> dict:
        g, f = given or names[female].draw(), fam or family.draw()
        year = born or rng.randrange(1940, 2001)
        return {
            "pid": len(people),
            "given": g,
            "middle": rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.5 else None,
            "family": f,
            "suffix": None,
            "birthday": dt.date(year, rng.randrange(1, 13), rng.randrange(1, 29)),
            "class_year": year + 22 + rng.randrange(-1, 2),
            "email": email(g, f),
            "phone": f"+1{rng.randrange(200, 999)}{rng.randrange(200, 999)}{rng.randrange(10000):04d}"
            if rng.random() < 0.2
            else None,
            "home": home,
            "moved": address() if rng.random() < 0.25 else None,
        }

    people: list[dict] = []
    while len(people) < n_people:
        home, female, r = address(), rng.random() < 0.5, rng.random()
        if r < 0.03:  # father and son: one name at one address, a generation apart
            father = person(home, False, born=rng.randrange(1940, 1972))
            son = person(
                home, False, given=father["given"], fam=father["family"], born=father["birthday"].year + 28
            )
            father["suffix"], son["suffix"] = "Sr.", "Jr."
            # Both were drawn before either was appended: without this the son took his father's pid.
            son["pid"] = father["pid"] + 1
            people.extend((father, son))
            continue
        p = person(home, female)
        people.append(p)
        if r < 0.15:  # a spouse at the same address, usually with the same family name
            people.append(person(home, not female, fam=p["family"] if rng.random() < 0.8 else None))
    return people[:n_people]


def _shifted(day: dt.date, rng: random.Random) -> str:
    """A birth date as a clerk typed it: day and month swapped, or one part off by one."""
    if rng.random() < 0.6 and day.day <= 12 and day.day != day.month:
        return dt.date(day.year, day.day, day.month).isoformat()
    part = rng.choice(("year", "month", "day"))
    if part == "year":
        return day.replace(year=day.year + rng.choice((-1, 1))).isoformat()
    if part == "month":
        return day.replace(month=day.month % 12 + 1).isoformat()
    return day.replace(day=day.day % 28 + 1).isoformat()


def _member_record(p: dict, source: str, rng: random.Random) -> dict:
    home = p["moved"] if p["moved"] and source == "directory_2024.csv" else p["home"]
    g, f = p["given"], p["family"]
    if g.lower() in NICKNAMES and rng.random() < 0.1:
        g = rng.choice(NICKNAMES[g.lower()])
    g = _typo(g, rng) if rng.random() < 0.06 else g
    f = _typo(f, rng) if rng.random() < 0.06 else f
    if rng.random() < 0.05:
        g, f = g.upper(), f.upper()
    suffix = p["suffix"] if p["suffix"] and rng.random() < 0.7 else None
    r: dict = {"given_name": g, "family_name": f, "suffix": suffix, "emails": [], "phones": []}
    r["full_name"] = " ".join(x for x in (g, f, suffix) if x)
    r["middle_name"] = p["middle"] if rng.random() < 0.6 else None
    if rng.random() < 0.9:
        street = home["street"]
        if rng.random() < 0.4:
            for long, short in ST_KIND:
                street = street.replace(long, short)
        street = _typo(street, rng) if rng.random() < 0.05 else street
        r.update(street=street, city=home["city"], postal_code=home["postal"], region="WA", country="US")
    if rng.random() < 0.7:
        r["birthday"] = _shifted(p["birthday"], rng) if rng.random() < 0.08 else p["birthday"].isoformat()
    if "birthday" not in r or rng.random() < 0.5:
        r["class_year"] = p["class_year"]
    if p["email"] and rng.random() < 0.85:
        r["emails"].append(p["email"])
    if p["phone"] and rng.random() < 0.7:
        r["phones"].append(p["phone"])
    r["school"] = MEMBER_SCHOOL
    r["channel"] = "alumni"
    return r


def generate_members(n_records: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A member directory: ``n_records`` rows from three exports of one chapter, and their truth.

    Most rows have no e-mail; the ones that exist mostly share the chapter's domain. Evidence is
    the address (a quarter of the members moved between the 2019 and 2024 directories), the
    birth date (sometimes with day and month swapped or a part off by one) or the class year;
    names carry typos, nicknames and shouting. Each export lists a member once, with a member
    number (``extra.source_id``) of its own; one in thirty is listed twice (re-entered under a new
    number). Deterministic for a given seed.
    """
    from pipeline.schema import CANONICAL, conform

    rng = random.Random(seed)
    people = _member_people(max(int(n_records / 1.8), 2), rng)
    rows: list[dict] = []
    truth: list[int] = []
    k = 0
    while len(rows) < n_records:
        p = people[k % len(people)]
        k += 1
        n = rng.choices((1, 2, 3), (0.4, 0.4, 0.2))[0]
        sources = sorted(rng.sample(MEMBER_SOURCES, n))
        if rng.random() < 1 / 30:
            sources.append(sources[0])
        for s in sources[: n_records - len(rows)]:
            rec = _member_record(p, s, rng)
            rec["source_file"] = s
            rows.append(rec)
            truth.append(p["pid"])
    order = list(range(len(rows)))
    rng.shuffle(order)
    numbers = rng.sample(range(100_000, 999_999), len(rows))
    columns = {c: [rows[i].get(c) for i in order] for c in CANONICAL if c not in ("record_id", "source_ref")}
    columns["record_id"] = [f"m{n:07d}" for n in range(len(order))]
    columns["source_ref"] = [f"row {n + 2}" for n in range(len(order))]
    columns["source"] = ["alumni"] * len(order)
    columns["extra"] = [json.dumps({"source_id": f"M{numbers[n]}"}) for n in range(len(order))]
    frame = conform(
        pl.DataFrame(
            columns, schema_overrides={c: t for c, t in CANONICAL.items() if c in columns}, strict=False
        )
    )
    truth_frame = pl.DataFrame({"record_id": columns["record_id"], "true_person": [truth[i] for i in order]})
    return frame, truth_frame
