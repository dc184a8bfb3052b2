"""Benchmark of `communique release build`: generated documents (about 4,000 characters,
32 mentions, 8 events, 8 attributions, 4 positions each), one canonical file each, built into a
release in a child process (with its worker processes) whose wall time, CPU time and peak RSS
(summed over the process tree, sampled every 0.2 s) are reported.

    .venv/bin/python scripts/bench_release.py [--documents 100000] [--keep DIR]

Target (issue 4): 100,000 documents in under 2 minutes with peak RSS under 3 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUILD = """
import resource, sys, time
from pathlib import Path
from communique.corpus.release import build_release
t = time.perf_counter()
r = build_release([Path(sys.argv[1])], Path(sys.argv[2]), "9.9.9", splits_path=Path(sys.argv[3]))
me, workers = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(time.perf_counter() - t, me.ru_utime + me.ru_stime, workers.ru_utime + workers.ru_stime)
"""


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (0 once it is gone)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _tree_rss(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()

    from communique.corpus.release_synth import write_synthetic_corpus

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-release-"))
    docs = work / "docs"
    try:
        t = time.perf_counter()
        if not docs.exists():
            write_synthetic_corpus(docs, range(args.documents))
        print(f"generated {args.documents} documents in {time.perf_counter() - t:.1f} s "
              f"({sum(p.stat().st_size for p in docs.iterdir()) / 1e6:.0f} MB of JSON)",
              flush=True)
        shutil.rmtree(work / "releases", ignore_errors=True)
        (work / "splits.json").unlink(missing_ok=True)
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", BUILD, str(docs), str(work / "releases"),
                                 str(work / "splits.json")], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        peak_tree = 0
        while proc.poll() is None:
            peak_tree = max(peak_tree, _tree_rss(proc.pid))
            time.sleep(0.2)
        stdout, stderr = proc.communicate()
        wall = time.perf_counter() - t
        if proc.returncode:
            sys.exit(stderr)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = peak_tree / 1024
        release = work / "releases" / "v9.9.9"
        manifest = json.loads((release / "MANIFEST.json").read_text())
        size = sum(p.stat().st_size for p in release.rglob("*") if p.is_file())
        rows = {c: sum(v["rows"] for v in per.values()) for c, per in manifest["configs"].items()}
        inner, main_cpu, workers_cpu = map(float, stdout.split())
        print(f"build: {inner:.1f} s in build_release, {wall:.1f} s with interpreter start-up; "
              f"CPU {usage.ru_utime + usage.ru_stime:.1f} s (main process {main_cpu:.1f} s, "
              f"workers {workers_cpu:.1f} s); peak RSS {peak_mb:.0f} MB summed over the process tree (largest "
              f"process {usage.ru_maxrss / 1024:.0f} MB); release {size / 1e6:.0f} MB")
        print("rows: " + ", ".join(f"{c} {n}" for c, n in rows.items()))
        ok = wall < 120 and peak_mb < 3 * 1024
        print("target (< 120 s, < 3 GB): " + ("met" if ok else "NOT met"))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
