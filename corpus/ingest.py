"""Bringing articles in: plain text, HTML and batch rows become canonical corpus documents.

The text is decoded, NFC-normalised once and otherwise kept exactly (line endings and whitespace
as they are); that string is what every offset refers to from then on. HTML goes through
trafilatura, which also reads title, date (via htmldate), site name and URL from the page. Each
document gets the content-derived id ``document_id_for(text)``, is validated, and is written
atomically with empty layers. Exact duplicates (same text hash, in the batch or already in the
output folder) and near duplicates (``ingest_dedup``) are skipped and reported; anything wrong
with one input rejects that input alone, with a message naming the file or row and field.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Iterator, Mapping

from communique.schemas.io import write_document
from communique.schemas.model import Document, document_id_for, nfc, sha256_text
from communique.schemas.spec import load_spec
from communique.schemas.validate import validate_document

from .ingest_dedup import NearDuplicateIndex, Sketch

DEFAULT_LANGUAGE = "en"
# Below this many characters an HTML extraction is navigation or a teaser, not an article.
MIN_HTML_ARTICLE_CHARS = 100
# How far into a file to look for NUL bytes, the mark of a binary file.
BINARY_SNIFF_BYTES = 8192
TEXT_SUFFIXES = (".txt", ".text")
# Lone surrogates (from JSON escapes such as "\\ud800") cannot be written as UTF-8; NUL is binary.
_FORBIDDEN = re.compile("[\ud800-\udfff\x00]")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
CSV_FIELD_LIMIT = 1 << 26  # characters


class Rejected(Exception):
    """One input cannot become a document; the message says what was found and what is allowed."""


@dataclass(frozen=True, slots=True)
class Metadata:
    """Document metadata as given or extracted; ``None`` means not known (yet)."""

    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    license: str | None = None
    language: str | None = None
    provenance: str | None = None

    def over(self, base: "Metadata") -> "Metadata":
        """These values where set, ``base``'s elsewhere."""
        return Metadata(**{f.name: getattr(self, f.name) if getattr(self, f.name) is not None
                           else getattr(base, f.name) for f in fields(Metadata)})


METADATA_NAMES = tuple(f.name for f in fields(Metadata))


@dataclass(frozen=True, slots=True)
class Article:
    """Extracted article text (before NFC) and the metadata found with it."""

    text: str
    metadata: Metadata


def decode(data: bytes, encoding: str = "utf-8") -> str:
    """Bytes of a text or HTML file → ``str``; a leading byte-order mark is dropped.

    Raises Rejected for empty or binary data and for bytes that are not valid ``encoding``,
    naming the byte offset of the first bad byte.
    """
    if not data:
        raise Rejected("empty file (0 bytes); allowed: an article as text or HTML")
    utf16or32 = encoding.lower().replace("-", "").startswith(("utf16", "utf32"))
    nul = -1 if utf16or32 else data.find(b"\x00", 0, BINARY_SNIFF_BYTES)
    if nul >= 0:
        raise Rejected(f"binary data (a NUL byte at byte offset {nul}); allowed: text or HTML")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        bad = data[e.start:e.end].hex(" ")
        raise Rejected(f"not valid {encoding}: {e.reason} at byte offset {e.start} (byte(s) "
                       f"{bad}); save the file as UTF-8 or give its encoding with --encoding"
                       ) from None
    except LookupError:
        raise Rejected(f"unknown encoding {encoding!r}; allowed: a Python codec name such as "
                       "utf-8, cp1252, latin-1") from None
    return text[1:] if text.startswith("\ufeff") else text


def check_text(text: str, what: str = "text") -> None:
    """Raise Rejected for text that is blank or holds characters no document may contain."""
    if not text.strip():
        raise Rejected(f"{what} is empty or only whitespace; allowed: an article text")
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        ch = bad.group()
        name = "a NUL character" if ch == "\x00" else f"a lone surrogate U+{ord(ch):04X}"
        raise Rejected(f"{what} has {name} at code point {bad.start()}; allowed: text "
                       "(valid Unicode, no NUL)")


def parse_date(value: str, what: str = "date") -> str:
    """An ISO 8601 date or date-time → ``YYYY-MM-DD``; Rejected if it is not a real date."""
    v = value.strip()
    try:
        if len(v) == 10:
            return dt.date.fromisoformat(v).isoformat()
        return dt.datetime.fromisoformat(v).date().isoformat()
    except ValueError:
        raise Rejected(f"{what} {value!r} is not a date; allowed: ISO 8601 YYYY-MM-DD "
                       "(a date-time such as 2026-03-14T09:12:00Z is cut to its date)") from None


def extract_html(html: str) -> Article:
    """Main article text and page metadata (title, date, site name, URL) via trafilatura."""
    import trafilatura

    today = dt.date.today().isoformat()
    # Original publication date only, and no guessing from the running text or copyright lines.
    date_params = {"original_date": True, "extensive_search": False, "max_date": today}
    result = trafilatura.bare_extraction(
        html, with_metadata=True, favor_precision=True, include_comments=False,
        include_tables=False, date_extraction_params=date_params)
    text = (result.text or "") if result is not None else ""
    if len(text.strip()) < MIN_HTML_ARTICLE_CHARS:
        found = f"only {len(text.strip())} characters" if text.strip() else "nothing"
        raise Rejected(f"no article text could be extracted from the HTML (trafilatura found "
                       f"{found}); allowed: a page with an article, or the article as plain text")
    meta = Metadata(title=result.title or None, date=result.date or None,
                    source=result.sitename or None, url=result.url or None)
    return Article(text, meta)


def read_article(path: Path, encoding: str = "utf-8") -> Article:
    """A ``.txt`` or ``.html`` file → Article; the suffix says which."""
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES + HTML_SUFFIXES:
        raise Rejected(f"unsupported file type {suffix or '(no suffix)'!r}; allowed: "
                       + ", ".join(TEXT_SUFFIXES + HTML_SUFFIXES))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise Rejected(f"cannot read ({e.strerror})") from None
    text = decode(data, encoding)
    if suffix in HTML_SUFFIXES:
        check_text(text, "HTML")
        return extract_html(text)
    return Article(text, Metadata())


def _missing(meta: Metadata, how: Mapping[str, str]) -> list[str]:
    provenance = load_spec().label("provenance")
    out = []
    if meta.license is None:
        out.append("no licence statement: every document must say under what terms its text "
                   "is held, because a release may withhold the texts whose licence does not "
                   "allow redistribution (their hashes and annotations are kept); "
                   f"give {how['license']}, e.g. 'CC BY 4.0' or '© Publisher, all rights reserved'")
    if meta.provenance is None:
        kinds = "; ".join(f"{k}: {v}" for k, v in provenance.definitions.items())
        out.append(f"no provenance: give {how['provenance']} ({kinds})")
    if meta.date is None:
        out.append(f"no publication date: give {how['date']} (YYYY-MM-DD)")
    if meta.source is None:
        out.append(f"no source (publisher or wire service): give {how['source']}")
    return out


def build_document(article: Article, meta: Metadata, how: Mapping[str, str]) -> Document:
    """The canonical document for ``article`` with ``meta`` (already merged); validated.

    ``how`` maps a metadata name to how the user supplies it (an option or a column), for the
    messages about missing metadata.
    """
    missing = _missing(meta, how)
    if missing:
        raise Rejected("; ".join(missing))
    text = nfc(article.text)
    check_text(text)
    doc = Document(
        id=document_id_for(text), title=meta.title, date=parse_date(meta.date, "date"),
        source=meta.source, url=meta.url, language=meta.language or DEFAULT_LANGUAGE,
        license=meta.license, provenance=meta.provenance, text=text,
        text_sha256=sha256_text(text))
    problems = validate_document(doc.to_dict(), place=doc.id)
    if problems:
        raise Rejected("; ".join(f"{p.path.removeprefix('$.')}: {p.message}" for p in problems))
    return doc


def clean_metadata(meta: Metadata) -> Metadata:
    """Blank strings become ``None`` and surrounding whitespace goes (metadata, not text)."""
    return Metadata(**{name: (v.strip() or None) if isinstance(v, str) else v
                       for name, v in ((n, getattr(meta, n)) for n in METADATA_NAMES)})


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one input: added, duplicate, near-duplicate, rejected or failed."""

    place: str
    status: str
    doc_id: str | None = None
    path: str | None = None
    detail: str = ""
    similar_to: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"place": self.place, "status": self.status, "id": self.doc_id, "path": self.path,
                "detail": self.detail, "similar_to": self.similar_to}


ADDED, DUPLICATE, NEAR_DUPLICATE = "added", "duplicate", "near-duplicate"
# Rejected: the input is at fault. Failed: it was fine but could not be written.
REJECTED, FAILED = "rejected", "failed"


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated document and its sketch, or why the input could not become one.

    Preparing is the costly, independent part of ingest (extraction, validation, hashing), so
    it can run in worker processes; deciding about duplicates and writing stay in one place."""

    doc: Document | None = None
    sketch: Sketch | None = None
    error: str | None = None


def prepare(article: Article, meta: Metadata, how: Mapping[str, str]) -> Prepared:
    """Build, validate and sketch one document; a Rejected becomes ``Prepared(error=…)``."""
    try:
        doc = build_document(article, clean_metadata(meta), how)
    except Rejected as e:
        return Prepared(error=str(e))
    return Prepared(doc, Sketch.of(doc.text))


def prepare_row(row: BatchRow, defaults: Metadata, how: Mapping[str, str]) -> Prepared:
    """Prepare one batch row: its columns win over its HTML page, which wins over ``defaults``."""
    if row.error is not None:
        return Prepared(error=row.error)
    try:
        article, given = article_from_fields(row.fields)
    except Rejected as e:
        return Prepared(error=str(e))
    return prepare(article, given.over(article.metadata).over(defaults), how)


class Ingestor:
    """Adds documents to an output folder, skipping exact and near duplicates.

    It knows the documents already in the folder (their hashes and MinHash sketches, not their
    texts) and those it added itself, so the result does not depend on which run added what.
    """

    def __init__(self, out: Path, *, allow_near: bool = False, dry_run: bool = False):
        self.out = out
        self.allow_near = allow_near
        self.dry_run = dry_run
        self.index = NearDuplicateIndex()
        self._hashes: dict[str, str] = {}  # document id → text_sha256
        self._places: dict[str, str] = {}  # document id → where it came from
        self.warnings: list[str] = []

    def load_existing(self) -> int:
        """Index the documents already in the output folder; return how many."""
        if not self.out.is_dir():
            return 0
        n = 0
        for path in sorted(self.out.rglob("*.json")):
            if path.name.startswith("."):  # temporary files of an interrupted write
                continue
            try:
                obj = json.loads(path.read_text(encoding="utf-8"))
                doc_id, text = obj["id"], obj["text"]
                if not (isinstance(doc_id, str) and isinstance(text, str)):
                    raise TypeError("id and text must be strings")
            except (OSError, ValueError, KeyError, TypeError) as e:
                self.warnings.append(f"{path}: not checked for duplicates, unreadable "
                                     f"document ({e})")
                continue
            self._remember(doc_id, sha256_text(text), str(path), text)
            n += 1
        return n

    def _remember(self, doc_id: str, sha: str, place: str, text: str,
                  sketch: Sketch | None = None) -> None:
        self._hashes[doc_id] = sha
        self._places[doc_id] = place
        self.index.add(doc_id, sketch or Sketch.of(text))

    def offer(self, place: str, prepared: Prepared) -> Outcome:
        """Add a prepared document unless it is invalid or a duplicate; say what happened."""
        if prepared.error is not None:
            return Outcome(place, REJECTED, detail=prepared.error)
        doc, sketch = prepared.doc, prepared.sketch
        known = self._hashes.get(doc.id)
        if known == doc.text_sha256:
            return Outcome(place, DUPLICATE, doc.id, detail="the same text is already there as "
                           f"{doc.id} ({self._places[doc.id]})", similar_to=doc.id)
        if known is not None:
            return Outcome(place, REJECTED, doc.id, detail=f"id {doc.id} is taken by a different "
                           f"text ({self._places[doc.id]}): a hash-prefix collision; report it")
        if not self.allow_near:
            match = self.index.find(sketch)
            if match is not None:
                r = match.resemblance
                return Outcome(place, NEAR_DUPLICATE, doc.id, similar_to=match.key, detail=(
                    f"resembles {match.key} ({self._places[match.key]}): about "
                    f"{r.containment:.0%} of the shorter text's word 5-grams are in the other "
                    f"(containment {r.containment:.2f}, Jaccard {r.jaccard:.2f}; threshold "
                    f"{self.index.threshold}); --allow-near-duplicates adds it anyway"))
        path = None
        if not self.dry_run:
            try:
                path = str(write_document(doc, self.out))
            except OSError as e:
                return Outcome(place, FAILED, doc.id, detail=f"cannot write to {self.out}: "
                               f"{e.strerror}")
        self._remember(doc.id, doc.text_sha256, path or place, doc.text, sketch)
        return Outcome(place, ADDED, doc.id, path)


def article_from_fields(row: Mapping[str, Any]) -> tuple[Article, Metadata]:
    """A batch row's ``text`` or ``html`` column and its metadata columns → (article, metadata).

    Column values win over what the HTML page says about itself."""
    for name, value in row.items():
        if value is not None and not isinstance(value, str):
            raise Rejected(f"column {name!r}: found {type(value).__name__} {value!r}; "
                           "allowed: a string")
    text = row.get("text") or None
    html = row.get("html") or None
    if (text is None) == (html is None):
        found = "both" if text is not None else "neither"
        raise Rejected(f"found {found} of the columns 'text' and 'html'; allowed: exactly one "
                       "non-empty")
    given = Metadata(**{n: row.get(n) for n in METADATA_NAMES})
    if text is not None:
        check_text(text, "column 'text'")
        return Article(text, Metadata()), given
    check_text(html, "column 'html'")
    article = extract_html(html)
    return article, given


def unknown_columns(columns: list[str]) -> list[str]:
    """Columns a batch row may have that are not read, with a suggestion where one is close."""
    import difflib

    known = ("text", "html") + METADATA_NAMES
    out = []
    for c in columns:
        if c not in known:
            close = difflib.get_close_matches(c, known, n=1)
            out.append(f"{c!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return out


def batch_format(path: Path, fmt: str | None) -> str:
    """``jsonl`` or ``csv``, from ``fmt`` or the file suffix."""
    if fmt:
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise Rejected(f"cannot tell the batch format from the suffix {suffix or '(none)'!r}; "
                   "allowed: .jsonl, .ndjson, .csv, or --batch-format jsonl|csv")


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One row of a batch file: where it is, and its fields or why it could not be read."""

    place: str
    fields: Mapping[str, Any] | None
    error: str | None = None


def iter_jsonl(fh: Any, name: str, progress: Any = None) -> Iterator[BatchRow]:
    """Rows of a JSON Lines file opened in binary mode, one at a time (streamed)."""
    offset = 0
    for lineno, raw in enumerate(fh, 1):
        start, offset = offset, offset + len(raw)
        if progress is not None:
            progress.update(len(raw))
        place = f"{name}:{lineno}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield BatchRow(place, None, f"not valid UTF-8: {e.reason} at byte offset "
                                        f"{start + e.start} of the file")
            continue
        if not line.strip():
            continue
        try:
            # A BOM can only start the file; json refuses it.
            obj = json.loads((line.removeprefix("\ufeff") if lineno == 1 else line).rstrip("\r\n"))
        except json.JSONDecodeError as e:
            yield BatchRow(place, None, f"invalid JSON: {e.msg} (column {e.colno})")
            continue
        if not isinstance(obj, dict):
            yield BatchRow(place, None, f"found a JSON {type(obj).__name__}; allowed: an "
                                        "object with a 'text' or 'html' field and metadata")
            continue
        yield BatchRow(place, obj)


def iter_csv(fh: Any, name: str, progress: Any = None) -> Iterator[BatchRow]:
    """Rows of a CSV file (header row first) opened in binary mode, streamed.

    Lines are decoded as UTF-8 one at a time, so an undecodable byte rejects only its own row
    and is reported with its byte offset in the file."""
    import csv

    bad: list[str] = []  # decoding problems of the lines the current row spans
    state = {"offset": 0}

    def lines() -> Iterator[str]:
        for raw in fh:
            start = state["offset"]
            state["offset"] += len(raw)
            if progress is not None:
                progress.update(len(raw))
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as e:
                bad.append(f"not valid UTF-8: {e.reason} at byte offset {start + e.start} of "
                           "the file")
                yield raw.decode("utf-8", errors="replace")

    # An HTML column easily passes the csv module's default 128 KiB limit per field.
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    reader = csv.reader(lines())
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as e:
        yield BatchRow(f"{name}: header", None, f"unreadable CSV header: {e}")
        return
    header = [h.strip() for h in header]
    if header:
        header[0] = header[0].removeprefix("\ufeff")  # spreadsheet programs write a BOM
    if bad:
        yield BatchRow(f"{name}: header", None, bad[0])
        return
    rowno = 0
    while True:
        bad.clear()
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            rowno += 1
            yield BatchRow(f"{name}: row {rowno} (line {reader.line_num})", None,
                           f"unreadable CSV: {e}")
            continue
        rowno += 1
        place = f"{name}: row {rowno} (line {reader.line_num})"
        if not any(v.strip() for v in values):
            continue
        if bad:
            yield BatchRow(place, None, bad[0])
        elif len(values) != len(header):
            yield BatchRow(place, None, f"found {len(values)} values; allowed: {len(header)}, "
                                        "one per header column")
        else:
            yield BatchRow(place, dict(zip(header, values, strict=True)))


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV batch (empty when the file is empty or unreadable)."""
    import csv

    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as fh:
            return [h.strip().removeprefix("\ufeff") for h in next(csv.reader(fh), [])]
    except (OSError, csv.Error):
        return []


def progress_bar(total: int, desc: str, quiet: bool = False) -> Any:
    """A tqdm byte counter on stderr; silent when ``quiet``, under CI, or when stderr is not a
    terminal."""
    from tqdm import tqdm

    quiet = quiet or bool(os.environ.get("CI")) or not os.isatty(2)
    return tqdm(total=total, unit="B", unit_scale=True, desc=desc, disable=quiet, leave=False)
