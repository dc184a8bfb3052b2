"""Reading what the scorer compares: gold documents (a release folder and split, a folder of
canonical documents, or a JSON Lines file) and predictions (JSON Lines, or Parquet with the same
columns). Everything is validated first and every problem is collected; nothing is scored when
anything is wrong."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from communique.schemas.io import (RELEASE_MARKER, InputError, iter_raw_documents,
                                   iter_release_documents, read_release_manifest)
from communique.schemas.model import LAYERS
from communique.schemas.validate import (Problem, check_paths, unreadable_problems,
                                         validate_document, validate_prediction)


class InputProblems(Exception):
    """Every problem with the inputs; ``str()`` lists them one per line."""

    def __init__(self, problems: list[Problem | str]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass
class Gold:
    """Validated gold documents (canonical dicts, in id order) and where they came from."""

    documents: list[dict[str, Any]]
    corpus: str
    release: str = "none"
    split: str = "all"
    texts_by_id: dict[str, str] = field(default_factory=dict)

    def content_hash(self) -> str:
        """First 12 hex digits of a SHA-256 over ids, text hashes and layers, in id order."""
        h = hashlib.sha256()
        for d in self.documents:
            layers = {k: d.get(k) or [] for k in LAYERS}
            h.update(json.dumps([d["id"], d["text_sha256"], layers], sort_keys=True,
                                ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            h.update(b"\n")
        return h.hexdigest()[:12]


def _release_rows(folder: Path, split: str) -> Iterator[tuple[str, Any]]:
    files = read_release_manifest(folder).get("configs", {}).get("documents", {})
    if split not in files:
        raise InputProblems([f"{folder}: --split {split}: no such split; allowed: "
                             f"{', '.join(files) or 'none listed in ' + RELEASE_MARKER}"])
    for place, _, doc in iter_release_documents(folder, [split]):
        yield place, doc


def load_gold(path: Path, split: str | None) -> Gold:
    """Validated gold from a release folder (needs ``split``), a folder or a JSON Lines file."""
    if path.is_dir() and (path / RELEASE_MARKER).exists():
        if split is None:
            raise InputProblems([f"{path}: a release folder needs --split; allowed: train, "
                                 "validation, test (as the release lists them)"])
        manifest = read_release_manifest(path)
        docs, problems = [], []
        for place, obj in _release_rows(path, split):
            if isinstance(obj, dict) and obj.get("text") is None:
                problems.append(f"{place}: {obj.get('id', '?')}: $.text: text withheld in this "
                                "release; allowed: a rehydrated release (communique release "
                                "rehydrate) so that offsets can be checked")
                continue
            found = validate_document(obj, place)
            problems += found
            if not found:
                docs.append(obj)
        if problems:
            raise InputProblems(problems)
        return _gold(docs, manifest.get("dataset", path.parent.name),
                     str(manifest.get("version", path.name.removeprefix("v"))), split)
    if not path.exists():
        raise InputProblems([f"{path}: no such file or folder; allowed: a release folder, a "
                             "folder of canonical documents or a JSON Lines file"])
    if split is not None:
        raise InputProblems([f"{path}: --split {split}: splits exist only in a release folder "
                             f"(one with {RELEASE_MARKER}); allowed: no --split for a folder or file"])
    result = check_paths([path], raw=True)
    if result.problems:
        raise InputProblems(result.problems)
    name = path.name if path.is_dir() else path.stem
    return _gold(result.documents, name, "none", "all")


def _gold(docs: list[dict[str, Any]], corpus: str, release: str, split: str) -> Gold:
    docs.sort(key=lambda d: d["id"])
    return Gold(docs, corpus, release, split, {d["id"]: d["text"] for d in docs})


@dataclass(frozen=True, slots=True)
class _GoldText:
    """What prediction validation reads of a gold document (its text), without building the
    whole Document."""

    text: str


def _prediction_rows(path: Path) -> Iterator[tuple[str, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except Exception as e:  # pyarrow raises several types for a broken file
            raise InputError([(str(path), f"not a readable Parquet file ({e})")]) from None
        row = 0
        for batch in pf.iter_batches(batch_size=1000):
            for obj in batch.to_pylist():
                row += 1
                # A null layer in a Parquet row is an absent layer: not predicted. A null span
                # text is an absent one (it is optional in predictions).
                yield f"{path}:row {row}", {k: _drop_null_texts(v) for k, v in obj.items()
                                            if v is not None}
    else:
        yield from iter_raw_documents(path, lines=True)


def _drop_null_texts(value: Any) -> Any:
    if isinstance(value, list):
        return [_drop_null_texts(v) for v in value]
    if isinstance(value, dict):
        return {k: _drop_null_texts(v) for k, v in value.items()
                if not (k == "text" and v is None)}
    return value


def load_predictions(path: Path, gold: Gold, missing: str
                     ) -> dict[str, dict[str, Any] | None]:
    """Validated prediction lines by gold id (``None`` for a gold document with no line when
    ``missing`` is ``empty``: it is scored as predicting nothing on the predicted layers)."""
    if not path.exists():
        raise InputProblems([f"{path}: no such file; allowed: a prediction JSON Lines file or "
                             "Parquet file"])
    docs = {d["id"]: _GoldText(d["text"]) for d in gold.documents}
    preds: dict[str, dict[str, Any]] = {}
    first: dict[str, str] = {}
    problems: list[Problem | str] = []
    try:
        for place, obj in _prediction_rows(path):
            found = validate_prediction(obj, docs, place)
            doc_id = obj.get("id") if isinstance(obj, dict) else None
            if isinstance(doc_id, str) and doc_id in first:
                found.append(Problem(place, doc_id, "$.id", f"found {doc_id!r} again (first at "
                                     f"{first[doc_id]}); allowed: one line per document"))
            if isinstance(doc_id, str):
                first.setdefault(doc_id, place)
            problems += found
            if not found:
                preds[doc_id] = obj
    except InputError as e:
        problems += unreadable_problems(e)
        unreadable = True
    else:
        unreadable = False
    # An unreadable line's document is unknown: reporting documents as missing would mislead.
    if missing == "error" and not unreadable:
        for doc_id in docs:
            if doc_id not in first:
                problems.append(Problem(str(path), doc_id, "$", "no prediction line for this gold "
                                        "document; allowed: one line per gold document, or "
                                        "--missing empty to score it as predicting nothing"))
    if problems:
        raise InputProblems(problems)
    predicted = [k for k in LAYERS if any(p.get(k) is not None for p in preds.values())]
    out: dict[str, dict[str, Any] | None] = {}
    for doc_id in docs:
        out[doc_id] = preds.get(doc_id) or {"id": doc_id, **{k: [] for k in predicted}}
    return out
