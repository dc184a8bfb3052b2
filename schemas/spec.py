"""The schema file `communique.yaml`, read once and exposed as plain, typed objects.

Everything that needs a label set or a record definition asks this module; nothing else in the
project spells out a label.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Mapping

import yaml

SCHEMA_FILE = "communique.yaml"


@dataclass(frozen=True, slots=True)
class LabelSet:
    """A closed set of labels, each with a one-line definition, in schema order."""

    name: str
    description: str
    definitions: Mapping[str, str]
    accepts: Mapping[str, tuple[str, ...]]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.definitions)

    def __contains__(self, value: object) -> bool:
        return value in self.definitions


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record: its kind (`string`, `integer`, `id`, `date`, `label`, `ref`,
    `span`, `list`, `record`) and constraints."""

    name: str
    kind: str
    description: str
    nullable: bool = False
    label: str | None = None
    ref: str | None = None
    record: str | None = None
    items: "Field | None" = None
    minimum: int | None = None
    min_items: int | None = None
    min_length: int | None = None
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    name: str
    description: str
    fields: Mapping[str, Field]


@dataclass(frozen=True, slots=True)
class Spec:
    """The whole schema: version, label sets, records and layer order."""

    schema_version: str
    sources: Mapping[str, Any]
    labels: Mapping[str, LabelSet]
    records: Mapping[str, Record]
    layers: tuple[str, ...]
    raw_text: str

    def label(self, name: str) -> LabelSet:
        return self.labels[name]

    @property
    def actor_types(self) -> tuple[str, ...]:
        return self.labels["actor_type"].names


def _field(name: str, raw: Mapping[str, Any]) -> Field:
    items = raw.get("items")
    return Field(
        name=name,
        kind=raw["kind"],
        description=raw.get("description", ""),
        nullable=bool(raw.get("nullable", False)),
        label=raw.get("label"),
        ref=raw.get("ref"),
        record=raw.get("record"),
        items=_field(f"{name}[]", items) if items else None,
        minimum=raw.get("minimum"),
        min_items=raw.get("min_items"),
        min_length=raw.get("min_length"),
        pattern=raw.get("pattern"),
    )


def parse_spec(text: str) -> Spec:
    """Build a Spec from the YAML text of a schema file."""
    raw = yaml.safe_load(text)
    labels = {
        name: LabelSet(
            name=name,
            description=body.get("description", ""),
            definitions=MappingProxyType(dict(body["values"])),
            accepts=MappingProxyType({k: tuple(v) for k, v in body.get("accepts", {}).items()}),
        )
        for name, body in raw["labels"].items()
    }
    records = {
        name: Record(
            name=name,
            description=body.get("description", ""),
            fields=MappingProxyType({f: _field(f, spec) for f, spec in body["fields"].items()}),
        )
        for name, body in raw["records"].items()
    }
    return Spec(
        schema_version=str(raw["schema_version"]),
        sources=MappingProxyType(raw.get("sources", {})),
        labels=MappingProxyType(labels),
        records=MappingProxyType(records),
        layers=tuple(raw["layers"]),
        raw_text=text,
    )


@functools.cache
def load_spec() -> Spec:
    """The schema shipped with this package."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return parse_spec(text)
