"""`communique ls serve|stop|config|push|pull` and `communique agreement`.

Exit codes: 0 success, 2 invalid input (every problem printed to stderr), 1 any other failure.
Heavy imports (the SDK, ijson, krippendorff) happen inside the handlers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2
DEFAULT_CORPUS = Path("corpus/documents")


def _err(*lines: object) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import ServerError, credentials, data_dir, print_welcome, running, start

    folder = data_dir(args.data)
    before = running(folder)
    try:
        info = start(folder, args.port)
    except ServerError as e:
        _err(f"ls serve: {e}")
        return EXIT_FAIL
    if before:
        print("(already running)")
    print_welcome(info, credentials(folder), folder)
    return EXIT_OK


def cmd_stop(args: argparse.Namespace) -> int:
    from .server import data_dir, stop

    folder = data_dir(args.data)
    print("stopped Label Studio" if stop(folder) else f"no Label Studio running for {folder}")
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    from .ls_config import labeling_config

    xml = labeling_config()
    if args.output:
        from communique.schemas.io import atomic_write_text

        atomic_write_text(args.output, xml)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(xml)
    return EXIT_OK


def _connect(args: argparse.Namespace):
    from .server import client, connection

    url, token = connection(args.data)
    return client(url, token), url


def cmd_push(args: argparse.Namespace) -> int:
    from communique.schemas.validate import check_paths, check_predictions

    from .push import push
    from .server import ServerError

    if args.predictions and args.gold:
        _err("ls push: choose --gold (annotations) or --predictions (pre-annotations), not both")
        return EXIT_INVALID
    if args.predictions and not args.model_version:
        _err("ls push: --predictions needs --model-version (shown in Label Studio)")
        return EXIT_INVALID
    corpus = check_paths(args.paths or [DEFAULT_CORPUS])
    if corpus.problems:
        _err(*corpus.problems, f"ls push: {len(corpus.problems)} problem(s); nothing pushed")
        return EXIT_INVALID
    preds = []
    if args.predictions:
        preds, problems = check_predictions(args.predictions, {d.id: d for d in corpus.documents})
        if problems:
            _err(*problems, f"ls push: {len(problems)} problem(s) in {args.predictions}; "
                            "nothing pushed")
            return EXIT_INVALID
    try:
        ls, url = _connect(args)
        report = push(ls, corpus.documents, title=args.project, gold=args.gold, predictions=preds,
                      model_version=args.model_version, batch=args.batch)
    except ServerError as e:
        _err(f"ls push: {e}")
        return EXIT_FAIL
    for line in report.lines():
        print(line)
    print(f"open {url}/projects/{report.project_id}/data")
    return EXIT_OK


def _project_id(ls, title: str) -> int | None:
    for p in ls.projects.list(title=title):
        if p.title == title:
            return p.id
    return None


def cmd_pull(args: argparse.Namespace) -> int:
    from .pull import ExportError, convert_export, download_export
    from .server import ServerError

    try:
        if args.export:
            export = args.export
        else:
            ls, _ = _connect(args)
            pid = _project_id(ls, args.project)
            if pid is None:
                _err(f"ls pull: no project titled {args.project!r}; push first")
                return EXIT_FAIL
            if args.keep_export:
                export = download_export(ls, pid, args.keep_export)
            else:
                tmpdir = tempfile.TemporaryDirectory(prefix="communique-export-")
                export = download_export(ls, pid, Path(tmpdir.name) / "export.json")
        summary = convert_export(export, args.out, keep_going=args.keep_going, show_progress=True)
    except (ServerError, ExportError) as e:
        _err(f"ls pull: {e}")
        return EXIT_FAIL
    for line in summary.lines():
        print(line)
    if summary.problems:
        _err(*summary.problems)
        if not args.keep_going:
            _err(f"ls pull: {len(summary.problems)} problem(s); nothing written "
                 "(--keep-going writes the valid annotations)")
            return EXIT_INVALID
        print(f"wrote {args.out} (valid annotations only)")
        return EXIT_INVALID
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_agreement(args: argparse.Namespace) -> int:
    from .agreement import AgreementInputError, agreement_report, load_annotations

    try:
        sets, problems = load_annotations(args.source)
    except AgreementInputError as e:
        _err(f"agreement: {e}")
        return EXIT_INVALID
    if problems:
        _err(*problems, f"agreement: {len(problems)} problem(s) in {args.source}")
        return EXIT_INVALID
    report = agreement_report(sets)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.as_table())
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `ls` and `agreement` to the `communique` command."""
    p = sub.add_parser("ls", help="Label Studio: local server, project, push and pull",
                       description="Annotate in a local Label Studio (127.0.0.1, SQLite under "
                                   ".communique/label-studio).")
    ls_sub = p.add_subparsers(dest="ls_command", metavar="ACTION", required=True)

    def data_opt(q: argparse.ArgumentParser) -> None:
        q.add_argument("--data", type=Path, default=None,
                       help="server data folder (default .communique/label-studio or "
                            "$COMMUNIQUE_LS_DATA)")

    q = ls_sub.add_parser("serve", help="start the local server (fast after the first time)")
    data_opt(q)
    q.add_argument("--port", type=int, default=18080, help="port on 127.0.0.1 (default 18080)")
    q.set_defaults(func=cmd_serve)

    q = ls_sub.add_parser("stop", help="stop the local server")
    data_opt(q)
    q.set_defaults(func=cmd_stop)

    q = ls_sub.add_parser("config", help="print the labeling config generated from the schema")
    q.add_argument("-o", "--output", type=Path, help="write it to this file instead")
    q.set_defaults(func=cmd_config)

    q = ls_sub.add_parser("push", help="create/update the project and import documents",
                          description="Import documents as tasks (idempotent by document id), "
                                      "optionally with their gold layers as annotations or a "
                                      "prediction file as pre-annotations.")
    q.add_argument("paths", nargs="*", type=Path, help=f"documents; default {DEFAULT_CORPUS}")
    q.add_argument("--gold", action="store_true", help="also import the layers as annotations")
    q.add_argument("--predictions", type=Path, help="prediction JSON Lines to import as "
                                                    "pre-annotations")
    q.add_argument("--model-version", help="model_version of the predictions")
    q.add_argument("--project", default="Communiqué", help="project title (default Communiqué)")
    q.add_argument("--batch", type=int, default=2000, help="tasks per import request")
    data_opt(q)
    q.set_defaults(func=cmd_push)

    q = ls_sub.add_parser("pull", help="export the project and convert it to canonical documents",
                          description="Snapshot export → OUT/gold/<id>.json (ground truth or "
                                      "the only annotation), OUT/annotators/<pseudonym>/<id>.json,"
                                      " OUT/summary.json. Every problem is reported with task, "
                                      "annotation and region id; exit 2 if any.")
    q.add_argument("out", type=Path, help="output folder (replaced atomically)")
    q.add_argument("--project", default="Communiqué")
    q.add_argument("--export", type=Path, help="convert this JSON export file instead of asking "
                                               "the server")
    q.add_argument("--keep-export", type=Path, help="also keep the downloaded export here")
    q.add_argument("--keep-going", action="store_true",
                   help="write the valid annotations even when some have problems")
    data_opt(q)
    q.set_defaults(func=cmd_pull)

    p = sub.add_parser("agreement", help="inter-annotator agreement per layer",
                       description="Pairwise span F1 (strict, overlap), Cohen's kappa and "
                                   "Krippendorff's alpha on matched spans, relation agreement; "
                                   "per document and averaged (see annotation/AGREEMENT.md).")
    p.add_argument("source", type=Path, help="a Label Studio JSON export or a `ls pull` folder")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_agreement)
