"""The one nickname table: who "Bob" may be, for normalize, dedupe and the journal.

Everything here reads the ``nicknames`` data set through :func:`nicknamer`, loaded once per
process. Normalization maps a given name to its formal form (``given_key``,
:func:`canonical_given`); dedupe compares the sets of formal names two given names may stand
for (:func:`nickname_keys`); the journal asks whether two given names are the same person's
(:func:`same_given_name`).
"""

from __future__ import annotations

import functools

import polars as pl

from pipeline.normalize.text import fold


@functools.cache
def nicknamer():
    """The ``nicknames`` data set (a ``NickNamer``), loaded once."""
    from nicknames import NickNamer

    return NickNamer()


#: Everyday English nicknames whose formal name the ``nicknames`` data set lists among
#: several (it maps "bill" to robert, william, willis…): the usual reading wins. Every
#: target here is one the data set itself gives for that nickname (checked by a test).
NICKNAME_CHOICES = dict(
    pair.split(":")
    for pair in """bob:robert bobby:robert rob:robert robby:robert bill:william billy:william
    will:william willy:william willie:william liz:elizabeth lizzie:elizabeth lizzy:elizabeth
    beth:elizabeth betty:elizabeth betsy:elizabeth bess:elizabeth bessie:elizabeth libby:elizabeth
    eliza:elizabeth liza:elizabeth kate:katherine kathy:katherine cathy:catherine jim:james
    jimmy:james jamie:james mike:michael mikey:michael mick:michael mickey:michael tom:thomas
    tommy:thomas dick:richard rick:richard ricky:richard rich:richard richie:richard
    chris:christopher dan:daniel danny:daniel dave:david steve:steven stevie:steven joe:joseph
    joey:joseph jon:john johnny:john jack:john ben:benjamin benny:benjamin sam:samuel
    sammy:samuel tony:anthony andy:andrew drew:andrew matt:matthew matty:matthew nick:nicholas
    nicky:nicholas patty:patricia trish:patricia tricia:patricia peggy:margaret maggie:margaret
    meg:margaret margie:margaret jen:jennifer jenny:jennifer jenn:jennifer sue:susan susie:susan
    deb:deborah debbie:deborah debby:deborah abby:abigail abbie:abigail alex:alexander
    sandy:sandra ed:edward eddie:edward ted:theodore teddy:theodore ron:ronald ronnie:ronald
    don:donald donnie:donald greg:gregory fred:frederick freddie:frederick hank:henry
    larry:lawrence jerry:gerald gerry:gerald charlie:charles chuck:charles jeff:jeffrey
    geoff:geoffrey josh:joshua zach:zachary zack:zachary nate:nathaniel tim:timothy
    timmy:timothy vince:vincent vinny:vincent walt:walter wally:walter becky:rebecca
    becca:rebecca cindy:cynthia kim:kimberly mandy:amanda manny:manuel vicky:victoria
    vicki:victoria trudy:gertrude judy:judith tess:theresa tessa:theresa molly:mary polly:mary
    sally:sarah dot:dorothy dottie:dorothy ginny:virginia mitch:mitchell phil:philip pete:peter
    ray:raymond rudy:rudolph russ:russell sid:sidney stu:stuart theo:theodore toby:tobias
    lou:louis ken:kenneth kenny:kenneth doug:douglas herb:herbert jake:jacob gabe:gabriel""".split()
)


@functools.cache
def nickname_table() -> dict[str, str]:
    """Folded nickname → formal name, from the ``nicknames`` data set.

    A nickname maps to a formal name when :data:`NICKNAME_CHOICES` says which, or when the
    data set gives exactly one longer formal name for it. A name that is itself formal
    (the data set lists shorter nicknames of it, e.g. robert) is never mapped.
    """
    namer = nicknamer()
    nick_of = namer.nickname_lookup
    formal_of = namer.canonical_lookup
    table: dict[str, str] = {}
    for name, formals in formal_of.items():
        if any(len(n) < len(name) for n in nick_of.get(name, ())):
            continue
        longer = [f for f in formals if len(f) > len(name)]
        if len(longer) == 1:
            table[name] = longer[0]
    table.update(NICKNAME_CHOICES)
    return table


def canonical_given(name: str | None) -> str | None:
    """The folded formal form of a given name: ``"Bob"`` → ``"robert"``, ``"José"`` → ``"jose"``."""
    key = fold(name)
    if key is None:
        return None
    return nickname_table().get(key, key)


def nickname_keys(names: pl.Series) -> pl.Series:
    """Per folded given name, the names it may stand for: itself plus its longer canonical forms.

    Two given names are nickname-equivalent when their key sets meet: Bob and Rob meet at
    Robert, Bill and William at William. Only forms at least as long as the name itself
    count (a nickname points to the formal name, not to other nicknames), which keeps a
    common formal name such as "john" to a single key. Run once per unique name.
    """
    namer = nicknamer()
    keys = [
        None
        if n is None
        else sorted({n} | {c for c in namer.canonicals_of(n) if c.isalpha() and len(c) >= len(n)})
        for n in names.to_list()
    ]
    return pl.Series("g_keys", keys, dtype=pl.List(pl.String))


def same_given_name(a: str, b: str) -> bool:
    """True when two given names are the same or nicknames of each other (Bob ~ Robert)."""
    if not a or not b:
        return False
    if a == b:
        return True
    nn = nicknamer()
    a_forms = {a} | nn.nicknames_of(a) | nn.canonicals_of(a)
    b_forms = {b} | nn.nicknames_of(b) | nn.canonicals_of(b)
    return b in a_forms or a in b_forms or bool((nn.canonicals_of(a) | {a}) & (nn.canonicals_of(b) | {b}))
