"""The shape of a release, generated from the schema: its configs, their Arrow schemas, their
`datasets` Features (as the card's YAML), their Croissant fields, and the rows of each config.

Label fields are stored in Parquet as their label strings (readable by any Parquet reader) and
declared as ClassLabel in the card, so `datasets.load_dataset` returns them as class ids with
the schema's names. Nothing here spells a label or a field: everything is read from the spec.
"""

from __future__ import annotations

from typing import Any, Mapping

import pyarrow as pa

from communique.schemas.io import TEXT_LENGTH
from communique.schemas.spec import Field, Record, Spec, load_spec

DOCUMENTS = "documents"
SPLITS = ("train", "validation", "test")
# Release-only column of the documents config: the text length in code points, kept when the
# text itself is withheld.
DOC_ID = "doc_id"
LAYER_RECORD = {"mentions": "mention", "actors": "actor", "events": "event",
                "attributions": "attribution", "positions": "position"}


def configs(spec: Spec | None = None) -> tuple[str, ...]:
    """Config names: `documents` (the default) then one flat config per layer."""
    spec = spec or load_spec()
    return (DOCUMENTS, *spec.layers)


def _item_field(field: Field) -> Field:
    if field.items is None:
        raise ValueError(f"list field {field.name} has no items in the schema")
    return field.items


def _record_of(field: Field) -> str:
    return field.record or "span"


# --- Arrow ---------------------------------------------------------------------------------

def _arrow_type(field: Field, spec: Spec) -> pa.DataType:
    if field.kind in ("id", "string", "date", "ref", "label"):
        return pa.string()
    if field.kind == "integer":
        return pa.int32()
    if field.kind in ("span", "record"):
        return _arrow_struct(spec.records[_record_of(field)], spec)
    if field.kind == "list":
        return pa.list_(_arrow_type(_item_field(field), spec))
    raise ValueError(f"field {field.name}: kind {field.kind!r} has no Arrow type")


def _arrow_struct(record: Record, spec: Spec) -> pa.StructType:
    return pa.struct([pa.field(f.name, _arrow_type(f, spec)) for f in record.fields.values()])


def _document_fields(spec: Spec) -> list[tuple[str, Field | None]]:
    """Columns of the documents config in order; ``None`` marks the text-length column."""
    out: list[tuple[str, Field | None]] = []
    for name, field in spec.records["document"].fields.items():
        out.append((name, field))
        if name == "text_sha256":
            out.append((TEXT_LENGTH, None))
    return out


def arrow_schema(config: str, spec: Spec | None = None) -> pa.Schema:
    """The Arrow schema of one config's Parquet files."""
    spec = spec or load_spec()
    if config == DOCUMENTS:
        return pa.schema([pa.field(name, pa.int32() if f is None else _arrow_type(f, spec))
                          for name, f in _document_fields(spec)])
    record = spec.records[LAYER_RECORD[config]]
    return pa.schema([pa.field(DOC_ID, pa.string())] +
                     [pa.field(f.name, _arrow_type(f, spec)) for f in record.fields.values()])


# --- datasets Features (the card's YAML form) -----------------------------------------------

def _feature(name: str, field: Field | None, spec: Spec) -> dict[str, Any]:
    """One entry of a `dataset_info.features` YAML list."""
    if field is None or field.kind == "integer":
        return {"name": name, "dtype": "int32"}
    if field.kind == "label":
        names = spec.labels[field.label or ""].names
        return {"name": name, "dtype": {"class_label": {"names": {str(i): n for i, n in
                                                                   enumerate(names)}}}}
    if field.kind in ("id", "string", "date", "ref"):
        return {"name": name, "dtype": "string"}
    if field.kind in ("span", "record"):
        return {"name": name, "struct": _features(spec.records[_record_of(field)], spec)}
    if field.kind == "list":
        item = _item_field(field)
        if item.kind in ("span", "record"):
            return {"name": name, "list": _features(spec.records[_record_of(item)], spec)}
        inner = _feature(name, item, spec)
        return {"name": name, "list": inner["dtype"]}
    raise ValueError(f"field {name}: kind {field.kind!r} has no datasets feature")


def _features(record: Record, spec: Spec) -> list[dict[str, Any]]:
    return [_feature(f.name, f, spec) for f in record.fields.values()]


def features_yaml(config: str, spec: Spec | None = None) -> list[dict[str, Any]]:
    """The `features:` list of one config in the card's `dataset_info` (datasets YAML form)."""
    spec = spec or load_spec()
    if config == DOCUMENTS:
        return [_feature(name, f, spec) for name, f in _document_fields(spec)]
    record = spec.records[LAYER_RECORD[config]]
    return [{"name": DOC_ID, "dtype": "string"}] + _features(record, spec)


# --- Croissant -------------------------------------------------------------------------------

CROISSANT_TYPES = {"integer": "sc:Integer", "date": "sc:Date"}


def croissant_fields(config: str, file_set: str,
                     spec: Spec | None = None) -> list[dict[str, Any]]:
    """Croissant fields of one config's record set. mlcroissant reads one level of nesting
    (a struct, or a list of structs of plain values); deeper fields are left out, which for the
    documents config means its layers (read them from the flat configs)."""
    spec = spec or load_spec()
    if config == DOCUMENTS:
        columns = [(name, f) for name, f in _document_fields(spec)
                   if f is None or f.kind not in ("list",)]
    else:
        record = spec.records[LAYER_RECORD[config]]
        columns = [(DOC_ID, None)] + list(record.fields.items())
    out = []
    for name, field in columns:
        out.append(_croissant_field(f"{config}/{name}", name, field, file_set, spec,
                                    column=name, path=None))
    return out


def _source(file_set: str, column: str, path: str | None) -> dict[str, Any]:
    src: dict[str, Any] = {"fileSet": {"@id": file_set}, "extract": {"column": column}}
    if path is not None:
        src["transform"] = {"jsonPath": path}
    return src


def _croissant_field(fid: str, name: str, field: Field | None, file_set: str, spec: Spec,
                     column: str, path: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "cr:Field", "@id": fid, "name": name}
    if field is None:
        description = ("Id of the document this item belongs to." if name == DOC_ID
                       else "Length of the document text in code points (kept when the text "
                            "is withheld).")
    else:
        description = field.description
    out["description"] = description
    if field is not None and field.kind == "label":
        names = spec.labels[field.label or ""].names
        out["description"] = f"{description} One of: {', '.join(names)}."
    repeated = field is not None and field.kind == "list"
    inner = _item_field(field) if repeated and field is not None else field
    if inner is not None and inner.kind in ("span", "record"):
        record = spec.records[_record_of(inner)]
        if repeated:
            out["repeated"] = True
            out["source"] = _source(file_set, column, path)
        out["subField"] = [_croissant_field(f"{fid}/{sub.name}", sub.name, sub, file_set, spec,
                                            column=column, path=sub.name)
                           for sub in record.fields.values()]
        return out
    kind = inner.kind if inner is not None else ("string" if name == DOC_ID else "integer")
    out["dataType"] = CROISSANT_TYPES.get(kind, "sc:Text")
    if repeated:
        out["repeated"] = True
    out["source"] = _source(file_set, column, path)
    return out


# --- rows -----------------------------------------------------------------------------------

def _span_records(spec: Spec) -> set[str]:
    """Records whose `text` is a copy of the document text at [start, end)."""
    return {name for name, r in spec.records.items()
            if {"start", "end", "text"} <= set(r.fields) and name != "document"}


def map_span_texts(obj: dict[str, Any], record: str, fill: Any, spec: Spec) -> None:
    """Set, in place, the `text` of every span-like record inside ``obj`` (a ``record``) to
    ``fill(start, end)``: None to withhold texts, a slice of the document text to restore them."""
    rec = spec.records[record]
    span_like = _span_records(spec)
    if record in span_like:
        obj["text"] = fill(obj["start"], obj["end"])
    for name, field in rec.fields.items():
        value = obj.get(name)
        if value is None:
            continue
        inner = _item_field(field) if field.kind == "list" else field
        if inner.kind not in ("span", "record"):
            continue
        sub = _record_of(inner)
        for item in (value if field.kind == "list" else (value,)):
            map_span_texts(item, sub, fill, spec)


def document_row(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The documents-config row of a canonical document dict (its text may be None)."""
    row = dict(doc)
    text = doc["text"]
    row[TEXT_LENGTH] = doc[TEXT_LENGTH] if text is None else len(text)
    return row


def label_paths(record: str, spec: Spec | None = None,
                nested: bool = True) -> list[tuple[str, tuple[str, ...]]]:
    """(name, path) of every label field of a record and, when ``nested``, of its lists of
    records, e.g. ``("arguments.role", ("arguments", "role"))`` for events."""
    spec = spec or load_spec()
    out = []
    for name, field in spec.records[record].fields.items():
        if field.kind == "label":
            out.append((name, (name,)))
        elif nested and field.kind == "list" and _item_field(field).kind == "record":
            for sub, path in label_paths(_record_of(_item_field(field)), spec):
                out.append((f"{name}.{sub}", (name, *path)))
    return out


def label_sets(record: str, spec: Spec | None = None,
               nested: bool = True) -> dict[str, str]:
    """Label-field name → the name of its label set, for the label fields of ``record``."""
    spec = spec or load_spec()
    out = {}
    for name, path in label_paths(record, spec, nested):
        rec = spec.records[record]
        field = rec.fields[path[0]]
        for step in path[1:]:
            rec = spec.records[_record_of(_item_field(field))]
            field = rec.fields[step]
        out[name] = field.label or ""
    return out


def label_names(record: str, spec: Spec | None = None,
                nested: bool = True) -> dict[str, tuple[str, ...]]:
    """Label-field name → the label set's names, for the label fields of ``record``."""
    spec = spec or load_spec()
    return {name: spec.labels[label_set].names
            for name, label_set in label_sets(record, spec, nested).items()}
