"""The `communique` command: a thin dispatcher over the packages' own subcommands.

Each package that offers commands has modules listed in COMMAND_MODULES with
``register(subparsers)``; the handlers live there and import their heavy dependencies lazily so
that ``communique --help`` stays fast. Exit codes: 0 success, 2 invalid input (every problem
reported), 1 any other failure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Sequence

from . import __version__

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2
# Modules that add subcommands with ``register(subparsers)``; one not (yet) present is skipped.
COMMAND_MODULES = (
    "communique.corpus.ingest_cli",
    "communique.corpus.release_cli",
    "communique.corpus.authoring_cli",
    "communique.annotation.cli",
    "communique.eval.cli",
    "communique.baseline.cli",
)
DEFAULT_CORPUS = Path("corpus/documents")


def _print_problems(problems: Sequence[object]) -> None:
    for p in problems:
        print(p, file=sys.stderr)


def _corpus_paths(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """Document paths to validate, and release folders to verify. A folder with a `documents/`
    subfolder is a corpus root: its documents are `documents/`, and the release folders below it
    (those with a MANIFEST.json) are checked against their manifests."""
    from communique.schemas.io import release_folders

    docs: list[Path] = []
    releases: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir() and (p / "documents").is_dir():
            docs.append(p / "documents")
            releases += release_folders(p)
        else:
            docs.append(p)
            if p.is_dir():
                releases += release_folders(p)
    return docs, releases


def cmd_validate(args: argparse.Namespace) -> int:
    from communique.schemas.validate import Problem, check_paths, check_predictions

    if args.predictions:
        gold_paths = args.gold or args.paths
        if not gold_paths:
            print("validate --predictions needs the gold documents: --gold PATH", file=sys.stderr)
            return EXIT_INVALID
        from communique.schemas.io import RELEASE_MARKER, iter_release_documents
        from communique.schemas.model import Document

        # A release folder gives the documents of all its splits (texts must not be withheld).
        releases = [p for p in gold_paths if (p / RELEASE_MARKER).is_file()]
        by_id: dict[str, Document] = {}
        for release in releases:
            for place, _, doc in iter_release_documents(release):
                if doc["text"] is None:
                    print(f"{place}: {doc['id']}: $.text: found null (withheld); allowed: a "
                          "release with its texts (`communique release rehydrate`)",
                          file=sys.stderr)
                    return EXIT_INVALID
                by_id[doc["id"]] = Document.from_dict(doc)
        folders = [p for p in gold_paths if p not in releases]
        if folders or not releases:
            gold = check_paths(folders)
            if gold.problems:
                _print_problems(gold.problems)
                print(f"invalid gold: {len(gold.problems)} problem(s)", file=sys.stderr)
                return EXIT_INVALID
            by_id.update((d.id, d) for d in gold.documents)
        preds, problems = check_predictions(args.predictions, by_id)
        if problems:
            _print_problems(problems)
            print(f"invalid: {len(problems)} problem(s) in {args.predictions}", file=sys.stderr)
            return EXIT_INVALID
        print(f"valid: {len(preds)} prediction line(s) in {args.predictions} against "
              f"{len(by_id)} gold document(s)")
        return EXIT_OK
    paths, releases = _corpus_paths(args.paths or [DEFAULT_CORPUS])
    result = check_paths(paths)
    if releases:
        from communique.corpus.release import verify_release

        for folder in releases:
            problems = verify_release(folder)
            result.problems.extend(Problem(str(folder), "-", "MANIFEST.json", p) for p in problems)
            if not problems:
                print(f"release {folder}: every file matches its MANIFEST.json")
    if result.problems:
        _print_problems(result.problems)
        bad = len({(p.place, p.doc_id) for p in result.problems})
        print(f"invalid: {len(result.problems)} problem(s) in {bad} document(s); "
              f"{len(result.documents)} document(s) valid", file=sys.stderr)
        return EXIT_INVALID
    counts = {layer: sum(len(getattr(d, layer)) for d in result.documents)
              for layer in ("mentions", "actors", "events", "attributions", "positions")}
    print(f"valid: {len(result.documents)} document(s) in {result.files} file(s); "
          + ", ".join(f"{n} {layer}" for layer, n in counts.items()))
    return EXIT_OK


def cmd_summary(args: argparse.Namespace) -> int:
    from communique.corpus.views import summarize
    from communique.schemas.validate import check_paths

    result = check_paths(args.paths or [DEFAULT_CORPUS])
    if result.problems:
        _print_problems(result.problems)
        return EXIT_INVALID
    summary = summarize(result.documents)
    if args.format == "json":
        print(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(summary.as_table())
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from communique.corpus.views import render_document
    from communique.schemas.validate import check_paths

    target = Path(args.document)
    paths = [target] if target.exists() else [args.corpus]
    result = check_paths(paths)
    docs = [d for d in result.documents if target.exists() or d.id == args.document]
    if not docs:
        bad = [p for p in result.problems if p.doc_id == args.document or target.exists()]
        if bad:
            _print_problems(bad)
            return EXIT_INVALID
        print(f"no document {args.document!r} in {args.corpus}", file=sys.stderr)
        return EXIT_FAIL
    for doc in docs:
        print(render_document(doc, color=args.color == "always" or
                              (args.color == "auto" and sys.stdout.isatty())))
    return EXIT_OK


def cmd_schema_generate(args: argparse.Namespace) -> int:
    from .generated import check_generated, write_generated

    if args.check:
        stale = check_generated()
        for path in stale:
            print(f"stale: {path} (run `communique schema generate`)", file=sys.stderr)
        return EXIT_INVALID if stale else EXIT_OK
    for path in write_generated():
        print(f"wrote {path}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="communique",
        description="Communiqué: annotated international-politics news — validate, annotate in "
                    "Label Studio, release as Parquet, evaluate extraction systems.")
    parser.add_argument("--version", action="version", version=f"communique {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("validate", help="check canonical documents (or a prediction file)",
                       description="Validate canonical documents: JSON Schema, offsets and span "
                                   "texts, unique ids, references, labels, parent cycles, text "
                                   "hash. Reports every problem; exit 2 if any.")
    p.add_argument("paths", nargs="*", type=Path,
                   help=f"files (.json, .jsonl) or folders; default {DEFAULT_CORPUS}")
    p.add_argument("--predictions", type=Path, help="a prediction JSON Lines file to check")
    p.add_argument("--gold", type=Path, nargs="+",
                   help="gold documents the predictions refer to: files, folders or release "
                        "folders")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("summary", help="per-layer counts and label distributions")
    p.add_argument("paths", nargs="*", type=Path, help=f"default {DEFAULT_CORPUS}")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("show", help="print a document with its layers marked, for review")
    p.add_argument("document", help="a document id (looked up in --corpus) or a file")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("schema", help="generated files from schemas/communique.yaml")
    schema_sub = p.add_subparsers(dest="schema_command", metavar="ACTION", required=True)
    g = schema_sub.add_parser("generate", help="rewrite every generated file")
    g.add_argument("--check", action="store_true", help="only report stale files (exit 2)")
    g.set_defaults(func=cmd_schema_generate)

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name in (name, name.rpartition(".")[0]):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
