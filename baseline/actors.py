"""Actor clustering: gazetteer keys, surname matching, titles, appositions and simple pronoun
resolution group the actor-type mentions into actors.

Mentions are ``Found`` objects in text order; the result gives, for each actor, the indices of its
mentions and the type and canonical name it takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .attributions import FoundAttribution
from .lexicon import Entity, Lexicon
from .mentions import Found, top_level
from .text import DATELINE, Block, find_phrases


@dataclass(frozen=True, slots=True)
class Cluster:
    """One predicted actor: mention indices (text order), type, canonical name, QID."""

    members: tuple[int, ...]
    type: str
    name: str
    wikidata: str | None


def _bare(text: str) -> str:
    """Text without a leading article, white space collapsed: the key of a description."""
    return re.sub(r"^(?:the|a|an)\s+", "", re.sub(r"\s+", " ", text), flags=re.IGNORECASE)


def cluster_mentions(text: str, found: list[Found], lex: Lexicon) -> tuple[list[Found], list[Cluster]]:
    """Cluster the actor-type mentions of ``found`` (text order).

    Returns the mentions again (pronouns retyped to their antecedent's type) and the clusters,
    in order of their first mention.
    """
    actor_types = {lex.state_type, lex.organization_type, lex.person_type, lex.group_type}
    found = list(found)
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    tops = top_level(found)
    by_key: dict[tuple[str, str], int] = {}
    persons: list[int] = []           # full person names seen so far (indices)
    titled: dict[str, int] = {}       # title → the person last introduced with it
    orgs: list[int] = []
    for i, f in enumerate(found):
        if f.type not in actor_types:
            continue
        span = text[f.start:f.end]
        if f.kind in ("name", "capital", "demonym"):
            key = (f.type, f.key or span)
        elif f.type == lex.person_type and f.kind in ("titled_name", "capitalised"):
            tokens = span.split()

            def same(p: int) -> bool:
                other = text[found[p].start:found[p].end].split()
                if len(tokens) > 1 or found[p].kind == "titled_name":
                    return other[-1] == tokens[-1]
                # a single name may be a family name written first ("Zhou" of "Zhou Lanping")
                return tokens[0] in (other[0], other[-1])
            match = next((p for p in reversed(persons) if same(p)), None)
            if match is not None:
                join(match, i)
            persons.append(i)
            if f.title:
                titled[f.title] = titled[f.title.split()[-1]] = i
            _apposition(text, found, i, join, lex)
            continue
        elif f.kind == "description":
            appositive = _apposition(text, found, i, join, lex)
            definite = re.match(r"(?i)the\s", span) is not None
            if not appositive and f.title in titled:
                join(titled[f.title], i)
            elif not appositive and definite and f.title and f.title.split()[-1] in titled:
                # "the official" after "A ministry official, Youssef Benjelloun,"
                join(titled[f.title.split()[-1]], i)
            if f.title and not definite:
                titled[f.title] = titled[f.title.split()[-1]] = i
            continue
        elif f.kind == "org_description" and f.type == lex.state_type:
            # "the Turkish government" is Turkey; "the government", "the country" the state
            # named last
            okey = _org_key(span, lex)
            ent = next((e for e in lex.names.values() if okey.startswith(e.name.lower() + " ")),
                       None)
            ent = ent or _dateline_state(text, lex)
            if ent is not None:
                key = (f.type, ent.name)
                found[i] = Found(f.start, f.end, f.type, f.kind, ent.name, ent.wikidata, f.title)
            else:
                last = next((j for j in range(i - 1, -1, -1) if found[j].type == lex.state_type),
                            None)
                if last is not None:
                    join(last, i)
                continue
        elif f.kind == "org_description" or f.kind == "capitalised" and f.type == lex.organization_type:
            okey = _org_key(span, lex)
            acronym = _bare(span)
            if re.fullmatch(r"[A-Z]{2,6}", acronym):
                # "BSF" after "India's Border Security Force"
                match = next((o for o in reversed(orgs) if _initials(
                    text[found[o].start:found[o].end], lex) == acronym), None)
                if match is not None:
                    join(match, i)
            if okey in by_key:
                join(by_key[okey], i)
                continue
            by_key[okey] = i
            if okey.split()[0] in {e.name.lower() for e in lex.names.values()} | \
                    {e.name.lower() for e in lex.demonyms.values()}:
                orgs.append(i)  # qualified by a state: its own institution
                continue
            head = _bare(span).split()[-1].lower()
            match = next((o for o in reversed(orgs)
                          if head in text[found[o].start:found[o].end].lower()
                          or head in ("bloc", "alliance") and found[o].kind == "name"), None)
            if match is not None:
                join(match, i)
            orgs.append(i)
            continue
        elif f.kind == "pronoun":
            ante = _antecedent(text, found, i, f, lex, tops)
            if ante is not None:
                found[i] = Found(f.start, f.end, found[ante].type, f.kind)
                join(ante, i)
            continue
        elif f.type == lex.group_type and _joint(span, lex):
            key = (f.type, "<the parties jointly>")
        else:
            key = (f.type, _bare(span).lower())
        if f.type == lex.organization_type:
            orgs.append(i)
        if key in by_key:
            join(by_key[key], i)
        else:
            by_key[key] = i

    groups: dict[int, list[int]] = {}
    for i, f in enumerate(found):
        if f.type in actor_types:
            groups.setdefault(root(i), []).append(i)
    clusters = []
    for members in sorted(groups.values()):
        types = {found[m].type for m in members}
        # a cluster whose mentions disagree on type is split back into singletons
        if len(types) > 1:
            clusters += [_cluster(text, found, [m]) for m in members]
        else:
            clusters.append(_cluster(text, found, members))
    return found, sorted(clusters, key=lambda c: c.members[0])


def _dateline_state(text: str, lex: Lexicon) -> Entity | None:
    """The state whose capital opens the article's dateline ("NEW DELHI, March 3 (…) -"): the
    government an unqualified "the government" most likely means."""
    m = DATELINE.match(text.lstrip())
    if not m:
        return None
    city = m.group().split(",")[0].split("/")[0].strip()
    return next((e for c, e in lex.capitals.items() if c.upper() == city), None)


def _org_key(span: str, lex: Lexicon) -> str:
    """An organisation description with its state named one way: "India's foreign ministry",
    "the Indian foreign ministry" → "india foreign ministry"."""
    words = _bare(span).split()
    if words:
        first = re.sub(r"['’]s$", "", words[0])
        ent = lex.demonyms.get(words[0]) or lex.names.get(first) or lex.capitals.get(first)
        if ent is not None:
            words[0] = ent.name
    return " ".join(words).lower()


def _initials(name: str, lex: Lexicon) -> str:
    """The initials of an organisation's capitalised words ("India's Border Security Force" →
    "BSF"; articles, possessors and connectors left out)."""
    words = [w for w in _bare(name).split() if not re.search(r"['’]s$", w)
             and w.lower() not in lex.name_connectors]
    return "".join(w[0] for w in words if w[:1].isupper())


def _joint(span: str, lex: Lexicon) -> bool:
    """Whether a collective names the parties jointly ("both sides", "the two countries")."""
    low = re.sub(r"\s+", " ", span.lower())
    return any(low == f"{d} {n}" for d in lex.joint_determiners for n in lex.joint_nouns)


def _cluster(text: str, found: list[Found], members: list[int]) -> Cluster:
    """A cluster of ``members`` named by its gazetteer entry, else its longest proper name,
    else its longest description."""
    names = [found[m] for m in members if found[m].key is not None]
    if names:
        return Cluster(tuple(members), found[members[0]].type, names[0].key or "", names[0].wikidata)
    proper = [found[m] for m in members if found[m].kind in ("titled_name", "capitalised")]
    pool = proper or [found[m] for m in members if found[m].kind != "pronoun"] \
        or [found[members[0]]]
    best = max(pool, key=lambda f: (f.end - f.start, -f.start))
    return Cluster(tuple(members), found[members[0]].type,
                   _bare(text[best.start:best.end]), None)


def _apposition(text: str, found: list[Found], i: int, join: Callable[[int, int], None],
                lex: Lexicon) -> bool:
    """Join mention ``i`` with a PERSON mention set off by a comma right before or after it
    ("Alexander Darchiev, Russia's ambassador," / "the ambassador, Alexander Darchiev")."""
    done = False
    f = found[i]
    for j, g in enumerate(found):
        if j == i or g.type != lex.person_type or \
                g.kind not in ("description", "titled_name", "capitalised"):
            continue
        if text[g.end:f.start] == ", " or text[f.end:g.start] == ", ":
            join(i, j)
            done = True
    return done


def _antecedent(text: str, found: list[Found], i: int, pronoun: Found, lex: Lexicon,
                tops: set[int]) -> int | None:
    """The nearest preceding whole mention (one of ``tops``, not nested in another) of a type
    the pronoun may refer to (its lexicon `antecedents`), never more than ~400 code points
    back."""
    allowed = lex.pronouns[text[pronoun.start:pronoun.end].lower()][1]
    for j in range(i - 1, -1, -1):
        f = found[j]
        if pronoun.start - f.end > 400:
            return None
        if f.type in allowed and f.kind != "demonym" and f.end <= pronoun.start and j in tops:
            return j
    return None


def add_quoted_pronouns(text: str, found: list[Found], clusters: list[Cluster],
                        attributions: list[FoundAttribution], quotes: list[Block], lex: Lexicon
                        ) -> tuple[list[Found], list[Cluster]]:
    """First-person pronouns inside quotations, joined to the speaker (I, me, my) or the
    institution the speaker stands for (we, us, our). New mentions are appended to ``found``
    (indices of existing mentions do not change) and to their clusters."""
    found = list(found)
    member_of = {m: k for k, c in enumerate(clusters) for m in c.members}
    extra: dict[int, list[int]] = {}
    new_clusters: list[Cluster] = []
    taken = {(f.start, f.end) for f in found}
    institutions = {lex.state_type, lex.organization_type}
    for a in attributions:
        if a.source is None or a.source not in member_of:
            continue
        spans = [(s, e) for s, e in a.content
                 if any(q.start <= s and e <= q.end for q in quotes)]
        src = found[a.source]
        home = member_of[a.source]
        if src.type in institutions or src.type == lex.group_type:
            inst = home
        else:
            # a state or organisation named inside any mention of the speaker's actor
            inner = [k for k, c in enumerate(clusters) if c.type in institutions
                     for m in c.members for p in clusters[home].members
                     if found[p].start <= found[m].start and found[m].end <= found[p].end
                     and m != p]
            inst = inner[0] if inner else None
        for s, e in spans:
            for ps, pe in find_phrases(text, lex.quoted_singular + lex.quoted_plural,
                                       start=s, end=e):
                word = text[ps:pe]
                if (ps, pe) in taken:
                    continue
                plural = word.lower() in {w.lower() for w in lex.quoted_plural}
                target = inst if plural else (home if src.type == lex.person_type else None)
                if plural and target is None:
                    found.append(Found(ps, pe, lex.group_type, "quoted_pronoun"))
                    new_clusters.append(Cluster((len(found) - 1,), lex.group_type, word, None))
                elif target is not None:
                    found.append(Found(ps, pe, clusters[target].type, "quoted_pronoun"))
                    extra.setdefault(target, []).append(len(found) - 1)
                else:
                    continue
                taken.add((ps, pe))
    merged = [Cluster(c.members + tuple(extra.get(k, ())), c.type, c.name, c.wikidata)
              for k, c in enumerate(clusters)]
    return found, merged + new_clusters
