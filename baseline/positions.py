"""Position detection: stance cues, with the holder from the enclosing attribution or the nearest
actor mention before the cue, and the target as the rest of the clause.

Offsets are half-open ``[start, end)`` code points; holders are mention indices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .attributions import FoundAttribution
from .lexicon import Lexicon
from .mentions import Found, top_level
from .text import cancelled, find_phrases, quotations, relative_clauses, sentences

# The longest target taken, in words (a clause rarely names its object in more).
MAX_TARGET_WORDS = 12
CLAUSE_END = re.compile(r"[,;:.!?()](?=\s|$)|\s(?:and|but|as|which|who|because|while|after|"
                        r"before|saying|said|adding|amid|since|until|when|where)\s")
NEGATION = re.compile(r"(?<!\w)(?:not|never|no longer|n't)\s+(?:\w+\s+){0,1}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FoundPosition:
    """A detected stance: holder mention index, stance label, target and evidence spans, and
    the index of the attribution it is expressed in (or None)."""

    holder: int
    stance: str
    target: tuple[int, int]
    evidence: tuple[int, int]
    attribution: int | None


def find_positions(text: str, found: list[Found], attributions: list[FoundAttribution],
                   lex: Lexicon) -> list[FoundPosition]:
    """Positions of ``text`` in text order of their cues."""
    actor_types = {lex.state_type, lex.organization_type, lex.person_type, lex.group_type}
    cue_label: dict[str, str] = {}
    for label in lex.stance:
        for phrase in lex.stance[label]:
            cue_label.setdefault(phrase, label)
    covered = [False] * len(text)
    for f in found:
        for i in range(f.start, f.end):
            covered[i] = True
    tops = top_level(found)
    out = []
    for block in sentences(text, lex.abbreviations):
        for s, e in find_phrases(text, cue_label, start=block.start, end=block.end):
            if any(covered[s:e]) or cancelled(text, e, lex.cancellers):
                continue
            label = cue_label[re.sub(r"\s+", " ", text[s:e].lower())]
            if NEGATION.search(text[max(block.start, s - 20):s]):
                label = lex.negation_flips.get(label, label)
            holder = _holder(text, found, tops, actor_types, block.start, s)
            if re.search(r"(?:\band|\bbut|,|\bto)\s+(?:\w+ly\s+|also\s+)?$", text[block.start:s]):
                # "X praised the deal and urged …", "X left, accusing …", "X met Y to protest
                # against …": the subject of the clause, not the object before the cue
                holder = _subject(text, found, tops, actor_types, block.start, s) or holder
            target = _target(text, _skip_addressee(text, found, e, block.end), block.end)
            if target is None and holder is not None:
                target = _fronted_target(text, block.start, found[holder].start)
            if target is None:
                continue
            attr = next((k for k, a in enumerate(attributions)
                         if any(c0 <= s < c1 for c0, c1 in a.content) and a.source is not None),
                        None)
            if attr is not None and (holder is None or found[holder].kind == "pronoun"
                                     or found[holder].start < attributions[attr].content[0][0]):
                # a reported stance is the source's ("Egypt said it would not comment")
                holder = attributions[attr].source
            elif holder is not None:
                # without a report the holder is the head of the subject ("The League's deputy
                # secretary-general, Karim Ben Salem, offered …" → the description)
                holder = _apposition_head(text, found, tops, actor_types, holder)
            # "urged X not to Y" opposes Y
            if target[0] > e and re.search(r"\bnot\s+to\s+$", text[e:target[0]]):
                label = lex.negation_flips.get(label, label)
            if holder is None:
                continue
            out.append(FoundPosition(holder, label, target, (s, e), attr))
    return out


def _subject(text: str, found: list[Found], tops: set[int], actor_types: set[str], lo: int,
             pos: int) -> int | None:
    """The first whole actor mention of the sentence before ``pos`` outside relative clauses
    and quotations (the subject a coordinated verb or participle shares)."""
    hidden = relative_clauses(text, lo, pos)
    in_quote = [False] * (pos - lo)
    for q in quotations(text[lo:pos]):
        for k in range(max(0, q.start - 1), min(pos - lo, q.end + 1)):
            in_quote[k] = True
    for i, f in enumerate(found):
        if i in tops and f.type in actor_types and f.kind != "demonym" and lo <= f.start \
                and f.end <= pos and not in_quote[f.start - lo] \
                and not any(a <= f.start < b for a, b in hidden):
            return i
    return None


def _apposition_head(text: str, found: list[Found], tops: set[int], actor_types: set[str],
                     i: int) -> int:
    """The first actor mention of the comma apposition that ends with mention ``i``."""
    while True:
        prev = next((j for j in sorted(tops) if found[j].end + 2 == found[i].start
                     and found[j].type in actor_types
                     and text[found[j].end:found[i].start] == ", "), None)
        if prev is None:
            return i
        i = prev


def _holder(text: str, found: list[Found], tops: set[int], actor_types: set[str], lo: int,
            pos: int) -> int | None:
    """The last whole actor mention (not one nested in another, not a demonym, not inside a
    relative clause) between ``lo`` and ``pos``."""
    hidden = relative_clauses(text, lo, pos)
    best = None
    for i, f in enumerate(found):
        if i in tops and f.type in actor_types and f.kind != "demonym" and lo <= f.start \
                and f.end <= pos and not any(a <= f.start < b for a, b in hidden):
            best = i
    return best


def _skip_addressee(text: str, found: list[Found], pos: int, end: int) -> int:
    """Past what stands between a cue and its target: "that", "to", or an addressee and its
    preposition ("urged Kenya to …", "accused Beijing of …")."""
    m = re.match(r"\s+(?:that|not\s+to|to|on|about|over)\s", text[pos:end])
    if m:
        return pos + m.end() - 1
    for f in found:
        if f.start > pos and not text[pos:f.start].strip():
            m = re.match(r"\s+(?:not\s+to|to|of|for)\s", text[f.end:end])
            if m:
                return f.end + m.end() - 1
            break
    return pos


def _fronted_target(text: str, lo: int, holder_start: int) -> tuple[int, int] | None:
    """"…, a charge Kabul denies.": the object stands before the holder, after the last clause
    break (at most MAX_TARGET_WORDS words)."""
    brk = max(text.rfind(",", lo, holder_start), text.rfind(";", lo, holder_start), lo - 1)
    start = brk + 1
    while start < holder_start and text[start].isspace():
        start += 1
    end = holder_start
    while end > start and text[end - 1].isspace():
        end -= 1
    if end <= start or len(text[start:end].split()) > MAX_TARGET_WORDS:
        return None
    return start, end


def _target(text: str, pos: int, end: int) -> tuple[int, int] | None:
    """From after the cue to the end of its clause (at most MAX_TARGET_WORDS words)."""
    while pos < end and text[pos].isspace():
        pos += 1
    m = CLAUSE_END.search(text, pos, end)
    stop = m.start() if m else end
    words = list(re.finditer(r"\S+", text[pos:stop]))
    if not words:
        return None
    words = words[:MAX_TARGET_WORDS]
    t_end = pos + words[-1].end()
    while t_end > pos and text[t_end - 1] in ".,;:":
        t_end -= 1
    return (pos, t_end) if t_end > pos else None
