"""``communique corpus add`` and ``communique corpus import``: articles into corpus documents."""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import multiprocessing
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterator, Sequence

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2
DEFAULT_OUT = Path("corpus/documents")
# Rows handed to the workers at a time: large enough to keep them busy, small enough that
# memory does not depend on the size of the batch.
WINDOW_ROWS = 512

EXIT_HELP = """\
exit status:
  0  every input was added, or skipped as an exact or near duplicate
  2  at least one input was rejected (each reason is printed on stderr; the other inputs were
     still added, and nothing half-written is left)
  1  any other failure, such as an output folder that cannot be written
"""

METADATA_HELP = {
    "title": "headline (default: from the HTML page; none for text)",
    "date": "publication date, YYYY-MM-DD (default: from the HTML page)",
    "source": "publisher or wire service (default: the HTML page's site name)",
    "url": "where the article was published (default: the HTML page's canonical URL)",
    "license": "licence or rights statement of the text (required: releases withhold texts "
               "whose licence does not allow redistribution)",
    "language": "BCP 47 language tag (default: en)",
    "provenance": "news (real published text) or synthetic (written by the team) (required)",
}


ADD_DESCRIPTION = """\
Add news articles from plain-text (.txt) or HTML (.html) files as corpus documents with
empty layers. HTML is read with trafilatura (article text, title, date, site name, URL);
options override what the page says. The text is NFC-normalised and otherwise kept exactly:
offsets refer to it. The id comes from the text, so it does not depend on the order of
import. Licence and provenance are required: a release may withhold the texts whose licence
does not allow redistribution.
"""

IMPORT_DESCRIPTION = """\
Import articles from a JSON Lines or CSV file (UTF-8), one per row: a 'text' or an 'html'
column, plus the metadata columns title, date, source, url, license, language, provenance.
A row's own values win over what its HTML page says, which wins over the options below. A bad
row is rejected with its place and reason; the other rows are still imported.
"""


def _corpus_subparsers(subparsers: Any) -> Any:
    """The ``communique corpus`` action group, created here or reused if another module made it.

    Several modules add ``corpus`` subcommands, and argparse refuses a second parser with the
    same name, so whoever comes first creates it and the others add to it.
    """
    parser = subparsers.choices.get("corpus")
    if parser is None:
        parser = subparsers.add_parser("corpus", help="bring articles in (add, import)",
                                       description="Corpus documents: add and import articles.")
        parser.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    for action in parser._actions:  # argparse keeps the subparsers action only here
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"folder the documents are written to (default {DEFAULT_OUT}); "
                        "duplicates are also looked for there")
    p.add_argument("--allow-near-duplicates", action="store_true",
                   help="add near duplicates (a republished copy of a document already there) "
                        "instead of skipping them; exact duplicates are always skipped")
    p.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="report as readable lines or one JSON object on stdout")


def register(subparsers: Any) -> None:
    """Add ``corpus add`` and ``corpus import`` to the ``communique`` command."""
    actions = _corpus_subparsers(subparsers)
    fmt = argparse.RawDescriptionHelpFormatter

    p = actions.add_parser(
        "add", help="add articles from .txt or .html files", formatter_class=fmt,
        description=ADD_DESCRIPTION, epilog=EXIT_HELP)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    for name, text in METADATA_HELP.items():
        p.add_argument(f"--{name}", help=text)
    p.add_argument("--encoding", default="utf-8", help="encoding of the files (default utf-8)")
    _common(p)
    p.set_defaults(func=cmd_add)

    p = actions.add_parser(
        "import", help="import a JSON Lines or CSV batch of articles", formatter_class=fmt,
        description=IMPORT_DESCRIPTION, epilog=EXIT_HELP)
    p.add_argument("batch", type=Path, metavar="BATCH")
    p.add_argument("--batch-format", choices=("jsonl", "csv"),
                   help="default: from the suffix (.jsonl, .ndjson, .csv)")
    for name in ("date", "source", "license", "language", "provenance"):
        p.add_argument(f"--{name}", help=f"{name} for rows that have none (nor one from their "
                                         "HTML page)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="worker processes that extract, validate and hash rows (default: the "
                        "number of CPUs; 1 runs everything in this process)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _common(p)
    p.set_defaults(func=cmd_import)


class Tally:
    """Counts of outcomes by status; keeps the outcomes worth printing, not every added one."""

    def __init__(self, keep_added: bool):
        self.keep_added = keep_added
        self.counts: Counter[str] = Counter()
        self.kept: list[Any] = []

    def add(self, outcome: Any) -> None:
        self.counts[outcome.status] += 1
        if self.keep_added or outcome.status != "added":
            self.kept.append(outcome)


def _report(tally: Tally, args: argparse.Namespace, warnings: Sequence[str]) -> int:
    from communique.corpus.ingest import ADDED, DUPLICATE, FAILED, NEAR_DUPLICATE, REJECTED

    counts = tally.counts
    code = EXIT_FAIL if counts[FAILED] else EXIT_INVALID if counts[REJECTED] else EXIT_OK
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps({"added": counts[ADDED], "duplicates": counts[DUPLICATE],
                          "near_duplicates": counts[NEAR_DUPLICATE],
                          "rejected": counts[REJECTED], "failed": counts[FAILED],
                          "dry_run": args.dry_run, "out": str(args.out), "exit": code,
                          "outcomes": [o.as_dict() for o in tally.kept]},
                         ensure_ascii=False, indent=1))
        return code
    verb = "would add" if args.dry_run else "added"
    for o in tally.kept:
        if o.status == ADDED:
            print(f"{verb} {o.doc_id}  {o.place}" + (f" -> {o.path}" if o.path else ""))
        elif o.status in (REJECTED, FAILED):
            print(f"{o.status}: {o.place}: {o.detail}", file=sys.stderr)
        else:
            kind = "duplicate" if o.status == DUPLICATE else "near duplicate"
            print(f"skipped ({kind}): {o.place}: {o.detail}", file=sys.stderr)
    failed = f", failed {counts[FAILED]}" if counts[FAILED] else ""
    print(f"{verb} {counts[ADDED]}, skipped {counts[DUPLICATE]} duplicate(s) and "
          f"{counts[NEAR_DUPLICATE]} near duplicate(s), rejected {counts[REJECTED]}{failed} "
          f"(of {sum(counts.values())} input(s)); documents in {args.out}")
    return code


ADD_HOW = {"license": "--license", "provenance": "--provenance", "date": "--date",
           "source": "--source"}


def cmd_add(args: argparse.Namespace) -> int:
    from communique.corpus.ingest import (
        Ingestor, Metadata, Prepared, Rejected, prepare, read_article)

    if len(args.files) > 1 and (args.title or args.url):
        print("--title and --url name one article; give them with a single FILE",
              file=sys.stderr)
        return EXIT_INVALID
    given = Metadata(title=args.title, date=args.date, source=args.source, url=args.url,
                     license=args.license, language=args.language, provenance=args.provenance)
    ingestor = Ingestor(args.out, allow_near=args.allow_near_duplicates, dry_run=args.dry_run)
    ingestor.load_existing()
    tally = Tally(keep_added=True)
    for path in args.files:
        try:
            article = read_article(path, args.encoding)
        except Rejected as e:
            tally.add(ingestor.offer(str(path), Prepared(error=str(e))))
            continue
        tally.add(ingestor.offer(str(path), prepare(article, given.over(article.metadata),
                                                    ADD_HOW)))
    return _report(tally, args, ingestor.warnings)


def _column_how(name: str) -> str:
    return f"a {name!r} column or --{name}"


def _prepared(rows: Iterator[Any], work: Any, pool: Any) -> Iterator[tuple[Any, Any]]:
    """``(row, work(row))`` in batch order. With a pool, rows go out in windows: memory stays
    bounded (``Pool.imap`` would read the whole file ahead) and the workers prepare the next
    window while the caller handles the previous one."""
    if pool is None:
        for row in rows:
            yield row, work(row)
        return
    pending = None
    while window := list(itertools.islice(rows, WINDOW_ROWS)):
        submitted = (window, pool.map_async(work, window, chunksize=16))
        if pending is not None:
            yield from zip(pending[0], pending[1].get(), strict=True)
        pending = submitted
    if pending is not None:
        yield from zip(pending[0], pending[1].get(), strict=True)


def cmd_import(args: argparse.Namespace) -> int:
    from communique.corpus.ingest import (
        Ingestor, Metadata, Rejected, batch_format, csv_header, iter_csv, iter_jsonl,
        prepare_row, progress_bar, unknown_columns)

    if args.jobs < 1:
        print(f"--jobs: found {args.jobs}; allowed: 1 or more", file=sys.stderr)
        return EXIT_INVALID
    try:
        fmt = batch_format(args.batch, args.batch_format)
        size = args.batch.stat().st_size
        fh = open(args.batch, "rb")
    except Rejected as e:
        print(f"{args.batch}: {e}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as e:
        print(f"{args.batch}: cannot read ({e.strerror})", file=sys.stderr)
        return EXIT_INVALID
    # Workers are forked first: before the progress bar starts its monitor thread, and before
    # the duplicate index of the output folder is built (they never need it).
    pool = multiprocessing.get_context("fork").Pool(args.jobs) if args.jobs > 1 else None
    defaults = Metadata(date=args.date, source=args.source, license=args.license,
                        language=args.language, provenance=args.provenance)
    how = {name: _column_how(name) for name in ("license", "provenance", "date", "source")}
    ingestor = Ingestor(args.out, allow_near=args.allow_near_duplicates, dry_run=args.dry_run)
    ingestor.load_existing()
    if fmt == "csv":
        extra = unknown_columns(csv_header(args.batch))
        if extra:
            ingestor.warnings.append(f"{args.batch}: column(s) not read: {', '.join(extra)}")
    tally = Tally(keep_added=args.format == "json")
    seen_extra: set[str] = set()
    name = str(args.batch)
    work = functools.partial(prepare_row, defaults=defaults, how=how)
    try:
        with fh, progress_bar(size, args.batch.name, quiet=args.no_progress) as bar:
            rows = iter_csv(fh, name, bar) if fmt == "csv" else iter_jsonl(fh, name, bar)
            for row, prepared in _prepared(rows, work, pool):
                if fmt == "jsonl" and row.fields is not None:
                    for col in unknown_columns([k for k in row.fields if k not in seen_extra]):
                        ingestor.warnings.append(f"{name}: field {col} not read (first seen at "
                                                 f"{row.place})")
                    seen_extra.update(row.fields)
                tally.add(ingestor.offer(row.place, prepared))
    finally:
        if pool is not None:
            pool.terminate()
    return _report(tally, args, ingestor.warnings)
