"""The `communique validate|show|summary` commands, run as a user runs them (a subprocess)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini.json"


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "communique", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_validate_corpus_is_valid():
    done = run("validate", "corpus/documents")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("valid: ")


def test_validate_broken_folder_reports_every_problem_and_exits_2(tmp_path):
    good = json.loads(MINI.read_text(encoding="utf-8"))
    bad = json.loads(MINI.read_text(encoding="utf-8"))
    bad["mentions"][0]["end"] = 999
    bad["positions"][0]["stance"] = "against"
    (tmp_path / "a.json").write_text(json.dumps(good), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(bad), encoding="utf-8")
    (tmp_path / "c.json").write_text("{not json", encoding="utf-8")
    done = run("validate", str(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines == [
        f"{tmp_path}/b.json: mini-0001: $.positions[0].stance: found \"against\"; allowed: one of support, oppose, neutral",
        f"{tmp_path}/b.json: mini-0001: $.mentions[0]: found end 999; allowed: end <= 158 (the text has 158 code points)",
        f"{tmp_path}/b.json: mini-0001: $.id: found \"mini-0001\", already used by {tmp_path}/a.json; allowed: document ids unique across the corpus",
        f"{tmp_path}/c.json: ?: $: invalid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
        "invalid: 4 problem(s) in 2 document(s); 1 document(s) valid",
    ]
    assert done.stdout == ""


def test_validate_jsonl_reports_line_numbers(tmp_path):
    doc = json.loads(MINI.read_text(encoding="utf-8"))
    other = dict(doc, id="mini-0002", date="2025-13-01")
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps(doc) + "\n\n" + json.dumps(other) + "\n", encoding="utf-8")
    done = run("validate", str(path))
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"{path}:3: mini-0002: $.date: found \"2025-13-01\"; allowed: a real calendar date YYYY-MM-DD")


def test_validate_predictions(tmp_path):
    preds = tmp_path / "preds.jsonl"
    preds.write_text(
        json.dumps({"id": "mini-0001", "mentions": [{"id": "x", "start": 0, "end": 6, "type": "STATE"}]}) + "\n"
        + json.dumps({"id": "nope", "mentions": []}) + "\n"
        + json.dumps({"id": "mini-0001", "events": [{"id": "e", "type": "AGREE", "modality": "asserted",
                                                    "trigger": {"start": 0, "end": 3, "text": "Nor"},
                                                    "arguments": [{"role": "actor", "mention_id": "q"}]}]}) + "\n",
        encoding="utf-8")
    done = run("validate", "--predictions", str(preds), "--gold", str(MINI))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"{preds}:2: nope: $.id: found \"nope\", which is no document of the gold set; allowed: the id of a gold document",
        f"{preds}:3: mini-0001: $.events[0].arguments[0].mention_id: found \"q\", but this line predicts no mentions; allowed: an id of mentions predicted on the same line",
        f"{preds}:3: mini-0001: $.id: found \"mini-0001\" again (first at {preds}:1); allowed: one line per document",
        f"invalid: 3 problem(s) in {preds}",
    ]
    ok = tmp_path / "ok.jsonl"
    ok.write_text(json.dumps({"id": "mini-0001", "mentions": []}) + "\n", encoding="utf-8")
    done = run("validate", "--predictions", str(ok), "--gold", str(MINI))
    assert done.returncode == 0, done.stderr
    assert "valid: 1 prediction line(s)" in done.stdout


def test_show_marks_every_layer():
    done = run("show", str(MINI), "--color", "never")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "[Foreign Minister Ada Lund]{m6 PERSON}" in out
    assert "- e1 AGREE (asserted) trigger «signed»" in out
    assert "    content: «and we will meet again»" in out
    assert "- p1 m6 «Foreign Minister Ada Lund» OPPOSE «any delay»" in out


def test_show_by_id_and_unknown_id():
    seed = run("show", "cmq-22aa667baa49", "--color", "never")
    assert seed.returncode == 0, seed.stderr
    assert seed.stdout.startswith("# cmq-22aa667baa49: (no title)")
    missing = run("show", "cmq-000000000000")
    assert missing.returncode == 1
    assert "no document 'cmq-000000000000'" in missing.stderr


def test_summary_json():
    done = run("summary", str(MINI), "--format", "json")
    assert done.returncode == 0, done.stderr
    s = json.loads(done.stdout)
    assert s["documents"] == 1
    assert s["layers"]["mentions"] == {"total": 8, "labels": {"GROUP": 3, "LOCATION": 1, "PERSON": 1, "STATE": 2, "TIME": 1}}
    assert s["layers"]["positions"]["labels"] == {"oppose": 1}


def test_validate_corpus_root_checks_documents_and_release_manifests(tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus" / "documents", root / "documents")
    (root / "splits.json").write_text('{"assignments": {}}', encoding="utf-8")
    release = root / "releases" / "v9.9.9"
    shutil.copytree(ROOT / "corpus" / "releases" / "v0.1.0", release)
    done = run("validate", str(root))
    assert done.returncode == 0, done.stderr
    assert f"release {release}: every file matches its MANIFEST.json" in done.stdout
    card = release / "README.md"
    card.write_text(card.read_text(encoding="utf-8") + "tampered\n", encoding="utf-8")
    done = run("validate", str(root))
    assert done.returncode == 2
    assert f"{release}: -: MANIFEST.json: " in done.stderr
    assert "README.md" in done.stderr


def test_regression_jsonl_with_line_separator_inside_a_string(tmp_path):
    """JSON Lines were split with str.splitlines(), which also breaks at U+2028."""
    from communique.schemas.io import write_jsonl

    doc = json.loads(MINI.read_text(encoding="utf-8"))
    path = tmp_path / "docs.jsonl"
    doc["title"] = "Norway\u2028and Chile\x85sign"
    write_jsonl(path, [doc])
    done = run("validate", str(path))
    assert done.returncode == 0, done.stderr


def test_validate_predictions_against_a_release_folder(tmp_path):
    from communique.corpus.release import latest_release

    release = latest_release(ROOT / "corpus" / "releases")
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"id": "cmq-22aa667baa49", "mentions": []}) + "\n"
                     + json.dumps({"id": "cmq-22aa667baa49x", "mentions": []}) + "\n",
                     encoding="utf-8")
    done = run("validate", "--predictions", str(preds), "--gold", str(release))
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"{preds}:2: cmq-22aa667baa49x: $.id: found \"cmq-22aa667baa49x\", which is no document "
        "of the gold set; allowed: the id of a gold document")
    preds.write_text(json.dumps({"id": "cmq-22aa667baa49", "mentions": []}) + "\n",
                     encoding="utf-8")
    done = run("validate", "--predictions", str(preds), "--gold", str(release))
    assert done.returncode == 0, done.stderr
    from communique.corpus.release import read_manifest

    n = sum(v["rows"] for v in read_manifest(release)["configs"]["documents"].values())
    assert done.stdout == f"valid: 1 prediction line(s) in {preds} against {n} gold document(s)\n"
