"""A fast acceptance check for the generated JSON Schemas, built with msgspec.

The JSON Schema (keywords type, properties, required, additionalProperties, enum, pattern,
minLength, minimum, items, minItems, $ref) is translated mechanically into msgspec types; an
object that ``msgspec.convert`` accepts against them has no schema problem, so jsonschema (about
40 times slower) only runs on objects the fast check rejects, to report every problem. A schema
using any other keyword gets no fast check. A randomised test compares the two.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Callable, Literal, Mapping, Union

# Keywords that only annotate (jsonschema, as the validator uses it, checks no `format`).
ANNOTATIONS = {"description", "title", "format", "$schema", "$id", "x-schema-version", "$defs"}


class Unsupported(ValueError):
    """The schema uses a keyword the translation does not handle."""


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


class _Translator:
    def __init__(self, schema: Mapping[str, Any]):
        import msgspec

        self.msgspec = msgspec
        self.defs = schema.get("$defs", {})
        self.structs: dict[str, Any] = {}

    def check_keys(self, node: Mapping[str, Any], allowed: set[str]) -> None:
        unknown = set(node) - allowed - ANNOTATIONS
        if unknown:
            raise Unsupported(f"keywords {sorted(unknown)}")

    def type_of(self, node: Mapping[str, Any], hint: str) -> Any:
        Meta = self.msgspec.Meta
        if "$ref" in node:
            self.check_keys(node, {"$ref"})
            return self.struct(_name(node["$ref"]))
        if "enum" in node:
            self.check_keys(node, {"enum"})
            values = node["enum"]
            if not values or not all(isinstance(v, str) for v in values):
                raise Unsupported("enum of non-strings")
            return Literal[tuple(values)]  # type: ignore[valid-type]
        types = node.get("type")
        names = types if isinstance(types, list) else [types]
        nullable = "null" in names
        names = [n for n in names if n != "null"]
        if len(names) != 1:
            raise Unsupported(f"type {types!r}")
        kind = names[0]
        if kind == "string":
            self.check_keys(node, {"type", "pattern", "minLength"})
            meta = {}
            if "pattern" in node:
                re.compile(node["pattern"])
                meta["pattern"] = node["pattern"]
            if "minLength" in node:
                meta["min_length"] = node["minLength"]
            out: Any = Annotated[str, Meta(**meta)] if meta else str
        elif kind == "integer":
            self.check_keys(node, {"type", "minimum"})
            out = Annotated[int, Meta(ge=node["minimum"])] if "minimum" in node else int
        elif kind == "array":
            self.check_keys(node, {"type", "items", "minItems"})
            item = self.type_of(node["items"], hint + "Item")
            out = list[item]  # type: ignore[valid-type]
            if "minItems" in node:
                out = Annotated[out, Meta(min_length=node["minItems"])]
        elif kind == "object":
            out = self.object(node, hint)
        else:
            raise Unsupported(f"type {kind!r}")
        return Union[out, None] if nullable else out

    def object(self, node: Mapping[str, Any], name: str) -> Any:
        self.check_keys(node, {"type", "properties", "required", "additionalProperties"})
        if node.get("additionalProperties", True) is not False:
            raise Unsupported("objects must forbid additional properties")
        required = set(node.get("required", ()))
        fields: list[Any] = []
        optional: list[Any] = []
        for key, sub in node.get("properties", {}).items():
            typ = self.type_of(sub, name + key.title())
            if key in required:
                fields.append((key, typ))
            else:
                optional.append((key, typ, None))
        # gc=False: these structs never form cycles, and untracked objects spare the cyclic
        # garbage collector, which otherwise dominates the check on large batches.
        return self.msgspec.defstruct(name, fields + optional, forbid_unknown_fields=True,
                                      gc=False)

    def struct(self, name: str) -> Any:
        if name not in self.structs:
            if name not in self.defs:
                raise Unsupported(f"$ref to unknown {name!r}")
            self.structs[name] = self.object(self.defs[name], name.title())
        return self.structs[name]


def compile_fast_check(schema: Mapping[str, Any]) -> Callable[[Any], None] | None:
    """A function that returns when ``schema`` certainly accepts an object and raises
    otherwise; None when msgspec is not installed or the schema cannot be translated."""
    try:
        import msgspec
    except ModuleNotFoundError:
        return None
    try:
        root = _Translator(schema).type_of(schema, "Root")
    except Unsupported:
        return None

    def check(obj: Any) -> None:
        msgspec.convert(obj, root)

    return check
