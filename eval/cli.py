"""`communique eval score|compare|signature`: score predictions against gold, compare two
systems, and explain a signature string. Exit codes: 0 ok, 2 invalid input (every problem on
stderr, nothing scored), 1 other failure."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2


def _layers_arg(value: str) -> tuple[str, ...]:
    from communique.schemas.model import LAYERS

    names = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [v for v in names if v not in LAYERS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"found {value!r}; allowed: a comma-separated list of "
                                         f"{', '.join(LAYERS)}")
    return names


def _count(minimum: int) -> Any:
    """An argparse type: an integer of at least ``minimum``."""
    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            n = None
        if n is None or n < minimum:
            raise argparse.ArgumentTypeError(f"found {value!r}; allowed: an integer >= {minimum}")
        return n
    return parse


def _add_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gold", type=Path, required=True,
                   help="a release folder (with --split), a folder of canonical documents, or "
                        "a JSON Lines file of documents")
    p.add_argument("--split", help="split of a release folder: train, validation or test")
    p.add_argument("--layers", type=_layers_arg,
                   help="comma-separated layers to score (default: every predicted layer)")
    p.add_argument("--missing", choices=("error", "empty"), default="error",
                   help="a gold document with no prediction line: an error (default), or "
                        "scored as predicting nothing")
    p.add_argument("--seed", type=int, default=12345, help="seed of resampling (default 12345)")
    p.add_argument("--format", choices=("table", "json", "markdown"), default="table")


def register(subparsers: Any) -> None:
    """Add ``communique eval`` and its subcommands."""
    p = subparsers.add_parser("eval", help="score extraction systems against gold layers",
                              description="Score predictions on all five layers with exact, "
                                          "written definitions (eval/README.md), intervals, "
                                          "significance tests and a signature.")
    sub = p.add_subparsers(dest="eval_command", metavar="ACTION", required=True)

    s = sub.add_parser("score", help="score one prediction file",
                       description="Validate, then score. --format json prints one object: "
                                   "signature, documents, layers.")
    _add_inputs(s)
    s.add_argument("--pred", type=Path, required=True,
                   help="prediction JSON Lines (or Parquet with the same columns)")
    s.add_argument("--bootstrap", type=_count(0), default=0, metavar="N",
                   help="add 95%% intervals from N resamples of documents (e.g. 1000)")
    s.add_argument("--report", type=Path, help="write a self-contained HTML error report here")
    s.add_argument("--report-docs", type=_count(0), default=50, metavar="N",
                   help="documents shown in the report (default 50; scores use all)")
    s.set_defaults(func=cmd_score)

    c = sub.add_parser("compare", help="paired significance tests between two systems",
                       description="Paired bootstrap and approximate randomisation over "
                                   "documents for each headline metric; p = (c+1)/(N+1).")
    _add_inputs(c)
    c.add_argument("--pred-a", type=Path, required=True, help="predictions of system A")
    c.add_argument("--pred-b", type=Path, required=True, help="predictions of system B")
    c.add_argument("--samples", type=_count(1), default=1000, metavar="N",
                   help="resamples and randomisations (default 1000)")
    c.set_defaults(func=cmd_compare)

    g = sub.add_parser("signature", help="explain a signature string")
    g.add_argument("--explain", required=True, metavar="SIG", help="a signature to explain")
    g.set_defaults(func=cmd_signature)


def _problems(e: Exception) -> int:
    problems = getattr(e, "problems", [e])
    for p in problems:
        print(p, file=sys.stderr)
    print(f"invalid input: {len(problems)} problem(s); nothing was scored", file=sys.stderr)
    return EXIT_INVALID


def _load(args: argparse.Namespace, pred_paths: list[Path]):
    from .inputs import load_gold, load_predictions

    gold = load_gold(args.gold, args.split)
    return gold, [load_predictions(p, gold, args.missing) for p in pred_paths]


def _score(gold, preds, layers):
    from communique.schemas.model import LAYERS

    from .columns import build_sides
    from .score import predicted_layers, score_sides

    g_side, p_side, ids, texts = build_sides((d, preds[d["id"]]) for d in gold.documents)
    available = predicted_layers(p_side)
    if layers is None:
        layers = available
    missing = [k for k in layers if k not in available]
    if missing:
        return None, [f"--layers: {', '.join(missing)} requested but no prediction line gives "
                      f"{'it' if len(missing) == 1 else 'them'}; predicted: "
                      f"{', '.join(available) or 'no layer'}"]
    layers = tuple(k for k in LAYERS if k in layers)
    return (score_sides(g_side, p_side, texts, layers), layers), []


def _signature(args: argparse.Namespace, gold, layers, nboot: int, test: str) -> str:
    from communique import __version__

    from .signature import Signature

    return str(Signature.make(
        corpus=gold.corpus, release=gold.release, hash=gold.content_hash(), split=gold.split,
        docs=len(gold.documents), layers="+".join(layers) or "none", match="optimal",
        partial="0.5", overlap="token", missing=args.missing, nboot=nboot, test=test,
        seed=args.seed, version=__version__))


def cmd_score(args: argparse.Namespace) -> int:
    from .inputs import InputProblems
    from .score import render_markdown, render_table, result_json, with_intervals

    try:
        gold, (preds,) = _load(args, [args.pred])
    except InputProblems as e:
        return _problems(e)
    scored, problems = _score(gold, preds, args.layers)
    if problems:
        return _problems(ValueError(problems[0]))
    tally, layers = scored
    ci = with_intervals(tally, args.bootstrap, args.seed) if args.bootstrap else None
    signature = _signature(args, gold, layers, args.bootstrap, "none")
    result = result_json(tally, signature, ci)
    if args.report is not None:
        from .report import write_report

        write_report(args.report, gold.documents, preds, result, args.report_docs)
    if args.format == "json":
        print(json.dumps(result, indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print(render_markdown(result))
    else:
        print(render_table(result))
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from .inputs import InputProblems
    from .stats import Columns, compare

    try:
        gold, (pa, pb) = _load(args, [args.pred_a, args.pred_b])
    except InputProblems as e:
        return _problems(e)
    scored_a, problems = _score(gold, pa, args.layers)
    if problems:
        return _problems(ValueError(f"{args.pred_a}: {problems[0]}"))
    scored_b, problems = _score(gold, pb, scored_a[1])
    if problems:
        return _problems(ValueError(f"{args.pred_b}: {problems[0]}"))
    (ta, layers), (tb, _) = scored_a, scored_b
    if not layers:
        return _problems(ValueError(f"{args.pred_a}: no layer predicted; allowed: prediction "
                                    "lines with at least one of the five layers"))
    differ = [k for k in layers if (ta.docs[k] != tb.docs[k]).any()]
    if differ:
        return _problems(ValueError(
            f"layer(s) {', '.join(differ)}: the two systems predict them for different "
            "documents; allowed: the same documents per layer, so that the comparison is paired"))
    rows = compare(Columns.of(ta), Columns.of(tb), args.samples, args.seed)
    signature = _signature(args, gold, layers, args.samples, "paired-bs+ar")
    if args.format == "json":
        print(json.dumps({"signature": signature, "a": str(args.pred_a), "b": str(args.pred_b),
                          "metrics": [{"metric": r.metric, "a": round(r.a, 6), "b": round(r.b, 6),
                                       "delta": round(r.delta, 6),
                                       "p_bootstrap": round(r.p_bootstrap, 6),
                                       "p_randomization": round(r.p_randomization, 6)}
                                      for r in rows]}, indent=2))
        return EXIT_OK
    head = ("metric", "A", "B", "B-A", "p (paired bs)", "p (approx. rand.)")
    body = [(r.metric, f"{100 * r.a:.2f}", f"{100 * r.b:.2f}", f"{100 * r.delta:+.2f}",
             f"{r.p_bootstrap:.4f}", f"{r.p_randomization:.4f}") for r in rows]
    if args.format == "markdown":
        lines = ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|---:|---:|"]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        print("\n".join(lines) + f"\n\nSignature: `{signature}`")
        return EXIT_OK
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    for r in [head, *body]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    print(f"\nsignature: {signature}")
    return EXIT_OK


def cmd_signature(args: argparse.Namespace) -> int:
    from .signature import Signature, SignatureError

    try:
        print(Signature.parse(args.explain).explain())
    except SignatureError as e:
        print(f"signature: {e}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK
