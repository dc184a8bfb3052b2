"""The baseline results table: rendering, markers, and staleness of README.md and BASELINES.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from communique.baseline.results import (BEGIN, END, SPLITS, current_block, generate,
                                         latest_release_folder, render, replace_block)

ROOT = Path(__file__).resolve().parent.parent


def _prf(f1, lo, hi):
    return {"precision": 0.0, "recall": 0.0, "f1": f1, "f1_ci": [lo, hi]}


def _result(split, k):
    return {"signature": f"sig-{split}", "documents": 3 + k, "layers": {
        "mentions": {"strict": _prf(0.5 + k / 10, 0.4, 0.6)},
        "actors": {"conll_f1": 0.25, "conll_f1_ci": [0.125, 0.375]},
        "events": {"tri_c": _prf(0.1234, 0.1, 0.2), "arg_c": _prf(0.0, 0.0, 0.0)},
        "attributions": {"relation": {"exact": _prf(0.9, 0.9, 0.9), "overlap": _prf(1.0, 1.0, 1.0)}},
        "positions": {"relation": _prf(0.3333, 0.0, 0.6667)},
    }}


def test_render_hand_computed_table():
    results = {s: _result(s, k) for k, s in enumerate(SPLITS)}
    assert render(Path("corpus/releases/v1.0.0"), results).splitlines() == [
        "Rule-based baseline (`communique baseline predict`) on release `v1.0.0`; F1 in %, with "
        "95% bootstrap intervals over documents (1000 resamples, seed 12345).",
        "",
        "| layer | metric | validation | test |",
        "|---|---|---|---|",
        "| mentions | strict F1 | 50.0 [40.0, 60.0] | 60.0 [40.0, 60.0] |",
        "| actors | CoNLL F1 (MUC, B³, CEAF-e) | 25.0 [12.5, 37.5] | 25.0 [12.5, 37.5] |",
        "| events | trigger classification F1 (Tri-C) | 12.3 [10.0, 20.0] | 12.3 [10.0, 20.0] |",
        "| events | argument classification F1 (Arg-C) | 0.0 [0.0, 0.0] | 0.0 [0.0, 0.0] |",
        "| attributions | whole relation F1, token overlap | 100.0 [100.0, 100.0] | 100.0 [100.0, 100.0] |",
        "| positions | (holder, target, stance) F1 | 33.3 [0.0, 66.7] | 33.3 [0.0, 66.7] |",
        "",
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
