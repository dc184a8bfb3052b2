"""Mention detection: gazetteer names, titles, descriptions, collectives, times, capitalised
names and pronouns. Within each rule family overlaps are resolved longest first; atomic names
(states, demonyms, capitals, organisations, places, times) may nest inside whole noun phrases, as
the guidelines allow ("[[Russia]'s ambassador to [the United States]]"), but never cross them.

Offsets are half-open ``[start, end)`` code points of the document text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .lexicon import Lexicon
from .text import CREDIT, DATELINE, find_phrases, quote_mask, sentences, words

NAME_TOKEN = r"(?:(?:al|el|bin|ibn|abu)-)?[A-Z][\w\-]*(?:['’][A-Z]\w*)?"
POSSESSIVE = r"['’]s"


@dataclass(frozen=True, slots=True)
class Found:
    """A detected mention before ids are given.

    ``kind`` says which rule found it (``name``, ``capital``, ``demonym``, ``place``, ``time``,
    ``titled_name``, ``description``, ``group``, ``org_description``, ``capitalised``,
    ``coordination``, ``pronoun``, ``quoted_pronoun``); ``key`` is the canonical name for
    gazetteer hits; ``title`` the lower-case title of office a person name or description
    carries.
    """

    start: int
    end: int
    type: str
    kind: str
    key: str | None = None
    wikidata: str | None = None
    title: str | None = None


def _alt(phrases) -> str:
    """A regex alternation of literal phrases, longest first, any white space between words."""
    items = sorted(set(phrases), key=lambda s: (-len(s), s))
    return "(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in items) + ")"


@functools.cache
def _patterns(lex: Lexicon) -> dict[str, re.Pattern[str]]:
    """Regular expressions built once from the lexicon."""
    titles = _alt(lex.titles)
    demonym = _alt(lex.demonyms)
    state_name = _alt(n for n, e in lex.names.items() if e.type == lex.state_type)
    any_name = _alt(lex.names)
    mods = _alt(lex.title_modifiers)
    gmods = _alt(lex.group_modifiers)
    gnouns = _alt(lex.group_nouns)
    odesc = _alt(lex.organization_descriptions)
    det = r"(?:the|a|an|one|another|its|his|her|their|our)"
    poss = rf"(?:{any_name}|{NAME_TOKEN}(?:\s+{NAME_TOKEN})*|(?i:the)\s+[a-z]+){POSSESSIVE}"
    name = rf"{NAME_TOKEN}(?:\s+(?:(?:de|da|van|von|bin|ibn|al|el)\s+)?{NAME_TOKEN}){{0,3}}"
    months = _alt(lex.months)
    weekdays = _alt(lex.weekdays)
    place = _alt(list(lex.capitals) + list(lex.places) + list(lex.names))
    # a lower-case premodifier: any word but a function word ("the deal in a statement" is no
    # description of a statement)
    word = rf"(?!(?:{'|'.join(map(re.escape, sorted(lex.function_words | {'a', 'an', 'the'})))})\b)[a-z\-]+"
    # names that can premodify a noun ("the [United Nations] mission", "the [U.N.] mission")
    bare_name = _alt(n for n in lex.names if not n.lower().startswith("the "))
    b, e = r"(?<![\w\-])", r"(?![\w\-])"
    # "officials on both sides", "officials from both countries"
    gcomp = (rf"(?:\s+(?:on|from|of|in)\s+(?:both|the\s+two|either|the)\s+{gnouns}{e}"
             rf"|\s+(?:in|from)\s+(?:{place}|{NAME_TOKEN}(?:\s+{NAME_TOKEN})?){e}(?![’']s)"
             rf"|\s+(?:at|in|from|of)\s+(?:the\s+)?(?:{bare_name}\s+)?{odesc}{e})")
    # determiner or possessive, then modifiers, demonyms or capitalised words ("Information
    # Minister", "European Commission spokeswoman")
    premod = rf"(?:(?i:{det})\s+|{poss}\s+)?(?:(?:(?i:{mods})|{demonym}|{NAME_TOKEN})\s+)*"
    return {
        # Title (with its premodifiers) and the capitalised name after it: one PERSON mention.
        "titled_name": re.compile(rf"{b}{premod}(?P<title>(?i:{titles}))\.?\s+(?=[A-Z])"),
        "name": re.compile(rf"(?P<name>{name}){e}"),
        # "the foreign minister", "Russia's ambassador to the United States", "a senior U.S. official"
        "description": re.compile(
            rf"{b}(?:(?i:{det})\s+|{poss}\s+)(?:(?:(?i:{mods})|{demonym}|{NAME_TOKEN})\s+){{0,4}}"
            rf"(?P<title>(?i:{titles})){e}"
            rf"(?:\s+(?i:to|of|for|at|in)\s+(?:{place}|(?i:the|its|his|her|their)\s+"
            rf"(?:{word}\s+)?{odesc}){e}(?![’']s))?"
            rf"(?!\s+[A-Z][a-z])"),
        # an apposition after a comma takes its whole complement, up to the next punctuation:
        # ", a researcher at a São Paulo institute for regional studies,"
        "apposition": re.compile(
            rf"(?:(?<=, )|{b}(?=[^,.;]{{1,90}},\s+[A-Z]))(?i:a|an|the|one|{poss})\s+"
            rf"(?:(?:(?i:{mods})|{demonym}|[\w\-]+)\s+){{0,3}}?"
            rf"(?P<title>(?i:{titles})){e}"
            rf"\s+(?i:to|of|for|at|in|from)\s+(?:[^,.;:\"“”()\s]+\s+){{0,7}}?[^,.;:\"“”()\s]+"
            rf"(?=\s*(?:[,;]|\.(?:\s|$)))"),
        "group": re.compile(
            rf"{b}(?:(?:(?i:{gmods})|{demonym}|{state_name}|{poss}|\d[\d,]*)\s+)+{gnouns}{e}"
            rf"{gcomp}?"),
        "bare_group": re.compile(rf"{b}(?i:{_alt(lex.bare_groups)}){e}(?P<comp>{gcomp})?"
                                 rf"(?=\s+(?P<next>[a-z]+)|\s*[,.;])"),
        # "One of them", "some of the officials"
        "partitive": re.compile(rf"{b}(?P<q>(?i:one|some|many|most|several|two|three|none|each|"
                                rf"all|both))\s+of\s+(?:them|those|the\s+{gnouns}){e}"),
        # "China's official Huaxia news agency", "the Meridian Wire agency"
        "org_named": re.compile(rf"{b}(?:{poss}\s+|(?i:the|a|an)\s+)?(?:{word}\s+){{0,2}}"
                                rf"(?:{NAME_TOKEN}\s+){{1,4}}{odesc}{e}"),
        # "Sudanese foreign ministry" inside "a Sudanese foreign ministry official"
        "nested_org": re.compile(rf"{b}(?:{demonym}\s+)?(?:{word}\s+)?{odesc}{e}"),
        # "a joint secretary in [the Indian foreign ministry]": the institution a description's
        # complement names
        "complement_org": re.compile(
            rf"\b(?:in|at|of|for|from)\s+(?P<np>(?:the|a|an)\s+(?:{demonym}\s+)?"
            rf"(?:{word}\s+)?{odesc}){e}"),
        # "an unnamed [government] official" (guidelines: the institution inside a description)
        "nested_state": re.compile(rf"{b}(?:{demonym}\s+)?{_alt(lex.state_descriptions)}{e}"),
        # "the ministry", "China's commerce ministry", "Turkish state television", "the U.S.
        # embassy in Manila"
        "org_description": re.compile(
            rf"{b}(?:(?i:the|its|his|her|their|a|an)\s+|{poss}\s+|{demonym}\s+)"
            rf"(?:(?:{word}|{demonym}|{bare_name})\s+){{0,3}}?{odesc}{e}"
            rf"(?:\s+(?:in|at)\s+{place}{e}(?![’']s))?"),
        # "Russian state news agency TASS", "the broadcaster KBN": a description and the name
        "described_org": re.compile(
            rf"{b}(?:(?i:the|a|an)\s+|{poss}\s+)?(?:(?:{word}|{demonym}|{NAME_TOKEN})\s+){{0,3}}?"
            rf"{odesc}\s+(?P<name>{NAME_TOKEN}(?:\s+(?:(?:of|for|and|the)\s+)*{NAME_TOKEN}){{0,4}}){e}"),
        # "police said", "Kosovo police", "parliament approved"
        "bare_org": re.compile(rf"{b}(?:(?:{bare_name}|{demonym})\s+)?"
                               rf"(?:(?i:{_alt(lex.bare_organization_modifiers)})\s+)?"
                               rf"(?i:{_alt(lex.bare_organizations)}){e}"),
        # "the government", "the Turkish government", "his government", "the country"
        "state_description": re.compile(
            rf"{b}(?:(?i:the|its|his|her|their|our)\s+|{poss}\s+)(?:{demonym}\s+)?"
            rf"(?:{_alt(lex.state_description_modifiers)}\s+)?"
            rf"{_alt(lex.state_descriptions)}{e}(?:\s+(?:in|of)\s+{place}{e}(?![’']s))?"),
        # inside a person's description: "A [State Department] spokesperson"
        "inner_org": re.compile(rf"(?:{NAME_TOKEN}\s+)*{NAME_TOKEN}"),
        # whatever follows "according to", up to the clause's end: the source's mention
        "according_to": re.compile(r"(?<=\b[Aa]ccording to )(?!the\s+(?:statement|report)\b)"
                                   r"[^,.;:\"“”()]{2,80}?(?=\s*[,.;:]|\s*$)"),
        # "in the Indian capital", "near the border crossing", "at a military post in Ureña"
        "described_place": re.compile(
            rf"\b(?:in|at|near|off|outside|along|inside)\s+(?P<np>(?:the|a|an)\s+"
            rf"(?:(?:{word}|{demonym})\s+){{0,3}}?{_alt(lex.location_nouns)}{e}"
            rf"(?:\s+(?:in|of|near)\s+(?:{place}|{NAME_TOKEN}(?:\s+{NAME_TOKEN})?){e}(?![’']s))?)"),
        "month": re.compile(
            rf"{b}(?:(?i:early|late|mid)[\s\-]+)?(?:\d{{1,2}}\s+)?{months}(?:\s+\d{{1,2}}{e})?"
            rf"(?:,?\s+\d{{4}})?{e}"),
        "weekday": re.compile(rf"{b}(?:(?i:last|next|this)\s+)?{weekdays}"
                              rf"(?:\s+(?:morning|afternoon|evening|night))?{e}"),
        "year": re.compile(rf"\b(?i:in|since|until|by|from|before|after|of)\s+"
                           rf"(?P<year>(?:19|20)\d\d){e}"),
    }


def _title_key(phrase: str, lex: Lexicon) -> str:
    """The office a title phrase names, for matching "Foreign Minister Anna Vela" with "the
    foreign minister": lower-case words without determiners, possessives and demonyms."""
    keep = [w for w in phrase.split() if w not in lex.demonyms and not re.search(POSSESSIVE + "$", w)
            and w.lower() not in ("the", "a", "an", "one", "another", "its", "his", "her",
                                  "their", "our")]
    return " ".join(keep).lower().rstrip(".")


def _prev_word(text: str, pos: int) -> str:
    """The word just before ``pos``, lower case ("" at the start)."""
    m = re.search(r"([\w\-]+)\W*$", text[max(0, pos - 40):pos])
    return m.group(1).lower() if m else ""


def _next_word(text: str, pos: int) -> str:
    """The word just after ``pos`` as written ("" at the end)."""
    m = re.match(r"\s+([\w\-']+)", text[pos:pos + 40])
    return m.group(1) if m else ""


def _accept(cands: list[Found], taken: list[bool]) -> list[Found]:
    """Longest first (then leftmost); a candidate overlapping an accepted one is dropped."""
    out = []
    for c in sorted(cands, key=lambda c: (-(c.end - c.start), c.start, c.kind)):
        if any(taken[c.start:c.end]):
            continue
        for i in range(c.start, c.end):
            taken[i] = True
        out.append(c)
    return out


def _names(text: str, lex: Lexicon) -> list[Found]:
    """Atomic names: gazetteer states and organisations, capitals, demonyms, places, times."""
    pats = _patterns(lex)
    cands: list[Found] = []
    for s, e in find_phrases(text, lex.names, ignore_case=False):
        alias = re.sub(r"\s+", " ", text[s:e])
        if alias.startswith("The "):
            alias = "the " + alias[4:]
        ent = lex.names[alias]
        prev = _prev_word(text, s)
        if ent.type == lex.state_type and prev in lex.place_prepositions and prev != "to":
            cands.append(Found(s, e, lex.location_type, "place"))
        else:
            cands.append(Found(s, e, ent.type, "name", ent.name, ent.wikidata))
    for s, e in find_phrases(text, lex.capitals, ignore_case=False):
        cap = re.sub(r"\s+", " ", text[s:e])
        ent = lex.capitals["the " + cap[4:] if cap.startswith("The ") else cap]
        after = _next_word(text, e)
        if _prev_word(text, s) in lex.place_prepositions or (
                re.search(r"\b[Tt]he\s+$", text[max(0, s - 4):s]) and after in lex.triggers):
            # "talks in Moscow"; "the Kampala round" (a place premodifying an event noun)
            cands.append(Found(s, e, lex.location_type, "place"))
        else:
            cands.append(Found(s, e, lex.state_type, "capital", ent.name, ent.wikidata))
    for s, e in find_phrases(text, lex.demonyms, ignore_case=False):
        ent = lex.demonyms[re.sub(r"\s+", " ", text[s:e])]
        if _next_word(text, e)[:1].isalpha():
            cands.append(Found(s, e, lex.state_type, "demonym", ent.name, ent.wikidata))
    for s, e in find_phrases(text, lex.places, ignore_case=False):
        cands.append(Found(s, e, lex.location_type, "place"))
    for m in pats["described_place"].finditer(text):
        cands.append(Found(m.start("np"), m.end("np"), lex.location_type, "place"))
    for name in ("month", "weekday"):
        for m in pats[name].finditer(text):
            cands.append(Found(m.start(), m.end(), lex.time_type, "time"))
    for m in pats["year"].finditer(text):
        cands.append(Found(m.start("year"), m.end("year"), lex.time_type, "time"))
    for s, e in find_phrases(text, lex.time_phrases):
        cands.append(Found(s, e, lex.time_type, "time"))
    return _accept(cands, [False] * len(text))


def _phrases(text: str, lex: Lexicon) -> list[Found]:
    """Whole noun phrases: titled names, descriptions, collectives, organisation descriptions."""
    pats = _patterns(lex)
    heads = {h.lower() for h in lex.organization_heads}
    cands: list[Found] = []
    for m in pats["titled_name"].finditer(text):
        nm = pats["name"].match(text, m.end())
        if not nm:
            continue
        first, last = nm.group().split()[0], nm.group().split()[-1]
        if first in lex.not_names or first in lex.demonyms or nm.group() in lex.names \
                or nm.group() in lex.capitals or last.lower() in heads:
            continue  # "General Assembly" is no general's name
        start = m.start()
        while True:  # sentence openers and dates are not part of the name's premodifiers
            w = re.match(r"([\w.\-]+)\s+", text[start:m.end()])
            if not w or w.group(1) not in lex.not_names or w.group(1) in ("The", "A", "An"):
                break
            start += w.end()
        cands.append(Found(start, nm.end(), lex.person_type, "titled_name",
                           title=_title_key(text[start:m.end("title")], lex)))
    for m in pats["apposition"].finditer(text):
        # the complement ends before a reporting verb ("a diplomat in Muscat said, …")
        verb = find_phrases(text, lex.reporting_verbs, ignore_case=False, start=m.end("title"),
                            end=m.end())
        end = text.rfind(" ", m.start(), verb[0][0]) if verb else m.end()
        cands.append(Found(m.start(), end, lex.person_type, "description",
                           title=_title_key(text[m.start():m.end("title")], lex)))
    for m in pats["description"].finditer(text):
        cands.append(Found(m.start(), m.end(), lex.person_type, "description",
                           title=_title_key(text[m.start():m.end("title")], lex)))
    for m in pats["group"].finditer(text):
        cands.append(Found(m.start(), m.end(), lex.group_type, "group"))
    for m in pats["bare_group"].finditer(text):
        if m.group("comp") or m.group("next") is None or m.group("next") in lex.bare_group_next:
            cands.append(Found(m.start(), m.end(), lex.group_type, "group"))
    for m in pats["partitive"].finditer(text):
        kind = lex.person_type if m.group("q").lower() == "one" else lex.group_type
        cands.append(Found(m.start(), m.end(), kind, "description"))
    for m in pats["org_named"].finditer(text):
        cands.append(Found(m.start(), m.end(), lex.organization_type, "org_description"))
    for m in pats["org_description"].finditer(text):
        after = _next_word(text, m.end())
        if m.group().lower() == "the media" or _prev_word(text, m.start()) == "in" \
                or after[:1].islower() and not _verb_like(after, lex):
            # "told the media" (an audience), "said in a statement" (a manner), "a military
            # post" (a premodifier): no actor
            continue
        cands.append(Found(m.start(), m.end(), lex.organization_type, "org_description"))
    for m in pats["bare_org"].finditer(text):
        after = _next_word(text, m.end())
        if not (after[:1].islower() and not _verb_like(after, lex)):
            cands.append(Found(m.start(), m.end(), lex.organization_type, "org_description"))
    for m in pats["described_org"].finditer(text):
        if m.group("name").split()[0] not in lex.not_names and m.group("name") not in lex.names:
            cands.append(Found(m.start(), m.end(), lex.organization_type, "capitalised"))
    for m in pats["state_description"].finditer(text):
        after = _next_word(text, m.end())
        if not (after[:1].islower() and not _verb_like(after, lex)):
            cands.append(Found(m.start(), m.end(), lex.state_type, "org_description"))
    taken = _accept(cands, [False] * len(text))
    covered = [False] * len(text)
    for f in taken:
        for i in range(f.start, f.end):
            covered[i] = True
    for m in pats["according_to"].finditer(text):
        if any(covered[m.start():m.end()]) or len(m.group().split()) > 8:
            continue
        taken.append(Found(m.start(), m.end(), _guess_type(m.group(), lex), "description"))
    return taken


def _verb_like(word: str, lex: Lexicon) -> bool:
    """Whether a word after a noun phrase looks like its verb or a function word (so the phrase
    is whole, not a premodifier of the next noun)."""
    return bool(re.fullmatch(r"[a-z]+(?:ed|s)", word)) or word in lex.reporting_verbs \
        or word in lex.function_words \
        or word in lex.coordination_next or word in lex.triggers \
        or word in ("has", "had", "was", "is", "will", "would", "could", "may", "might", "can",
                    "should", "must", "did", "does")


def _guess_type(phrase: str, lex: Lexicon) -> str:
    """The mention type of a noun phrase no rule named, from its head word: a title → PERSON, a
    collective → GROUP, otherwise ORGANIZATION."""
    low = phrase.lower().split()
    titles = {t.lower() for t in lex.titles}
    if any(w in titles for w in low):
        return lex.person_type
    if any(w in {g.lower() for g in lex.group_nouns} for w in low):
        return lex.group_type
    return lex.organization_type


def find_mentions(text: str, lex: Lexicon) -> list[Found]:
    """All mentions of ``text`` sorted by offsets (then longest first). Whole noun phrases may
    contain atomic names and pronouns ("[[Russia]'s ambassador to [the United States]]")."""
    in_quote = quote_mask(text)
    # datelines with their agency tags, and photo credits, are not annotated (guidelines §0)
    datelines = [(m.start(), m.end()) for m in CREDIT.finditer(text)]
    for line in re.finditer(r"(?m)^[ \t]*", text):
        dateline = DATELINE.match(text, line.end())
        if dateline:
            datelines.append((dateline.start(), dateline.end()))

    def outside(f: Found) -> bool:
        return not any(s <= f.start < e for s, e in datelines)

    names = [f for f in _names(text, lex) if outside(f)]
    phrases = [f for f in _phrases(text, lex) if outside(f)]
    heads = {h.lower() for h in lex.organization_heads}
    # "[foreign ministry] spokesman", "A [border guard] official", "four [coast guard] cutters",
    # "an unnamed [government] official": the institution inside a description of its people
    holders = [p for p in phrases if p.type in (lex.person_type, lex.group_type)]
    inner = [Found(m.start(), m.end(), typ, "org_description")
             for p in holders
             for name, typ in (("nested_org", lex.organization_type),
                               ("nested_state", lex.state_type))
             for m in _patterns(lex)[name].finditer(text, p.start, p.end)
             if m.end() < p.end and not text[m.start():m.end()].lower().startswith(("the ", "a "))]
    inner += [Found(m.start("np"), m.end("np"), lex.organization_type, "org_description")
              for p in holders
              for m in _patterns(lex)["complement_org"].finditer(text, p.start, p.end)]
    # "A [State Department] spokesperson", "[Philippine Coast Guard] spokesperson Ramon Dizon"
    inner += [Found(m.start(), m.end(), lex.organization_type, "capitalised")
              for p in phrases if p.type == lex.person_type and p.kind != "capitalised"
              for m in _patterns(lex)["inner_org"].finditer(text, p.start, p.end)
              if m.group().split()[-1].lower() in heads and (m.start(), m.end()) != (p.start, p.end)
              and m.group() not in lex.names]
    names = _accept(names + inner, [False] * len(text))
    # an atomic name that crosses a phrase boundary loses; one equal to a phrase replaces it
    names = [n for n in names if not any(p.start < n.end and n.start < p.end and
                                         not (p.start <= n.start and n.end <= p.end)
                                         for p in phrases)]
    phrases = [p for p in phrases if (p.start, p.end) not in {(n.start, n.end) for n in names}]
    taken = [False] * len(text)
    for s, e in datelines:
        for i in range(s, e):
            taken[i] = True
    for f in phrases:
        for i in range(f.start, f.end):
            taken[i] = True
    soft = [False] * len(text)
    for f in names:
        if f.kind == "demonym":
            continue
        mask = soft if f.kind in ("name", "capital", "place") else taken
        for i in range(f.start, f.end):
            mask[i] = True
    found = names + phrases
    found += _capitalised(text, lex, taken, soft, found)
    # a capitalised name stays whole: no demonym inside "the Algerian Transport Ministry"
    proper = [f for f in found if f.kind == "capitalised" and f.type == lex.organization_type]
    found = [f for f in found if f.kind != "demonym" or not any(
        p.start <= f.start and f.end <= p.end for p in proper)]
    found += _coordinations(text, lex, found)
    # pronouns may nest in a phrase ("[its] forces", "one of [them]"), never in a name
    named = [False] * len(text)
    for f in found:
        if f.kind not in ("description", "group", "org_description", "titled_name"):
            for i in range(f.start, f.end):
                named[i] = True
    for s, e in find_phrases(text, lex.pronouns):
        ptype, _, nxt = lex.pronouns[text[s:e].lower()]
        after = _next_word(text, e)
        # a restricted pronoun ("it") needs a verb after it or a preposition before it
        if in_quote[s] or any(named[s:e]) or nxt and after not in nxt \
                and not re.fullmatch(r"[a-z]+(?:ed|s)", after) \
                and _prev_word(text, s) not in lex.recipient_prepositions:
            continue
        found.append(Found(s, e, ptype, "pronoun"))
    return sorted(found, key=lambda f: (f.start, -f.end))


def top_level(found: list[Found]) -> set[int]:
    """Indices of mentions not nested inside a longer mention (the ones that can be a source,
    holder or event argument: "Eritrean officials", not the "Eritrean" inside it)."""
    order = sorted(range(len(found)), key=lambda i: (found[i].start, -found[i].end))
    out: set[int] = set()
    reach = -1  # the furthest end of a mention starting earlier (or at the same place, longer)
    reach_start = -1
    for i in order:
        f = found[i]
        nested = f.end <= reach and not (f.start == reach_start and f.end == reach)
        if not nested:
            out.add(i)
        if f.end > reach:
            reach, reach_start = f.end, f.start
    return out


def _coordinations(text: str, lex: Lexicon, found: list[Found]) -> list[Found]:
    """"X and Y", "X, Y and Z" that act as one (the next word, past a relative clause, is a
    verb: a reporting verb, a trigger, `coordination_next` or a word that looks like a verb)
    are a GROUP mention spanning the conjuncts."""
    actor_types = {lex.state_type, lex.organization_type, lex.person_type, lex.group_type}
    acting = set(lex.coordination_next) | {v for v in lex.reporting_verbs if " " not in v} \
        | {t for t in lex.triggers if " " not in t}
    tops = sorted((f for f in found if f.type in actor_types and f.kind != "demonym"),
                  key=lambda f: (f.start, -f.end))
    tops = [f for f in tops if not any(g.start <= f.start and f.end <= g.end and g is not f
                                       and g.end - g.start > f.end - f.start for g in tops)]
    out = []
    k = 0
    while k < len(tops):
        j = k
        while j + 1 < len(tops) and text[tops[j].end:tops[j + 1].start] == ", ":
            j += 1
        if j + 1 < len(tops) and text[tops[j].end:tops[j + 1].start] in (" and ", ", and "):
            j += 1
            end = tops[j].end
            rest = re.sub(r"^,\s+(?:which|who)\b[^,]*,", "", text[end:end + 200])
            nxt = re.match(r"\s*(?:both\s+|all\s+|also\s+)?([a-z]+)", rest)
            if nxt and (nxt.group(1) in acting or _verb_like(nxt.group(1), lex)
                        and nxt.group(1) not in lex.function_words):
                out.append(Found(tops[k].start, end, lex.group_type, "coordination"))
            k = j + 1
        else:
            k += 1
    return out


def _runs(text: str, toks: list[tuple[int, int]], lex: Lexicon) -> list[list[tuple[int, int]]]:
    """Maximal runs of capitalised tokens joined by single spaces (with name connectors)."""
    runs: list[list[tuple[int, int]]] = []
    run: list[tuple[int, int]] = []
    for s, e in toks:
        w = text[s:e]
        joined = bool(run) and text[run[-1][1]:s] == " "
        if w[0].isupper() and (not run or joined):
            run.append((s, e))
        elif w[0].isupper():
            runs.append(run)
            run = [(s, e)]
        elif run and joined and w in lex.name_connectors:
            run.append((s, e))
        else:
            if run:
                runs.append(run)
            run = []
    if run:
        runs.append(run)
    return runs


def _capitalised(text: str, lex: Lexicon, taken: list[bool], soft: list[bool],
                 found: list[Found]) -> list[Found]:
    """Runs of capitalised words not covered by the lexicon rules: organisations by head word
    (which may contain a state's name: "The China Coast Guard"), multi-word person names, and
    single words known as a surname or an acronym. ``soft`` marks names that may sit inside an
    organisation's name but are otherwise mentions of their own."""
    toks = [(s, e) for s, e in words(text, lex.abbreviations) if not any(taken[s:e])]
    heads = {h.lower() for h in lex.organization_heads}
    titles = {t.lower() for t in lex.titles}
    reporting = {v for v in lex.reporting_verbs if " " not in v} | {n[0] for n in lex.nesting}
    surnames = {text[f.start:f.end].split()[-1] for f in found if f.kind == "titled_name"}
    sentence_starts = {b.start for b in sentences(text, lex.abbreviations)}

    def strip(run: list[tuple[int, int]]) -> list[tuple[int, int]]:
        # connectors may not end a run; openers, titles and demonyms may not start one
        while run and not text[run[-1][0]].isupper():
            run = run[:-1]
        while run:
            first = text[run[0][0]:run[0][1]]
            low = [text[a:b].lower() for a, b in run]
            cut = next((k for k in (3, 2, 1) if " ".join(low[:k]) in titles), 0)
            if not cut and (first in lex.not_names or first in lex.demonyms and len(run) > 1
                            and not any(t in heads for t in low[1:])):
                cut = 1
            if not cut:
                break
            run = run[cut:]
            while run and not text[run[0][0]].isupper():
                run = run[1:]
        return run

    def is_org(run: list[tuple[int, int]]) -> bool:
        low = [text[a:b].lower() for a, b in run]
        return any(t in heads for t in low) or " ".join(low[-2:]) in heads

    pieces: list[list[tuple[int, int]]] = []
    for run in _runs(text, toks, lex):
        run = strip(run)
        # "the Foreign Ministry and NATO": a known name after a connector is not part of it
        for k in range(1, len(run)):
            if text[run[k][0]:run[k][1]] in lex.name_connectors and \
                    all(any(soft[a:b]) for a, b in run[k + 1:]) and is_org(run[:k]):
                pieces.append(run[:k])
                run = []
                break
        if run and is_org(run) and not all(any(soft[a:b]) for a, b in run):
            pieces.append(run)
            continue
        # without an organisation head, names inside the run stand alone: split at them
        piece: list[tuple[int, int]] = []
        for tok in run:
            if any(soft[tok[0]:tok[1]]):
                if piece:
                    pieces.append(strip(piece))
                piece = []
            else:
                piece.append(tok)
        if piece:
            pieces.append(strip(piece))

    cands: list[tuple[int, int, str]] = []
    for run in pieces:
        if not run:
            continue
        s, e = run[0][0], run[-1][1]
        tokens = [text[a:b] for a, b in run]
        if is_org(run):
            poss = re.search(r"(?:the|([\w.\-]+(?: [\w.\-]+)?)['’]s) $", text[max(0, s - 30):s],
                             re.IGNORECASE)
            if poss and (poss.group(1) is None or poss.group(1) in lex.names
                         or poss.group(1) in lex.capitals):
                s -= len(poss.group())  # "the Foreign Ministry", "Iran's Revolutionary Guards"
            cands.append((s, e, lex.organization_type))
        elif all(t.lower() in titles or t in lex.demonyms or t[0].islower() for t in tokens):
            continue
        elif tokens[-1] in lex.place_heads or _prev_word(text, s) in lex.place_prepositions \
                and len(run) >= 2 or re.search(rf"\b(?:{'|'.join(map(re.escape, lex.place_nouns))})"
                                                r"\s+of\s+$", text[max(0, s - 30):s]):
            cands.append((s, e, lex.location_type))
        elif len(run) >= 2 and all(t[0].isupper() for t in tokens):
            cands.append((s, e, lex.person_type))
            surnames.add(tokens[-1])
        elif len(run) == 1:
            cands.append((s, e, ""))
    out = []
    for s, e, t in cands:
        w = text[s:e]
        if not t:
            after = re.match(r"\s+([a-z]+)", text[e:e + 20])
            if w in surnames:
                t = lex.person_type
            elif _prev_word(text, s) in lex.place_prepositions and s not in sentence_starts:
                t = lex.location_type  # "at Torkham", "near Jarinje"
            elif re.fullmatch(r"[A-Z]{2,6}", w) or _prev_word(text, s) in heads \
                    or after and after.group(1) in reporting \
                    or re.search(r"(?:\bthe|\btold)\s+$", text[max(0, s - 6):s]):
                # an acronym, "the news agency Nordwave", "Nordwave reported", "the Forum",
                # "told Nordwave": an organisation, with its article ("the BSF")
                t = lex.organization_type
                if re.search(r"\b[Tt]he $", text[max(0, s - 4):s]):
                    s -= 4
            else:
                continue
        for i in range(s, e):
            taken[i] = True
        out.append(Found(s, e, t, "capitalised"))
    return out
