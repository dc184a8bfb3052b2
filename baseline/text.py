"""Text helpers of the baseline: sentences, quotations and whole-word phrase search.

All positions are half-open ``[start, end)`` code-point offsets into the document text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable

OPEN_QUOTES = "\"“"
CLOSE_QUOTES = "\"”"
# A word: letters/digits with inner apostrophes, periods (U.S.), hyphens.
WORD = re.compile(r"[^\W_](?:[\w'’.\-]*[^\W_])?\.?")
INITIALISM = re.compile(r"(?:[A-Z]\.){2,}")
# A wire dateline opening a paragraph: "GENEVA, March 3 (Nordwave) - ", "CEBU, Philippines,
# Feb. 5 (Nordwave) - ", "YEREVAN/BAKU, May 20 (Nordwave) - " (not part of a sentence).
_CITY = r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ .'’/\-]{2,}"
DATELINE = re.compile(rf"{_CITY}(?:,\s*[A-Z][\w .]{{1,30}}?)?(?:,\s*[A-Z][a-z]+\.?\s+\d{{1,2}})?"
                      r"(?:\s*\([^)\n]{1,40}\))?\s*[-–—]+\s+")
# A photo credit ending a caption line: "Halcyon/Eleni Markou", "Meridian Wire/Sher Ali Khan".
CREDIT = re.compile(r"(?<![\w/])[A-Z][\w ]{1,40}/[A-Z][^\n/.]{1,40}(?=\s*(?:\n|$))")


@dataclass(frozen=True, slots=True)
class Block:
    """A sentence or a quotation: ``[start, end)`` code points of the document text."""

    start: int
    end: int

    def __contains__(self, pos: int) -> bool:
        return self.start <= pos < self.end


def _ends_sentence(text: str, dot: int, abbreviations: frozenset[str]) -> bool:
    """Whether the '.', '!' or '?' at ``dot`` ends a sentence (the next word is capitalised or
    quoted, and the word before is not an abbreviation or an initialism)."""
    if text[dot] != ".":
        return True
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in OPEN_QUOTES:
        word_start -= 1
    word = text[word_start:dot + 1]
    if word in abbreviations:
        return False
    if INITIALISM.fullmatch(word):
        # "the U.S. They said" is ambiguous; treat an initialism as ending the sentence only when
        # what follows is a typical sentence opener (a pronoun or article).
        nxt = re.match(r"\s+([A-Z][a-z]*)", text[dot + 1:])
        return bool(nxt and nxt.group(1) in {"The", "He", "She", "It", "They", "We", "A", "But",
                                             "In", "On", "This", "That", "There"})
    if len(word) == 2 and word[0].isupper():  # a middle initial: "John F. Smith"
        return False
    return True


def sentences(text: str, abbreviations: frozenset[str] = frozenset()) -> list[Block]:
    """Split ``text`` into sentences at line breaks and at '.', '!', '?' (with any closing
    quotation mark) followed by white space and a capital, digit or quotation mark."""
    out: list[Block] = []
    boundary = re.compile(r"[.!?][\"”’)]*(?=\s+[\"“‘(A-Z0-9])")
    for para in re.finditer(r"[^\n]+", text):
        start = para.start()
        while start < para.end() and text[start].isspace():
            start += 1
        dateline = DATELINE.match(text, start, para.end())
        if dateline:
            start = dateline.end()
        for m in boundary.finditer(text, para.start(), para.end()):
            if m.start() < start or not _ends_sentence(text, m.start(), abbreviations):
                continue
            out.append(Block(start, m.end()))
            start = m.end()
            while start < para.end() and text[start].isspace():
                start += 1
        end = para.end()
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append(Block(start, end))
    return _merge_inside_quotes(text, out)


def _merge_inside_quotes(text: str, blocks: list[Block]) -> list[Block]:
    """Join sentences split inside a quotation ('"We came. We talked," he said.') so that a
    quotation and its reporting clause stay in one sentence."""
    inside = quote_mask(text)
    out: list[Block] = []
    for b in blocks:
        if out and out[-1].end < len(text) and inside[out[-1].end - 1] and inside[b.start] \
                and text[out[-1].end - 1] not in CLOSE_QUOTES:
            out[-1] = Block(out[-1].start, b.end)
        else:
            out.append(b)
    return out


def quotations(text: str) -> list[Block]:
    """Inner spans of quotations (without the marks), paired within each paragraph: curly
    quotes by direction, straight quotes alternately."""
    out: list[Block] = []
    for para in re.finditer(r"[^\n]+", text):
        open_at: int | None = None
        for i in range(para.start(), para.end()):
            ch = text[i]
            if open_at is None and ch in OPEN_QUOTES:
                open_at = i
            elif open_at is not None and ch in CLOSE_QUOTES and (ch == "”" or text[open_at] == '"'):
                if i > open_at + 1:
                    out.append(Block(open_at + 1, i))
                open_at = None
    return out


def quote_mask(text: str) -> list[bool]:
    """For each code point, whether it lies inside a quotation (marks included)."""
    mask = [False] * len(text)
    for q in quotations(text):
        for i in range(q.start - 1, min(q.end + 1, len(text))):
            mask[i] = True
    return mask


@functools.lru_cache(maxsize=256)
def _phrase_regex(phrases: tuple[str, ...], ignore_case: bool) -> re.Pattern[str]:
    """Whole-word alternation of ``phrases``, longest first; a leading "the" matches "The"."""
    alts = []
    for p in sorted(set(phrases), key=lambda s: (-len(s), s)):
        pat = re.escape(p).replace(r"\ ", r"\s+")
        if p.lower().startswith("the "):
            pat = "[Tt]he" + pat[3:]
        alts.append(pat)
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(r"(?<![\w.\-])(?:" + "|".join(alts) + r")(?![\w\-]|\.\w)", flags)


def find_phrases(text: str, phrases: Iterable[str], ignore_case: bool = True,
                 start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Non-overlapping whole-word occurrences of ``phrases`` in ``text[start:end]``, longest
    first at each position, as ``(start, end)`` offsets."""
    phrases = tuple(phrases)
    if not phrases:
        return []
    rx = _phrase_regex(phrases, ignore_case)
    end = len(text) if end is None else end
    return [(m.start(), m.end()) for m in rx.finditer(text, start, end)]


def words(text: str, abbreviations: frozenset[str] = frozenset(), start: int = 0,
          end: int | None = None) -> list[tuple[int, int]]:
    """Word tokens of ``text[start:end]`` as ``(start, end)`` offsets."""
    end = len(text) if end is None else end
    out = []
    for m in WORD.finditer(text, start, end):
        s, e = m.start(), m.end()
        # a final period belongs to the word only for abbreviations and initials ("U.S.", "F.")
        if text[e - 1] == "." and text[s:e] not in abbreviations \
                and not re.fullmatch(r"(?:\w\.)+", text[s:e]):
            e -= 1
        out.append((s, e))
    return out


def cancelled(text: str, end: int, cancellers: tuple[str, ...]) -> bool:
    """Whether one of ``cancellers`` follows position ``end`` ("asked not to be named")."""
    return any(re.match(r"\s+" + re.escape(c).replace(r"\ ", r"\s+") + r"\b", text[end:end + 40],
                        re.IGNORECASE) for c in cancellers)


def relative_clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of non-restrictive relative clauses (", which …,", ", who …,") and passive
    parentheticals (", quoted by a newspaper,") in ``[start, end)``: a mention inside one is
    not the subject of the main clause."""
    return [(start + m.start(), start + m.end()) for m in
            re.finditer(r",\s+(?:which|who|whose|where|\w+ed\s+by)\b[^,]*,", text[start:end])]
