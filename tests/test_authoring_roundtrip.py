"""Round trip of Communiqué markup: render → parse gives back the identical document, on the
corpus, on hand-made cases and on random documents (hypothesis) whose texts hold brackets,
braces, backslashes, emoji, CRLF, NBSP and combining accents, with nested and crossing spans."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from communique.corpus.authoring import parse, render
from communique.schemas.model import (Actor, Argument, Attribution, Document, Event, Mention,
                                      Position, Span, nfc)
from communique.schemas.spec import load_spec
from communique.schemas.validate import load_documents, validate_document

ROOT = Path(__file__).resolve().parent.parent
SPEC = load_spec()
MENTION_TYPES = SPEC.labels["mention_type"].names
ACTOR_TYPES = SPEC.labels["actor_type"].names
ACCEPTS = SPEC.labels["argument_role"].accepts

# Pieces a random text is made of: the markup's own special characters, line ends of both
# kinds, NBSP, emoji (one and several code points), combining accents, quotes and words.
PIECES = ["[", "]", "{", "}", "\\", "\r\n", "\n", "\r", "\u00a0", "😀", "👩‍👩‍👧", "🇺🇳",
          "e\u0301", "q\u0323\u0301", "“", "”", "’", "\t", " ", "said", "Moscow", "{text}",
          "{relations}", "\n{relations}\n", "# not a comment", "id: x", "]{m1 STATE}", "a",
          "Ω", "ß", "\\[", "---"]
# Ids drawn from a small pool so that ids repeat across layers and collide with default span
# names (an event "t1.cue" against an attribution "t1").
IDS = ["m1", "m2", "e1", "t1", "t1.cue", "t1.content", "p1", "p1.target", "x", "x.2", "a:b",
       "k1", "Z-9", "e1.2"]


def _spans(draw, text: str, size: int, min_size: int = 0) -> list[tuple[int, int]]:
    """Up to ``size`` spans of ``text`` that start and end on text, not white space (the text
    has some)."""
    solid = [i for i, c in enumerate(text) if not c.isspace()]
    out = []
    for _ in range(draw(st.integers(min_size, size))):
        a, b = sorted(draw(st.lists(st.sampled_from(solid), min_size=2, max_size=2)))
        out.append((a, b + 1))
    return out


def _trimmed(text: str, a: int, b: int) -> tuple[int, int] | None:
    covered = text[a:b]
    if not covered.strip():
        return None
    return a + len(covered) - len(covered.lstrip()), a + len(covered.rstrip())


@st.composite
def documents(draw) -> Document:
    text = nfc("".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=40))))
    assume(any(not c.isspace() for c in text))  # spans start and end on text
    n = len(text)
    text_strategy = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
    meta = dict(
        id=draw(st.sampled_from(["cmq-000000000001", "doc.1", "A"])),
        title=draw(st.one_of(st.none(), st.just("null"), st.just(' "quoted" '), text_strategy)),
        date="2025-02-28", source=draw(st.sampled_from(["Meridian Wire", "x: y", "\"q\""])),
        url=draw(st.one_of(st.none(), st.just("https://example.org/a?b=[c]"))),
        language=draw(st.sampled_from(["en", "fr-CA"])),
        license=draw(st.sampled_from(["CC BY 4.0", " padded ", "a\nb"])),
        provenance=draw(st.sampled_from(SPEC.labels["provenance"].names)))
    doc = Document.new(text=text, **meta)
    mention_ids = draw(st.lists(st.sampled_from(IDS), unique=True, max_size=8))
    mentions, drawn = [], set()
    for mid in mention_ids:
        start, end = _spans(draw, text, 1, 1)[0]
        mtype = draw(st.sampled_from(MENTION_TYPES))
        if (start, end, mtype) not in drawn:  # one mention per span and type
            drawn.add((start, end, mtype))
            mentions.append(Mention(mid, start, end, text[start:end], mtype))
    # Every actor-type mention is in exactly one actor of its type.
    actors, by_type = [], {}
    for m in mentions:
        if m.type in ACTOR_TYPES:
            by_type.setdefault(m.type, []).append(m.id)
    actor_ids = iter(draw(st.permutations(IDS)))
    for atype, mids in by_type.items():
        cut = draw(st.integers(1, len(mids)))
        for group in (mids[:cut], mids[cut:]):
            if group:
                actors.append(Actor(next(actor_ids), draw(st.sampled_from(["Chile", "x \"y\" ’z"])),
                                    atype, tuple(group), draw(st.sampled_from([None, "Q298"]))))
    events = []
    for eid in draw(st.lists(st.sampled_from(IDS), unique=True, max_size=3)):
        start, end = _spans(draw, text, 1, 1)[0]
        args = []
        for m in draw(st.lists(st.sampled_from(mentions), max_size=3, unique_by=lambda m: m.id)
                      if mentions else st.just([])):
            role = draw(st.sampled_from([r for r, ok in ACCEPTS.items() if m.type in ok]))
            args.append(Argument(role, m.id))
        events.append(Event(eid, draw(st.sampled_from(SPEC.labels["event_type"].names)),
                            Span.of(text, start, end),
                            draw(st.sampled_from(SPEC.labels["modality"].names)), tuple(args)))
    sources = [m.id for m in mentions if m.type in ACTOR_TYPES]
    attributions = []
    for tid in draw(st.lists(st.sampled_from(IDS), unique=True, max_size=3)):
        start, end = _spans(draw, text, 1, 1)[0]
        cuts = sorted(set(draw(st.lists(st.integers(0, n), min_size=2, max_size=6))))
        content = tuple(Span.of(text, *t) for a, b in zip(cuts[::2], cuts[1::2], strict=False)
                        if a < b and (t := _trimmed(text, a, b)))
        content = content or (Span.of(text, *_trimmed(text, 0, n)),)
        parent = draw(st.sampled_from([None] + [t.id for t in attributions]))
        attributions.append(Attribution(
            tid, draw(st.sampled_from(SPEC.labels["attribution_type"].names)),
            draw(st.sampled_from([None] + sources)), Span.of(text, start, end), content, parent))
    positions = []
    if sources:
        for pid in draw(st.lists(st.sampled_from(IDS), unique=True, max_size=2)):
            (ts, te), (es, ee) = _spans(draw, text, 2, 2)
            positions.append(Position(
                pid, draw(st.sampled_from(sources)), draw(st.sampled_from(SPEC.labels["stance"].names)),
                Span.of(text, ts, te), Span.of(text, es, ee),
                draw(st.sampled_from([None] + [t.id for t in attributions]))))
    return doc.with_layers(mentions=mentions, actors=actors, events=events,
                           attributions=attributions, positions=positions)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_render_then_parse_gives_the_identical_document(doc: Document) -> None:
    assert validate_document(doc.to_dict()) == []  # the generator makes valid documents
    markup = render(doc)
    back = parse(markup)
    assert back == doc
    assert back.to_dict() == doc.to_dict()


@settings(max_examples=200, deadline=None)
@given(documents())
def test_markup_is_stable_under_a_second_round_trip(doc: Document) -> None:
    markup = render(doc)
    assert render(parse(markup)) == markup


def test_every_corpus_document_round_trips() -> None:
    docs = load_documents([ROOT / "corpus" / "documents", ROOT / "tests" / "fixtures" / "mini.json"])
    assert docs
    for doc in docs:
        assert parse(render(doc), doc.id) == doc


TEXT = "[Russia]’s ambassador {x} said\r\n“no” \\ 😀 e\u0301 q\u0323"


@pytest.mark.parametrize(("spans", "marked"), [
    # (mention spans as (start, end, type), expected marked text line)
    ([], "\\[Russia\\]’s ambassador \\{x\\} said\r\n“no” \\\\ 😀 é q\u0323"),
    ([(1, 7, "LOCATION"), (0, 21, "TIME")],
     "[\\[[Russia]{m1 LOCATION}\\]’s ambassador]{m2 TIME} \\{x\\} said\r\n“no” \\\\ 😀 é q\u0323"),
    # crossing: "ambassador {x}" crosses "’s ambassador"
    ([(8, 21, "TIME"), (11, 25, "LOCATION")],
     "\\[Russia\\][’s {#k1}ambassador]{m1 TIME} \\{x\\}{/k1: m2 LOCATION} said\r\n“no” \\\\ 😀 é q\u0323"),
    # one span, two mentions; a span over CRLF; a base letter without its combining mark
    ([(26, 36, "TIME"), (26, 36, "LOCATION"), (len(nfc(TEXT)) - 2, len(nfc(TEXT)) - 1, "TIME")],
     "\\[Russia\\]’s ambassador \\{x\\} [said\r\n“no”]{m1 TIME; m2 LOCATION} \\\\ 😀 é [q]{m3 TIME}\u0323"),
])
def test_render_marks_spans_as_written_by_hand(spans, marked) -> None:
    text = nfc(TEXT)
    mentions = [Mention(f"m{i}", s, e, text[s:e], t) for i, (s, e, t) in enumerate(spans, 1)]
    doc = Document.new(id="d1", text=text, date="2025-01-01", source="S", license="L",
                       provenance="synthetic").with_layers(mentions=mentions)
    markup = render(doc)
    assert markup.split("{text}\n", 1)[1].split("\n{relations}", 1)[0] == marked
    assert parse(markup) == doc
