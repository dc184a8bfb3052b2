"""The Communiqué data model: frozen dataclasses for a document and its five layers.

Offsets are half-open ``[start, end)`` over Python ``str`` code points of the NFC-normalised
document text, so ``doc.text[span.start:span.end] == span.text`` for every stored span.
Field names and their order are the canonical JSON contract (see DESIGN.md); ``to_dict`` and
``from_dict`` map one to one onto it. Construction does not validate: run
``communique.schemas.validate`` on incoming dicts, which reports every problem with its place.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

LAYERS = ("mentions", "actors", "events", "attributions", "positions")


def sha256_text(text: str) -> str:
    """Hex SHA-256 of the UTF-8 encoding of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def nfc(text: str) -> str:
    """The NFC normal form of ``text`` (the form all offsets refer to)."""
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of text, half-open ``[start, end)`` in code points."""

    start: int
    end: int
    text: str

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], doc_text: str | None = None) -> "Span":
        """Read ``{"start", "end", "text"}``; a missing ``text`` is cut from ``doc_text``."""
        start, end = d["start"], d["end"]
        text = d["text"] if "text" in d else doc_text[start:end]  # type: ignore[index]
        return cls(start, end, text)

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}

    @classmethod
    def of(cls, doc_text: str, start: int, end: int) -> "Span":
        """The span ``[start, end)`` of ``doc_text`` with its text filled in."""
        return cls(start, end, doc_text[start:end])


@dataclass(frozen=True, slots=True)
class Mention:
    """A span naming or referring to something; ``type`` is a ``mention_type`` label."""

    id: str
    start: int
    end: int
    text: str
    type: str

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.text)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], doc_text: str | None = None) -> "Mention":
        span = Span.from_dict(d, doc_text)
        return cls(d["id"], span.start, span.end, span.text, d["type"])

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "start": self.start, "end": self.end, "text": self.text,
                "type": self.type}


@dataclass(frozen=True, slots=True)
class Actor:
    """A cluster of mentions referring to one real-world actor."""

    id: str
    name: str
    type: str
    mention_ids: tuple[str, ...]
    wikidata: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], doc_text: str | None = None) -> "Actor":
        return cls(d["id"], d["name"], d["type"], tuple(d["mention_ids"]), d.get("wikidata"))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type,
                "mention_ids": list(self.mention_ids), "wikidata": self.wikidata}


@dataclass(frozen=True, slots=True)
class Argument:
    """A mention filling a role (``argument_role`` label) in an event."""

    role: str
    mention_id: str

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Argument":
        return cls(d["role"], d["mention_id"])

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "mention_id": self.mention_id}


@dataclass(frozen=True, slots=True)
class Event:
    """A PLOVER event: type, trigger span, modality and arguments."""

    id: str
    type: str
    trigger: Span
    modality: str
    arguments: tuple[Argument, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], doc_text: str | None = None) -> "Event":
        return cls(d["id"], d["type"], Span.from_dict(d["trigger"], doc_text), d["modality"],
                   tuple(Argument.from_dict(a) for a in d.get("arguments", ())))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "trigger": self.trigger.to_dict(),
                "modality": self.modality, "arguments": [a.to_dict() for a in self.arguments]}


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who said what (PARC 3.0): source mention, cue span, content fragments, parent link."""

    id: str
    type: str
    source_id: str | None
    cue: Span
    content: tuple[Span, ...]
    parent_id: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], doc_text: str | None = None) -> "Attribution":
        return cls(d["id"], d["type"], d.get("source_id"), Span.from_dict(d["cue"], doc_text),
                   tuple(Span.from_dict(c, doc_text) for c in d["content"]), d.get("parent_id"))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "source_id": self.source_id,
                "cue": self.cue.to_dict(), "content": [c.to_dict() for c in self.content],
                "parent_id": self.parent_id}


@dataclass(frozen=True, slots=True)
class Position:
    """An actor's stance on a target, with the evidence span and optional attribution."""

    id: str
    holder_id: str
    stance: str
    target: Span
    evidence: Span
    attribution_id: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], doc_text: str | None = None) -> "Position":
        return cls(d["id"], d["holder_id"], d["stance"], Span.from_dict(d["target"], doc_text),
                   Span.from_dict(d["evidence"], doc_text), d.get("attribution_id"))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "holder_id": self.holder_id, "stance": self.stance,
                "target": self.target.to_dict(), "evidence": self.evidence.to_dict(),
                "attribution_id": self.attribution_id}


LAYER_TYPES: dict[str, type] = {
    "mentions": Mention,
    "actors": Actor,
    "events": Event,
    "attributions": Attribution,
    "positions": Position,
}

METADATA_FIELDS = ("id", "title", "date", "source", "url", "language", "license", "provenance",
                   "text", "text_sha256")


@dataclass(frozen=True, slots=True)
class Document:
    """One article: metadata, NFC text, and the five annotation layers (tuples, in file order)."""

    id: str
    title: str | None
    date: str
    source: str
    url: str | None
    language: str
    license: str
    provenance: str
    text: str
    text_sha256: str
    mentions: tuple[Mention, ...] = ()
    actors: tuple[Actor, ...] = ()
    events: tuple[Event, ...] = ()
    attributions: tuple[Attribution, ...] = ()
    positions: tuple[Position, ...] = ()

    @classmethod
    def new(cls, *, id: str, text: str, date: str, source: str, license: str,
            provenance: str, title: str | None = None, url: str | None = None,
            language: str = "en") -> "Document":
        """A document with empty layers; ``text`` is NFC-normalised and hashed here."""
        text = nfc(text)
        return cls(id=id, title=title, date=date, source=source, url=url, language=language,
                   license=license, provenance=provenance, text=text,
                   text_sha256=sha256_text(text))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Document":
        text = d["text"]
        layers = {name: tuple(LAYER_TYPES[name].from_dict(item, text) for item in d.get(name, ()))
                  for name in LAYERS}
        return cls(**{k: d.get(k) for k in METADATA_FIELDS}, **layers)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in METADATA_FIELDS}
        for name in LAYERS:
            out[name] = [item.to_dict() for item in getattr(self, name)]
        return out

    def with_layers(self, **layers: Iterable[Any]) -> "Document":
        """A copy with some layers replaced."""
        return replace(self, **{k: tuple(v) for k, v in layers.items()})

    def without_layers(self) -> "Document":
        return replace(self, **{name: () for name in LAYERS})

    def mention_map(self) -> dict[str, Mention]:
        return {m.id: m for m in self.mentions}

    def actor_of_mention(self) -> dict[str, str]:
        """Mention id → id of the actor whose cluster contains it."""
        return {mid: a.id for a in self.actors for mid in a.mention_ids}


@dataclass(frozen=True, slots=True)
class Prediction:
    """One prediction-file line: a document id and the layers the system predicted.

    A layer that is ``None`` was not predicted (and is not scored); an empty tuple means the
    system predicted nothing for it. Span texts are filled in from the gold text.
    """

    id: str
    layers: Mapping[str, tuple[Any, ...] | None] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], doc_text: str) -> "Prediction":
        layers: dict[str, tuple[Any, ...] | None] = {}
        for name in LAYERS:
            if name in d and d[name] is not None:
                layers[name] = tuple(LAYER_TYPES[name].from_dict(x, doc_text) for x in d[name])
            else:
                layers[name] = None
        return cls(d["id"], layers)

    def get(self, layer: str) -> tuple[Any, ...] | None:
        return self.layers.get(layer)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        for name in LAYERS:
            items = self.layers.get(name)
            if items is not None:
                out[name] = [x.to_dict() for x in items]
        return out


def document_id_for(text: str) -> str:
    """The stable id of a document: ``cmq-`` and the first 12 hex digits of its text's SHA-256.

    It depends on the NFC text only, never on import order or file names.
    """
    return "cmq-" + sha256_text(nfc(text))[:12]
