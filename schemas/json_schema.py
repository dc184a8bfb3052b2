"""JSON Schema (draft 2020-12) of a gold document and of a prediction-file line, generated from
the schema file. Labels become enums; references stay strings (resolution is the validator's
job, since JSON Schema cannot check that an id exists)."""

from __future__ import annotations

from typing import Any

from .spec import Field, Spec, load_spec

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._:-]*$"


def _field_schema(spec: Spec, f: Field, prediction: bool) -> dict[str, Any]:
    kind = f.kind
    if kind in ("string", "date"):
        s: dict[str, Any] = {"type": "string"}
        if kind == "date":
            s["format"] = "date"
            s["pattern"] = r"^\d{4}-\d{2}-\d{2}$"
        if f.pattern:
            s["pattern"] = f.pattern
        if f.min_length:
            s["minLength"] = f.min_length
    elif kind in ("id", "ref"):
        s = {"type": "string", "pattern": ID_PATTERN}
    elif kind == "integer":
        s = {"type": "integer"}
        if f.minimum is not None:
            s["minimum"] = f.minimum
    elif kind == "label":
        s = {"enum": list(spec.labels[f.label].names)}  # type: ignore[index]
    elif kind == "span":
        s = {"$ref": "#/$defs/span"}
    elif kind == "record":
        s = {"$ref": f"#/$defs/{f.record}"}
    elif kind == "list":
        s = {"type": "array", "items": _field_schema(spec, f.items, prediction)}  # type: ignore[arg-type]
        if f.min_items:
            s["minItems"] = f.min_items
    else:
        raise ValueError(f"schema field {f.name!r}: unknown kind {kind!r}")
    if f.description:
        s = {"description": f.description, **s}
    if f.nullable:
        s = {"anyOf": [s, {"type": "null"}]} if "$ref" in s or "enum" in s else \
            {**s, "type": [s["type"], "null"]}
    return s


def _record_schema(spec: Spec, name: str, prediction: bool) -> dict[str, Any]:
    rec = spec.records[name]
    props = {fname: _field_schema(spec, f, prediction) for fname, f in rec.fields.items()}
    required = list(rec.fields)
    if prediction and "text" in rec.fields and name in ("span", "mention"):
        required.remove("text")
    return {"type": "object", "description": rec.description, "properties": props,
            "required": required, "additionalProperties": False}


def _defs(spec: Spec, prediction: bool) -> dict[str, Any]:
    return {name: _record_schema(spec, name, prediction)
            for name in spec.records if name != "document"}


def document_schema(spec: Spec | None = None) -> dict[str, Any]:
    """JSON Schema of one canonical gold document."""
    spec = spec or load_spec()
    body = _record_schema(spec, "document", prediction=False)
    return {"$schema": DRAFT, "$id": "https://communique.invalid/schemas/document.schema.json",
            "title": "Communiqué gold document",
            "x-schema-version": spec.schema_version, **body, "$defs": _defs(spec, False)}


def prediction_schema(spec: Spec | None = None) -> dict[str, Any]:
    """JSON Schema of one prediction-file line: ``id`` plus any layers; span text optional."""
    spec = spec or load_spec()
    doc = spec.records["document"]
    props: dict[str, Any] = {"id": _field_schema(spec, doc.fields["id"], True)}
    for layer in spec.layers:
        props[layer] = _field_schema(spec, doc.fields[layer], True)
    return {"$schema": DRAFT, "$id": "https://communique.invalid/schemas/prediction.schema.json",
            "title": "Communiqué prediction line",
            "description": ("One line of a prediction file. A missing layer is not predicted "
                            "(not scored); an empty list is scored as predicting nothing."),
            "x-schema-version": spec.schema_version,
            "type": "object", "properties": props, "required": ["id"],
            "additionalProperties": False, "$defs": _defs(spec, True)}
