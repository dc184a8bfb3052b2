"""Attribution detection: reporting cues, quotation marks and "according to", with the source as
the nearest actor mention and nesting for "X cited Y as saying".

Offsets are half-open ``[start, end)`` code points; sources are indices into the mention list.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .lexicon import Lexicon
from .mentions import Found, top_level
from .text import (OPEN_QUOTES, Block, cancelled, find_phrases, quotations,
                   relative_clauses, sentences)

TRIM = " \t,.;:\"“”'’‘—–-"


@dataclass(frozen=True, slots=True)
class FoundAttribution:
    """A detected attribution: type label, source mention index (or None), cue and content
    spans, and the index of the enclosing attribution (or None)."""

    type: str
    source: int | None
    cue: tuple[int, int]
    content: tuple[tuple[int, int], ...]
    parent: int | None = None


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """Shrink ``[s, e)`` past surrounding white space, punctuation and quotation marks."""
    while s < e and text[s] in TRIM:
        s += 1
    while e > s and text[e - 1] in TRIM:
        e -= 1
    return s, e


@functools.cache
def _nesting_regex(lex: Lexicon) -> re.Pattern[str]:
    """One regex for the nesting patterns ("cited … as saying"): groups o<k>, m<k>, i<k> are
    the outer cue, the inner source's words and the inner cue of pattern k."""
    def ws(phrase: str) -> str:
        return re.escape(phrase).replace(r"\ ", r"\s+")

    alts = "|".join(rf"(?P<o{i}>{ws(a)})\s+(?P<m{i}>[^.;\"“”]{{1,120}}?),?\s+(?P<i{i}>{ws(b)})"
                    for i, (a, b) in enumerate(lex.nesting))
    return re.compile(rf"(?<![\w\-])(?:{alts})(?![\w\-])", re.IGNORECASE)


class _Sentence:
    """One sentence with the actor mentions and quotations inside it."""

    def __init__(self, text: str, block: Block, found: list[Found], actor_types: set[str],
                 quotes: list[Block], tops: set[int]):
        self.text, self.block = text, block
        self.actors = [i for i, f in enumerate(found) if i in tops
                       and f.type in actor_types and block.start <= f.start and f.end <= block.end]
        self.quotes = [q for q in quotes if block.start < q.start and q.end < block.end]
        self.found = found

    def in_quote(self, pos: int) -> bool:
        """Whether ``pos`` lies in a quotation of the sentence (marks included)."""
        return any(q.start - 1 <= pos <= q.end for q in self.quotes)

    def mention_before(self, pos: int, limit: int = 80) -> int | None:
        """The nearest actor mention ending before ``pos``, with no quotation mark between and
        outside a relative clause (", which …,"); of an apposition, its head ("A spokesman,
        Gao Jian, said" → "A spokesman")."""
        hidden = relative_clauses(self.text, self.block.start, pos)
        for i in reversed(self.actors):
            f = self.found[i]
            gap = self.text[f.end:pos]
            if f.end > pos or pos - f.end > limit or any(c in gap for c in "\"“”"):
                continue
            if any(a <= f.start < b for a, b in hidden):
                continue
            # of an apposition, its head: "Uganda's army spokesman, Brigadier Samuel Okello,
            # said" → "Uganda's army spokesman" (guidelines: the source is the subject's head)
            k = self.actors.index(i)
            while k > 0 and self.text[self.found[self.actors[k - 1]].end:
                                      self.found[self.actors[k]].start] == ", ":
                k -= 1
            return self.actors[k]
        return None

    def first_mention(self, pos: int) -> int | None:
        """The first actor mention of the sentence before ``pos`` (the subject a participle
        cue such as "saying" or "adding" refers back to)."""
        return next((i for i in self.actors if self.found[i].end <= pos), None)

    def mention_after(self, pos: int, limit: int = 3) -> int | None:
        """The actor mention starting within ``limit`` code points after ``pos``."""
        for i in self.actors:
            f = self.found[i]
            if pos <= f.start <= pos + limit:
                return i
        return None

    def quote_ending_before(self, pos: int) -> Block | None:
        """A quotation closed just before ``pos`` ('"…," said' / '"…," she said')."""
        for q in reversed(self.quotes):
            if q.end < pos:
                between = self.text[q.end + 1:pos]
                covered = between
                for i in self.actors:
                    f = self.found[i]
                    if q.end < f.start and f.end <= pos:
                        covered = covered.replace(self.text[f.start:f.end], "")
                # the source may be a description the mention rules missed: allow a few words
                comma = self.text[q.end - 1:q.end] == "," or \
                    re.match(r"[\"”]\s*,", self.text[q.end:q.end + 3]) is not None
                if re.fullmatch(r"[\s,]*", covered) or (
                        comma and len(covered.split()) <= 8
                        and not re.search(r"[;:.\"“”]", covered)
                        and not re.search(r"\b(?:while|and|but|as|after|when|whereas)\b",
                                          covered)):
                    return q
                return None
        return None


def find_attributions(text: str, found: list[Found], lex: Lexicon) -> list[FoundAttribution]:
    """All attributions of ``text`` in text order of their cues (parents before children)."""
    actor_types = {lex.state_type, lex.organization_type, lex.person_type, lex.group_type}
    quotes = quotations(text)
    tops = top_level(found)
    out: list[FoundAttribution] = []
    for block in sentences(text, lex.abbreviations):
        sent = _Sentence(text, block, found, actor_types, quotes, tops)
        used: list[tuple[int, int]] = []
        passives: list[int] = []
        before = len(out)
        for m in _nesting_regex(lex).finditer(text, block.start, block.end):
            k = next(i for i in range(len(lex.nesting)) if m.group(f"o{i}") is not None)
            outer_cue = (m.start(f"o{k}"), m.end(f"o{k}"))
            inner_cue = (m.start(f"i{k}"), m.end(f"i{k}"))
            content = _content_after(text, sent, m.end(), lex)
            if content is None:
                continue
            outer_src = sent.mention_before(m.start())
            inner_src = sent.mention_after(m.start(f"m{k}"), 0)
            kind = _kind(text, sent, [content], lex)
            out.append(FoundAttribution(kind, outer_src, outer_cue, (content,)))
            out.append(FoundAttribution(kind, inner_src, inner_cue, (content,), len(out) - 1))
            used += [outer_cue, inner_cue]
        for s, e in find_phrases(text, lex.source_after + tuple(p[0].upper() + p[1:] for p in lex.source_after),
                                 ignore_case=False, start=block.start, end=block.end):
            if sent.in_quote(s) or _overlaps((s, e), used):
                continue
            src = sent.mention_after(e, 2)
            if src is not None:
                # "according to a statement issued by his ministry": the author is the source
                by = re.match(r"\s+(?:(?:issued|published|released)\s+)?(?:by|from)\s+",
                              text[found[src].end:block.end])
                author = sent.mention_after(found[src].end + by.end(), 0) if by else None
                if author is not None and re.search(r"statement|report|communiqu", text[
                        found[src].start:found[src].end], re.IGNORECASE):
                    src = author
            src_end = found[src].end if src is not None else e
            if not text[block.start:s].strip():
                comma = text.find(",", src_end, block.end)
                content = _trim(text, comma + 1 if comma >= 0 else src_end, block.end)
            else:
                content = _trim(text, block.start, s)
            if content[1] > content[0]:
                out.append(FoundAttribution(_kind(text, sent, [content], lex), src, (s, e),
                                            (content,)))
                used.append((s, e))
        for s, e in find_phrases(text, lex.reporting_verbs + lex.passive, ignore_case=False,
                                 start=block.start, end=block.end):
            if sent.in_quote(s) or _overlaps((s, e), used) \
                    or re.search(r"\b(?:to|not|n't|a|the|what\s+\w+)\s+$", text[block.start:s]) \
                    or text[s:e] in lex.phrasal and not re.search(r"[\"“]", text[e:block.end]) \
                    or cancelled(text, e, lex.cancellers) \
                    or cancelled(text, e, lex.phrasal.get(text[s:e], ())):
                continue  # "declined to say", "did not say", "a say", "what it called": no report
            by = re.match(r"\s+by\s+", text[e:block.end])
            if by and text[s:e] in lex.passive:
                # a passive cue: its source follows "by"; its content is the sentence's other
                # report, linked below
                mediator = sent.mention_after(e + by.end(), 0)
                passives.append(len(out))
                out.append(FoundAttribution(lex.indirect_type, mediator, (s, e), ()))
                used.append((s, e))
                continue
            if text[s:e] not in lex.reporting_verbs:
                continue  # a passive-only cue used actively ("published a report")
            found_attr = _verb_attribution(text, sent, (s, e), lex)
            if found_attr is not None:
                out.append(found_attr)
                used.append((s, e))
        if len(out) == before:
            _continue_quote(text, sent, out, lex)
        _carry_by_passives(out, before, passives)
        _nest_closing_reports(text, out, before)
    return _without_empty(out)


def _carry_by_passives(out: list[FoundAttribution], first: int, passives: list[int]) -> None:
    """Give each passive report of a sentence ("quoted by a newspaper") the content of the
    sentence's nearest other report, which becomes its child. ``out[first:]`` is the sentence;
    a passive report with no other report keeps no content (and is dropped)."""
    for p in passives:
        others = [k for k in range(first, len(out)) if k not in passives and out[k].parent is None
                  and out[k].content]
        if not others:
            continue
        k = min(others, key=lambda k: abs(out[k].cue[0] - out[p].cue[0]))
        child = out[k]
        out[p] = FoundAttribution(child.type, out[p].source, out[p].cue, child.content)
        out[k] = FoundAttribution(child.type, child.source, child.cue, child.content, p)


def _without_empty(out: list[FoundAttribution]) -> list[FoundAttribution]:
    """Drop empty content fragments (a quotation of nothing but spaces), and attributions left
    with no content; parent links are renumbered (a dropped parent leaves none)."""
    keep: dict[int, int] = {}
    kept: list[FoundAttribution] = []
    for k, a in enumerate(out):
        content = tuple(c for c in a.content if c[1] > c[0])
        if content:
            keep[k] = len(kept)
            kept.append(FoundAttribution(a.type, a.source, a.cue, content, a.parent))
    return [FoundAttribution(a.type, a.source, a.cue, a.content,
                             keep.get(a.parent) if a.parent is not None else None) for a in kept]


def _nest_closing_reports(text: str, out: list[FoundAttribution], first: int) -> None:
    """"X said that C, TASS reported.": the closing report carries X's, with the same content
    (guidelines §4). ``out[first:]`` are the attributions of one sentence."""
    for k in range(first, len(out)):
        inner = out[k]
        if inner.parent is not None or not inner.content:
            continue
        for j in range(first, len(out)):
            outer = out[j]
            if j == k or outer.cue[0] <= inner.cue[1] or outer.parent is not None \
                    or not outer.content:
                continue
            last = inner.content[-1]
            # the outer report's content starts the sentence and swallows the inner report
            if outer.content[0][0] <= inner.cue[0] and outer.content[-1][1] >= last[1] - 1 \
                    and re.fullmatch(r"[\s,]*", text[last[1]:outer.content[-1][1]]):
                out[j] = FoundAttribution(inner.type, outer.source, outer.cue, inner.content)
                out[k] = FoundAttribution(inner.type, inner.source, inner.cue, inner.content, j)
                break


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    """Whether ``span`` overlaps any of ``spans`` (half-open)."""
    return any(span[0] < e and s < span[1] for s, e in spans)


def _kind(text: str, sent: _Sentence, content: list[tuple[int, int]], lex: Lexicon) -> str:
    """direct when every fragment is a whole quotation, mixed when a quotation is inside the
    content, indirect otherwise."""
    whole = all(any(q.start <= s and e <= q.end for q in sent.quotes) for s, e in content)
    if whole:
        return lex.direct_type
    if any(s <= q.start and q.end <= e or q.start < e <= q.end or q.start <= s < q.end
           for s, e in content for q in sent.quotes):
        return lex.mixed_type
    return lex.indirect_type


def _skip(text: str, sent: _Sentence, pos: int, lex: Lexicon) -> int:
    """Past white space, commas, colons, an audience ("reporters"), a manner phrase ("in a
    statement"), a time ("on Thursday") and a complementiser ("that") after a cue."""
    end = sent.block.end
    while True:
        rest = text[pos:end]
        m = re.match(r"[\s,:]+", rest)
        if m:
            pos += m.end()
            continue
        hit = next((len(p) for p in lex.audiences + lex.manner + lex.complementisers
                    if re.match(re.escape(p) + r"(?!\w)", rest, re.IGNORECASE)), 0)
        if not hit:
            nxt = next((sent.found[i] for i in range(len(sent.found))
                        if sent.found[i].start == pos and sent.found[i].type == lex.time_type), None)
            hit = nxt.end - pos if nxt else 0
        if not hit:
            m = re.match(r"(?:on|in|at)\s+", rest, re.IGNORECASE)
            nxt = m and next((f for f in sent.found if f.start == pos + m.end()
                              and f.type == lex.time_type), None)
            hit = nxt.end - pos if nxt else 0
        if not hit:
            return pos
        pos += hit


def _content_after(text: str, sent: _Sentence, pos: int, lex: Lexicon) -> tuple[int, int] | None:
    """The reported material after a cue (past what `_skip` skips), up to the end of the
    sentence or a coordinated verb phrase."""
    end = sent.block.end
    pos = _skip(text, sent, pos, lex)
    if text[pos:pos + 1] in OPEN_QUOTES:
        q = next((q for q in sent.quotes if q.start == pos + 1), None)
        if q is not None:
            return _trim(text, q.start, q.end)
    # "told a weekly briefing in Tehran that …", "said on X that …": past the words before "that"
    that = re.match(r"[^,;:\"“”]{0,80}?\bthat\s", text[pos:end])
    if that and len(that.group().split()) <= 10:
        pos += that.end()
    # "…, according to a statement", "…, a Forum official said.": a second report closing the
    # sentence is not content
    closing = find_phrases(text, lex.source_after, start=pos, end=end)
    if closing and re.search(r",\s*$", text[pos:closing[0][0]]):
        end = text.rfind(",", pos, closing[0][0])
    for i in sent.actors:
        f = sent.found[i]
        if pos < f.start < end and re.search(r",\s*$", text[pos:f.start]) and \
                find_phrases(text, lex.reporting_verbs, ignore_case=False, start=f.end,
                             end=min(end, f.end + 25)):
            end = text.rfind(",", pos, f.start)
            break
    s, e = _trim(text, pos, end)
    if len(text[s:e].split()) < 3:
        return None
    return s, e


SUBORDINATORS = re.compile(r"(?:after|before|as|while|when|following|during|amid|since)\b",
                           re.IGNORECASE)


def _verb_attribution(text: str, sent: _Sentence, cue: tuple[int, int], lex: Lexicon
                      ) -> FoundAttribution | None:
    """The attribution a reporting verb at ``cue`` introduces, or None: direct when a
    quotation closes just before it, else the clause after it or the clause before it."""
    s, e = cue
    block = sent.block
    participle = text[s:e].endswith("ing")
    src = sent.first_mention(s) if participle else sent.mention_before(s)
    quote = None if participle else sent.quote_ending_before(s)
    if quote is not None:
        # '"…," X said' or '"…," said X'
        if src is not None and sent.found[src].start < quote.end:
            src = None
        if src is None:
            src = sent.mention_after(e)
        content = [_trim(text, quote.start, quote.end)]
        tail = sent.found[src].end if src is not None and sent.found[src].start >= e else e
        tail = _skip(text, sent, tail, lex) - 1
        nxt = next((q for q in sent.quotes if q.start > tail
                    and re.fullmatch(r"[\s,]*[\"“]", text[tail:q.start])), None)
        if nxt is not None:
            content.append(_trim(text, nxt.start, nxt.end))
        return FoundAttribution(_kind(text, sent, content, lex), src, cue, tuple(content))
    after = _content_after(text, sent, e, lex)
    # "…, X said." / "…, X said on Monday, after …" / "…, said X.": the content comes first
    inverted = sent.mention_after(e)
    tail = sent.found[inverted].end if inverted is not None and src is None else e
    tail = _skip(text, sent, tail, lex)
    rest = text[tail:block.end]
    content_before = re.match(r"\s*(?:[.;!?]|$)", rest) is not None or \
        SUBORDINATORS.match(rest) is not None
    if participle and after is not None:
        return FoundAttribution(_kind(text, sent, [after], lex), src, cue, (after,))
    if after is not None and not content_before and src is not None and sent.found[src].end <= s:
        src_f = sent.found[src]
        # "The funding, she said, would go …": an indirect report split by the cue
        if text[src_f.end:s].strip() == "" and re.search(r",\s*$", text[block.start:src_f.start]) \
                and text[e:e + 1] == ",":
            first = _trim(text, block.start, text.rfind(",", block.start, src_f.start))
            if first[1] > first[0] and len(text[first[0]:first[1]].split()) <= 6:
                content = (first, after)
                return FoundAttribution(_kind(text, sent, list(content), lex), src, cue, content)
        return FoundAttribution(_kind(text, sent, [after], lex), src, cue, (after,))
    # "CONTENT, X said." or "CONTENT, said X."
    if src is None or sent.found[src].end <= s and text[block.start:sent.found[src].start].strip() == "":
        alt = sent.mention_after(e)
        if alt is not None:
            src = alt
    src_start = sent.found[src].start if src is not None else s
    comma = text.rfind(",", block.start, min(s, src_start))
    if comma > block.start:
        content = _trim(text, block.start, comma)
        if len(text[content[0]:content[1]].split()) >= 3:
            return FoundAttribution(_kind(text, sent, [content], lex), src, cue, (content,))
    if after is not None:
        return FoundAttribution(_kind(text, sent, [after], lex), src, cue, (after,))
    return None


def _continue_quote(text: str, sent: _Sentence, out: list[FoundAttribution], lex: Lexicon
                    ) -> None:
    """A sentence that is only a quotation continues the previous direct attribution of the
    same paragraph: it becomes one more content fragment."""
    if not out or len(sent.quotes) != 1:
        return
    q = sent.quotes[0]
    if text[sent.block.start:q.start - 1].strip() or text[q.end + 1:sent.block.end].strip(" .\"”"):
        return
    prev = out[-1]
    last = prev.content[-1]
    if prev.type != lex.direct_type or prev.parent is not None or "\n" in text[last[1]:q.start]:
        return
    frag = _trim(text, q.start, q.end)
    if frag[1] > frag[0] and frag[0] > last[1]:
        out[-1] = FoundAttribution(prev.type, prev.source, prev.cue, prev.content + (frag,),
                                   prev.parent)
