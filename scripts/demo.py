"""The main job end to end on embedded defaults (`make demo`).

1. validate the corpus (and every release against its manifest) and summarise it;
2. annotation: start a local Label Studio (SQLite, 127.0.0.1), push the corpus with its gold as
   annotations, pull it back through the converter and check that nothing changed;
3. release: rebuild the latest version into a scratch folder, check it is byte-identical to the
   committed one, and load every config and split of it with `datasets.load_dataset`;
4. evaluation: run the baseline on the latest release's test split, score it with 95% intervals
   and write an HTML error report.

Each step stops the demo with its exit code if it fails. `make stop` ends the Label Studio server.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "demo"


def step(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def run(*args: str) -> None:
    print(f"$ communique {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "communique", *args], cwd=ROOT)
    if done.returncode:
        print(f"demo: `communique {' '.join(args)}` failed (exit {done.returncode})", file=sys.stderr)
        sys.exit(done.returncode)


def latest_release() -> Path:
    from communique.corpus.release import latest_release as latest

    folder = latest(ROOT / "corpus" / "releases")
    if folder is None:
        sys.exit("demo: no release in corpus/releases")
    return folder


def baseline_option(release: Path) -> tuple[list[str], str]:
    """How to rebuild ``release``'s frozen baseline scores: score again when the baseline is
    still the version that made them (so the rebuild checks them too), else reuse them."""
    import json

    from communique.baseline.predict import model_version

    record = release / "baseline.json"
    if not record.exists():
        return [], ""
    system = json.loads(record.read_text(encoding="utf-8"))["system"]
    if system == model_version():
        return ["--baseline"], f", scoring baseline {system} again"
    return ["--baseline-results", str(record)], f", reusing the scores of baseline {system}"


def main() -> None:
    from communique.annotation.demo import roundtrip_demo
    from communique.corpus.release import read_manifest, rebuild_differences

    step("1. The corpus: validate documents and releases, then summarise")
    run("validate", "corpus")
    run("summary", "corpus/documents")

    step("2. Annotation: Label Studio round trip (push gold as annotations, pull, compare)")
    code = roundtrip_demo(ROOT / "corpus" / "documents")
    if code:
        sys.exit(code)

    release = latest_release()
    version = read_manifest(release)["version"]
    step(f"3. Release {release.name}: reproducible rebuild, then load every config and split")
    with tempfile.TemporaryDirectory(prefix="communique-demo-") as tmp:
        corpus = Path(tmp) / "documents"
        run("release", "export-documents", str(release), "--out", str(corpus))
        frozen, how = baseline_option(release)
        run("release", "build", "--version", version, "--corpus", str(corpus),
            "--out", str(Path(tmp) / "releases"), *frozen)
        diff, exempt = rebuild_differences(release, Path(tmp) / "releases" / release.name)
        if diff:
            sys.exit(f"demo: rebuilding {release.name} from its own documents changed: {diff}")
        print(f"rebuilt {release.name} from its documents{how}: byte-identical to the committed "
              "release" + (f" ({exempt})" if exempt else ""))
    run("release", "load", str(release))

    step(f"4. Evaluation: the baseline on {release.name} test, scored with 95% intervals")
    OUT.mkdir(parents=True, exist_ok=True)
    preds = OUT / "baseline-test.jsonl"
    report = OUT / "report.html"
    run("baseline", "predict", "--gold", str(release), "--split", "test", "--out", str(preds))
    run("eval", "score", "--gold", str(release), "--split", "test", "--pred", str(preds),
        "--bootstrap", "1000", "--report", str(report))

    step("Where to look")
    print(f"- annotations in Label Studio: the URL and login printed in step 2 "
          f"(`make stop` ends the server)\n"
          f"- the error report: {report.relative_to(ROOT)} (open it in a browser)\n"
          f"- the release: {release.relative_to(ROOT)} "
          f"(datasets.load_dataset(\"{release.relative_to(ROOT)}\", \"documents\", split=\"test\"))")


if __name__ == "__main__":
    main()
