"""Event detection: PLOVER triggers from the trigger lexicon, arguments from the nearest mentions
of the sentence, modality from cue words around the trigger.

Offsets are half-open ``[start, end)`` code points; arguments point to mention indices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import Lexicon
from .mentions import Found, top_level
from .text import find_phrases, sentences

# How far (in code points) a modality cue may stand before / after the trigger.
MODALITY_WINDOW_BEFORE = 60
MODALITY_WINDOW_AFTER = 40


@dataclass(frozen=True, slots=True)
class FoundEvent:
    """A detected event: type label, trigger span, modality label, (role, mention index) pairs."""

    type: str
    trigger: tuple[int, int]
    modality: str
    arguments: tuple[tuple[str, int], ...]


def find_events(text: str, found: list[Found], lex: Lexicon,
                exclude: tuple[tuple[int, int], ...] = (), date: str | None = None
                ) -> list[FoundEvent]:
    """Events of ``text``; triggers overlapping a mention or a span of ``exclude`` (such as
    attribution cues) are skipped. ``date`` (ISO) is the document's, for dating time
    arguments."""
    actor_role, recipient_role = lex.actor_role, lex.recipient_role
    location_role, time_role = lex.location_role, lex.time_role
    actor_types = {lex.state_type, lex.organization_type, lex.person_type, lex.group_type}
    covered = [False] * len(text)
    for f in found:
        for i in range(f.start, f.end):
            covered[i] = True
    for s, e in exclude:
        for i in range(s, e):
            covered[i] = True
    tops = top_level(found)
    out = []
    for block in sentences(text, lex.abbreviations):
        # arguments are whole mentions: a name nested in a larger mention is not one
        inside = [i for i, f in enumerate(found) if block.start <= f.start and f.end <= block.end
                  and i in tops and f.kind != "demonym"]
        for s, e in find_phrases(text, lex.triggers, start=block.start, end=block.end):
            if any(covered[s:e]):
                continue
            etype = lex.triggers[re.sub(r"\s+", " ", text[s:e].lower())]
            args: list[tuple[str, int]] = []
            before = [i for i in inside if found[i].end <= s and found[i].type in actor_types]
            after = [i for i in inside if found[i].start >= e and found[i].type in actor_types]
            if before:
                args.append((actor_role, before[-1]))
            if after and found[after[0]].start - e <= 40 \
                    and not re.search(r"[,;:\"“”]", text[e:found[after[0]].start]):
                args.append((recipient_role, after[0]))
            places = [i for i in inside if found[i].type == lex.location_type]
            times = [i for i in inside if found[i].type == lex.time_type]
            if places:
                args.append((location_role, min(places, key=lambda i: abs(found[i].start - s))))
            when = None
            if times:
                t = min(times, key=lambda i: abs(found[i].start - s))
                args.append((time_role, t))
                when = _relative_time(text[found[t].start:found[t].end], date, lex)
            modality = _modality(text, block.start, block.end, s, e, lex, when)
            out.append(FoundEvent(etype, (s, e), modality, tuple(args)))
    return out


def _relative_time(expr: str, date: str | None, lex: Lexicon) -> str | None:
    """The modality a time expression gives against the document date: ``lex.past_modality``
    when it names an earlier year or month, ``lex.future_modality`` a later one, else None."""
    if not date:
        return None
    year, month = int(date[:4]), int(date[5:7])
    found_year = re.search(r"\b(19|20)\d\d\b", expr)
    months = [i + 1 for i, m in enumerate(lex.months) if re.search(rf"\b{m}\b", expr)]
    y = int(found_year.group()) if found_year else year
    if y != year:
        return lex.past_modality if y < year else lex.future_modality
    if months and months[0] != month:
        return lex.past_modality if months[0] < month else lex.future_modality
    return None


def _modality(text: str, sent_start: int, sent_end: int, s: int, e: int, lex: Lexicon,
              when: str | None = None) -> str:
    """The first modality (in lexicon order) with a cue in the clause before the trigger, in the
    two words just before it, or just after it; the time argument's dating (``when``) is tried
    just before the past label's cues; else the default."""
    lo = max(sent_start, s - MODALITY_WINDOW_BEFORE)
    # a cue belongs to the trigger's clause: start the window after the last clause break
    brk = max(text.rfind(",", lo, s), text.rfind(";", lo, s))
    lo = brk + 1 if brk >= lo else lo
    hi = min(sent_end, e + MODALITY_WINDOW_AFTER)
    near = re.search(r"(?:\S+\s+){0,2}$", text[lo:s])
    near_lo = lo + near.start() if near else s
    for label, (before, adjacent, after) in lex.modality.items():
        if label == lex.past_modality and when is not None:
            return when
        if find_phrases(text, before, start=lo, end=s) or \
                find_phrases(text, adjacent, start=near_lo, end=s) or \
                after and find_phrases(text, after, start=e, end=hi):
            return label
    return lex.default_modality
