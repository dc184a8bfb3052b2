"""`communique eval score|compare|signature` end to end: inputs (folder, JSON Lines, release
folder; JSON Lines and Parquet predictions), validation with every problem and exit code 2,
the JSON shape, intervals, signatures and the paired tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from communique.cli import main
from communique.eval.signature import Signature
from communique.eval.synthetic import corpus
from communique.schemas.io import write_document, write_jsonl
from communique.schemas.model import LAYERS, Document


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    pairs = list(corpus(12, seed=21))
    gold = root / "gold"
    for g, _ in pairs:
        write_document(Document.from_dict(g), gold)
    write_jsonl(root / "gold.jsonl", [g for g, _ in pairs])
    write_jsonl(root / "pred.jsonl", [p for _, p in pairs])
    write_jsonl(root / "ident.jsonl", [{"id": g["id"], **{k: g[k] for k in LAYERS}}
                                       for g, _ in pairs])
    return root, pairs


def run(capsys, *argv):
    code = main(["eval", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_has_the_documented_shape(data, capsys):
    root, _ = data
    code, out, err = run(capsys, "score", "--gold", root / "gold", "--pred", root / "pred.jsonl",
                         "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == {"signature", "documents", "layers"}
    layers = result["layers"]
    assert list(layers) == list(LAYERS)
    for scheme in ("strict", "exact", "partial", "type"):
        block = layers["mentions"][scheme]
        assert {"precision", "recall", "f1", "cor", "inc", "par", "mis", "spu", "pos", "act",
                "per_type"} <= set(block)
        assert block["pos"] == block["cor"] + block["inc"] + block["par"] + block["mis"]
    assert {"muc", "b3", "ceafe", "conll_f1"} <= set(layers["actors"])
    assert {"tri_i", "tri_c", "arg_i", "arg_c", "arg_i_coref", "arg_c_coref"} <= set(layers["events"])
    for part in ("cue", "source", "content", "relation"):
        assert set(layers["attributions"][part]) == {"exact", "overlap"}
        assert {"precision", "recall", "f1"} <= set(layers["attributions"][part]["overlap"])
    assert {"holder", "target", "relation", "stance_accuracy", "stance_macro_f1"} <= \
        set(layers["positions"])
    sig = Signature.parse(result["signature"]).as_dict()
    assert sig["corpus"] == "gold" and sig["release"] == "none" and sig["split"] == "all"
    assert sig["layers"] == "+".join(LAYERS) and sig["docs"] == "12" and sig["nboot"] == "0"


def test_same_scores_from_a_folder_and_a_jsonl_file_and_a_parquet_prediction(data, capsys, tmp_path):
    root, pairs = data
    rows = copy.deepcopy([p for _, p in pairs])
    for row in rows:  # span texts are optional: leave some out (null in Parquet)
        for m in row["mentions"][::2]:
            del m["text"]
    rows[0]["positions"] = None  # a null layer is an absent layer
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "pred.parquet")
    outs, hashes = [], set()
    for gold, pred in ((root / "gold", root / "pred.jsonl"), (root / "gold.jsonl", root / "pred.jsonl"),
                       (root / "gold", tmp_path / "pred.parquet")):
        code, out, err = run(capsys, "score", "--gold", gold, "--pred", pred, "--format", "json")
        assert code == 0, err
        result = json.loads(out)
        outs.append(result["layers"])
        hashes.add(Signature.parse(result["signature"]).as_dict()["hash"])
    assert len(hashes) == 1
    assert outs[2]["positions"]["documents"] == 11
    for out in outs:
        out.pop("positions")
    assert outs[0] == outs[1] == outs[2]


def test_identity_through_the_cli_and_bootstrap_intervals(data, capsys):
    root, _ = data
    code, out, err = run(capsys, "score", "--gold", root / "gold", "--pred", root / "ident.jsonl",
                         "--format", "json", "--bootstrap", "200", "--seed", "3")
    assert code == 0, err
    result = json.loads(out)
    strict = result["layers"]["mentions"]["strict"]
    assert strict["f1"] == 1.0 and strict["f1_ci"] == [1.0, 1.0]
    assert result["layers"]["actors"]["conll_f1_ci"] == [1.0, 1.0]
    sig = Signature.parse(result["signature"]).as_dict()
    assert (sig["nboot"], sig["seed"]) == ("200", "3")


def test_intervals_bracket_the_score_and_are_reproducible(data, capsys):
    root, _ = data
    argv = ("score", "--gold", root / "gold", "--pred", root / "pred.jsonl", "--format", "json",
            "--bootstrap", "300", "--seed", "7")
    first = json.loads(run(capsys, *argv)[1])
    second = json.loads(run(capsys, *argv)[1])
    assert first == second
    block = first["layers"]["events"]["arg_c"]
    lo, hi = block["f1_ci"]
    assert lo < block["f1"] < hi


def test_invalid_predictions_report_every_problem_and_score_nothing(data, capsys, tmp_path):
    root, pairs = data
    bad = [copy.deepcopy(p) for _, p in pairs]
    bad[0]["mentions"][0]["end"] = 10 ** 6
    bad[1]["mentions"][0]["type"] = "ROBOT"
    bad[2]["events"][0]["arguments"].append({"role": "actor", "mention_id": "nope"})
    bad[3]["mentions"][0]["text"] = "not the text"
    bad.append({"id": "cmq-000000000000", "mentions": []})
    write_jsonl(tmp_path / "bad.jsonl", bad)
    code, out, err = run(capsys, "score", "--gold", root / "gold", "--pred", tmp_path / "bad.jsonl")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    path = tmp_path / "bad.jsonl"
    assert lines[-1] == "invalid input: 5 problem(s); nothing was scored"
    assert any(line.startswith(f"{path}:1: {bad[0]['id']}: $.mentions[0]: found end 1000000; "
                               "allowed: end <= ") for line in lines)
    assert any(line.startswith(f"{path}:2: {bad[1]['id']}: $.mentions[0].type: found \"ROBOT\"; "
                               "allowed: one of PERSON") for line in lines)
    assert any(f"{path}:3: {bad[2]['id']}: $.events[0].arguments[" in line and "\"nope\"" in line
               for line in lines)
    assert any(line.startswith(f"{path}:4: {bad[3]['id']}: $.mentions[0].text: found "
                               "\"not the text\"") for line in lines)
    assert any(line.startswith(f"{path}:13: cmq-000000000000: $.id: found \"cmq-000000000000\", "
                               "which is no document of the gold set") for line in lines)


def test_missing_documents_are_an_error_unless_scored_as_empty(data, capsys, tmp_path):
    root, pairs = data
    write_jsonl(tmp_path / "part.jsonl", [p for _, p in pairs[1:]])
    code, out, err = run(capsys, "score", "--gold", root / "gold", "--pred", tmp_path / "part.jsonl")
    assert code == 2 and out == ""
    assert err.splitlines()[0] == (
        f"{tmp_path / 'part.jsonl'}: {pairs[0][0]['id']}: $: no prediction line for this gold "
        "document; allowed: one line per gold document, or --missing empty to score it as "
        "predicting nothing")
    code, out, err = run(capsys, "score", "--gold", root / "gold", "--pred",
                         tmp_path / "part.jsonl", "--missing", "empty", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["layers"]["mentions"]["documents"] == 12
    assert Signature.parse(result["signature"]).as_dict()["missing"] == "empty"


def test_absent_layers_are_not_scored_and_requesting_one_is_an_error(data, capsys, tmp_path):
    root, pairs = data
    write_jsonl(tmp_path / "m.jsonl", [{"id": p["id"], "mentions": p["mentions"]} for _, p in pairs])
    code, out, err = run(capsys, "score", "--gold", root / "gold", "--pred", tmp_path / "m.jsonl",
                         "--format", "json")
    assert code == 0, err
    assert list(json.loads(out)["layers"]) == ["mentions"]
    code, out, err = run(capsys, "score", "--gold", root / "gold", "--pred", tmp_path / "m.jsonl",
                         "--layers", "mentions,events")
    assert code == 2 and out == ""
    assert err.splitlines()[0] == ("--layers: events requested but no prediction line gives it; "
                                   "predicted: mentions")


def test_release_folder_with_split(data, capsys, tmp_path):
    from communique.corpus.release import write_release

    root, pairs = data
    docs = sorted((g for g, _ in pairs), key=lambda d: d["id"])
    write_release(tmp_path / "v1.2.3", "1.2.3", [("test", copy.deepcopy(d)) for d in docs])
    code, out, err = run(capsys, "score", "--gold", tmp_path / "v1.2.3", "--split", "test",
                         "--pred", root / "pred.jsonl", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    sig = Signature.parse(result["signature"]).as_dict()
    assert (sig["release"], sig["split"], sig["docs"]) == ("1.2.3", "test", "12")
    folder = json.loads(run(capsys, "score", "--gold", root / "gold", "--pred", root / "pred.jsonl",
                            "--format", "json")[1])
    assert folder["layers"] == result["layers"]
    assert Signature.parse(folder["signature"]).as_dict()["hash"] == sig["hash"]
    code, out, err = run(capsys, "score", "--gold", tmp_path / "v1.2.3", "--pred",
                         root / "pred.jsonl")
    assert code == 2
    assert err.splitlines()[0] == (f"{tmp_path / 'v1.2.3'}: a release folder needs --split; "
                                   "allowed: train, validation, test (as the release lists them)")


def test_compare_gives_paired_p_values(data, capsys):
    root, _ = data
    code, out, err = run(capsys, "compare", "--gold", root / "gold", "--pred-a", root / "pred.jsonl",
                         "--pred-b", root / "ident.jsonl", "--samples", "199", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    rows = {r["metric"]: r for r in result["metrics"]}
    strict = rows["mentions/strict"]
    assert strict["b"] == 1.0 and strict["delta"] > 0
    # Every resample favours the gold-identical system: p = (0 + 1) / (199 + 1).
    assert strict["p_bootstrap"] == 0.005 and strict["p_randomization"] == 0.005
    sig = Signature.parse(result["signature"]).as_dict()
    assert (sig["test"], sig["nboot"]) == ("paired-bs+ar", "199")
    code, out, err = run(capsys, "compare", "--gold", root / "gold", "--pred-a", root / "pred.jsonl",
                         "--pred-b", root / "pred.jsonl", "--samples", "99", "--format", "json")
    same = json.loads(out)["metrics"]
    assert all(r["delta"] == 0 and r["p_bootstrap"] == 1.0 and r["p_randomization"] == 1.0
               for r in same)


def test_signature_explain_round_trip_and_errors(capsys):
    sig = ("corpus:communique|release:1.0.0|hash:0123456789ab|split:test|docs:40|layers:mentions"
           "|match:optimal|partial:0.5|overlap:token|missing:error|nboot:1000|test:none|seed:1"
           "|version:0.1.0")
    assert str(Signature.parse(sig)) == sig
    code, out, err = run(capsys, "signature", "--explain", sig)
    assert code == 0
    assert out.splitlines()[0].split() [:2] == ["corpus", "communique"]
    assert len(out.splitlines()) == 14
    code, out, err = run(capsys, "signature", "--explain", "corpus:x|colour:blue")
    assert code == 2
    assert err.startswith("signature: found unknown field 'colour'; allowed: corpus, release, hash")


def test_table_and_markdown_formats(data, capsys):
    root, _ = data
    code, table, err = run(capsys, "score", "--gold", root / "gold", "--pred", root / "ident.jsonl",
                           "--layers", "mentions,positions")
    assert code == 0, err
    lines = table.splitlines()
    assert lines[0].split() == ["layer", "metric", "P", "R", "F1"]
    assert lines[2].split() == ["mentions", "strict", "100.00", "100.00", "100.00"]
    assert lines[-1].startswith("signature: corpus:gold|") and "|layers:mentions+positions|" in lines[-1]
    code, md, err = run(capsys, "score", "--gold", root / "gold", "--pred", root / "ident.jsonl",
                        "--layers", "events", "--format", "markdown")
    assert code == 0, err
    assert md.splitlines()[:3] == ["| layer | metric | P | R | F1 |", "|---|---|---:|---:|---:|",
                                   "| events | tri_i | 100.00 | 100.00 | 100.00 |"]
    assert md.splitlines()[-1].startswith("Signature: `corpus:gold|")


def test_compare_refuses_systems_scored_on_different_documents(data, capsys, tmp_path):
    root, pairs = data
    rows = [dict(p) for _, p in pairs]
    del rows[0]["events"]
    write_jsonl(tmp_path / "holes.jsonl", rows)
    code, out, err = run(capsys, "compare", "--gold", root / "gold", "--pred-a", root / "pred.jsonl",
                         "--pred-b", tmp_path / "holes.jsonl", "--samples", "10")
    assert code == 2 and out == ""
    assert err.splitlines()[0] == (
        "layer(s) events: the two systems predict them for different documents; allowed: the "
        "same documents per layer, so that the comparison is paired")


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_compare_when_one_system_predicts_a_label_no_one_else_has(capsys, tmp_path):
    """A per-label key exists only where its label occurs, so the two systems' columns differ;
    the label a system lacks counts nothing for it (no prediction, no gold)."""
    import shutil

    gold = json.loads((FIXTURES / "mini.json").read_text(encoding="utf-8"))
    assert "ORGANIZATION" not in {m["type"] for m in gold["mentions"]}
    (tmp_path / "gold").mkdir()
    shutil.copy(FIXTURES / "mini.json", tmp_path / "gold" / "mini.json")
    a = {"id": gold["id"], "mentions": gold["mentions"]}
    b = {"id": gold["id"], "mentions": [dict(gold["mentions"][0], type="ORGANIZATION"),
                                        *gold["mentions"][1:]]}
    write_jsonl(tmp_path / "a.jsonl", [a])
    write_jsonl(tmp_path / "b.jsonl", [b])
    code, out, err = run(capsys, "compare", "--gold", tmp_path / "gold", "--pred-a",
                         tmp_path / "a.jsonl", "--pred-b", tmp_path / "b.jsonl", "--samples",
                         "20", "--format", "json")
    assert code == 0, err
    delta = {r["metric"]: r["delta"] for r in json.loads(out)["metrics"]}
    # a: 8 of 8 right; b: 7 of 8 (one mention with the wrong type)
    assert delta["mentions/strict"] == pytest.approx(7 / 8 - 1)
    assert delta["mentions/type"] == pytest.approx(7 / 8 - 1)
    assert delta["mentions/exact"] == 0  # boundaries only: the type does not count


def test_every_unreadable_line_is_named_and_no_document_is_called_missing(data, capsys, tmp_path):
    """Unreadable JSON lines do not stop the reading: each is reported with its line, the
    readable lines are still checked, and no gold document is reported as missing (its line
    may be one of the unreadable ones). A byte order mark is ignored."""
    root, pairs = data
    lines = (root / "pred.jsonl").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][:-1]          # truncated
    lines[5] = "{not json"
    bad_doc = json.loads(lines[7])
    bad_doc["mentions"][0]["type"] = "COUNTRY"
    lines[7] = json.dumps(bad_doc)
    path = tmp_path / "broken.jsonl"
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    for argv in (["eval", "score", "--gold", root / "gold", "--pred", path],
                 ["validate", "--predictions", path, "--gold", root / "gold"]):
        code = main(list(map(str, argv)))
        out, err = capsys.readouterr()
        assert code == 2, argv
        errors = err.splitlines()
        assert [e.split(": ?: $: invalid JSON: ")[0] for e in errors if "invalid JSON" in e] \
            == [f"{path}:3", f"{path}:6"], errors
        assert [e for e in errors if "COUNTRY" in e] == [
            f"{path}:8: {bad_doc['id']}: $.mentions[0].type: found \"COUNTRY\"; allowed: one of "
            "PERSON, ORGANIZATION, STATE, GROUP, LOCATION, TIME"], errors
        assert not any("no prediction line" in e for e in errors)
    # a byte order mark alone is no problem
    bom = tmp_path / "bom.jsonl"
    bom.write_text("\ufeff" + (root / "pred.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run(capsys, "score", "--gold", root / "gold", "--pred", bom)
    assert code == 0, err


@pytest.mark.parametrize("argv", [
    ["score", "--gold", "g", "--pred", "p", "--report-docs", "-1"],
    ["score", "--gold", "g", "--pred", "p", "--bootstrap", "-5"],
    ["compare", "--gold", "g", "--pred-a", "a", "--pred-b", "b", "--samples", "0"],
])
def test_counts_are_checked_before_anything_runs(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(["eval", *argv])
    assert e.value.code == 2
    minimum = 1 if "--samples" in argv else 0
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        f"found {argv[-1]!r}; allowed: an integer >= {minimum}")


def test_a_layer_left_out_of_some_lines_is_named_under_the_table(data, capsys, tmp_path):
    root, pairs = data
    rows = [dict(p) for _, p in pairs]
    for row in rows[:2]:
        del row["events"]
    write_jsonl(tmp_path / "some.jsonl", rows)
    for fmt, note in (("table", "note: events scored on 10 of 12 documents; the other prediction "
                                "lines leave events out (not predicted, not scored)"),
                      ("markdown", "Note: events scored on 10 of 12 documents; the other "
                                   "prediction lines leave events out (not predicted, not "
                                   "scored).")):
        code, out, err = run(capsys, "score", "--gold", root / "gold", "--pred",
                             tmp_path / "some.jsonl", "--format", fmt)
        assert code == 0, err
        assert [line for line in out.splitlines() if "scored on" in line] == [note]
    code, out, err = run(capsys, "score", "--gold", root / "gold", "--pred", root / "pred.jsonl")
    assert "scored on" not in out
