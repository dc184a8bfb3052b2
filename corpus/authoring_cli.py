"""`communique author render|build`: write documents in Communiqué markup and build them back
into validated canonical JSON (format: corpus/AUTHORING.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2
DEFAULT_CORPUS = Path("corpus/documents")


def cmd_render(args: argparse.Namespace) -> int:
    from communique.corpus.authoring import render
    from communique.schemas.io import atomic_write_text
    from communique.schemas.validate import check_paths

    target = Path(args.document)
    is_file = target.is_file()
    result = check_paths([target] if is_file else [args.corpus])
    docs = [d for d in result.documents if is_file or d.id == args.document]
    if not is_file:
        problems = [p for p in result.problems if p.doc_id == args.document]
    else:
        problems = result.problems
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        print(f"invalid: {len(problems)} problem(s); render needs a valid document",
              file=sys.stderr)
        return EXIT_INVALID
    if not docs:
        print(f"no document {args.document!r} in {args.corpus} (and no such file)", file=sys.stderr)
        return EXIT_FAIL
    if len(docs) > 1:
        print(f"{args.document} holds {len(docs)} documents ({', '.join(d.id for d in docs)}); "
              "render takes one: give its id with --corpus pointing at the file", file=sys.stderr)
        return EXIT_INVALID
    markup = render(docs[0])
    if args.out:
        atomic_write_text(args.out, markup)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(markup.encode("utf-8"))
        sys.stdout.flush()
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from communique.corpus.authoring import MarkupError, parse_and_lint
    from communique.schemas.io import write_document

    docs, issues, warnings, seen = [], [], [], {}
    for path in args.files:
        try:
            source = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            issues.append(f"{path}:1:1: cannot read as UTF-8 text ({e})")
            continue
        try:
            doc, found = parse_and_lint(source, str(path))
        except MarkupError as e:
            issues += map(str, e.issues)
            continue
        if doc.id in seen:
            issues.append(f"{path}:1:1: found document id {doc.id}, already built from "
                          f"{seen[doc.id]}; allowed: one markup file per document")
            continue
        seen[doc.id] = path
        docs.append(doc)
        warnings += map(str, found)
    if args.lint:
        for line in warnings:
            print(line, file=sys.stderr)
    if issues:
        for line in issues:
            print(line, file=sys.stderr)
        print(f"invalid: {len(issues)} problem(s); nothing written", file=sys.stderr)
        return EXIT_INVALID
    for doc in docs:
        if args.check:
            print(f"valid: {doc.id} ({len(doc.mentions)} mentions, {len(doc.actors)} actors, "
                  f"{len(doc.events)} events, {len(doc.attributions)} attributions, "
                  f"{len(doc.positions)} positions)")
        else:
            print(f"wrote {write_document(doc, args.out)}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `communique author render|build`."""
    p = subparsers.add_parser("author", help="write documents in Communiqué markup (render, build)",
                              description="Author annotations as plain text with inline span "
                                          "markup; see corpus/AUTHORING.md.")
    sub = p.add_subparsers(dest="author_command", metavar="ACTION", required=True)
    r = sub.add_parser("render", help="canonical document -> markup",
                       description="Print a canonical document as Communiqué markup.")
    r.add_argument("document", help="a document id (looked up in --corpus) or a .json file")
    r.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    r.add_argument("--out", type=Path, help="write the markup here instead of stdout")
    r.set_defaults(func=cmd_render)
    b = sub.add_parser("build", help="markup -> validated canonical JSON",
                       description="Build markup files into canonical documents. Every problem "
                                   "is reported as FILE:LINE:COLUMN; if there is any, nothing "
                                   "is written (exit 2).")
    b.add_argument("files", nargs="+", type=Path, metavar="MARKUP_FILE")
    b.add_argument("--out", type=Path, default=DEFAULT_CORPUS, help=f"default {DEFAULT_CORPUS}")
    b.add_argument("--check", action="store_true", help="validate only; write nothing")
    b.add_argument("--lint", action="store_true",
                   help="also print style warnings (span extents per the guidelines); they never "
                        "change the exit code")
    b.set_defaults(func=cmd_build)
