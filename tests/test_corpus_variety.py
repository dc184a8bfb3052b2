"""The variety report's rules, on hand-made documents, and its place in DATASHEET.md."""

import json
from pathlib import Path

from communique.corpus import variety
from communique.schemas.model import Document, Span, Attribution

ROOT = Path(__file__).resolve().parent.parent
MINI = Document.from_dict(json.loads((ROOT / "tests/fixtures/mini.json").read_text(encoding="utf-8")))


def test_attribution_rules_on_the_fixture():
    counts = {r.label: r.count([MINI]) for r in variety.RULES}
    assert counts["attributions: direct"] == 1
    assert counts["attributions: indirect"] == 1
    assert counts["attributions: split quotes"] == 1
    assert counts["attributions: nested or mediated"] == 0
    assert counts["attributions: “according to”"] == 0
    assert counts["documents with a dateline"] == 0


def test_noise_rules():
    text = ("OSLO, March 3 (Test Wire) - Norway said so.\n"
            "A ship sails near Oslo, March 2, 2025. Test Wire/Kari Nymoen\n"
            "Correction: An earlier version misspelt a name.\n"
            "Officials, speaking on condition of anonymity, said no, according to Test Wire.")
    doc = Document.new(id="t-1", text=text, date="2025-03-03", source="Test Wire", license="L",
                       provenance="synthetic")
    cue = text.index("according to")
    said = text.index("said no")
    doc = doc.with_layers(attributions=[
        Attribution("t1", "indirect", None, Span.of(text, cue, cue + 12), (Span.of(text, said + 5, said + 7),)),
        Attribution("t2", "indirect", None, Span.of(text, said, said + 4), (Span.of(text, said + 5, said + 7),), "t1"),
    ])
    counts = {r.label: r.count([doc]) for r in variety.RULES}
    assert counts["documents with a dateline"] == 1
    assert counts["documents with a photo caption"] == 1
    assert counts["documents with a correction"] == 1
    assert counts["attributions: anonymous source"] == 2
    assert counts["attributions: “according to”"] == 1
    assert counts["attributions: nested or mediated"] == 1
    assert counts["attributions: no source"] == 2


def test_state_groups_ignore_single_states():
    assert variety.state_groups([MINI]) == {("Chile", "Norway"): 1}


def test_datasheet_carries_the_table():
    text = (ROOT / "DATASHEET.md").read_text(encoding="utf-8")
    assert variety.BEGIN in text and "| event type `AGREE` |" in text
