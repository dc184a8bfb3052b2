"""Export (snapshot API) and conversion to canonical documents: one set per annotator plus the
chosen gold. The export is streamed to disk and parsed task by task, so memory does not grow
with the number of tasks; the output folder appears whole or not at all."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from communique.schemas.io import dumps_document
from communique.schemas.model import Document
from communique.schemas.spec import Spec, load_spec

from .convert import DATA_DOCUMENT, PullProblem, annotation_to_document, document_of_task

GOLD_DIR, ANNOTATORS_DIR, SUMMARY_FILE = "gold", "annotators", "summary.json"


class ExportError(Exception):
    """The export could not be made or read; the message says why."""


def pseudonym(completed_by: Any) -> str | None:
    """A stable pseudonym for an annotator from the export's ``completed_by``: only the numeric
    user id is used, never an e-mail or a name, also when the export expands the user."""
    uid = completed_by.get("id") if isinstance(completed_by, dict) else completed_by
    if isinstance(uid, int) and not isinstance(uid, bool):
        return f"annotator-{uid}"
    return None


@dataclass(slots=True)
class TaskAnnotations:
    """The converted annotations of one task: per annotator, the gold, and the problems."""

    task_id: Any
    document_id: str
    by_annotator: dict[str, Document] = field(default_factory=dict)
    gold: Document | None = None
    gold_from: str | None = None
    cancelled: int = 0
    problems: list[PullProblem] = field(default_factory=list)
    no_gold_reason: str | None = None
    warnings: list[str] = field(default_factory=list)


def annotation_warnings(where: str, doc: Document, results: Any) -> list[str]:
    """What in a valid annotation is probably a slip, or is not kept: an empty submission,
    region notes, and actors of one document with the same name (a mention whose Actor field
    was left empty, or the name typed differently, makes an actor of its own)."""
    out = []
    if not results:
        out.append(f"{where}: no regions at all; the document is pulled with empty layers")
    noted = sorted({str(r.get("id")) for r in results or [] if isinstance(r, dict)
                    and isinstance(r.get("meta"), dict) and r["meta"].get("text")})
    if noted:
        out.append(f"{where}: region(s) {', '.join(noted)} carry a note (meta text), which the "
                   "corpus has no place for and is not pulled; raise the question in an issue "
                   "or the guidelines instead")
    by_name: dict[str, list[str]] = {}
    for actor in doc.actors:
        # Unnamed collectives share generic names and are often distinct ("reporters", rule C3).
        if actor.type != "GROUP":
            by_name.setdefault(actor.name.casefold(), []).append(actor.id)
    for ids in by_name.values():
        if len(ids) > 1:
            names = ", ".join(f"{a.id} {a.name!r} ({len(a.mention_ids)} mention(s))"
                              for a in doc.actors if a.id in ids)
            out.append(f"{where}: actors {names} have the same name; if they are one actor, "
                       "type its name in the Actor field of each of its regions")
    return out


def convert_task(task: Any, spec: Spec | None = None) -> TaskAnnotations:
    """Convert every annotation of one exported task and choose its gold: the annotation marked
    ground truth, or the only one."""
    spec = spec or load_spec()
    task_id = task.get("id") if isinstance(task, dict) else None
    if not isinstance(task, dict):
        out = TaskAnnotations(None, "?")
        out.problems.append(PullProblem(None, "?", None, None,
                                        f"found a task that is not an object: {str(task)[:60]}"))
        return out
    base, why = document_of_task(task)
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    claimed = data.get(DATA_DOCUMENT, {}).get("id") if isinstance(data.get(DATA_DOCUMENT),
                                                                    dict) else None
    # the id the task's metadata claims, even when the task cannot be read as that document
    doc_id = base.id if base else (claimed if isinstance(claimed, str) else "?")
    out = TaskAnnotations(task_id, doc_id)
    if base is None:
        out.problems.append(PullProblem(task_id, doc_id, None, None, why))
        return out
    annotations = task.get("annotations") or []
    live = []
    for a in annotations:
        if not isinstance(a, dict):
            out.problems.append(PullProblem(task_id, doc_id, None, None,
                                            "found an annotation that is not an object"))
            continue
        if a.get("was_cancelled"):
            out.cancelled += 1
            continue
        live.append(a)
    chosen: dict[str, Any] = {}
    for a in live:
        aid = a.get("id")
        who = pseudonym(a.get("completed_by"))
        if who is None:
            out.problems.append(PullProblem(task_id, doc_id, aid, None,
                                            "found completed_by without a numeric user id; "
                                            "allowed: a user id (or a user object with an id)"))
            continue
        if who in chosen:
            out.problems.append(PullProblem(task_id, doc_id, aid, None,
                                            f"found a second annotation by {who} (the first is "
                                            f"{chosen[who].get('id')}); allowed: one per annotator"))
            continue
        chosen[who] = a
        doc, problems = annotation_to_document(task_id, base, aid, a.get("result"), spec)
        out.problems += problems
        if doc is not None:
            out.by_annotator[who] = doc
            out.warnings += annotation_warnings(f"task {task_id} ({doc_id}), annotation {aid}",
                                                doc, a.get("result"))
    truth = [(who, a) for who, a in chosen.items() if a.get("ground_truth")]
    if len(truth) > 1:
        out.problems.append(PullProblem(task_id, doc_id, truth[1][1].get("id"), None,
                                        f"found {len(truth)} annotations marked ground truth; "
                                        "allowed: at most one"))
    elif truth or len(chosen) == 1:
        who = truth[0][0] if truth else next(iter(chosen))
        out.gold, out.gold_from = out.by_annotator.get(who), who
        if out.gold is None:
            out.no_gold_reason = "the gold annotation has problems"
    else:
        out.no_gold_reason = ("no annotation" if not chosen else
                              f"{len(chosen)} annotations and none marked ground truth")
    return out


def iter_export(fh: BinaryIO) -> Iterator[Any]:
    """The tasks of a Label Studio JSON export, one at a time."""
    import ijson

    try:
        yield from ijson.items(fh, "item", use_float=True)
    except ijson.JSONError as e:
        raise ExportError(f"the export is not a JSON list of tasks: {e}") from None


@dataclass(slots=True)
class PullSummary:
    """Counts of a pull, and every problem."""

    tasks: int = 0
    annotations: int = 0
    cancelled: int = 0
    converted: int = 0
    gold: int = 0
    annotators: Counter = field(default_factory=Counter)
    no_gold: Counter = field(default_factory=Counter)
    problems: list[PullProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"tasks": self.tasks, "annotations": self.annotations,
                "cancelled_skipped": self.cancelled, "converted": self.converted,
                "gold_documents": self.gold, "annotators": dict(sorted(self.annotators.items())),
                "no_gold": dict(sorted(self.no_gold.items())), "problems": len(self.problems),
                "warnings": list(self.warnings)}

    def lines(self) -> list[str]:
        out = [f"{self.tasks} task(s), {self.annotations} annotation(s): {self.converted} "
               f"converted, {self.cancelled} cancelled (skipped), {len(self.problems)} problem(s)",
               f"gold: {self.gold} document(s)"
               + "".join(f"; no gold for {n} task(s): {why}" for why, n in self.no_gold.items()),
               "annotators: " + (", ".join(f"{who} ({n})" for who, n in
                                           sorted(self.annotators.items())) or "none")]
        return out + [f"warning: {w}" for w in self.warnings]


def _atomic_dir(target: Path) -> tuple[Path, Any]:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))

    def commit() -> None:
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.rmdir(old)
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old)
    return tmp, commit


@dataclass(frozen=True, slots=True)
class _TaskOutcome:
    """What the summary needs from one converted task (the documents are already written)."""

    annotations: int
    cancelled: int
    annotators: tuple[str, ...]
    gold: bool
    no_gold_reason: str | None
    problems: tuple[PullProblem, ...]
    warnings: tuple[str, ...] = ()


def _convert_batch(tasks: list[Any], tmp: Path | None) -> list[_TaskOutcome]:
    """Convert tasks and write their documents under ``tmp`` (runs in a worker process)."""
    spec = load_spec()
    writer = _Writer(threads=4) if tmp is not None else None
    out = []
    try:
        for task in tasks:
            got = convert_task(task, spec)
            if writer is not None and tmp is not None:
                texts: dict[int, str] = {}  # the gold is one of the annotators' documents
                for who, doc in got.by_annotator.items():
                    writer.write(tmp / ANNOTATORS_DIR / who, doc, texts)
                if got.gold is not None:
                    writer.write(tmp / GOLD_DIR, got.gold, texts)
            n = len(task.get("annotations") or []) if isinstance(task, dict) else 0
            out.append(_TaskOutcome(n, got.cancelled, tuple(got.by_annotator), got.gold is not None,
                                    got.no_gold_reason, tuple(got.problems), tuple(got.warnings)))
    finally:
        if writer is not None:
            writer.close()
    return out


def _batched_outcomes(tasks: Iterator[Any], tmp: Path | None, workers: int,
                      batch: int = 50) -> Iterator[_TaskOutcome]:
    """Outcomes in task order; with several workers, batches are converted in parallel while
    at most two batches per worker wait, so memory stays flat."""
    if workers <= 1:
        for task in tasks:
            yield from _convert_batch([task], tmp)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        chunk: list[Any] = []
        for task in tasks:
            chunk.append(task)
            if len(chunk) == batch:
                pending.append(pool.submit(_convert_batch, chunk, tmp))
                chunk = []
            while len(pending) > 2 * workers:
                yield from pending.popleft().result()
        if chunk:
            pending.append(pool.submit(_convert_batch, chunk, tmp))
        while pending:
            yield from pending.popleft().result()


def convert_export(export_path: Path, out: Path | None, *, keep_going: bool = False,
                   show_progress: bool = False, workers: int | None = None) -> PullSummary:
    """Convert a JSON export file into ``out`` (``gold/``, ``annotators/<pseudonym>/``,
    ``summary.json``). With problems, nothing is written unless ``keep_going``; ``out=None``
    only checks. ``show_progress``: a progress bar on a terminal (never under CI). ``workers``:
    converting processes (default: one per CPU, at most 4)."""
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    summary = PullSummary()
    tmp, commit = _atomic_dir(out) if out is not None else (None, None)
    try:
        with open(export_path, "rb") as fh:
            tasks: Iterator[Any] = iter_export(fh)
            if show_progress:
                from .push import progress

                tasks = progress(tasks, None, "pull")
            for got in _batched_outcomes(tasks, tmp, workers):
                summary.tasks += 1
                summary.annotations += got.annotations
                summary.cancelled += got.cancelled
                summary.converted += len(got.annotators)
                summary.problems += got.problems
                summary.warnings += got.warnings
                if got.no_gold_reason:
                    summary.no_gold[got.no_gold_reason] += 1
                summary.gold += got.gold
                for who in got.annotators:
                    summary.annotators[who] += 1
        if tmp is not None:
            if summary.problems and not keep_going:
                shutil.rmtree(tmp)
                return summary
            body = summary.as_dict() | {"problem_list": [str(p) for p in summary.problems]}
            (tmp / SUMMARY_FILE).write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
            commit()
    except BaseException:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp)
        raise
    return summary


class _Writer:
    """Writes files from a few threads: creating a file costs milliseconds on some file systems,
    and the threads wait for the kernel, not for the interpreter. At most ``pending`` texts wait
    in memory, so memory stays flat however many documents are written."""

    def __init__(self, threads: int = 8, pending: int = 256):
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pull-write")
        self.pending: deque = deque()
        self.limit = pending
        self.folders: set[Path] = set()

    @staticmethod
    def _put(path: Path, text: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)

    def write(self, folder: Path, doc: Document, texts: dict[int, str]) -> None:
        if id(doc) not in texts:
            texts[id(doc)] = dumps_document(doc)
        if folder not in self.folders:
            folder.mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)
        self.pending.append(self.pool.submit(self._put, folder / f"{doc.id}.json",
                                             texts[id(doc)]))
        while len(self.pending) > self.limit:
            self.pending.popleft().result()

    def close(self) -> None:
        """Wait for every write; the first failure is raised."""
        try:
            while self.pending:
                self.pending.popleft().result()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


def download_export(ls: Any, project_id: int, dest: Path, *, timeout: float = 600.0) -> Path:
    """Make a snapshot export of every task (annotators by id only) and stream it to ``dest``."""
    export = ls.projects.exports.create(
        project_id, title="communique pull",
        serialization_options={"annotations__completed_by": {"only_id": True},
                               "predictions": {"only_id": True}, "drafts": {"only_id": True}})
    deadline = time.monotonic() + timeout
    delay = 0.1
    while True:
        got = ls.projects.exports.get(project_id, export.id)
        status = str(getattr(got, "status", ""))
        if status.endswith("completed"):
            break
        if status.endswith("failed"):
            raise ExportError(f"Label Studio export {export.id} of project {project_id} failed")
        if time.monotonic() > deadline:
            raise ExportError(f"Label Studio export {export.id} not ready after {timeout:.0f} s")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as fh:
        for chunk in ls.projects.exports.download(project_id, export.id, export_type="JSON",
                                                  request_options={"chunk_size": 1 << 20}):
            fh.write(chunk)
    return dest
