"""`communique baseline …`: run the rule-based reference system.

`communique baseline predict --gold PATH [--split S] --out preds.jsonl` writes one prediction line
per document (all five layers) and validates it against the gold before reporting success;
`communique baseline evaluate [--release R] [--split S]` predicts and prints the score table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2


def cmd_predict(args: argparse.Namespace) -> int:
    """`communique baseline predict`: exit 0, 2 on invalid gold, 1 on a lexicon or own bug."""
    from communique.schemas.io import write_jsonl
    from communique.schemas.validate import validate_prediction

    from .lexicon import LexiconError
    from .predict import GoldError, model_version, predict_documents, read_gold

    try:
        docs = read_gold(args.gold, args.split)
        t0 = time.perf_counter()
        rows = predict_documents(docs)
        seconds = time.perf_counter() - t0
    except GoldError as e:
        print(f"invalid input: {e}", file=sys.stderr)
        return EXIT_INVALID
    except LexiconError as e:
        print(f"baseline lexicon error: {e}", file=sys.stderr)
        return EXIT_FAIL
    # Our own output must be a valid prediction file; a failure here is a bug, not bad input,
    # and nothing is written.
    gold = {d.id: d for d in docs}
    problems = [p for k, row in enumerate(rows, 1)
                for p in validate_prediction(row, gold, f"{args.out}:{k}")]
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        print(f"baseline bug: {len(problems)} problem(s) in its own output; {args.out} not written",
              file=sys.stderr)
        return EXIT_FAIL
    n = write_jsonl(args.out, rows)
    counts = {layer: sum(len(r[layer]) for r in rows)
              for layer in ("mentions", "actors", "events", "attributions", "positions")}
    print(f"wrote {n} prediction line(s) to {args.out} in {seconds:.2f} s: "
          + ", ".join(f"{v} {k}" for k, v in counts.items())
          + f"; model version {model_version()}")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    """`communique baseline evaluate`: predict on a release split and print its scores."""
    from .results import evaluate

    if args.bootstrap < 0:
        print(f"--bootstrap: found {args.bootstrap}; allowed: 0 or more", file=sys.stderr)
        return EXIT_INVALID
    return evaluate(args.release, args.split, args.bootstrap)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `communique baseline predict`."""
    p = subparsers.add_parser("baseline", help="the rule-based reference extraction system",
                              description="A transparent rule-based extractor (lexicons in "
                                          "baseline/lexicons/, no model downloads) that "
                                          "predicts all five layers.")
    sub = p.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    q = sub.add_parser("predict", help="write predictions for gold documents",
                       description="Predict mentions, actors, events, attributions and positions "
                                   "for every document of --gold and write a prediction JSON "
                                   "Lines file (validated against the gold before exit).")
    q.add_argument("--gold", type=Path, required=True,
                   help="a folder or .json/.jsonl file of canonical documents, or a release "
                        "folder (then --split)")
    q.add_argument("--split", help="split of a release folder: train, validation or test")
    q.add_argument("--out", type=Path, required=True, help="prediction file to write (.jsonl)")
    q.set_defaults(func=cmd_predict)
    q = sub.add_parser("evaluate", help="predict on a release split and print the score table",
                       description="Run the baseline on one split of a release (default: the "
                                   "latest in corpus/releases, split test) and print the table "
                                   "of `communique eval score` (what `make demo` shows).")
    q.add_argument("--release", type=Path, help="release folder (default: the latest)")
    q.add_argument("--split", default="test", help="train, validation or test (default: test)")
    q.add_argument("--bootstrap", type=int, default=0, help="resamples for 95%% intervals")
    q.set_defaults(func=cmd_evaluate)
