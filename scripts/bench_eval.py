"""Benchmark of the evaluation scripts (issue 5's speed targets).

1. Generates N documents (default 100,000; 30 mentions, 8 events, 8 attributions, 4 positions
   each) with noisy predictions on all layers (communique.eval.synthetic), streamed.
2. Times the scorer on them: building the columns from the canonical dicts, scoring all five
   layers, 1,000 bootstrap resamples, the JSON result; and the peak RSS after that phase.
3. Times the mentions layer alone against nervaluate, side by side on the same per-document
   mention lists (nervaluate's ends inclusive), and checks that all counts are identical,
   overall and per type, for the four schemes.

    .venv/bin/python scripts/bench_eval.py [--docs N] [--bootstrap B] [--nervaluate-docs M]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nervaluate-docs", type=int, default=None,
                    help="documents for the side-by-side mentions run (default: all)")
    args = ap.parse_args()

    import numpy as np

    from communique.eval.columns import SideBuilder
    from communique.eval.metrics import Tally, score_mentions
    from communique.eval.score import result_json, score_sides, with_intervals
    from communique.eval.synthetic import corpus
    from communique.schemas.model import LAYERS
    from communique.schemas.spec import load_spec

    gold_b, pred_b = SideBuilder(), SideBuilder()
    texts: list[str] = []
    t_gen = t_build = c_build = 0.0
    t0 = time.perf_counter()
    for gold, pred in corpus(args.docs, seed=args.seed):
        t1, c1 = time.perf_counter(), time.process_time()
        gold_b.add(gold)
        pred_b.add(pred)
        texts.append(gold["text"])
        t_build += time.perf_counter() - t1
        c_build += time.process_time() - c1
    t_gen = time.perf_counter() - t0 - t_build
    t1, c1 = time.perf_counter(), time.process_time()
    gold, pred = gold_b.build(), pred_b.build()
    t_build += time.perf_counter() - t1
    c_build += time.process_time() - c1
    del gold_b, pred_b
    c0 = time.process_time()

    t1 = time.perf_counter()
    tally = score_sides(gold, pred, texts, LAYERS)
    t_score = time.perf_counter() - t1
    t1 = time.perf_counter()
    ci = with_intervals(tally, args.bootstrap, 12345) if args.bootstrap else None
    t_boot = time.perf_counter() - t1
    t1 = time.perf_counter()
    result = result_json(tally, "bench", ci)
    t_json = time.perf_counter() - t1
    engine = t_build + t_score + t_boot + t_json
    cpu = c_build + time.process_time() - c0
    peak = rss_mb()
    load = open("/proc/loadavg").read().split()[:3]
    per_doc = {k: int(len(getattr(gold, k)["doc"] if "doc" in getattr(gold, k) else
                          getattr(gold, k)["event"])) for k in ("mentions", "events", "attributions",
                                                                 "positions")}
    print(f"documents: {args.docs:,} (gold items: " +
          ", ".join(f"{v:,} {k}" for k, v in per_doc.items()) + ")")
    print(f"generation (not timed in the total): {t_gen:.1f} s")
    print(f"columns from canonical dicts: {t_build:.2f} s")
    print(f"scoring all five layers:      {t_score:.2f} s")
    print(f"bootstrap x{args.bootstrap}:              {t_boot:.2f} s")
    print(f"JSON result:                  {t_json:.2f} s")
    print(f"TOTAL (build+score+bootstrap+json): {engine:.2f} s wall, {cpu:.2f} s CPU   "
          f"target < 60 s (load average during the run: {' '.join(load)})")
    print(f"peak RSS after scoring: {peak:,.0f} MB   target < 3,072 MB")
    print("headline F1: " + json.dumps({
        "mentions.strict": result["layers"]["mentions"]["strict"]["f1"],
        "actors.conll_f1": result["layers"]["actors"]["conll_f1"],
        "events.arg_c": result["layers"]["events"]["arg_c"]["f1"],
        "events.modality_accuracy": result["layers"]["events"]["modality_accuracy"],
        "attributions.relation.overlap": result["layers"]["attributions"]["relation"]["overlap"]["f1"],
        "positions.relation": result["layers"]["positions"]["relation"]["f1"]}))

    # --- mentions alone, side by side with nervaluate, same input --------------------------
    from nervaluate import Evaluator

    types = list(load_spec().labels["mention_type"].names)
    n = args.nervaluate_docs or args.docs
    lists = []
    for side in (gold, pred):
        m = side.mentions
        keep = m["doc"] < n
        doc, start, end, typ = (m[c][keep] for c in ("doc", "start", "end", "type"))
        bounds = np.searchsorted(doc, np.arange(n + 1))
        lists.append([[(int(s), int(e), types[t]) for s, e, t in
                       zip(start[a:b], end[a:b], typ[a:b], strict=True)]
                      for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    ours_in = [[[{"id": f"m{k}", "start": s, "end": e, "type": t} for k, (s, e, t) in enumerate(d)]
                for d in side] for side in lists]
    theirs_in = [[[{"label": t, "start": s, "end": e - 1} for s, e, t in d] for d in side]
                 for side in lists]
    del lists

    t1, c1 = time.perf_counter(), time.process_time()
    gb, pb = SideBuilder(), SideBuilder()
    for g, p in zip(*ours_in, strict=True):
        gb.add({"mentions": g})
        pb.add({"mentions": p})
    g_side, p_side = gb.build(), pb.build()
    mt = Tally(n)
    score_mentions(mt, g_side, p_side, np.ones(n, dtype=bool))
    t_ours, c_ours = time.perf_counter() - t1, time.process_time() - c1

    t1, c1 = time.perf_counter(), time.process_time()
    res = Evaluator(theirs_in[0], theirs_in[1], tags=types, loader="dict").evaluate()
    t_theirs, c_theirs = time.perf_counter() - t1, time.process_time() - c1

    names = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
    mismatches = []
    for ours, theirs in names.items():
        r = res["overall"][theirs]
        got = mt.semeval[f"mentions/{ours}"].sum(axis=0).astype(int).tolist()
        want = [r.correct, r.incorrect, r.partial, r.missed, r.spurious]
        print(f"  {ours:<8} ours {got}  nervaluate {want}")
        if got != want:
            mismatches.append(ours)
        for t in types:
            key = f"mentions/{ours}/{t}"
            mine = mt.semeval[key].sum(axis=0).astype(int).tolist() if key in mt.semeval else [0] * 5
            r = res["entities"].get(t, {}).get(theirs)
            other = [r.correct, r.incorrect, r.partial, r.missed, r.spurious] if r else [0] * 5
            if mine != other:
                mismatches.append(f"{ours}/{t}")
    print(f"mentions layer, {n:,} documents [cor, inc, par, mis, spu]: ours {t_ours:.2f} s "
          f"({c_ours:.2f} s CPU), nervaluate {t_theirs:.2f} s ({c_theirs:.2f} s CPU), speed-up "
          f"{t_theirs / t_ours:.1f}x wall, {c_theirs / c_ours:.1f}x CPU   target >= 5x")
    print("counts identical (overall and per type, 4 schemes): "
          + ("yes" if not mismatches else "NO: " + ", ".join(mismatches)))
    ok = engine < 60 and peak < 3072 and t_theirs / t_ours >= 5 and not mismatches
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
