"""The baseline results table: rendering, markers, and staleness of README.md and BASELINES.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from communique.baseline.predict import model_version
from communique.baseline.results import (BEGIN, END, RESULTS_FILE, SPLITS, check_record,
                                         current_block, dumps_record, generate,
                                         latest_release_folder, render, replace_block,
                                         score_release)
from communique.corpus.release import read_manifest

ROOT = Path(__file__).resolve().parent.parent


def _prf(f1, lo, hi):
    return {"precision": 0.0, "recall": 0.0, "f1": f1, "f1_ci": [lo, hi]}


def _result(split, k):
    return {"signature": f"sig-{split}", "documents": 3 + k, "layers": {
        "mentions": {"strict": _prf(0.5 + k / 10, 0.4, 0.6)},
        "actors": {"conll_f1": 0.25, "conll_f1_ci": [0.125, 0.375]},
        "events": {"tri_c": _prf(0.1234, 0.1, 0.2), "arg_c": _prf(0.0, 0.0, 0.0),
                   "modality_accuracy": 0.75, "modality_accuracy_ci": [0.5, 1.0]},
        "attributions": {"relation": {"exact": _prf(0.9, 0.9, 0.9), "overlap": _prf(1.0, 1.0, 1.0)}},
        "positions": {"relation": _prf(0.3333, 0.0, 0.6667)},
    }}


def test_render_hand_computed_table():
    record = {"system": "communique-rules-9.9.9+0123abcd", "bootstrap": 1000, "seed": 12345,
              "splits": {s: _result(s, k) for k, s in enumerate(SPLITS)}}
    assert render("v1.0.0", record).splitlines() == [
        "Rule-based baseline (`communique baseline predict`) on release `v1.0.0`; F1 (or the "
        "accuracy named) in %, with 95% bootstrap intervals over documents (1000 resamples, "
        "seed 12345).",
        "",
        "| layer | metric | validation | test |",
        "|---|---|---|---|",
        "| mentions | strict F1 | 50.0 [40.0, 60.0] | 60.0 [40.0, 60.0] |",
        "| actors | CoNLL F1 (MUC, B³, CEAF-e) | 25.0 [12.5, 37.5] | 25.0 [12.5, 37.5] |",
        "| events | trigger classification F1 (Tri-C) | 12.3 [10.0, 20.0] | 12.3 [10.0, 20.0] |",
        "| events | argument classification F1 (Arg-C) | 0.0 [0.0, 0.0] | 0.0 [0.0, 0.0] |",
        "| events | modality accuracy on the Tri-C pairs | 75.0 [50.0, 100.0] | 75.0 [50.0, 100.0] |",
        "| attributions | whole relation F1, token overlap | 100.0 [100.0, 100.0] | 100.0 [100.0, 100.0] |",
        "| positions | (holder, target, stance) F1 | 33.3 [0.0, 66.7] | 33.3 [0.0, 66.7] |",
        "",
        "- system: `communique-rules-9.9.9+0123abcd`",
        "- validation (3 documents): `sig-validation`",
        "- test (4 documents): `sig-test`",
    ]


def test_replace_block_and_missing_markers():
    text = f"intro\n{BEGIN}\nold\n{END}\nrest\n"
    new = replace_block(text, "new table", "X.md")
    assert new == f"intro\n{BEGIN}\nnew table\n{END}\nrest\n"
    assert current_block(new) == "new table"
    with pytest.raises(ValueError) as e:
        replace_block("no markers here", "t", "X.md")
    assert str(e.value) == (f"X.md: found no baseline results markers; allowed: a file with "
                            f"{BEGIN!r} … {END!r}")


def test_published_tables_are_current():
    """Fails when a release or the baseline changed and scripts/baseline_results.py was not run."""
    block = generate(latest_release_folder(ROOT / "corpus" / "releases"))
    for name in ("README.md", "eval/BASELINES.md"):
        assert current_block((ROOT / name).read_text(encoding="utf-8")) == block, \
            f"{name} is stale: run scripts/baseline_results.py"


def test_latest_release_carries_baseline_results():
    """Project releases are built with `release build --baseline`."""
    release = latest_release_folder(ROOT / "corpus" / "releases")
    assert (release / RESULTS_FILE).exists(), \
        f"{release.name} has no {RESULTS_FILE}: build releases with `release build --baseline`"
    assert read_manifest(release)["baseline"] == \
        json.loads((release / RESULTS_FILE).read_text(encoding="utf-8"))["system"]


RELEASES_WITH_RESULTS = sorted(p.parent.name for p in
                               (ROOT / "corpus" / "releases").glob(f"v*/{RESULTS_FILE}"))


@pytest.mark.parametrize("name", RELEASES_WITH_RESULTS)
def test_release_card_baseline_results_are_current(name):
    """A card's table is what its baseline.json says, and baseline.json is what the baseline
    named in it scores on that release. Only the current baseline can be rerun: a record made
    by an earlier version (another model version or tool version) is a historical fact and is
    checked for consistency only."""
    import communique

    release = ROOT / "corpus" / "releases" / name
    record = json.loads((release / RESULTS_FILE).read_text(encoding="utf-8"))
    assert check_record(record, release, f"{name}/{RESULTS_FILE}") == []
    card = (release / "README.md").read_text(encoding="utf-8")
    assert "\n" + render(name, record) + "\n" in card, f"{name}/README.md: table differs"
    tool = {f.split(":", 1)[1] for split in record["splits"].values()
            for f in split["signature"].split("|") if f.startswith("version:")}
    if record["system"] == model_version() and tool == {communique.__version__}:
        assert dumps_record(score_release(release)) == \
            (release / RESULTS_FILE).read_text(encoding="utf-8"), (
            f"{name}/{RESULTS_FILE} is stale: {record['system']} now scores differently on it. "
            "A published card cannot change: give the baseline or the scorer a new version "
            "(the package version), and publish its scores in a new release")


def test_check_record_names_what_does_not_belong_to_the_release(tmp_path):
    import copy

    release = latest_release_folder(ROOT / "corpus" / "releases")
    version = release.name[1:]
    record = json.loads((release / RESULTS_FILE).read_text(encoding="utf-8"))
    assert check_record(record, release, "b.json") == []
    sig = record["splits"]["test"]["signature"]
    real = re.search(r"hash:(\w+)", sig).group(1)
    cases = []  # (change, expected problems)

    def hash_changed(r):
        r["splits"]["test"]["signature"] = re.sub(r"hash:\w+", "hash:000000000000", sig)
    cases.append((hash_changed, [
        f"b.json: $.splits.test.signature: found hash:000000000000; allowed: hash:{real} "
        f"(release {version} as built, this record)"]))

    def settings_changed(r):
        r["bootstrap"], r["seed"] = 5, 1
    cases.append((settings_changed, [
        f"b.json: $.splits.{s}.signature: found {k}:{v}; allowed: {k}:{w} (release {version} "
        "as built, this record)"
        for s in SPLITS for k, v, w in (("nboot", 1000, 5), ("seed", 12345, 1))]))

    def split_dropped(r):
        del r["splits"]["test"]
    cases.append((split_dropped, [
        "b.json: $.splits: found ['validation']; allowed: ['test', 'validation'] (the scored "
        f"splits with documents in release {version})"]))

    def layers_dropped(r):
        del r["splits"]["validation"]["layers"]["events"]
        r["splits"]["test"] = []
        r["system"] = "something"
    cases.append((layers_dropped, [
        "b.json: $.system: found 'something'; allowed: communique-rules-<package version>+<8 "
        "hex digits>"]))

    def layer_dropped(r):
        del r["splits"]["validation"]["layers"]["events"]
        r["splits"]["test"]["documents"] = 3
    cases.append((layer_dropped, [
        "b.json: $.splits.validation.layers.events: found no trigger classification F1 (Tri-C); "
        "allowed: the `communique eval score --format json` output of that split",
        "b.json: $.splits.validation.layers.events: found no argument classification F1 "
        "(Arg-C); allowed: the `communique eval score --format json` output of that split",
        "b.json: $.splits.validation.layers.events: found no modality accuracy on the Tri-C "
        "pairs; allowed: the `communique eval score --format json` output of that split",
        f"b.json: $.splits.test.documents: found 3; allowed: 18 (release {version} as built)"]))
    def value_not_a_number(r):
        r["splits"]["test"]["layers"]["events"]["modality_accuracy"] = "0.8"
    cases.append((value_not_a_number, [
        "b.json: $.splits.test.layers.events: found no modality accuracy on the Tri-C pairs; "
        "allowed: the `communique eval score --format json` output of that split"]))

    for change, expected in cases:
        tampered = copy.deepcopy(record)
        change(tampered)
        assert check_record(tampered, release, "b.json") == expected, change.__name__
    assert check_record([], release, "b.json") == [
        "b.json: found list; allowed: an object with ['bootstrap', 'seed', 'splits', 'system'] "
        "as written by `communique release build --baseline` (baseline.json)"]


def test_baseline_needs_texts_and_a_scored_split(tmp_path):
    from communique.corpus.release import ReleaseError, build_release

    fixture = [ROOT / "tests" / "fixtures" / "baseline"]
    with pytest.raises(ReleaseError) as e:
        build_release(fixture, tmp_path / "w", "0.0.1", withhold=["synthetic", "news"],
                      baseline=score_release)
    assert e.value.exit_code == 2
    assert re.fullmatch(r"--baseline: release 0\.0\.1 withholds the texts of \d+ document\(s\); "
                        r"allowed: baseline scores on a release with its texts \(build without "
                        r"--withhold-text, or rehydrate it first\); nothing was written",
                        e.value.summary), e.value.summary
    assert not (tmp_path / "w").exists()
    # a corpus whose documents all land in train has nothing to score
    from communique.corpus.release_splits import SplitRegistry
    from communique.schemas.io import document_files

    ids = [Path(f).stem for f in document_files(fixture)]
    SplitRegistry({d: "train" for d in ids}).save(tmp_path / "splits.json")
    with pytest.raises(ReleaseError) as e:
        build_release(fixture, tmp_path / "t", "0.0.1", splits_path=tmp_path / "splits.json",
                      baseline=score_release)
    assert e.value.summary == ("--baseline: release 0.0.1 has no validation or test documents; "
                               "allowed: baseline scores on a release with documents in at "
                               "least one of them; nothing was written")


def test_build_freezes_baseline_scores_and_a_rebuild_reuses_them(tmp_path):
    from communique.corpus.release import ReleaseError, build_release, differing_files

    fixture = [ROOT / "tests" / "fixtures" / "baseline"]
    built = build_release(fixture, tmp_path / "a", "0.0.1", today="2026-01-01",
                          baseline=score_release)
    record = json.loads((built.path / RESULTS_FILE).read_text(encoding="utf-8"))
    assert record["system"] == model_version() == built.manifest["baseline"]
    assert sorted(record["splits"]) == sorted(
        s for s in SPLITS if built.manifest["configs"]["documents"][s]["rows"])
    card = (built.path / "README.md").read_text(encoding="utf-8")
    assert "## Baseline results\n" in card and render("v0.0.1", record) in card
    assert built.manifest["files"][RESULTS_FILE]["sha256"]
    again = build_release(fixture, tmp_path / "b", "0.0.1", today="2026-01-01",
                          baseline=built.path / RESULTS_FILE)
    assert differing_files(built.path, again.path) == []
    # another version's scores are refused, and nothing is written
    with pytest.raises(ReleaseError) as e:
        build_release(fixture, tmp_path / "c", "0.0.2", baseline=built.path / RESULTS_FILE)
    assert e.value.exit_code == 2
    assert any("found release:0.0.1; allowed: release:0.0.2" in str(p) for p in e.value.problems)
    assert not (tmp_path / "c").exists()
    # without a baseline, the card has no results section
    plain = build_release(fixture, tmp_path / "d", "0.0.1", today="2026-01-01")
    assert "## Baseline results" not in (plain.path / "README.md").read_text(encoding="utf-8")
    assert "baseline" not in plain.manifest and not (plain.path / RESULTS_FILE).exists()


def test_evaluate_prints_the_score_table(tmp_path):
    import subprocess
    import sys

    from communique.corpus.release import build_release

    result = build_release([ROOT / "tests" / "fixtures" / "baseline"], tmp_path / "releases",
                           "0.0.1", today="2026-01-01")
    split = next(s for s in ("train", "validation", "test")
                 if result.manifest["configs"]["documents"][s]["rows"])
    done = subprocess.run([sys.executable, "-m", "communique", "baseline", "evaluate", "--release",
                           str(result.path), "--split", split], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = result.manifest["configs"]["documents"][split]["rows"]
    assert re.fullmatch(rf"baseline communique-rules-\S+ on v0\.0\.1 {split} \({rows} documents\): "
                        r"\d+ mentions, \d+ actors, \d+ events, \d+ attributions, \d+ positions",
                        lines[0]), lines[0]
    assert lines[1].split() == ["layer", "metric", "P", "R", "F1"]
    assert any(line.startswith("signature: ") and f"split:{split}" in line for line in lines)
    # without a release in ./corpus/releases there is nothing to evaluate
    done = subprocess.run([sys.executable, "-m", "communique", "baseline", "evaluate"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == ("no release in corpus/releases: build one with "
                           "`communique release build`\n")
