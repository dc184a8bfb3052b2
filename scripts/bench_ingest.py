"""Benchmark of `communique corpus import`, and the measurements behind the near-duplicate
threshold.

    python scripts/bench_ingest.py              # 5k, 10k, 20k articles of ~4,000 characters
    python scripts/bench_ingest.py --sizes 2000 --jobs 1   # a quick run in one process
    python scripts/bench_ingest.py --thresholds # containment/Jaccard table of the fixtures

Each size runs `communique corpus import` on a generated JSON Lines file in a fresh process,
with near-duplicate detection on, into an empty folder. Printed: wall time, CPU time (with the
workers), the peak RSS of the main process (MiB; the MinHash index lives there) and of the main
process and its workers together. About 2% of the generated articles are republished copies
of an earlier one (new headline, a caption added, a paragraph removed), so the skip path is
measured too. The target is 20,000 articles in under 120 s, with peak memory that grows only
by the MinHash index.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORIES = ROOT / "tests" / "fixtures" / "ingest" / "stories"
CAPTION = ("Officials arrive for the talks earlier this year. Photo: Meridian Press/Staff "
           "photographer")
FUNCTION_WORDS = ("the of and to in a said that on for with by as at from its was were would "
                  "has have after over new two their it be not this an").split()


def _vocabulary(rng: random.Random, n: int) -> list[str]:
    syllables = ["ka", "lo", "ven", "mar", "tes", "sel", "or", "an", "dri", "bal", "est", "ru",
                 "nik", "po", "sta", "li", "gor", "vel", "ma", "ten", "ri", "os", "ul", "cha"]
    return ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(n)]


def _paragraph(rng: random.Random, vocab: list[str], cum_weights: list[float],
               words: int) -> str:
    content = rng.choices(vocab, cum_weights=cum_weights, k=words)
    out = [rng.choice(FUNCTION_WORDS) if rng.random() < 0.4 else w for w in content]
    sentences, i = [], 0
    while i < len(out):
        n = rng.randint(12, 28)
        chunk = out[i:i + n]
        sentences.append(chunk[0].capitalize() + " " + " ".join(chunk[1:]) + ".")
        i += n
    return " ".join(sentences)


def generate(path: Path, n: int, seed: int = 7, chars: int = 4000) -> int:
    """Write ``n`` synthetic articles of about ``chars`` characters as JSON Lines; return how
    many are republished copies of an earlier one."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 20000)
    cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(vocab))))  # Zipf-like
    recent: list[list[str]] = []
    copies = 0
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            if recent and rng.random() < 0.02:
                paras = list(rng.choice(recent))
                paras[0] = "Republished: " + paras[0]
                paras.insert(2, CAPTION)
                del paras[rng.randint(3, len(paras) - 1)]
                copies += 1
            else:
                paras = [_paragraph(rng, vocab, cum, 12)]
                while sum(map(len, paras)) < chars:
                    paras.append(_paragraph(rng, vocab, cum, rng.randint(40, 90)))
                recent = (recent + [paras])[-50:]
            row = {"text": "\n\n".join(paras), "title": paras[0], "date": "2026-03-14",
                   "source": "Bench Wire", "url": f"https://bench.example/{i}",
                   "license": "CC0 1.0", "provenance": "synthetic"}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return copies


def _rss_kib(pid: int) -> tuple[int, int]:
    """Resident memory (KiB, from /proc) of a process, and of it with all its descendants."""
    own, total, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):  # gone, or a zombie without VmRSS
            continue
        total += rss
        own = rss if p == pid else own
    return own, total


def run_import(batch: Path, out: Path, jobs: int) -> tuple[float, float, int, int, str]:
    """Run the import in a fresh process; return (wall seconds, CPU seconds of it and its
    workers, peak RSS of the main process and of main + workers together in MiB (sampled every
    0.1 s), summary line)."""
    env = {**os.environ, "CI": "1"}
    cmd = [sys.executable, "-m", "communique", "corpus", "import", str(batch), "--out", str(out),
           "--jobs", str(jobs)]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.DEVNULL, text=True)
        peak_main = peak_tree = 0
        while proc.poll() is None:
            own, tree = _rss_kib(proc.pid)
            peak_main, peak_tree = max(peak_main, own), max(peak_tree, tree)
            time.sleep(0.1)
        seconds = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        log.seek(0)
        stdout = log.read()
    if proc.returncode not in (0, 2):
        raise SystemExit(f"import failed with exit status {proc.returncode}: {stdout}")
    cpu = usage.ru_utime + usage.ru_stime - _CPU_SO_FAR[0]
    _CPU_SO_FAR[0] = usage.ru_utime + usage.ru_stime
    return seconds, cpu, peak_main // 1024, peak_tree // 1024, stdout.strip().splitlines()[-1]


_CPU_SO_FAR = [0.0]  # CPU seconds of the children reaped before, to count each run alone


def bench(sizes: list[int], jobs: int) -> None:
    print(f"--jobs {jobs}")
    print(f"{'articles':>8} {'copies':>6} {'wall s':>7} {'CPU s':>6} {'per s':>6} "
          f"{'RSS main':>8} {'RSS all':>7}  summary")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            batch = Path(tmp) / "batch.jsonl"
            copies = generate(batch, n)
            seconds, cpu, rss, rss_all, summary = run_import(batch, Path(tmp) / "documents", jobs)
            print(f"{n:>8} {copies:>6} {seconds:>7.1f} {cpu:>6.1f} {n / seconds:>6.0f} "
                  f"{rss:>8} {rss_all:>7}  {summary.split(';')[0]}", flush=True)


def _variants(text: str) -> dict[str, str]:
    """Republished copies of a story: headline line, then paragraphs split by blank lines."""
    headline, *paras = text.strip().split("\n\n")
    new = "A different headline for the republished copy"
    out = {"new headline": [new] + paras,
           "new headline + caption": [new, paras[0], CAPTION] + paras[1:]}
    for i in range(len(paras)):
        out[f"new headline + caption - paragraph {i + 1}"] = (
            [new, CAPTION] + paras[:i] + paras[i + 1:])
    for i, j in itertools.combinations(range(len(paras)), 2):
        out[f"paragraphs {i + 1} and {j + 1} removed"] = (
            [headline] + [p for k, p in enumerate(paras) if k not in (i, j)])
    out["first 3 paragraphs"] = [headline] + paras[:3]
    out["first 2 paragraphs"] = [headline] + paras[:2]
    out["copy edits (said->stated, Friday->March 14)"] = [
        re.sub(r"\bsaid\b", "stated", text).replace("Friday", "March 14")]
    return {k: "\n\n".join(v) for k, v in out.items()}


def exact_resemblance(a: str, b: str) -> tuple[float, float]:
    """Exact (containment, Jaccard) of two texts' word 5-gram sets, with Python sets of strings
    (independent of the hashing and MinHash estimate being measured)."""
    def grams(text: str) -> set[str]:
        words = re.findall(r"\w+", text.lower())
        return {" ".join(words[i:i + 5]) for i in range(max(1, len(words) - 4))}
    x, y = grams(a), grams(b)
    common = len(x & y)
    return common / min(len(x), len(y)), common / len(x | y)


def thresholds() -> None:
    from communique.corpus.ingest_dedup import (
        CONTAINMENT_THRESHOLD, NearDuplicateIndex, Sketch, resemblance)

    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(STORIES.glob("*.txt"))}
    pairs = []
    for name, text in texts.items():
        if "republished" not in name:
            pairs += [("copy", f"{name}: {label}", text, variant)
                      for label, variant in _variants(text).items()]
    for a, b in itertools.combinations(sorted(texts), 2):
        kind = "copy" if b == a + "_republished" else "different"
        pairs.append((kind, f"{a} vs {b}", texts[a], texts[b]))
    rows = []
    for kind, what, a, b in pairs:
        sa, sb = Sketch.of(a), Sketch.of(b)
        r = resemblance(sa, sb)
        index = NearDuplicateIndex()
        index.add("first", sa)
        flagged = index.find(sb) is not None
        rows.append((kind, r.containment, r.jaccard, *exact_resemblance(a, b), flagged, what))
    rows.sort(key=lambda r: (r[0], r[1]))
    print(f"{'kind':<10} {'contain':>7} {'jaccard':>7} {'exact C':>7} {'exact J':>7} "
          f"{'flagged':>7}  pair")
    for kind, c, j, ec, ej, flagged, what in rows:
        print(f"{kind:<10} {c:>7.2f} {j:>7.2f} {ec:>7.2f} {ej:>7.2f} {flagged!s:>7}  {what}")
    for kind in ("copy", "different"):
        group = [r for r in rows if r[0] == kind]
        print(f"{kind}: {len(group)} pairs, {sum(r[5] for r in group)} flagged by the index; "
              f"estimated containment {min(r[1] for r in group):.2f}–"
              f"{max(r[1] for r in group):.2f} (exact {min(r[3] for r in group):.2f}–"
              f"{max(r[3] for r in group):.2f}); Jaccard {min(r[2] for r in group):.2f}–"
              f"{max(r[2] for r in group):.2f}")
    print(f"threshold: containment {CONTAINMENT_THRESHOLD}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 10000, 20000])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="passed to the import (default: the number of CPUs)")
    parser.add_argument("--thresholds", action="store_true",
                        help="print the near-duplicate measurements instead of benchmarking")
    args = parser.parse_args()
    if args.thresholds:
        thresholds()
    else:
        bench(args.sizes, args.jobs)


if __name__ == "__main__":
    main()
