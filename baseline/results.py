"""The baseline's results table: predict on a release's validation and test splits, score with
`communique eval score` (bootstrap 95% intervals), and render one Markdown block with the
signature of every score. `scripts/baseline_results.py` writes it between markers into
README.md and eval/BASELINES.md; a test fails when the block there is stale.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

BEGIN = "<!-- BEGIN GENERATED: baseline results (scripts/baseline_results.py) -->"
END = "<!-- END GENERATED: baseline results -->"
SPLITS = ("validation", "test")
BOOTSTRAP = 1000
SEED = 12345
# The headline figure of each layer: (layer, path into `eval score --format json`, label).
HEADLINES = (
    ("mentions", ("strict",), "strict F1"),
    ("actors", ("conll_f1",), "CoNLL F1 (MUC, B³, CEAF-e)"),
    ("events", ("tri_c",), "trigger classification F1 (Tri-C)"),
    ("events", ("arg_c",), "argument classification F1 (Arg-C)"),
    ("attributions", ("relation", "overlap"), "whole relation F1, token overlap"),
    ("positions", ("relation",), "(holder, target, stance) F1"),
)


def _communique(*args: str) -> subprocess.CompletedProcess:
    """Run `communique ARGS` with this interpreter; output captured."""
    return subprocess.run([sys.executable, "-m", "communique", *args], capture_output=True,
                          text=True)


def score_split(release: Path, split: str, bootstrap: int = BOOTSTRAP) -> dict[str, Any]:
    """Run the baseline on one split of ``release`` and score it; the `eval score` JSON."""
    with tempfile.TemporaryDirectory(prefix="communique-baseline-") as tmp:
        preds = Path(tmp) / f"{split}.jsonl"
        done = _communique("baseline", "predict", "--gold", str(release), "--split", split,
                           "--out", str(preds))
        if done.returncode:
            raise RuntimeError(f"baseline predict on {release} {split} failed:\n{done.stderr}")
        done = _communique("eval", "score", "--gold", str(release), "--split", split,
                           "--pred", str(preds), "--bootstrap", str(bootstrap),
                           "--seed", str(SEED), "--format", "json")
        if done.returncode:
            raise RuntimeError(f"eval score on {release} {split} failed:\n{done.stderr}")
        return json.loads(done.stdout)


def evaluate(release: Path | None = None, split: str = "test", bootstrap: int = 0,
             out=sys.stdout) -> int:
    """Predict on ``split`` of ``release`` (default: the latest release) and print the
    `communique eval score` table; the exit code of the first step that fails, else 0."""
    release = release or latest_release_folder()
    if release is None:
        print("no release in corpus/releases: build one with `communique release build`",
              file=sys.stderr)
        return 1
    from communique.schemas.io import write_jsonl

    from .predict import GoldError, model_version, predict_documents, read_gold

    try:
        docs = read_gold(release, split)
    except GoldError as e:
        print(f"invalid input: {e}", file=sys.stderr)
        return 2
    rows = predict_documents(docs)
    counts = ", ".join(f"{sum(len(r[layer]) for r in rows)} {layer}"
                       for layer in ("mentions", "actors", "events", "attributions", "positions"))
    print(f"baseline {model_version()} on {release.name} {split} ({len(rows)} documents): "
          f"{counts}", file=out)
    with tempfile.TemporaryDirectory(prefix="communique-baseline-") as tmp:
        preds = Path(tmp) / f"{split}.jsonl"
        write_jsonl(preds, rows)
        done = _communique("eval", "score", "--gold", str(release), "--split", split, "--pred",
                           str(preds), "--bootstrap", str(bootstrap), "--seed", str(SEED))
        print(done.stdout, end="", file=out)
        print(done.stderr, end="", file=sys.stderr)
        return done.returncode


def _cell(layer: Mapping[str, Any], path: tuple[str, ...]) -> str:
    """"F1 [lo, hi]" in % for one headline metric of an `eval score` layer result."""
    node: Any = layer
    for key in path[:-1]:
        node = node[key]
    last = path[-1]
    if isinstance(node.get(last), dict):
        value, ci = node[last]["f1"], node[last].get("f1_ci")
    else:
        value, ci = node[last], node.get(f"{last}_ci")
    text = f"{100 * value:.1f}"
    if ci:
        text += f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"
    return text


def render(release: Path | None, results: Mapping[str, Mapping[str, Any]]) -> str:
    """The Markdown block (without markers) for ``results`` (split → `eval score` JSON)."""
    if release is None:
        return ("No release has been built yet (`communique release build`), so the baseline "
                "has no published scores; run `scripts/baseline_results.py` after the first "
                "release.")
    version = release.name
    lines = [f"Rule-based baseline (`communique baseline predict`) on release `{version}`; "
             f"F1 in %, with 95% bootstrap intervals over documents ({BOOTSTRAP} resamples, "
             f"seed {SEED}).", "",
             "| layer | metric | " + " | ".join(SPLITS) + " |",
             "|---|---|" + "---|" * len(SPLITS)]
    for layer, path, label in HEADLINES:
        cells = [_cell(results[s]["layers"][layer], path) for s in SPLITS]
        lines.append(f"| {layer} | {label} | " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"- {s} ({results[s]['documents']} documents): `{results[s]['signature']}`"
              for s in SPLITS]
    return "\n".join(lines)


def latest_release_folder(releases_dir: Path = Path("corpus/releases")) -> Path | None:
    """The newest release folder, or None when none has been built."""
    from communique.corpus.release import latest_release

    return latest_release(releases_dir) if releases_dir.is_dir() else None


def generate(release: Path | None) -> str:
    """The block for ``release`` (None: the no-release placeholder)."""
    results = {s: score_split(release, s) for s in SPLITS} if release is not None else {}
    return render(release, results)


def replace_block(text: str, block: str, where: str) -> str:
    """``text`` with the part between BEGIN and END replaced by ``block``."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{where}: found no baseline results markers; allowed: a file with "
                         f"{BEGIN!r} … {END!r}")
    return pattern.sub(lambda _: f"{BEGIN}\n{block}\n{END}", text, count=1)


def current_block(text: str) -> str | None:
    """The block now between the markers of ``text`` (None if no markers)."""
    m = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.DOTALL)
    return m.group(1) if m else None
