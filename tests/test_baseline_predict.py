"""`communique baseline predict` end to end: valid output for every input form, determinism,
errors, and lexicons that must agree with the schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import yaml

from communique.baseline import lexicon as lexmod
from communique.baseline.lexicon import LexiconError, build_lexicon, parse_triggers
from communique.cli import main
from communique.schemas.spec import load_spec
from communique.schemas.validate import check_paths, check_predictions

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "baseline"
LAYERS = ("mentions", "actors", "events", "attributions", "positions")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "communique", *args], cwd=ROOT,
                          capture_output=True, text=True, env=env)


def test_predictions_validate_and_cover_every_layer(tmp_path):
    out = tmp_path / "preds.jsonl"
    assert main(["baseline", "predict", "--gold", str(FIXTURES), "--out", str(out)]) == 0
    gold = {d.id: d for d in check_paths([FIXTURES]).documents}
    preds, problems = check_predictions(out, gold)
    assert problems == []
    assert sorted(p.id for p in preds) == sorted(gold)
    for layer in LAYERS:
        assert sum(len(p.get(layer)) for p in preds) > 0, layer
    done = run_cli("validate", "--predictions", str(out), "--gold", str(FIXTURES))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("valid: 3 prediction line(s)")


def test_same_input_gives_byte_identical_output(tmp_path):
    outs = []
    for seed in ("1", "2"):  # different hash seeds: no set or dict order may leak into the output
        out = tmp_path / f"p{seed}.jsonl"
        done = run_cli("baseline", "predict", "--gold", str(FIXTURES), "--out", str(out),
                       env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_jsonl_gold_and_release_split(tmp_path):
    from communique.corpus.release import build_release

    docs = check_paths([FIXTURES]).documents
    jsonl = tmp_path / "gold.jsonl"
    jsonl.write_text("".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in docs),
                     encoding="utf-8")
    out = tmp_path / "a.jsonl"
    assert main(["baseline", "predict", "--gold", str(jsonl), "--out", str(out)]) == 0
    result = build_release([FIXTURES], tmp_path / "releases", "0.0.1", today="2026-01-01")
    manifest = result.manifest
    total = 0
    for split in ("train", "validation", "test"):
        out_split = tmp_path / f"{split}.jsonl"
        assert main(["baseline", "predict", "--gold", str(result.path), "--split", split,
                     "--out", str(out_split)]) == 0
        lines = out_split.read_text().splitlines()
        assert len(lines) == manifest["configs"]["documents"][split]["rows"]
        total += len(lines)
    assert total == len(docs)


def test_bad_input_is_refused_with_a_clear_message(tmp_path):
    out = tmp_path / "p.jsonl"
    done = run_cli("baseline", "predict", "--gold", str(FIXTURES), "--split", "test", "--out", str(out))
    assert done.returncode == 2
    assert done.stderr == (f"invalid input: {FIXTURES}: --split test: splits exist only in a release "
                           "folder (one with MANIFEST.json); allowed: no --split for a folder or file\n")
    missing = tmp_path / "nothing"
    done = run_cli("baseline", "predict", "--gold", str(missing), "--out", str(out))
    assert done.returncode == 2
    assert done.stderr == (f"invalid input: {missing}: no such file or folder; allowed: a release "
                           "folder, a folder of canonical documents or a JSON Lines file\n")
    assert not out.exists()


def _raw():
    return (lexmod._yaml("gazetteer.yaml"), lexmod._yaml("mentions.yaml"),
            lexmod._yaml("cues.yaml"), lexmod._read("triggers.tsv"))


def test_shipped_lexicons_cover_every_event_type():
    spec = load_spec()
    lex = build_lexicon(spec, *_raw())
    assert set(lex.triggers.values()) == set(spec.label("event_type").names)
    assert set(lex.stance) == set(spec.label("stance").names)


@pytest.mark.parametrize("edit, message", [
    (lambda g, m, c, t: (g, m, c, t + "parley\tPARLEY\n"),
     "lexicons/triggers.tsv: line {line}: found 'PARLEY'; allowed: AGREE, CONSULT, SUPPORT, CONCEDE, "
     "COOPERATE, AID, RETREAT, REQUEST, ACCUSE, REJECT, THREATEN, PROTEST, SANCTION, MOBILIZE, "
     "COERCE, ASSAULT (labels of schemas/communique.yaml)"),
    (lambda g, m, c, t: (g, m, c, t + "talks\tCONSULT\n"),
     "lexicons/triggers.tsv:{line}: found 'talks' again (first as CONSULT); allowed: each trigger once"),
    (lambda g, m, c, t: (g, m, {**c, "stance": {**c["stance"], "ambivalent": ["shrugged"]}}, t),
     "lexicons/cues.yaml: stance: found 'ambivalent'; allowed: support, oppose, neutral (labels of "
     "schemas/communique.yaml)"),
    (lambda g, m, c, t: (g, {**m, "titels": ["envoy"]}, c, t),
     "lexicons/mentions.yaml: found key 'titels'; allowed: titles, title_modifiers, group_nouns, "
     "group_modifiers, organization_heads, organization_descriptions, state_descriptions, "
     "state_description_modifiers, bare_organizations, bare_organization_modifiers, "
     "pronouns, bare_groups, bare_group_next, coordination_next, not_names, time, abbreviations, "
     "place_heads, place_nouns, location_nouns, place_prepositions, name_connectors, function_words, "
     "quoted_pronouns, joint_groups"),
    (lambda g, m, c, t: (g, {**m, "pronouns": {"he": {"type": "HUMAN"}}}, c, t),
     "lexicons/mentions.yaml: pronouns.he.type: found 'HUMAN'; allowed: PERSON, ORGANIZATION, "
     "STATE, GROUP (labels of schemas/communique.yaml)"),
])
def test_lexicon_labels_are_checked_against_the_schema(edit, message):
    raw = _raw()
    line = len(raw[3].splitlines()) + 1  # the line an appended trigger row lands on
    with pytest.raises(LexiconError) as e:
        build_lexicon(load_spec(), *edit(*raw))
    assert str(e.value) == message.replace("{line}", str(line))


def test_trigger_table_must_cover_the_schema():
    with pytest.raises(LexiconError) as e:
        parse_triggers("trigger\tevent_type\nmet\tCONSULT\n", ("CONSULT", "AGREE"))
    assert str(e.value) == ("lexicons/triggers.tsv: found no trigger for AGREE; allowed: every "
                            "event_type of the schema has at least one trigger")


def test_lexicon_files_are_yaml_and_tsv_shipped_as_package_data():
    folder = ROOT / "baseline" / "lexicons"
    for name in lexmod.LEXICON_FILES:
        assert (folder / name).is_file(), name
        if name.endswith(".yaml"):
            assert isinstance(yaml.safe_load((folder / name).read_text(encoding="utf-8")), dict)
    assert (folder / "README.md").is_file()


def test_predictions_convert_to_label_studio_pre_annotations_and_back(tmp_path):
    """`communique ls push --predictions` turns each line into Label Studio results: the
    converter (no server needed) must read them back with every item and no problem."""
    from communique.annotation.convert import annotation_to_document, results_for
    from communique.annotation.push import prediction_document

    out = tmp_path / "preds.jsonl"
    assert main(["baseline", "predict", "--gold", str(FIXTURES), "--out", str(out)]) == 0
    gold = {d.id: d for d in check_paths([FIXTURES]).documents}
    preds, _ = check_predictions(out, gold)
    for pred in preds:
        doc = prediction_document(pred, gold[pred.id])
        back, problems = annotation_to_document(1, gold[pred.id].without_layers(), 1,
                                                results_for(doc))
        assert problems == []
        for layer in LAYERS:
            assert len(getattr(back, layer)) == len(getattr(doc, layer)), (pred.id, layer)


WORDS = ["Russia", "the United States", "Moscow", "said", "told", "according to", "cited",
         "as saying", "Foreign Minister", "Anna Vela", "Vela", "he", "it", "they", "its", "We",
         "talks", "met", "sanctions", "will", "not", "in", "March", "on", "Thursday", "welcomed",
         "the", "plan", ",", ".", "\u201c", "\u201d", '"', "\n", "U.S.", "officials", "and",
         "Kenyan", "both sides", "the ministry", "GENEVA (Nordwave) -", "'s", "É", "\U0001F600"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=60))
def test_any_text_gives_a_valid_prediction(words):
    """Whatever the text, every span is inside it and every reference resolves."""
    from communique.baseline.predict import predict_text
    from communique.schemas.model import Document
    from communique.schemas.validate import validate_prediction

    text = " ".join(words).strip() or "x"
    doc = Document.new(id="cmq-000000000000", text=text, date="2025-01-01", source="s",
                       license="l", provenance="synthetic")
    line = predict_text(doc.id, doc.text, date=doc.date).to_dict()
    assert validate_prediction(line, {doc.id: doc}, "<hypothesis>") == []


def test_regression_every_corpus_document_gives_a_valid_prediction():
    """An apposition head that was a date (not an actor) once crashed a whole run: predict for
    every document of the corpus and validate every line."""
    from communique.baseline.predict import predict_documents
    from communique.schemas.validate import validate_prediction

    docs = check_paths([ROOT / "corpus" / "documents"]).documents
    gold = {d.id: d for d in docs}
    rows = predict_documents(docs)
    assert [p for k, row in enumerate(rows) for p in validate_prediction(row, gold, str(k))] == []
