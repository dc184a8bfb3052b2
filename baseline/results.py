"""The baseline's results table: predict on a release's validation and test splits, score with
`communique eval score` (bootstrap 95% intervals), and render one Markdown block with the
system's model version and the signature of every score.

Two places carry it. `scripts/baseline_results.py` writes the current baseline's table between
markers into README.md and eval/BASELINES.md. `communique release build --baseline` scores the
release being built and freezes the record (`baseline.json`, this module's `score_release`) and
its table into the release's dataset card, so a card says what the baseline scored when that
version was published. Tests fail when either is stale.
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
    ("events", ("modality_accuracy",), "modality accuracy on the Tri-C pairs"),
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


RESULTS_FILE = "baseline.json"


def dumps_record(record: Mapping[str, Any]) -> str:
    """The text of ``baseline.json``."""
    return json.dumps(record, indent=1, ensure_ascii=False) + "\n"


def score_release(release: Path, bootstrap: int = BOOTSTRAP) -> dict[str, Any]:
    """The baseline's record for ``release``: its model version, the bootstrap settings, and the
    `eval score` JSON of every split in SPLITS that has documents. This is `baseline.json` in a
    release built with `communique release build --baseline`."""
    from communique.schemas.io import read_release_manifest

    from .predict import model_version

    listed = read_release_manifest(release)["configs"]["documents"]
    splits = [s for s in SPLITS if listed.get(s, {}).get("rows")]
    return {"system": model_version(), "bootstrap": bootstrap, "seed": SEED,
            "splits": {s: score_split(release, s, bootstrap) for s in splits}}


def unscorable(release: Path) -> str | None:
    """Why the baseline cannot be scored on ``release`` (None: it can): it needs the texts of
    the scored splits and at least one validation or test document."""
    from communique.schemas.io import read_release_manifest

    manifest = read_release_manifest(release)
    version = manifest["version"]
    withheld = sum(manifest["counts"][s]["documents"]["text_withheld"] for s in SPLITS
                   if s in manifest["counts"])
    if withheld:
        return (f"release {version} withholds the texts of {withheld} document(s); allowed: "
                "baseline scores on a release with its texts (build without --withhold-text, "
                "or rehydrate it first)")
    listed = manifest["configs"]["documents"]
    if not any(listed.get(s, {}).get("rows") for s in SPLITS):
        return (f"release {version} has no {' or '.join(SPLITS)} documents; allowed: baseline "
                "scores on a release with documents in at least one of them")
    return None


def check_record(record: Any, release: Path, where: str) -> list[str]:
    """Problems of a baseline ``record`` (read from ``where``) as the results of ``release``: its
    shape (everything the card's table needs), and every split's signature naming this
    release's version, document count and gold content hash, the record's bootstrap settings
    and the package version of its system, for exactly the scored splits with documents."""
    from communique.eval.inputs import load_gold
    from communique.eval.signature import Signature, SignatureError
    from communique.schemas.io import read_release_manifest

    from .predict import SYSTEM_NAME

    why = unscorable(release)
    if why:
        return [f"{where}: {why}"]
    manifest = read_release_manifest(release)
    version = manifest["version"]
    keys = {"system", "bootstrap", "seed", "splits"}
    if not isinstance(record, dict) or set(record) != keys:
        found = sorted(record) if isinstance(record, dict) else type(record).__name__
        return [f"{where}: found {found}; allowed: an object with {sorted(keys)} as written by "
                "`communique release build --baseline` (baseline.json)"]
    problems = []
    system = re.fullmatch(rf"{re.escape(SYSTEM_NAME)}-(\S+)\+[0-9a-f]{{8}}",
                          str(record["system"]))
    if not system:
        problems.append(f"{where}: $.system: found {record['system']!r}; allowed: "
                        f"{SYSTEM_NAME}-<package version>+<8 hex digits>")
    for key in ("bootstrap", "seed"):
        if type(record[key]) is not int or record[key] < 0:
            problems.append(f"{where}: $.{key}: found {record[key]!r}; allowed: an integer ≥ 0")
    listed = manifest["configs"]["documents"]
    wanted = [s for s in SPLITS if listed.get(s, {}).get("rows")]
    splits = record["splits"]
    if not isinstance(splits, dict) or sorted(splits) != sorted(wanted):
        found = sorted(splits) if isinstance(splits, dict) else type(splits).__name__
        problems.append(f"{where}: $.splits: found {found}; allowed: {sorted(wanted)} (the "
                        f"scored splits with documents in release {version})")
    if problems:
        return problems
    for split in wanted:
        entry = splits[split]
        place = f"{where}: $.splits.{split}"
        if not isinstance(entry, dict) or not isinstance(entry.get("signature"), str) or \
                not isinstance(entry.get("layers"), dict):
            problems.append(f"{place}: found no signature and layers; allowed: the "
                            "`communique eval score --format json` output of that split")
            continue
        for layer, path, label in HEADLINES:
            try:
                _cell(entry["layers"][layer], path)
            except (KeyError, TypeError, AttributeError, IndexError):
                problems.append(f"{place}.layers.{layer}: found no {label}; allowed: the "
                                "`communique eval score --format json` output of that split")
        expected = {"release": version, "split": split, "docs": str(listed[split]["rows"]),
                    "hash": load_gold(release, split).content_hash(),
                    "nboot": str(record["bootstrap"]), "seed": str(record["seed"]),
                    "version": system.group(1)}
        try:
            fields = Signature.parse(entry["signature"]).as_dict()
        except SignatureError as e:
            problems.append(f"{place}.signature: {e}")
            continue
        for key, value in expected.items():
            if fields.get(key) != value:
                problems.append(f"{place}.signature: found {key}:{fields.get(key)}; allowed: "
                                f"{key}:{value} (release {version} as built, this record)")
        if entry.get("documents") != listed[split]["rows"]:
            problems.append(f"{place}.documents: found {entry.get('documents')!r}; allowed: "
                            f"{listed[split]['rows']} (release {version} as built)")
    return problems


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


def _fraction(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1


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
    if not all(_fraction(x) for x in [value, *(ci or [])]) or (ci and len(ci) != 2):
        raise TypeError(f"found {value!r} {ci!r}; allowed: numbers in [0, 1]")
    text = f"{100 * value:.1f}"
    if ci:
        text += f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"
    return text


def _documents(n: int) -> str:
    return f"{n} document" + ("" if n == 1 else "s")


def render(release: str | None, record: Mapping[str, Any]) -> str:
    """The Markdown block (without markers) for a ``record`` of `score_release` on the release
    named ``release`` ("v1.0.0"); None: the placeholder for a project with no release yet."""
    if release is None:
        return ("No release has been built yet (`communique release build`), so the baseline "
                "has no published scores; run `scripts/baseline_results.py` after the first "
                "release.")
    results = record["splits"]
    splits = [s for s in SPLITS if s in results]
    lines = [f"Rule-based baseline (`communique baseline predict`) on release `{release}`; "
             f"F1 (or the accuracy named) in %, with 95% bootstrap intervals over documents "
             f"({record['bootstrap']} "
             f"resamples, seed {record['seed']}).", "",
             "| layer | metric | " + " | ".join(splits) + " |",
             "|---|---|" + "---|" * len(splits)]
    for layer, path, label in HEADLINES:
        cells = [_cell(results[s]["layers"][layer], path) for s in splits]
        lines.append(f"| {layer} | {label} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"- system: `{record['system']}`")
    lines += [f"- {s} ({_documents(results[s]['documents'])}): `{results[s]['signature']}`"
              for s in splits]
    return "\n".join(lines)


def latest_release_folder(releases_dir: Path = Path("corpus/releases")) -> Path | None:
    """The newest release folder, or None when none has been built."""
    from communique.corpus.release import latest_release

    return latest_release(releases_dir) if releases_dir.is_dir() else None


def generate(release: Path | None) -> str:
    """The block for ``release`` (None: the no-release placeholder)."""
    if release is None:
        return render(None, {})
    return render(release.name, score_release(release))


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
