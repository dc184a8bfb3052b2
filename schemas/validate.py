"""Validation of canonical documents and prediction lines.

Every problem is collected (never only the first), each with the place (file or file:line), the
document id, a JSON path, the value found and what is allowed. Checks run on the raw JSON objects,
so a partly broken document still gets all its other problems reported.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import jsonschema

from .fastcheck import compile_fast_check
from .io import InputError, document_files, iter_raw_documents
from .json_schema import document_schema, prediction_schema
from .model import LAYERS, Document, sha256_text
from .spec import Spec, load_spec

ACTOR_LAYER_REFS = {"mentions": "mention", "attributions": "attribution"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, and where."""

    place: str
    doc_id: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.doc_id}: {self.path}: {self.message}"


class ValidationError(Exception):
    """Raised with every problem found; ``str()`` lists them one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def _show(value: Any) -> str:
    s = json.dumps(value, ensure_ascii=False)
    return s if len(s) <= 80 else s[:77] + "..."


def _json_path(parts: Iterable[Any]) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _strict_integer(checker: Any, instance: Any) -> bool:
    # JSON Schema counts 184.0 as an integer; an offset or count written so is a writer's bug.
    return isinstance(instance, int) and not isinstance(instance, bool)


_StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer))


@functools.cache
def _validator(kind: str) -> Any:
    schema = document_schema() if kind == "document" else prediction_schema()
    return _StrictValidator(schema)


@functools.cache
def _fast_validator(kind: str) -> Any:
    """A fast acceptance check (msgspec; see fastcheck.py), used only to skip jsonschema on
    objects it accepts; anything it rejects goes through jsonschema for the full report. None
    when msgspec is not installed."""
    return compile_fast_check(document_schema() if kind == "document" else prediction_schema())


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
            dict: "object", type(None): "null"}.get(type(value), type(value).__name__)


def _schema_problems(obj: Any, kind: str, place: str, doc_id: str) -> list[Problem]:
    fast = _fast_validator(kind)
    if fast is not None:
        try:
            fast(obj)
            return []
        except Exception:  # msgspec.ValidationError or anything odd: let jsonschema judge
            pass
    problems = []
    errors = sorted(_validator(kind).iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    for e in errors:
        path = list(e.absolute_path)
        v = e.validator
        if v == "required":
            name = e.message.split("'")[1]
            path.append(name)
            msg = "missing required field"
            allowed_values = e.schema.get("properties", {}).get(name, {}).get("enum")
            if allowed_values:
                msg += f"; allowed: one of {', '.join(map(str, allowed_values))}"
        elif v == "additionalProperties":
            allowed = ", ".join(e.schema.get("properties", {}))
            for name in sorted(set(e.instance) - set(e.schema.get("properties", {}))):
                problems.append(Problem(place, doc_id, _json_path(path + [name]),
                                        f"unknown field; allowed fields: {allowed}"))
            continue
        elif v == "enum":
            msg = f"found {_show(e.instance)}; allowed: one of {', '.join(map(str, e.validator_value))}"
        elif v == "type":
            want = e.validator_value if isinstance(e.validator_value, str) else " or ".join(e.validator_value)
            found = "null" if e.instance is None else \
                f"{_type_name(e.instance)} {_show(e.instance)}"
            msg = f"found {found}; allowed: {want}"
        elif v == "pattern":
            msg = f"found {_show(e.instance)}; allowed: a string matching {e.validator_value}"
        elif v == "minimum":
            msg = f"found {_show(e.instance)}; allowed: an integer >= {e.validator_value}"
        elif v == "minItems":
            msg = f"found {len(e.instance)} items; allowed: at least {e.validator_value}"
        elif v == "minLength":
            msg = f"found {_show(e.instance)}; allowed: at least {e.validator_value} character(s)"
        elif v == "anyOf":
            msg = f"found {_show(e.instance)}; allowed: " + " or ".join(
                s.get("type", "see schema") if "enum" not in s else "one of " + ", ".join(s["enum"])
                for s in e.validator_value)
        else:
            msg = f"found {_show(e.instance)}; {e.message}"
        problems.append(Problem(place, doc_id, _json_path(path), msg))
    return problems


def unreadable_problems(e: InputError) -> list[Problem]:
    """The problems of input that could not be parsed, one per place (no document id known)."""
    return [Problem(place, "?", "$", what) for place, what in e.places]


def _str(value: Any) -> str | None:
    """``value`` if it is a string (a label), else None: a malformed label is a schema problem,
    and a list or object must not reach a set lookup."""
    return value if isinstance(value, str) else None


def _dicts(obj: Mapping[str, Any], layer: str) -> list[tuple[int, dict]]:
    items = obj.get(layer)
    if not isinstance(items, list):
        return []
    return [(i, x) for i, x in enumerate(items) if isinstance(x, dict)]


class _Checker:
    """Semantic checks shared by gold documents and prediction lines."""

    def __init__(self, spec: Spec, place: str, doc_id: str, text: str | None,
                 prediction: bool):
        self.spec, self.place, self.doc_id, self.text = spec, place, doc_id, text
        self.prediction = prediction
        self.problems: list[Problem] = []
        self.absent: frozenset[str] = frozenset()  # layers a prediction line leaves out

    def add(self, path: str, msg: str) -> None:
        self.problems.append(Problem(self.place, self.doc_id, path, msg))

    def span(self, path: str, d: Any) -> None:
        if not isinstance(d, dict):
            return
        start, end = d.get("start"), d.get("end")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
            return
        if self.text is None:
            return
        n = len(self.text)
        if start >= end:
            self.add(path, f"found start {start}, end {end}; allowed: start < end "
                           "(offsets are half-open [start, end) code points)")
            return
        if end > n:
            self.add(path, f"found end {end}; allowed: end <= {n} (the text has {n} code points)")
            return
        if "text" in d and isinstance(d["text"], str) and self.text[start:end] != d["text"]:
            self.add(path + ".text", f"found {_show(d['text'])}; allowed: the text at "
                                     f"[{start}, {end}), which is {_show(self.text[start:end])}")
            return
        text = self.text
        # two character tests, not a slice per span: this runs for every span of every document
        if not self.prediction and (text[start].isspace() or text[end - 1].isspace()):
            covered = text[start:end]
            lead = len(covered) - len(covered.lstrip())
            trail = len(covered) - len(covered.rstrip())
            fix = (f"[{start + lead}, {end - trail})" if covered.strip() else
                   "a span with a non-space character")
            self.add(path, f"found [{start}, {end}) {_show(covered)}, which starts or ends with "
                           f"white space; allowed: a span that starts and ends on text ({fix})")

    def unique_ids(self, obj: Mapping[str, Any], layer: str) -> dict[str, int]:
        seen: dict[str, int] = {}
        for i, x in _dicts(obj, layer):
            xid = x.get("id")
            if not isinstance(xid, str):
                continue
            if xid in seen:
                self.add(f"$.{layer}[{i}].id", f"found {_show(xid)}, already used by "
                                               f"$.{layer}[{seen[xid]}]; allowed: ids unique within {layer}")
            else:
                seen[xid] = i
        return seen

    def ref(self, path: str, value: Any, targets: Mapping[str, int], layer: str) -> bool:
        if value is None or not isinstance(value, str):
            return False
        if value not in targets and layer in self.absent:
            self.add(path, f"found {_show(value)}, but this line predicts no {layer}; allowed: "
                           f"an id of {layer} predicted on the same line")
            return False
        if value not in targets:
            some = ", ".join(list(targets)[:8]) + (", …" if len(targets) > 8 else "")
            self.add(path, f"found {_show(value)}, which is no id in {layer}; allowed: an id of "
                           f"{layer} ({some or 'none defined'})")
            return False
        return True

    def run(self, obj: Mapping[str, Any]) -> None:
        spec = self.spec
        actor_types = set(spec.actor_types)
        mention_types = set(spec.labels["mention_type"].names)
        ids = {layer: self.unique_ids(obj, layer) for layer in LAYERS}
        if self.prediction:
            self.absent = frozenset(layer for layer in LAYERS if obj.get(layer) is None)
        mentions = {x["id"]: x for _, x in _dicts(obj, "mentions") if isinstance(x.get("id"), str)}

        drawn: dict[tuple[Any, Any, Any], int] = {}
        for i, m in _dicts(obj, "mentions"):
            self.span(f"$.mentions[{i}]", m)
            key = (m.get("start"), m.get("end"), m.get("type"))
            if self.prediction or not all(isinstance(k, (int, str)) for k in key):
                continue  # a malformed field is already a schema problem
            if key in drawn:
                self.add(f"$.mentions[{i}]", f"found a second {key[2]} mention over [{key[0]}, "
                                             f"{key[1]}) (the first is $.mentions[{drawn[key]}]); "
                                             "allowed: one mention per span and type")
            drawn.setdefault(key, i)

        owner: dict[str, str] = {}
        for i, a in _dicts(obj, "actors"):
            mids = a.get("mention_ids") if isinstance(a.get("mention_ids"), list) else []
            for j, mid in enumerate(mids):
                path = f"$.actors[{i}].mention_ids[{j}]"
                if not self.ref(path, mid, ids["mentions"], "mentions"):
                    continue
                if mid in owner:
                    self.add(path, f"found {_show(mid)}, already in actor {_show(owner[mid])}; "
                                   "allowed: a mention belongs to at most one actor")
                else:
                    owner[mid] = a.get("id", f"#{i}")
                mtype, atype = _str(mentions[mid].get("type")), _str(a.get("type"))
                if mtype in mention_types and atype in actor_types and mtype != atype:
                    self.add(path, f"found mention {_show(mid)} of type {mtype} in actor of type "
                                   f"{atype}; allowed: mentions of type {atype} only")

        if not self.prediction:
            for i, m in _dicts(obj, "mentions"):
                if _str(m.get("type")) in actor_types and isinstance(m.get("id"), str) \
                        and m["id"] not in owner:
                    self.add(f"$.mentions[{i}]", f"found {m.get('type')} mention {_show(m['id'])} "
                             f"{_show(m.get('text'))} in no actor; allowed: every actor-type mention "
                             "in exactly one actor (a singleton actor if mentioned once)")

        accepts = spec.labels["argument_role"].accepts
        for i, e in _dicts(obj, "events"):
            self.span(f"$.events[{i}].trigger", e.get("trigger"))
            args = e.get("arguments") if isinstance(e.get("arguments"), list) else []
            for j, arg in enumerate(args):
                if not isinstance(arg, dict):
                    continue
                path = f"$.events[{i}].arguments[{j}].mention_id"
                if self.ref(path, arg.get("mention_id"), ids["mentions"], "mentions"):
                    role, mtype = _str(arg.get("role")), _str(mentions[arg["mention_id"]].get("type"))
                    if role in accepts and mtype in mention_types and mtype not in accepts[role]:
                        self.add(path, f"found a {mtype} mention in role {role}; allowed: "
                                       f"{', '.join(accepts[role])} mentions")

        parents: dict[str, Any] = {}
        for i, t in _dicts(obj, "attributions"):
            self.span(f"$.attributions[{i}].cue", t.get("cue"))
            content = t.get("content") if isinstance(t.get("content"), list) else []
            prev_end = None
            for j, c in enumerate(content):
                self.span(f"$.attributions[{i}].content[{j}]", c)
                if isinstance(c, dict) and isinstance(c.get("start"), int) and isinstance(c.get("end"), int):
                    if prev_end is not None and c["start"] < prev_end:
                        self.add(f"$.attributions[{i}].content[{j}]",
                                 f"found start {c['start']} before the end {prev_end} of the previous "
                                 "fragment; allowed: fragments in text order, not overlapping")
                    prev_end = c["end"]
            if self.ref(f"$.attributions[{i}].source_id", t.get("source_id"), ids["mentions"], "mentions"):
                self._actor_mention(f"$.attributions[{i}].source_id", mentions[t["source_id"]], actor_types)
            if self.ref(f"$.attributions[{i}].parent_id", t.get("parent_id"), ids["attributions"], "attributions"):
                parents[t["id"]] = t["parent_id"]
        self._cycles(parents, ids["attributions"])

        for i, p in _dicts(obj, "positions"):
            self.span(f"$.positions[{i}].target", p.get("target"))
            self.span(f"$.positions[{i}].evidence", p.get("evidence"))
            if self.ref(f"$.positions[{i}].holder_id", p.get("holder_id"), ids["mentions"], "mentions"):
                self._actor_mention(f"$.positions[{i}].holder_id", mentions[p["holder_id"]], actor_types)
            self.ref(f"$.positions[{i}].attribution_id", p.get("attribution_id"),
                     ids["attributions"], "attributions")

    def _actor_mention(self, path: str, mention: Mapping[str, Any], actor_types: set[str]) -> None:
        mtype = _str(mention.get("type"))
        if mtype in self.spec.labels["mention_type"] and mtype not in actor_types:
            self.add(path, f"found {_show(mention.get('id'))}, a {mtype} mention; allowed: a mention "
                           f"of an actor type ({', '.join(sorted(actor_types))})")

    def _cycles(self, parents: Mapping[str, Any], index: Mapping[str, int]) -> None:
        reported: set[str] = set()
        for start in parents:
            chain, node = [start], parents.get(start)
            while node is not None and node not in chain:
                chain.append(node)
                node = parents.get(node)
            if node is not None and node not in reported:
                cycle = chain[chain.index(node):]
                reported.update(cycle)
                self.add(f"$.attributions[{index[node]}].parent_id",
                         f"found a cycle {' -> '.join(cycle + [node])}; allowed: parent_id chains "
                         "that end at an attribution with no parent")


def validate_document(obj: Any, place: str = "<document>", spec: Spec | None = None) -> list[Problem]:
    """Every problem of one canonical gold document (an already-parsed JSON object)."""
    spec = spec or load_spec()
    if not isinstance(obj, dict):
        return [Problem(place, "?", "$", f"found {_type_name(obj)}; allowed: a JSON object (one document)")]
    doc_id = obj.get("id") if isinstance(obj.get("id"), str) else "?"
    problems = _schema_problems(obj, "document", place, doc_id)
    text = obj.get("text") if isinstance(obj.get("text"), str) else None
    if text is not None:
        if not unicodedata.is_normalized("NFC", text):
            first = next(i for i, ch in enumerate(text)
                         if not unicodedata.is_normalized("NFC", text[max(0, i - 1):i + 2]))
            problems.append(Problem(place, doc_id, "$.text", f"found text not in NFC near code point "
                                    f"{first}; allowed: NFC-normalised text (normalise before annotating)"))
        sha = obj.get("text_sha256")
        if isinstance(sha, str) and len(sha) == 64 and sha != sha256_text(text):
            problems.append(Problem(place, doc_id, "$.text_sha256",
                                    f"found {sha}; allowed: {sha256_text(text)}, the SHA-256 of the text"))
    date = obj.get("date")
    if isinstance(date, str) and len(date) == 10:
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            problems.append(Problem(place, doc_id, "$.date", f"found {_show(date)}; allowed: a real "
                                    "calendar date YYYY-MM-DD"))
    checker = _Checker(spec, place, doc_id, text, prediction=False)
    checker.run(obj)
    return problems + checker.problems


def validate_prediction(obj: Any, gold: Mapping[str, Document], place: str,
                        spec: Spec | None = None) -> list[Problem]:
    """Every problem of one prediction line, checked against the gold document it names."""
    spec = spec or load_spec()
    if not isinstance(obj, dict):
        return [Problem(place, "?", "$", f"found {_type_name(obj)}; allowed: a JSON object with an id")]
    doc_id = obj.get("id") if isinstance(obj.get("id"), str) else "?"
    problems = _schema_problems(obj, "prediction", place, doc_id)
    if isinstance(obj.get("id"), str) and obj["id"] not in gold:
        problems.append(Problem(place, doc_id, "$.id", f"found {_show(obj['id'])}, which is no "
                                "document of the gold set; allowed: the id of a gold document"))
        return problems
    text = gold[doc_id].text if doc_id in gold else None
    checker = _Checker(spec, place, doc_id, text, prediction=True)
    checker.run(obj)
    return problems + checker.problems


@dataclass
class CorpusCheck:
    """Result of validating a set of files: the documents that loaded and every problem."""

    documents: list[Document]
    problems: list[Problem]
    files: int


def check_paths(paths: Iterable[str | Path], spec: Spec | None = None, *,
                raw: bool = False) -> CorpusCheck:
    """Validate every document in the files and folders given; duplicate ids across files are a
    problem too. Documents with problems are not returned; with ``raw`` the valid documents are
    returned as their parsed JSON objects instead of ``Document``s (faster for large inputs)."""
    spec = spec or load_spec()
    docs: list[Any] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    files = document_files(paths)
    for path in files:
        try:
            for place, obj in iter_raw_documents(path):
                found = validate_document(obj, place, spec)
                doc_id = obj.get("id") if isinstance(obj, dict) else None
                if isinstance(doc_id, str):
                    if doc_id in seen:
                        found.append(Problem(place, doc_id, "$.id", f"found {_show(doc_id)}, already "
                                             f"used by {seen[doc_id]}; allowed: document ids unique "
                                             "across the corpus"))
                    else:
                        seen[doc_id] = place
                if found:
                    problems += found
                else:
                    docs.append(obj if raw else Document.from_dict(obj))
        except InputError as e:
            problems += unreadable_problems(e)
    if not files:
        problems.append(Problem(", ".join(map(str, paths)) or "<none>", "?", "$",
                                "found no .json or .jsonl document files; allowed: files or "
                                "folders of canonical documents"))
    return CorpusCheck(docs, problems, len(files))


def load_documents(paths: Iterable[str | Path], spec: Spec | None = None) -> list[Document]:
    """Load and validate; raise ValidationError listing every problem if any."""
    result = check_paths(paths, spec)
    if result.problems:
        raise ValidationError(result.problems)
    return result.documents


def check_predictions(path: str | Path, gold: Mapping[str, Document],
                      spec: Spec | None = None) -> tuple[list[Any], list[Problem]]:
    """Validate a prediction JSON Lines file against gold documents (by id).

    Returns the parsed prediction objects that had no problem, and every problem found
    (place ``file:line``). A document id predicted twice is a problem.
    """
    from .model import Prediction

    spec = spec or load_spec()
    preds: list[Any] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    try:
        for place, obj in iter_raw_documents(Path(path), lines=True):
            found = validate_prediction(obj, gold, place, spec)
            doc_id = obj.get("id") if isinstance(obj, dict) else None
            if isinstance(doc_id, str):
                if doc_id in seen:
                    found.append(Problem(place, doc_id, "$.id", f"found {_show(doc_id)} again "
                                         f"(first at {seen[doc_id]}); allowed: one line per "
                                         "document"))
                seen.setdefault(doc_id, place)
            if found:
                problems += found
            else:
                preds.append(Prediction.from_dict(obj, gold[doc_id].text))
    except InputError as e:
        problems += unreadable_problems(e)
    return preds, problems

