"""Gold documents and prediction lines as flat columns (one numpy array per field and layer).

The scorers work on whole-corpus arrays instead of per-document objects: that is what makes
100,000 documents score in seconds. Rows carry their document index; references (a mention id,
a parent id) become row numbers, -1 when null. Labels become their index in the schema's label
set. Input objects are canonical JSON dicts that already passed validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from communique.schemas.model import LAYERS
from communique.schemas.spec import load_spec


@dataclass(slots=True)
class Side:
    """One side (gold or predicted) of a corpus as columns; ``has[layer][doc]`` says whether the
    layer was given for that document (always true for gold)."""

    n_docs: int = 0
    has: dict[str, np.ndarray] = field(default_factory=dict)
    mentions: dict[str, np.ndarray] = field(default_factory=dict)
    clusters: dict[str, np.ndarray] = field(default_factory=dict)
    events: dict[str, np.ndarray] = field(default_factory=dict)
    arguments: dict[str, np.ndarray] = field(default_factory=dict)
    attributions: dict[str, np.ndarray] = field(default_factory=dict)
    fragments: dict[str, np.ndarray] = field(default_factory=dict)
    positions: dict[str, np.ndarray] = field(default_factory=dict)


FLUSH_DOCS = 4096
_TABLES = {
    "mentions": ("doc", "start", "end", "type"),
    "clusters": ("doc", "cluster", "mention"),
    "events": ("doc", "start", "end", "type", "modality"),
    "arguments": ("event", "role", "mention"),
    "attributions": ("doc", "cue_start", "cue_end", "source", "parent"),
    "fragments": ("attribution", "index", "start", "end"),
    "positions": ("doc", "holder", "target_start", "target_end", "stance"),
}


class SideBuilder:
    """Accumulates documents (or prediction lines) one at a time into a ``Side``.

    Written for speed (it is the only per-item Python on the scoring path): columns are plain
    lists extended by comprehensions.
    """

    def __init__(self) -> None:
        spec = load_spec()
        self.codes = {name: {v: i for i, v in enumerate(spec.labels[name].names)}
                      for name in ("mention_type", "event_type", "argument_role", "modality",
                                   "stance")}
        self.n_docs = 0
        self.has: dict[str, list[bool]] = {layer: [] for layer in LAYERS}
        self.cols = {t: {c: [] for c in cols} for t, cols in _TABLES.items()}
        # Lists of Python ints cost ~36 bytes a value: every FLUSH_DOCS documents they are
        # packed into int32 arrays (4 bytes a value; offsets and row numbers fit).
        self.packed = {t: {c: [] for c in cols} for t, cols in _TABLES.items()}
        self.row_counts = {t: 0 for t in _TABLES}
        self.n_clusters = 0

    def _pack(self) -> None:
        for table, cols in self.cols.items():
            self.row_counts[table] += len(cols[_TABLES[table][0]])
            for c, values in cols.items():
                if values:
                    self.packed[table][c].append(np.asarray(values, dtype=np.int32))
                    cols[c] = []

    def add(self, obj: Mapping[str, Any] | None) -> None:
        """Add the next document; ``None`` (or a missing layer key) means not predicted."""
        doc = self.n_docs
        self.n_docs += 1
        if doc % FLUSH_DOCS == 0:
            self._pack()
        obj = obj or {}
        layers = [obj.get(layer) for layer in LAYERS]
        for layer, items in zip(LAYERS, layers, strict=True):
            self.has[layer].append(items is not None)
        mentions, actors, events, attributions, positions = (x or () for x in layers)
        cols = self.cols

        m = cols["mentions"]
        base = self._rows("mentions")
        mrow = {x["id"]: base + k for k, x in enumerate(mentions)}
        if mentions:
            mtype = self.codes["mention_type"]
            m["doc"].extend([doc] * len(mentions))
            m["start"].extend([x["start"] for x in mentions])
            m["end"].extend([x["end"] for x in mentions])
            m["type"].extend([mtype[x["type"]] for x in mentions])

        if actors:
            c = cols["clusters"]
            first = self.n_clusters
            members = [(first + k, mid) for k, a in enumerate(actors) for mid in a["mention_ids"]]
            self.n_clusters += len(actors)
            c["doc"].extend([doc] * len(members))
            c["cluster"].extend([k for k, _ in members])
            c["mention"].extend([mrow[mid] for _, mid in members])

        if events:
            e, g = cols["events"], cols["arguments"]
            ebase = self._rows("events")
            etype, role = self.codes["event_type"], self.codes["argument_role"]
            e["doc"].extend([doc] * len(events))
            e["start"].extend([x["trigger"]["start"] for x in events])
            e["end"].extend([x["trigger"]["end"] for x in events])
            e["type"].extend([etype[x["type"]] for x in events])
            e["modality"].extend([self.codes["modality"][x["modality"]] for x in events])
            args = [(ebase + k, a) for k, x in enumerate(events) for a in x.get("arguments") or ()]
            g["event"].extend([k for k, _ in args])
            g["role"].extend([role[a["role"]] for _, a in args])
            g["mention"].extend([mrow[a["mention_id"]] for _, a in args])

        if attributions:
            a, f = cols["attributions"], cols["fragments"]
            abase = self._rows("attributions")
            arow = {x["id"]: abase + k for k, x in enumerate(attributions)}
            a["doc"].extend([doc] * len(attributions))
            a["cue_start"].extend([x["cue"]["start"] for x in attributions])
            a["cue_end"].extend([x["cue"]["end"] for x in attributions])
            a["source"].extend([mrow[x["source_id"]] if x.get("source_id") is not None else -1
                                for x in attributions])
            a["parent"].extend([arow[x["parent_id"]] if x.get("parent_id") is not None else -1
                                for x in attributions])
            frags = [(abase + k, j, fr) for k, x in enumerate(attributions)
                     for j, fr in enumerate(x["content"])]
            f["attribution"].extend([k for k, _, _ in frags])
            f["index"].extend([j for _, j, _ in frags])
            f["start"].extend([fr["start"] for _, _, fr in frags])
            f["end"].extend([fr["end"] for _, _, fr in frags])

        if positions:
            p = cols["positions"]
            stance = self.codes["stance"]
            p["doc"].extend([doc] * len(positions))
            p["holder"].extend([mrow[x["holder_id"]] for x in positions])
            p["target_start"].extend([x["target"]["start"] for x in positions])
            p["target_end"].extend([x["target"]["end"] for x in positions])
            p["stance"].extend([stance[x["stance"]] for x in positions])

    def _rows(self, table: str) -> int:
        """Rows of ``table`` so far (packed and pending)."""
        return self.row_counts[table] + len(self.cols[table][_TABLES[table][0]])

    def build(self) -> Side:
        """The finished columns."""
        self._pack()
        side = Side(n_docs=self.n_docs,
                    has={k: np.array(v, dtype=bool) for k, v in self.has.items()})
        for table, cols in self.packed.items():
            setattr(side, table, {c: np.concatenate(v) if v else np.zeros(0, dtype=np.int32)
                                  for c, v in cols.items()})
        return side


def build_sides(pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any] | None]]
                ) -> tuple[Side, Side, list[str], list[str]]:
    """Columns of gold and predictions from ``(gold dict, prediction dict or None)`` pairs;
    also the document ids and texts in order."""
    gold, pred = SideBuilder(), SideBuilder()
    ids, texts = [], []
    for g, p in pairs:
        gold.add(g)
        pred.add(p)
        ids.append(g["id"])
        texts.append(g["text"])
    return gold.build(), pred.build(), ids, texts
