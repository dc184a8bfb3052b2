"""Data model and canonical JSON: exact round trips, NFC, hashes, and the canonical layout."""

import json
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from communique.schemas.io import dumps_document, write_document
from communique.schemas.model import Document, Span, document_id_for, nfc, sha256_text
from communique.schemas.validate import check_paths, validate_document

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini.json"


def corpus_files():
    return sorted((ROOT / "corpus" / "documents").glob("*.json"))


@pytest.mark.parametrize("path", [MINI, *corpus_files()], ids=lambda p: p.name)
def test_canonical_files_round_trip_byte_for_byte(path):
    raw = path.read_text(encoding="utf-8")
    doc = Document.from_dict(json.loads(raw))
    assert dumps_document(doc) == raw
    assert Document.from_dict(doc.to_dict()) == doc


def test_field_order_is_the_contract():
    d = json.loads(MINI.read_text(encoding="utf-8"))
    assert list(d) == ["id", "title", "date", "source", "url", "language", "license", "provenance",
                       "text", "text_sha256", "mentions", "actors", "events", "attributions",
                       "positions"]
    assert list(d["attributions"][1]) == ["id", "type", "source_id", "cue", "content", "parent_id"]
    assert list(d["positions"][0]) == ["id", "holder_id", "stance", "target", "evidence",
                                       "attribution_id"]


def test_new_document_is_nfc_and_hashed():
    doc = Document.new(id="x-1", text="Cafe\u0301 talks", date="2025-01-01", source="S",
                       license="L", provenance="synthetic")
    assert doc.text == "Café talks" and len(doc.text) == 10
    assert doc.text_sha256 == sha256_text("Café talks")
    assert document_id_for("Cafe\u0301 talks") == document_id_for("Café talks")
    assert document_id_for("Café talks") == "cmq-" + sha256_text("Café talks")[:12]


def test_write_document_is_atomic_and_leaves_no_temp_files(tmp_path):
    doc = Document.from_dict(json.loads(MINI.read_text(encoding="utf-8")))
    path = write_document(doc, tmp_path)
    assert path.name == "mini-0001.json"
    assert [p.name for p in tmp_path.iterdir()] == ["mini-0001.json"]
    assert check_paths([tmp_path]).problems == []


def test_seed_article_is_kept_exactly():
    seed = json.loads((ROOT / "corpus" / "documents" / "cmq-22aa667baa49.json").read_text(encoding="utf-8"))
    assert seed["provenance"] == "news" and seed["date"] == "2025-04-11"
    assert seed["url"] is None and seed["title"] is None
    assert seed["text"].startswith("The United States and Russia both said on Thursday")
    assert seed["text"].endswith("the trade missions in Washington and New York.")
    assert nfc(seed["text"]) == seed["text"]
    assert sha256_text(seed["text"]) == seed["text_sha256"]
    assert seed["id"] == document_id_for(seed["text"])


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                max_size=60).map(nfc).filter(bool)


@given(texts, st.data())
def test_any_span_of_any_text_round_trips_and_validates_unless_its_edges_are_space(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    doc = Document.new(id="h-1", text=text, date="2025-01-01", source="S", license="L",
                       provenance="synthetic")
    from communique.schemas.model import Actor, Mention
    m = Mention("m1", start, end, text[start:end], "PERSON")
    doc = doc.with_layers(mentions=[m], actors=[Actor("a1", "X", "PERSON", ("m1",))])
    raw = dumps_document(doc)
    covered = text[start:end]
    problems = validate_document(json.loads(raw), "h")
    if covered == covered.strip():
        assert problems == []
    else:  # a span never starts or ends with white space
        shown = json.dumps(covered, ensure_ascii=False)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        assert [(p.path, p.message.split("; allowed")[0]) for p in problems] == [
            ("$.mentions[0]", f"found [{start}, {end}) {shown}, which starts or ends with white "
                              "space")]
    assert Document.from_dict(json.loads(raw)) == doc
    assert Span.of(text, start, end).text == text[start:end]


def test_regression_atomic_writes_get_the_usual_file_mode(tmp_path):
    """mkstemp-based atomic writes left every written file at mode 0600."""
    import os

    from communique.schemas.io import atomic_write_text

    umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "x.txt", "x")
    finally:
        os.umask(umask)
    assert (tmp_path / "x.txt").stat().st_mode & 0o777 == 0o644
