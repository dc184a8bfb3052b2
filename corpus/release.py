"""Building, checking and rehydrating versioned releases of the corpus.

A release is a folder ``vX.Y.Z`` holding Parquet files for the `documents` config (all layers
nested) and one flat config per layer, a dataset card (README.md), MANIFEST.json and
croissant.json. The build

1. reads and validates every document once, in worker processes, converting the valid ones to
   Arrow batches spilled to disk; it refuses to release if anything is wrong (every problem is
   reported, nothing is written);
2. takes each document's split from the split registry (new documents are assigned there);
3. gathers the spilled rows in id order within each split, in batches of fixed size, and streams
   them into Parquet writers (one row group per batch; the flat configs are cut out of the
   nested columns by Arrow), so memory stays flat whatever the corpus size;
4. writes everything into a temporary folder beside the target and renames it into place, so a
   failed build leaves nothing behind; an existing version is never overwritten unless the new
   build is byte-identical to it.

Files are byte-identical for the same corpus, version, and tool and pyarrow versions: fixed writer
options, fixed row-group boundaries, sorted rows, no timestamps.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping, Sequence

from communique.schemas.io import (RELEASE_MARKER, InputError, atomic_write_text,
                                   document_files, iter_raw_documents, iter_release_documents,
                                   read_release_manifest)
from communique.schemas.model import nfc, sha256_text
from communique.schemas.spec import Spec, load_spec
from communique.schemas.validate import Problem, unreadable_problems, validate_document

from .release_schema import (DOCUMENTS, LAYER_RECORD, SPLITS, TEXT_LENGTH, arrow_schema,
                             configs, document_row, label_names, label_paths, map_span_texts)
from .release_splits import SplitRegistry

VERSION_RE = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
MANIFEST = RELEASE_MARKER
CARD = "README.md"
CROISSANT = "croissant.json"
BASELINE = "baseline.json"
DATASET_NAME = "communique"
# Documents per row group: fixed, so that row-group boundaries (and so the bytes) depend only on
# the data.
BATCH_DOCUMENTS = 1000
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 3,
                                   "use_dictionary": True, "write_statistics": True,
                                   "version": "2.6", "data_page_size": 1 << 20}
EXIT_FAIL, EXIT_INVALID = 1, 2


class ReleaseError(Exception):
    """A build, check or rehydration that was refused: a summary line and every problem."""

    def __init__(self, summary: str, problems: Sequence[object] = (), exit_code: int = EXIT_FAIL):
        self.summary, self.problems, self.exit_code = summary, list(problems), exit_code
        super().__init__("\n".join([*map(str, self.problems), summary]))


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build did: the release folder, ``built`` or ``unchanged``, and its manifest."""

    path: Path
    status: str
    manifest: dict[str, Any]
    new_documents: tuple[str, ...] = ()


def parse_version(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) of an ``X.Y.Z`` version; a leading ``v`` is accepted."""
    m = VERSION_RE.match(version.removeprefix("v"))
    if not m:
        raise ReleaseError(f"version: found {version!r}; allowed: X.Y.Z with non-negative "
                           "integers and no leading zeros, e.g. 0.1.0", exit_code=EXIT_INVALID)
    return int(m[1]), int(m[2]), int(m[3])


def release_versions(releases_dir: Path) -> list[str]:
    """Versions present in ``releases_dir`` (folders ``vX.Y.Z`` with a manifest), oldest first."""
    if not releases_dir.is_dir():
        return []
    found = [p.name[1:] for p in releases_dir.iterdir()
             if p.is_dir() and p.name.startswith("v") and VERSION_RE.match(p.name[1:])
             and (p / MANIFEST).exists()]
    return sorted(found, key=parse_version)


def latest_release(releases_dir: Path) -> Path | None:
    """The folder of the newest release, or None."""
    versions = release_versions(releases_dir)
    return releases_dir / f"v{versions[-1]}" if versions else None


read_manifest = read_release_manifest


def _tool_version() -> str:
    from communique import __version__

    return __version__


# --- pass 1: validate, convert and index -----------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Entry:
    """Where a valid document waits for pass 2: its row in one chunk's Arrow spill file."""

    doc_id: str
    chunk: int
    row: int


# Called with a one-line status now and then during a long build.
Progress = Callable[[str], None] | None
# What a worker reports for one document: place, id (None when not a string), its own problems.
_Seen = tuple[str, "str | None", list[Problem]]
CHUNK_FILES = 200


def _spill_path(spill: Path, chunk: int) -> Path:
    return spill / f"{chunk:06d}.arrow"


def _validate_chunk(task: tuple[int, list[Path], Path, frozenset[str]]
                    ) -> tuple[list[_Seen], list[Problem]]:
    """Validate every document of some files (in a worker process) and write the valid ones,
    in file order, as a documents-config Arrow file in the spill folder."""
    import pyarrow as pa

    chunk, paths, spill, withhold = task
    spec = load_spec()
    seen: list[_Seen] = []
    unreadable: list[Problem] = []
    valid: list[dict[str, Any]] = []
    # Parsed documents are trees without cycles: pausing the cyclic garbage collector, which
    # would otherwise walk the growing batch again and again, saves a fifth of the time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for path in paths:
            try:
                for place, obj in iter_raw_documents(path):
                    doc_id = obj.get("id") if isinstance(obj, dict) else None
                    found = validate_document(obj, place, spec)
                    seen.append((place, doc_id if isinstance(doc_id, str) else None, found))
                    if not found:
                        valid.append(obj)
            except InputError as e:
                unreadable += unreadable_problems(e)
    finally:
        if gc_was_enabled:
            gc.enable()
    if valid:
        table = documents_table(valid, withhold, spec)
        with pa.OSFile(str(_spill_path(spill, chunk)), "wb") as sink, \
                pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    return seen, unreadable


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _map(pool: Any, func: Any, tasks: Iterable[Any], window: int) -> Iterator[Any]:
    """``func`` over ``tasks`` in order, in ``pool`` (or here when None), with at most
    ``window`` tasks in flight so that finished results never pile up in memory."""
    if pool is None:
        yield from map(func, tasks)
        return
    pending: list[Any] = []
    for task in tasks:
        pending.append(pool.submit(func, task))
        if len(pending) >= window:
            yield pending.pop(0).result()
    for future in pending:
        yield future.result()


def scan_corpus(paths: Sequence[Path], spill: Path, withhold: frozenset[str] = frozenset(),
                pool: Any = None, workers: int = 1, progress: Progress = None
                ) -> tuple[list[_Entry], list[Problem]]:
    """Validate every document in ``paths``, spilling the valid ones to Arrow files in
    ``spill``; return their places (sorted by id) and every problem, in file order, including
    duplicate ids across files and an empty corpus. Holds no document in memory."""
    entries: list[_Entry] = []
    problems: list[Problem] = []
    first: dict[str, str] = {}
    files = document_files(paths)
    tasks = [(i, list(c), spill, withhold) for i, c in enumerate(_chunks(files, CHUNK_FILES))]
    for (chunk, *_), (seen, unreadable) in zip(tasks, _map(pool, _validate_chunk, tasks,
                                                           2 * workers), strict=True):
        row = 0
        for place, doc_id, found in seen:
            if not found:
                entries.append(_Entry(doc_id, chunk, row))  # type: ignore[arg-type]
                row += 1
            if doc_id is not None:
                if doc_id in first:
                    found = found + [Problem(place, doc_id, "$.id", f"found {json.dumps(doc_id)}, "
                                             f"already used by {first[doc_id]}; allowed: document "
                                             "ids unique across the corpus")]
                else:
                    first[doc_id] = place
            problems += found
        problems += unreadable
        if progress:
            progress(f"validated {min((chunk + 1) * CHUNK_FILES, len(files))}/{len(files)} files")
    if not files:
        problems.append(Problem(", ".join(map(str, paths)) or "<none>", "?", "$",
                                "found no .json or .jsonl document files; allowed: files or "
                                "folders of canonical documents"))
    entries.sort(key=lambda e: e.doc_id)
    return entries, problems


class _Spilled:
    """The spill files of pass 1, memory-mapped, from which batches of rows are gathered."""

    def __init__(self, spill: Path):
        self.spill = spill
        self.tables: dict[int, Any] = {}

    def table(self, chunk: int) -> Any:
        import pyarrow as pa

        if chunk not in self.tables:
            source = pa.memory_map(str(_spill_path(self.spill, chunk)))
            self.tables[chunk] = pa.ipc.open_file(source).read_all()
        return self.tables[chunk]

    def gather(self, entries: Sequence[_Entry]) -> Any:
        """The documents-config table of ``entries``, in their order."""
        import pyarrow as pa

        by_chunk: dict[int, list[tuple[int, int]]] = {}
        for position, e in enumerate(entries):
            by_chunk.setdefault(e.chunk, []).append((position, e.row))
        pieces, order = [], []
        for chunk, items in by_chunk.items():
            pieces.append(self.table(chunk).take([row for _, row in items]))
            order += [position for position, _ in items]
        combined = pa.concat_tables(pieces).combine_chunks()
        inverse = sorted(range(len(order)), key=order.__getitem__)
        return combined.take(inverse)


# --- pass 2: write ---------------------------------------------------------------------------

def _record(config: str) -> str:
    return "document" if config == DOCUMENTS else LAYER_RECORD[config]


def withhold_text(doc: dict[str, Any], spec: Spec) -> None:
    """Remove, in place, the text and every span text of a document, keeping its length."""
    doc[TEXT_LENGTH] = len(doc["text"])
    doc["text"] = None
    for layer in spec.layers:
        for item in doc.get(layer) or ():
            map_span_texts(item, LAYER_RECORD[layer], lambda s, e: None, spec)


def documents_table(docs: Iterable[dict[str, Any]], withhold: Collection[str],
                    spec: Spec | None = None) -> Any:
    """The documents-config Arrow table of some document dicts (modified in place)."""
    import pyarrow as pa

    spec = spec or load_spec()
    rows = []
    for doc in docs:
        if doc.get("text") is not None and doc["provenance"] in withhold:
            withhold_text(doc, spec)
        rows.append(document_row(doc))
    return pa.Table.from_pylist(rows, schema=arrow_schema(DOCUMENTS, spec))


class _ReleaseWriter:
    """Parquet writers for every config and split, fed one documents-config table (one batch of
    documents in id order) at a time: each batch becomes one row group per config, the flat
    configs being cut out of the nested columns by Arrow. A split with no rows in a config gets
    no file (datasets cannot load an empty split)."""

    def __init__(self, folder: Path, spec: Spec, withhold: Collection[str]):
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        self._pa, self._pc, self._pq = pa, pc, pq
        self.folder, self.spec, self.withhold = folder, spec, frozenset(withhold)
        self.configs = configs(spec)
        self.schemas = {c: arrow_schema(c, spec) for c in self.configs}
        self.writers: dict[tuple[str, str], Any] = {}
        self.rows = {(c, s): 0 for c in self.configs for s in SPLITS}
        self.buffers: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
        # The documents config counts its own labels only; its layers are counted flat.
        self.paths = {c: label_paths(_record(c), spec, nested=c != DOCUMENTS)
                      for c in self.configs}
        self.labels = {(c, s): {name: Counter() for name, _ in self.paths[c]}
                       for c in self.configs for s in SPLITS}
        self.code_points = {s: 0 for s in SPLITS}
        self.withheld = {s: 0 for s in SPLITS}
        self.last_id = {s: "" for s in SPLITS}

    def add(self, split: str, doc: dict[str, Any]) -> None:
        """Buffer one document dict; every ``BATCH_DOCUMENTS`` make a batch."""
        buf = self.buffers[split]
        buf.append(doc)
        if len(buf) >= BATCH_DOCUMENTS:
            self._flush(split)

    def _flush(self, split: str) -> None:
        if self.buffers[split]:
            self.add_table(split, documents_table(self.buffers[split], self.withhold, self.spec))
        self.buffers[split] = []

    def add_table(self, split: str, table: Any) -> None:
        """Write one batch: a documents-config table whose ids increase and follow the
        previous batch's."""
        pa, pc = self._pa, self._pc
        ids = table.column("id").to_pylist()
        if any(b <= a for a, b in zip([self.last_id[split], *ids], ids)):
            raise ValueError(f"documents must come in increasing id order within split {split}")
        self.last_id[split] = ids[-1]
        self.code_points[split] += pc.sum(table.column(TEXT_LENGTH)).as_py() or 0
        self.withheld[split] += table.column("text").null_count
        self._write(DOCUMENTS, split, table)
        doc_ids = table.column("id").combine_chunks()
        for layer in self.spec.layers:
            nested = table.column(layer).combine_chunks()
            items = pc.list_flatten(nested)
            parents = pc.list_parent_indices(nested)
            schema = self.schemas[layer]
            flat = pa.Table.from_arrays([pc.take(doc_ids, parents), *items.flatten()],
                                        schema=schema)
            self._write(layer, split, flat)

    def _write(self, config: str, split: str, table: Any) -> None:
        if table.num_rows == 0:
            return
        key = (config, split)
        if key not in self.writers:
            path = self.folder / "data" / config / f"{split}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            self.writers[key] = self._pq.ParquetWriter(path, self.schemas[config], **PARQUET_OPTIONS)
        self.writers[key].write_table(table, row_group_size=table.num_rows)
        self.rows[key] += table.num_rows
        counters = self.labels[key]
        for name, path in self.paths[config]:
            column = table.column(path[0]).combine_chunks()
            for step in path[1:]:
                column = self._pc.struct_field(self._pc.list_flatten(column), step)
            for pair in self._pc.value_counts(column).to_pylist():
                counters[name][pair["values"]] += pair["counts"]

    def close(self) -> None:
        for split in SPLITS:
            self._flush(split)
        for writer in self.writers.values():
            writer.close()

    def abort(self) -> None:
        for writer in self.writers.values():
            try:
                writer.close()
            except Exception:  # the folder is deleted anyway; the original error matters
                pass

    def data_bytes(self, config: str, split: str) -> int:
        """Uncompressed size of a written file's data, from its Parquet metadata (0 if none)."""
        rel = self.file(config, split)
        if rel is None:
            return 0
        meta = self._pq.ParquetFile(self.folder / rel).metadata
        return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))

    def file(self, config: str, split: str) -> str | None:
        return f"data/{config}/{split}.parquet" if (config, split) in self.writers else None


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _manifest(w: _ReleaseWriter, version: str) -> dict[str, Any]:
    import pyarrow as pa

    spec = w.spec
    counts: dict[str, Any] = {}
    for split in SPLITS:
        counts[split] = {}
        for config in w.configs:
            names = label_names(_record(config), spec, nested=config != DOCUMENTS)
            found = w.labels[(config, split)]
            counts[split][config] = {
                "total": w.rows[(config, split)],
                "labels": {name: {label: found[name][label] for label in labels}
                           for name, labels in names.items()}}
        counts[split][DOCUMENTS]["text_code_points"] = w.code_points[split]
        counts[split][DOCUMENTS]["text_withheld"] = w.withheld[split]
    return {
        "dataset": DATASET_NAME,
        "version": version,
        "schema_version": spec.schema_version,
        "tool": {"communique": _tool_version(), "pyarrow": pa.__version__},
        "text_withheld_for": sorted(w.withhold),
        "configs": {c: {s: {"rows": w.rows[(c, s)], "data_bytes": w.data_bytes(c, s),
                            "file": w.file(c, s)} for s in SPLITS} for c in w.configs},
        "counts": counts,
    }


# A release's baseline results: a function that scores a readable release folder and returns
# the record (`communique.baseline.results.score_release`), or the baseline.json of a record
# already made.
Baseline = Callable[[Path], Mapping[str, Any]] | Path | None


def write_release(folder: Path, version: str, documents: Iterable[tuple[str, Any]],
                  withhold: Collection[str] = (), spec: Spec | None = None,
                  baseline: Baseline = None) -> dict[str, Any]:
    """Write a complete release into the empty ``folder`` from ``(split, document dict)`` pairs
    or ``(split, documents-config table)`` batches (one kind per call; ids increasing within
    each split); return its manifest. Dicts are modified. With ``baseline``, the release also
    holds the baseline's scores on it (``baseline.json``), and its card shows them."""
    from .release_card import card_text, croissant_json

    spec = spec or load_spec()
    w = _ReleaseWriter(folder, spec, withhold)
    try:
        for split, item in documents:
            if isinstance(item, dict):
                w.add(split, item)
            else:
                w.add_table(split, item)
        w.close()
    except BaseException:
        w.abort()
        raise
    manifest = _manifest(w, version)
    record = None
    if baseline is not None:
        record = _baseline_record(folder, manifest, baseline)
        manifest["baseline"] = record["system"]
        from communique.baseline.results import dumps_record

        atomic_write_text(folder / BASELINE, dumps_record(record))
    atomic_write_text(folder / CARD, card_text(manifest, spec, record))
    atomic_write_text(folder / CROISSANT, json.dumps(croissant_json(manifest, spec),
                                                     indent=2, ensure_ascii=False) + "\n")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest["files"] = {p.relative_to(folder).as_posix(): {"sha256": _sha256_file(p),
                                                            "bytes": p.stat().st_size}
                         for p in files}
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def _baseline_record(folder: Path, manifest: dict[str, Any], baseline: Baseline
                     ) -> Mapping[str, Any]:
    """The baseline record for the release being written in ``folder``: scored now (the data
    files are complete; a provisional manifest makes the folder readable), or given and checked
    against this release."""
    from communique.baseline.results import check_record

    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    if isinstance(baseline, Path):
        where = str(baseline)
        try:
            record = json.loads(baseline.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ReleaseError(f"{where}: found unreadable baseline results ({e}); allowed: a "
                               f"{BASELINE} written by `communique release build --baseline`",
                               exit_code=EXIT_INVALID) from None
    else:
        from communique.baseline.results import unscorable

        why = unscorable(folder)
        if why:
            raise ReleaseError(f"--baseline: {why}; nothing was written", exit_code=EXIT_INVALID)
        where = "baseline scores"
        try:
            record = baseline(folder)
        except RuntimeError as e:
            raise ReleaseError(f"scoring the baseline on release {manifest['version']} failed; "
                               f"nothing was written:\n{e}") from None
    problems = check_record(record, folder, where)
    if problems:
        raise ReleaseError(f"refusing baseline results that are not of release "
                           f"{manifest['version']}; nothing was written", problems, EXIT_INVALID)
    return record


# --- comparing and checking releases ---------------------------------------------------------

def _tree(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}


def differing_files(a: Path, b: Path) -> list[str]:
    """Relative paths present in only one of two folders or with different bytes."""
    ta, tb = _tree(a), _tree(b)
    out = []
    for rel in sorted(set(ta) | set(tb)):
        if rel not in ta or rel not in tb:
            out.append(rel)
        elif ta[rel].stat().st_size != tb[rel].stat().st_size or \
                _sha256_file(ta[rel]) != _sha256_file(tb[rel]):
            out.append(rel)
    return out


def rebuild_differences(release: Path, rebuilt: Path) -> tuple[list[str], str | None]:
    """Files a rebuild of ``release`` (into ``rebuilt``) did not reproduce byte for byte, and
    why any were exempt. Byte identity holds for the communique and pyarrow versions named in
    the manifest; when this communique is another version, the manifest and the card (which
    name it) may differ, and everything else (data, croissant.json, baseline.json) must not."""
    diff = differing_files(release, rebuilt)
    built_with, this = read_manifest(release)["tool"]["communique"], _tool_version()
    if built_with == this:
        return diff, None
    return ([f for f in diff if f not in (MANIFEST, CARD)],
            f"{MANIFEST} and {CARD} name communique {built_with}, this is {this}: not compared")


def verify_release(folder: Path) -> list[str]:
    """Problems of a release folder against its own manifest: missing, extra or altered files."""
    if not (folder / MANIFEST).exists():
        return [f"{folder}: no {MANIFEST}; allowed: a release folder built by "
                "`communique release build`"]
    manifest = read_manifest(folder)
    listed = manifest.get("files", {})
    present = {rel for rel in _tree(folder) if rel != MANIFEST}
    problems = [f"{folder}: {rel}: listed in {MANIFEST} but missing"
                for rel in sorted(set(listed) - present)]
    problems += [f"{folder}: {rel}: not listed in {MANIFEST}"
                 for rel in sorted(present - set(listed))]
    for rel in sorted(set(listed) & present):
        found = _sha256_file(folder / rel)
        if found != listed[rel]["sha256"]:
            problems.append(f"{folder}: {rel}: found sha256 {found}; allowed: "
                            f"{listed[rel]['sha256']} (the manifest's)")
    return problems


def release_document_ids(folder: Path) -> dict[str, list[str]]:
    """Split → the document ids of a release, read from its documents Parquet files."""
    import pyarrow.parquet as pq

    manifest = read_manifest(folder)
    out: dict[str, list[str]] = {}
    for split, info in manifest["configs"][DOCUMENTS].items():
        out[split] = ([] if info["file"] is None else
                      pq.read_table(folder / info["file"], columns=["id"]).column("id").to_pylist())
    return out


# --- build -----------------------------------------------------------------------------------

def _previous(releases_dir: Path, version: str) -> Path | None:
    older = [v for v in release_versions(releases_dir) if parse_version(v) < parse_version(version)]
    return releases_dir / f"v{older[-1]}" if older else None


def build_release(corpus: Sequence[Path], releases_dir: Path, version: str, *,
                  splits_path: Path | None = None, changelog_path: Path | None = None,
                  withhold: Collection[str] = (), allow_split_change: bool = False,
                  today: str | None = None, workers: int | None = None,
                  progress: Progress = None, spec: Spec | None = None,
                  baseline: Baseline = None) -> BuildResult:
    """Build release ``version`` of the documents in ``corpus`` into ``releases_dir/vX.Y.Z``.

    ``splits_path`` is the split registry (updated with new documents after a successful build;
    None: assign without a registry); ``changelog_path`` gets an entry when a new version is
    built; ``withhold`` lists the provenance values whose texts are left out. Reading and
    validating run in ``workers`` processes (default: up to 4 CPUs, none for a small corpus);
    the output does not depend on their number. ``progress`` receives status lines.
    ``baseline`` scores the new release (or gives the scores to freeze into it): see
    `write_release`."""
    spec = spec or load_spec()
    version = version.removeprefix("v")
    parse_version(version)
    unknown = sorted(set(withhold) - set(spec.labels["provenance"].names))
    if unknown:
        raise ReleaseError(f"withhold-text: found {', '.join(unknown)}; allowed: "
                           f"{', '.join(spec.labels['provenance'].names)}", exit_code=EXIT_INVALID)
    final = releases_dir / f"v{version}"
    versions = release_versions(releases_dir)
    if not final.exists() and versions and parse_version(versions[-1]) > parse_version(version):
        raise ReleaseError(f"version {version} is older than the latest release {versions[-1]} "
                           f"in {releases_dir}; allowed: a version after {versions[-1]}")
    with _pool(corpus, workers) as (pool, n):
        return _build(corpus, releases_dir, version, final, splits_path, changelog_path,
                      frozenset(withhold), allow_split_change, today, pool, n, progress, spec,
                      baseline)


@contextmanager
def _pool(corpus: Sequence[Path], workers: int | None) -> Iterator[Any]:
    """(a process pool, its size), or (None, 1) when one process will do."""
    if workers is None:
        small = len(document_files(corpus)) < 2000
        workers = 1 if small else min(os.cpu_count() or 1, 4)
    if workers <= 1:
        yield None, 1
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: forking a process whose Arrow thread pools already run can deadlock.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool, workers


def _build(corpus: Sequence[Path], releases_dir: Path, version: str, final: Path,
           splits_path: Path | None, changelog_path: Path | None, withhold: frozenset[str],
           allow_split_change: bool, today: str | None, pool: Any, workers: int,
           progress: Progress, spec: Spec, baseline: Baseline) -> BuildResult:
    created = not releases_dir.exists()
    releases_dir.mkdir(parents=True, exist_ok=True)
    status = "failed"
    tmp = Path(tempfile.mkdtemp(prefix=f".v{version}.", suffix=".tmp", dir=releases_dir))
    spill = Path(tempfile.mkdtemp(prefix=f".v{version}.", suffix=".spill", dir=releases_dir))
    try:
        entries, problems = scan_corpus(corpus, spill, withhold, pool, workers, progress)
        if problems:
            bad = len({(p.place, p.doc_id) for p in problems})
            raise ReleaseError(f"refusing to release invalid data: {len(problems)} problem(s) "
                               f"in {bad} document(s); nothing was written", problems,
                               EXIT_INVALID)
        registry = SplitRegistry.load(splits_path)
        assignment = registry.assign(e.doc_id for e in entries)
        previous = _previous(releases_dir, version)
        moved: list[str] = []
        if previous is not None:
            for split, ids in release_document_ids(previous).items():
                moved += [f"{d}: {split} in {previous.name}, {assignment[d]} now" for d in ids
                          if d in assignment and assignment[d] != split]
        if moved and not allow_split_change:
            raise ReleaseError(f"refusing to move {len(moved)} document(s) to another split; "
                               "allowed: the splits of the previous release, or "
                               "--allow-split-change to move them on purpose (the CHANGELOG "
                               "lists them)", moved)
        spilled = _Spilled(spill)
        jobs = [(split, chunk) for split in SPLITS for chunk in
                _chunks([e for e in entries if assignment[e.doc_id] == split], BATCH_DOCUMENTS)]

        def batches() -> Iterator[tuple[str, Any]]:
            done, current = 0, None
            for split, chunk in jobs:
                if split != current:  # unmap the previous split's pages: each split reads all
                    spilled.tables.clear()
                    current = split
                yield split, spilled.gather(chunk)
                done += len(chunk)
                if progress:
                    progress(f"wrote {done}/{len(entries)} documents")

        manifest = write_release(tmp, version, batches(), withhold, spec, baseline)
        if final.exists():
            diff = differing_files(tmp, final)
            if diff:
                raise ReleaseError(
                    f"refusing to overwrite {final}: this build differs in "
                    f"{', '.join(diff[:6])}{', …' if len(diff) > 6 else ''}; allowed: a new "
                    "version number (a released version never changes)")
            status = "unchanged"
        else:
            os.rename(tmp, final)
            status = "built"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(spill, ignore_errors=True)
        if created and status == "failed":
            shutil.rmtree(releases_dir, ignore_errors=True)
    if splits_path is not None and registry.added:
        registry.save(splits_path)
    if status == "built" and changelog_path is not None:
        from .release_card import add_changelog_entry

        prev_manifest = read_manifest(previous) if previous is not None else None
        prev_ids = release_document_ids(previous) if previous is not None else None
        add_changelog_entry(changelog_path, manifest, prev_manifest, prev_ids,
                            release_document_ids(final), moved,
                            today or datetime.now(timezone.utc).date().isoformat())
    return BuildResult(final, status, manifest, tuple(registry.added))


# --- withheld texts --------------------------------------------------------------------------

def _user_text(texts_dir: Path, doc_id: str, sha: str) -> tuple[str | None, str | None]:
    """(text, problem) for one withheld document from ``texts_dir/<id>.txt``."""
    path = texts_dir / f"{doc_id}.txt"
    if not path.exists():
        return None, f"{path}: {doc_id}: missing; allowed: the article text as UTF-8 in this file"
    try:
        text = nfc(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        return None, f"{path}: {doc_id}: not UTF-8 text (byte {e.start}: {e.reason})"
    found = sha256_text(text)
    if found != sha:
        return None, (f"{path}: {doc_id}: found text with sha256 {found} ({len(text)} code "
                      f"points); allowed: the text whose sha256 is {sha}")
    return text, None


def rehydrate_release(release: Path, texts_dir: Path, out: Path) -> dict[str, Any]:
    """Write to ``out`` a copy of a withheld-text release with every text restored from
    ``texts_dir/<document id>.txt`` (NFC-normalised before hashing). Refuses, writing nothing,
    when the release does not match its manifest or any text is missing or has another hash.
    The result is byte-identical to a release built with the texts."""
    problems = verify_release(release)
    if problems:
        raise ReleaseError(f"refusing to rehydrate {release}: it does not match its manifest",
                           problems, EXIT_INVALID)
    if out.exists():
        raise ReleaseError(f"refusing to write {out}: it exists; allowed: a new folder")
    manifest = read_manifest(release)
    if not manifest["text_withheld_for"]:
        raise ReleaseError(f"{release}: no text is withheld in this release; nothing to rehydrate")
    missing = [p for _, _, doc in iter_release_documents(release) if doc["text"] is None
               for p in [_user_text(texts_dir, doc["id"], doc["text_sha256"])[1]] if p]
    if missing:
        raise ReleaseError(f"refusing to rehydrate: {len(missing)} text(s) missing or different; "
                           "nothing was written", missing, EXIT_INVALID)
    spec = load_spec()

    def restored() -> Iterator[tuple[str, dict[str, Any]]]:
        for _, split, doc in iter_release_documents(release):
            if doc["text"] is None:
                text, _ = _user_text(texts_dir, doc["id"], doc["text_sha256"])
                doc["text"] = text
                for layer in spec.layers:
                    for item in doc[layer]:
                        map_span_texts(item, LAYER_RECORD[layer],
                                       lambda s, e, t=text: t[s:e], spec)
            yield split, doc

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        result = write_release(tmp, manifest["version"], restored(), (), spec)
        os.rename(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


# --- loading (for the demo and users) ---------------------------------------------------------

def load_release(folder: Path, config: str = DOCUMENTS, split: str | None = None,
                 cache_dir: Path | None = None) -> Any:
    """`datasets.load_dataset` on a local release folder, offline."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets

    return datasets.load_dataset(str(folder), config, split=split,
                                 cache_dir=str(cache_dir) if cache_dir else None)


def demo_release(corpus: Path = Path("corpus/documents"), out: Path | None = None,
                 version: str = "0.1.0", splits_path: Path | None = Path("corpus/splits.json")
                 ) -> dict[str, dict[str, int]]:
    """Build ``version`` of ``corpus`` into ``out`` (a temporary folder by default; the split
    registry is read, never written) and load every config and split with `datasets`; return
    config → split → rows loaded."""
    with tempfile.TemporaryDirectory(prefix="communique-release-") as tmp:
        releases = out or Path(tmp) / "releases"
        registry = None
        if splits_path is not None and splits_path.exists():
            registry = Path(tmp) / "splits.json"
            shutil.copyfile(splits_path, registry)
        result = build_release([corpus], releases, version, splits_path=registry)
        loaded: dict[str, dict[str, int]] = {}
        for config, per_split in result.manifest["configs"].items():
            for split, info in per_split.items():
                if info["file"] is not None:
                    ds = load_release(result.path, config, split, Path(tmp) / "hf-cache")
                    loaded.setdefault(config, {})[split] = len(ds)
        return loaded


def export_documents(folder: Path, out: Path) -> int:
    """Write every document of a release as canonical JSON files ``out/<id>.json`` (atomic per
    file); return how many. Withheld texts must be rehydrated first."""
    from communique.schemas.io import write_document
    from communique.schemas.model import Document

    n = 0
    for _, _, doc in iter_release_documents(folder):
        if doc["text"] is None:
            raise ValueError(f"{folder}: document {doc['id']} has its text withheld; run "
                             "`communique release rehydrate` first")
        write_document(Document.from_dict(doc), out)
        n += 1
    return n
