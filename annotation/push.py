"""Project set-up and import: documents as tasks, gold as annotations, predictions as
pre-annotations. Idempotent by document id: a second push adds nothing it already added."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence, TypeVar

from communique.schemas.model import LAYERS, Document, Prediction

from .convert import DATA_DOCUMENT, results_for, task_for
from .ls_config import labeling_config

DEFAULT_PROJECT = "Communiqué"
BATCH = 2000  # tasks per request: each request also has a cost that grows with the project
T = TypeVar("T")


@dataclass(slots=True)
class PushReport:
    """What a push did, in counts of tasks, annotations and predictions."""

    project_id: int = 0
    project_created: bool = False
    config_updated: bool = False
    tasks_created: int = 0
    tasks_existing: int = 0
    tasks_updated: int = 0
    annotations_created: int = 0
    annotations_existing: int = 0
    annotations_updated: int = 0
    predictions_created: int = 0
    predictions_replaced: int = 0
    predictions_existing: int = 0

    def lines(self) -> list[str]:
        return [
            f"project {self.project_id} ({'created' if self.project_created else 'existing'}"
            f"{', config updated' if self.config_updated else ''})",
            f"tasks: {self.tasks_created} created, {self.tasks_existing} already there "
            f"({self.tasks_updated} with metadata updated)",
            f"annotations: {self.annotations_created} created, {self.annotations_updated} "
            f"updated, {self.annotations_existing} already there",
            f"predictions: {self.predictions_created} created, {self.predictions_replaced} "
            f"replaced, {self.predictions_existing} already there",
        ]


def progress(iterable: Iterable[T], total: int | None, desc: str) -> Iterator[T]:
    """A progress bar on a terminal; quiet under CI or when stderr is not a terminal."""
    if os.environ.get("CI") or not sys.stderr.isatty():
        yield from iterable
        return
    from tqdm import tqdm

    yield from tqdm(iterable, total=total, desc=desc, unit="task", leave=False)


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def result_key(result: Any) -> str:
    """A fingerprint of a result list that ignores key order (to spot an identical annotation)."""
    return hashlib.sha256(json.dumps(result, sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


class PushError(Exception):
    """Label Studio refused an import; the message carries its answer."""


def post_json(ls: Any, path: str, body: bytes) -> Any:
    """POST a JSON body with the SDK's own authenticated HTTP client; the answer's JSON.

    The SDK's typed methods walk every task through their serialiser first, which costs more
    client time than the server needs for the import itself; the request is the same.
    """
    resp = ls._client_wrapper.httpx_client.request(
        path, method="POST", content=body, headers={"Content-Type": "application/json"},
        request_options={"timeout_in_seconds": 600})
    if resp.status_code >= 400:
        raise PushError(f"Label Studio refused POST {path} ({resp.status_code}): "
                        f"{resp.text[:500]}")
    return resp.json()


def import_tasks(ls: Any, project_id: int, body: bytes, expected: int) -> list[int]:
    """Import a JSON list of ``expected`` tasks into the project; their ids, in order."""
    answer = post_json(ls, f"api/projects/{project_id}/import?return_task_ids=true", body)
    ids = answer.get("task_ids") or []
    if len(ids) != expected:
        raise PushError(f"Label Studio created {len(ids)} task(s) for {expected} sent")
    return ids


def ensure_project(ls: Any, title: str, config: str | None = None) -> tuple[int, bool, bool]:
    """The id of the project with this title, created or with its config brought up to date;
    also whether it was created and whether its config changed."""
    config = config or labeling_config()
    for p in ls.projects.list(title=title):
        if p.title == title:
            if (p.label_config or "").strip() != config.strip():
                ls.projects.update(p.id, label_config=config)
                return p.id, False, True
            return p.id, False, False
    p = ls.projects.create(title=title, label_config=config,
                           description="Communiqué: events, actors, positions, attributions "
                                       "(config generated from schemas/communique.yaml)")
    return p.id, True, False


def existing_tasks(ls: Any, project_id: int, full: bool) -> dict[str, dict[str, Any]]:
    """Document id → the project's task (with annotations and predictions when ``full``)."""
    out: dict[str, dict[str, Any]] = {}
    pager = ls.tasks.list(project=project_id, fields="all" if full else "task_only",
                          page_size=1000)
    for t in pager:
        data = t.data or {}
        meta = data.get(DATA_DOCUMENT) if isinstance(data, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("id"), str):
            out[meta["id"]] = {
                "id": t.id, "data": data,
                "annotations": [a if isinstance(a, dict) else a.dict()
                                for a in (getattr(t, "annotations", None) or [])],
                "predictions": [p if isinstance(p, dict) else p.dict()
                                for p in (getattr(t, "predictions", None) or [])],
            }
    return out


def _user_id(annotation: dict[str, Any]) -> Any:
    who = annotation.get("completed_by")
    return who.get("id") if isinstance(who, dict) else who


def prediction_document(pred: Prediction, gold: Document) -> Document:
    """The gold document's text and metadata with the predicted layers (unpredicted: empty)."""
    return gold.without_layers().with_layers(
        **{name: pred.get(name) or () for name in LAYERS})


def push(ls: Any, docs: Sequence[Document], *, title: str = DEFAULT_PROJECT,
         gold: bool = False, predictions: Sequence[Prediction] = (),
         model_version: str | None = None, batch: int = BATCH) -> PushReport:
    """Create or update the project and bring the documents (and gold or predictions) in."""
    report = PushReport()
    report.project_id, report.project_created, report.config_updated = ensure_project(ls, title)
    pid = report.project_id
    preds = {p.id: p for p in predictions}
    by_id = {d.id: d for d in docs}
    want_full = gold or bool(preds)
    whoami: list[int] = []

    def me() -> int:
        if not whoami:
            whoami.append(ls.users.whoami().id)
        return whoami[0]
    existing = {} if report.project_created else existing_tasks(ls, pid, want_full)

    def task_json(doc: Document) -> dict[str, Any]:
        task: dict[str, Any] = {"data": task_for(doc)}
        if gold:
            task["annotations"] = [{"result": results_for(doc), "ground_truth": True}]
        return task

    def prepare(chunk: Sequence[Document]) -> tuple[Sequence[Document], bytes, list[str | None]]:
        """The JSON of a batch's tasks and of each document's prediction result."""
        body = json.dumps([task_json(d) for d in chunk], ensure_ascii=False).encode("utf-8")
        results = [json.dumps(results_for(prediction_document(preds[d.id], d)),
                              ensure_ascii=False) if d.id in preds else None for d in chunk]
        return chunk, body, results

    new = [d for d in docs if d.id not in existing]
    version = json.dumps(model_version)
    done = 0
    # The next batch is serialised while the server imports the current one.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-prepare") as pool:
        chunks = list(_batches(new, batch))
        ahead = pool.submit(prepare, chunks[0]) if chunks else None
        for i in progress(range(len(chunks)), len(chunks), "push"):
            chunk, body, results = ahead.result()  # type: ignore[union-attr]
            ahead = pool.submit(prepare, chunks[i + 1]) if i + 1 < len(chunks) else None
            ids = import_tasks(ls, pid, body, len(chunk))
            # Predictions go to their own bulk endpoint once the tasks exist: the task import
            # checks each prediction against the config region by region, which costs more
            # than the import itself (`ls pull` checks every result on the way back anyway).
            lines = [f'{{"task": {tid}, "model_version": {version}, "result": {res}}}'
                     for tid, res in zip(ids, results, strict=True) if res is not None]
            if lines:
                post_json(ls, f"api/projects/{pid}/import/predictions",
                          ("[" + ",".join(lines) + "]").encode("utf-8"))
            done += len(chunk)
    report.tasks_created = done
    if gold:
        report.annotations_created += done
    report.predictions_created += sum(1 for d in new if d.id in preds)

    for doc_id, task in existing.items():
        doc = by_id.get(doc_id)
        if doc is None:
            continue
        report.tasks_existing += 1
        data = task_for(doc)
        if task["data"] != data:
            ls.tasks.update(str(task["id"]), data=data)
            report.tasks_updated += 1
        if gold:
            result = results_for(doc)
            key = result_key(result)
            live = [a for a in task["annotations"] if not a.get("was_cancelled")]
            # The gold pushed before (ours, ground truth) follows the corpus, which is where gold
            # is decided; anyone else's annotation is left alone.
            ours = [a for a in live if a.get("ground_truth") and _user_id(a) == me()]
            if any(result_key(a.get("result")) == key for a in live):
                report.annotations_existing += 1
            elif ours:
                ls.annotations.update(ours[0]["id"], result=result, ground_truth=True)
                report.annotations_updated += 1
            else:
                ls.annotations.create(id=task["id"], result=result, ground_truth=True)
                report.annotations_created += 1
        if doc_id in preds:
            result = results_for(prediction_document(preds[doc_id], doc))
            same = [p for p in task["predictions"] if p.get("model_version") == model_version]
            if any(result_key(p.get("result")) == result_key(result) for p in same):
                report.predictions_existing += 1
                continue
            for p in same:
                ls.predictions.delete(p["id"])
            ls.predictions.create(task=task["id"], result=result, model_version=model_version)
            if same:
                report.predictions_replaced += 1
            else:
                report.predictions_created += 1
    return report
