"""Event detection: PLOVER triggers from the trigger lexicon, arguments from the nearest mentions
of the sentence, modality from cue words around the trigger.

Offsets are half-open ``[start, end)`` code points; arguments point to mention indices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import Lexicon
from .mentions import Found, top_level
from .text import cancelled, find_phrases, relative_clauses, sentences

# How far (in code points) a modality cue may stand before / after the trigger.
MODALITY_WINDOW_BEFORE = 60
MODALITY_WINDOW_AFTER = 40
# How far (in code points) a time may stand from the trigger it dates.
TIME_WINDOW = 80
# How far (in code points) a place may stand from the trigger it locates.
PLACE_WINDOW = 30


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
        triggers = [(s, e) for s, e in find_phrases(text, lex.triggers, start=block.start,
                                                    end=block.end)
                    if not any(covered[s:e]) and not cancelled(text, e, lex.cancellers)]
        # "would not accept", "will never renounce": an asserted refusal
        refusals = {(s, e) for s, e in find_phrases(text, lex.refusal_words, start=block.start,
                                                    end=block.end)
                    if not any(covered[s:e]) and re.search(
                        r"\b(?:not|never|n't|no longer)\s+(?:\w+\s+)?$", text[block.start:s])}
        triggers = sorted(set(triggers) | refusals)
        # a place or a time belongs to the nearest trigger of its sentence only
        nearest: dict[int, tuple[int, int]] = {}
        for i in inside:
            f = found[i]
            if f.type in (lex.location_type, lex.time_type) and triggers:
                nearest[i] = min(triggers, key=lambda t: (max(t[0] - f.end, f.start - t[1], 0),
                                                          t[0]))
        previous_actor: int | None = None
        for s, e in triggers:
            refusal = (s, e) in refusals
            etype = lex.refusal_type if refusal else lex.triggers[re.sub(r"\s+", " ", text[s:e].lower())]
            actors = [i for i in inside if found[i].type in actor_types]
            args = _participants(text, found, actors, s, e, etype, block.start, lex,
                                 previous_actor)
            previous_actor = next((m for r, m in args if r == lex.actor_role), previous_actor)
            # a place near its trigger, in the same clause ("met in Geneva", "the Geneva talks")
            places = [i for i in inside if found[i].type == lex.location_type
                      and nearest.get(i) == (s, e)
                      and not re.search(r"[;,\"“”]", text[min(e, found[i].end):
                                                          max(s, found[i].start)])
                      and max(found[i].start - e, s - found[i].end) <= PLACE_WINDOW]
            times = [i for i in inside if found[i].type == lex.time_type]
            if places:
                args.append((location_role, places[0]))
            when = None
            if times:
                t = min(times, key=lambda i: abs(found[i].start - s))
                when = _relative_time(text[found[t].start:found[t].end], date, lex)
                lo, hi = sorted((found[t].end, s)) if found[t].end <= s else (e, found[t].start)
                # a time across a clause break dates another event
                if not re.search(r"[;\"“”]|,\s+(?:and|but|while|as|after|before|which|who)\s",
                                 text[lo:hi]) and hi - lo <= TIME_WINDOW:
                    args.append((time_role, t))
            modality = lex.default_modality if refusal else \
                _modality(text, block.start, block.end, s, e, lex, when)
            out.append(FoundEvent(etype, (s, e), modality, tuple(args)))
    return out


def _participants(text: str, found: list[Found], actors: list[int], s: int, e: int,
                  etype: str, sent_start: int, lex: Lexicon, previous_actor: int | None = None
                  ) -> list[tuple[str, int]]:
    """Actor and recipient of the trigger ``[s, e)`` among the sentence's whole actor mentions.

    A verb takes the nearest mention before it in its clause as actor and a mention right
    after it (or after a recipient preposition) as recipient; a noun ("the talks") takes a
    possessive before it or "by X" as actor and "with/between/against X" as recipient. A
    coordination "X and Y" as actor of a symmetric event gives actor X and recipient Y."""
    hidden = relative_clauses(text, sent_start, s)
    before = [i for i in actors if found[i].end <= s
              and not any(a <= found[i].start < b for a, b in hidden)]
    after = [i for i in actors if found[i].start >= e]
    prev = re.search(r"([\w\-’']+)\s+$", text[max(sent_start, s - 30):s])
    prev_word = prev.group(1).lower() if prev else ""
    possessor = next((i for i in reversed(before)
                      if re.fullmatch(r"['’]s\s+(?:[\w\-]+\s+)?", text[found[i].end:s])), None)
    nominal = prev_word in lex.nominal_markers or possessor is not None
    actor = recipient = None
    if nominal:
        actor = possessor
        by = next((i for i in after if re.fullmatch(r"\s+by\s+", text[e:found[i].start])), None)
        if by is not None:
            actor = by
        elif actor is None and before:
            # "X held talks", "X imposed new sanctions": the subject of a light verb
            gap = text[found[before[-1]].end:s]
            if not re.search(r"[,;:\"“”]", gap) and 2 <= len(gap.split()) <= 4 \
                    and re.search(r"\b\w+(?:ed|eld|ade|ave|uck|gan)\b", gap):
                actor = before[-1]
    elif re.search(r"\b(?:was|were|been|being|be|is|are)\s+(?:\w+ly\s+)?$", text[sent_start:s]):
        # passive: "it was blocked by four vessels" → actor after "by", recipient before
        by = next((i for i in after if re.fullmatch(r"\s+by\s+", text[e:found[i].start])), None)
        subject = before[-1] if before else None
        out = [(lex.actor_role, by)] if by is not None else []
        if subject is not None and subject != by:
            out.append((lex.recipient_role, subject))
        return out
    elif before:
        cand = before[-1]
        gap = text[found[cand].end:s]
        coordinated = re.search(r"(?:\band|\bbut|,)\s+(?:\w+ly\s+|also\s+)?$", gap)
        purpose = re.search(r"\bto\s+$", gap) and not find_phrases(
            text, lex.control_verbs, start=sent_start, end=found[cand].start)
        if previous_actor is not None and coordinated:
            # "X summoned Y and demanded …", "X fired at Y, injuring …": the earlier subject
            actor = previous_actor
        elif coordinated or purpose:
            # "X stood by Y and urged …", "X summoned Y to protest …": the clause's subject
            # ("urged Y to withdraw" keeps Y: a control verb hands its object the action)
            actor = _clause_subject(text, found, before, sent_start, lex)
        # the subject stands in the trigger's clause: no clause break between them
        elif not re.search(r"[;:\"“”]|,\s+(?:and|but|while|as)\s", gap) and len(gap.split()) <= 8:
            actor = cand
    if after:
        first = after[0]
        gap = text[e:found[first].start]
        words = gap.split()
        if not re.search(r"[,;:\"“”.]", gap) and (
                not nominal and len(words) <= 1 or
                words and words[0].lower() in lex.recipient_prepositions and len(words) <= 3):
            recipient = first
    if nominal and actor is None and recipient is not None and \
            re.fullmatch(r"\s+between\s+", text[e:found[recipient].start]):
        # "talks between X and Y": X acts, Y receives (a joint mention stays the actor)
        actor = recipient
        recipient = next((i for i in after if text[found[actor].end:found[i].start] == " and "),
                         None)
    out: list[tuple[str, int]] = []
    if actor is not None and found[actor].kind == "coordination" and etype in lex.symmetric_events \
            and recipient is None:
        parts = [i for i, f in enumerate(found) if found[actor].start <= f.start
                 and f.end <= found[actor].end and i != actor and f.kind != "demonym"
                 and f.type in (lex.state_type, lex.organization_type, lex.person_type,
                                lex.group_type)]
        if len(parts) >= 2:
            return [(lex.actor_role, parts[0]), (lex.recipient_role, parts[-1])]
    if actor is not None:
        out.append((lex.actor_role, actor))
    if recipient is not None and recipient != actor:
        out.append((lex.recipient_role, recipient))
    return out


def _clause_subject(text: str, found: list[Found], before: list[int], sent_start: int,
                    lex: Lexicon) -> int | None:
    """The first whole actor mention after the sentence's last reporting cue before the
    trigger (or the sentence's first one): the subject its coordinated verbs share."""
    if not before:
        return None
    cues = find_phrases(text, lex.reporting_verbs, ignore_case=False, start=sent_start,
                        end=found[before[-1]].start)
    lo = cues[-1][1] if cues else sent_start
    return next((i for i in before if found[i].start >= lo), before[0])


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
    just before the past label's cues; else the default. A noun ("the deployment") takes no
    clause-level cue: "will discuss the deployment" plans the discussion, not the deployment."""
    prev = re.search(r"([\w\-’']+)\s+$", text[max(sent_start, s - 30):s])
    nominal = prev is not None and prev.group(1).lower() in lex.nominal_markers
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
        if not nominal and find_phrases(text, before, start=lo, end=s) or \
                find_phrases(text, adjacent, start=near_lo, end=s) or \
                after and find_phrases(text, after, start=e, end=hi):
            return label
    return lex.default_modality
