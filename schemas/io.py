"""Reading and writing canonical documents: one reviewable JSON file per document, JSON Lines
for batches, and atomic writes (temporary file, then rename) so nothing is left half-written."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from .model import LAYERS, METADATA_FIELDS, Document

DOCUMENT_SUFFIX = ".json"


def _compact(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


def dumps_document(doc: Document | Mapping[str, Any]) -> str:
    """Canonical, diff-friendly JSON: one metadata field per line and one layer item per line."""
    d = doc.to_dict() if isinstance(doc, Document) else doc
    lines = ["{"]
    keys = [k for k in METADATA_FIELDS if k in d] + [k for k in LAYERS if k in d]
    keys += [k for k in d if k not in keys]
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = d[key]
        if key in LAYERS and value:
            lines.append(f"  {json.dumps(key)}: [")
            lines += [f"    {_compact(item)}{',' if j < len(value) - 1 else ''}"
                      for j, item in enumerate(value)]
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {_compact(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    # mkstemp makes the file 0600; give it the mode a plain open() would (0666 less the umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")


def write_document(doc: Document, folder: str | os.PathLike[str]) -> Path:
    """Write ``doc`` as ``folder/<id>.json`` atomically; return the path."""
    path = Path(folder) / f"{doc.id}{DOCUMENT_SUFFIX}"
    atomic_write_text(path, dumps_document(doc))
    return path


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows as JSON Lines atomically; return the number of rows."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


RELEASE_MARKER = "MANIFEST.json"
# The `documents` config of a release stores each canonical document plus this column: the
# length of its text in code points, kept when the text is withheld.
TEXT_LENGTH = "text_length"


def read_release_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``MANIFEST.json`` of a release folder."""
    return json.loads((Path(folder) / RELEASE_MARKER).read_text(encoding="utf-8"))


def iter_release_documents(folder: str | os.PathLike[str], splits: Iterable[str] | None = None
                           ) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(place, split, document)`` for every document of a release, split by split (default:
    every split its manifest lists, in that order) and in id order within a split; ``place`` is
    ``file:row N``. Documents are canonical dicts; ``text`` is None where it was withheld."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    listed = read_release_manifest(folder)["configs"]["documents"]
    for split in listed if splits is None else splits:
        rel = listed[split]["file"]
        if rel is None:
            continue
        path, row = folder / rel, 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1000):
            for doc in batch.to_pylist():
                row += 1
                doc.pop(TEXT_LENGTH, None)
                yield f"{path}:row {row}", split, doc


def release_folders(folder: str | os.PathLike[str]) -> list[Path]:
    """Release folders (those holding a ``MANIFEST.json``) at or below ``folder``."""
    return sorted(p.parent for p in Path(folder).rglob(RELEASE_MARKER))


def document_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and folders into the canonical document files (``*.json``, ``*.jsonl``),
    sorted within each folder; folders are searched recursively, except hidden folders and
    release folders (see ``release_folders``), whose files are Parquet data and metadata."""
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.is_dir():
            out.append(p)
            continue
        skip = release_folders(p)
        for q in sorted(p.rglob("*")):
            rel = q.relative_to(p).parts
            if (q.suffix in (".json", ".jsonl") and q.is_file()
                    and not any(part.startswith(".") for part in rel)
                    and not any(q.is_relative_to(r) for r in skip)):
                out.append(q)
    return out


class InputError(Exception):
    """Input that cannot even be parsed: ``places`` lists each ``(place, what)``, where place
    is ``file`` or ``file:line``; the message is those, one per line."""

    def __init__(self, places: list[tuple[str, str]]):
        self.places = list(places)
        super().__init__("\n".join(f"{place}: {what}" for place, what in self.places))


def iter_raw_documents(path: Path, lines: bool | None = None) -> Iterator[tuple[str, Any]]:
    """Yield ``(place, object)`` for each document in a ``.json`` or ``.jsonl`` file, where
    ``place`` is ``file`` or ``file:line``; ``lines`` forces JSON Lines (default: by suffix). A
    leading byte order mark is ignored. Raises InputError for unreadable JSON: in JSON Lines,
    after yielding every readable line, naming every unreadable one."""
    try:
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        raise InputError([(str(path), f"not UTF-8 text (byte {e.start}: {e.reason})")]) from None
    except OSError as e:
        raise InputError([(str(path), f"cannot read ({e.strerror})")]) from None
    if lines or (lines is None and path.suffix == ".jsonl"):
        bad: list[tuple[str, str]] = []
        # split("\n"), not splitlines(): U+2028 and friends may stand inside a JSON string.
        for lineno, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                bad.append((f"{path}:{lineno}", f"invalid JSON: {e.msg} at column {e.colno}"))
                continue
            yield f"{path}:{lineno}", obj
        if bad:
            raise InputError(bad)
    else:
        try:
            yield str(path), json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError([(str(path), f"invalid JSON: {e.msg} at line {e.lineno} column "
                                          f"{e.colno}")]) from None
