"""The annotation leg of `make demo`: corpus → local Label Studio (gold as annotations) →
snapshot export → canonical documents, checked identical to the corpus."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from communique.schemas.io import dumps_document
from communique.schemas.validate import check_paths

from .pull import GOLD_DIR, convert_export, download_export
from .push import push
from .server import (DEFAULT_PORT, ServerError, client, credentials, data_dir, print_welcome,
                     start)

DEMO_PROJECT = "Communiqué (demo round trip)"
DEMO_OUT = Path("out/annotation-roundtrip")


def roundtrip_demo(corpus_dir: str | Path = "corpus/documents", *, out: Path = DEMO_OUT,
                   port: int = DEFAULT_PORT) -> int:
    """Start the local server, push the corpus with its gold as annotations, pull it back and
    compare; print where to look. 0 when every document came back identical, 2 when the corpus
    is invalid, 1 on any other failure. The server keeps running (`make stop` ends it)."""
    corpus = check_paths([corpus_dir])
    if corpus.problems:
        for p in corpus.problems:
            print(p, file=sys.stderr)
        print(f"annotation demo: the corpus has {len(corpus.problems)} problem(s)", file=sys.stderr)
        return 2
    folder = data_dir()
    try:
        print("starting Label Studio (the first start migrates its database, ≈45 s) …", flush=True)
        info = start(folder, port)
        ls = client(info.url, credentials(folder).token)
        # A fresh project each time: the demo shows today's corpus, not earlier runs' tasks.
        for old in ls.projects.list(title=DEMO_PROJECT):
            if old.title == DEMO_PROJECT:
                ls.projects.delete(old.id)
        report = push(ls, corpus.documents, title=DEMO_PROJECT, gold=True)
        with tempfile.TemporaryDirectory(prefix="communique-export-") as tmp:
            export = download_export(ls, report.project_id, Path(tmp) / "export.json")
            summary = convert_export(export, out)
    except ServerError as e:
        print(f"annotation demo: {e}", file=sys.stderr)
        return 1
    for line in report.lines() + summary.lines():
        print(f"  {line}")
    if summary.problems:
        for p in summary.problems:
            print(p, file=sys.stderr)
        return 1
    changed = []
    for doc in corpus.documents:
        back = out / GOLD_DIR / f"{doc.id}.json"
        if not back.exists() or back.read_text(encoding="utf-8") != dumps_document(doc):
            changed.append(doc.id)
    if changed:
        print(f"annotation demo: {len(changed)} document(s) changed on the way through Label "
              f"Studio: {', '.join(changed[:10])}", file=sys.stderr)
        return 1
    print(f"round trip: all {len(corpus.documents)} document(s) came back from Label Studio "
          f"identical (pulled into {out}/)")
    print_welcome(info, credentials(folder), folder)
    print(f"  the annotations: {info.url}/projects/{report.project_id}/data  (`make stop` ends "
          "the server)")
    return 0
