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


class _Lists(dict):
    def col(self, name: str) -> list:
        return self.setdefault(name, [])


class SideBuilder:
    """Accumulates documents (or prediction lines) one at a time into a ``Side``."""

    def __init__(self) -> None:
        spec = load_spec()
        self.codes = {name: {v: i for i, v in enumerate(spec.labels[name].names)}
                      for name in ("mention_type", "event_type", "argument_role", "stance")}
        self.n_docs = 0
        self.has: dict[str, list[bool]] = {layer: [] for layer in LAYERS}
        self.t = {k: _Lists() for k in ("mentions", "clusters", "events", "arguments",
                                        "attributions", "fragments", "positions")}
        self.n_clusters = 0

    def add(self, obj: Mapping[str, Any] | None) -> None:
        """Add the next document; ``None`` (or a missing layer key) means not predicted."""
        doc = self.n_docs
        self.n_docs += 1
        obj = obj or {}
        for layer in LAYERS:
            self.has[layer].append(obj.get(layer) is not None)
        t = self.t
        mrow: dict[str, int] = {}
        m = t["mentions"]
        base = len(m.col("doc"))
        mtype = self.codes["mention_type"]
        for k, x in enumerate(obj.get("mentions") or ()):
            mrow[x["id"]] = base + k
            m.col("doc").append(doc)
            m.col("start").append(x["start"])
            m.col("end").append(x["end"])
            m.col("type").append(mtype[x["type"]])
        c = t["clusters"]
        for a in obj.get("actors") or ():
            for mid in a["mention_ids"]:
                c.col("doc").append(doc)
                c.col("cluster").append(self.n_clusters)
                c.col("mention").append(mrow[mid])
            self.n_clusters += 1
        e, g = t["events"], t["arguments"]
        etype, role = self.codes["event_type"], self.codes["argument_role"]
        for x in obj.get("events") or ():
            row = len(e.col("doc"))
            e.col("doc").append(doc)
            e.col("start").append(x["trigger"]["start"])
            e.col("end").append(x["trigger"]["end"])
            e.col("type").append(etype[x["type"]])
            for arg in x.get("arguments") or ():
                g.col("event").append(row)
                g.col("role").append(role[arg["role"]])
                g.col("mention").append(mrow[arg["mention_id"]])
        a, f = t["attributions"], t["fragments"]
        items = obj.get("attributions") or ()
        abase = len(a.col("doc"))
        arow = {x["id"]: abase + k for k, x in enumerate(items)}
        for k, x in enumerate(items):
            a.col("doc").append(doc)
            a.col("cue_start").append(x["cue"]["start"])
            a.col("cue_end").append(x["cue"]["end"])
            src = x.get("source_id")
            a.col("source").append(mrow[src] if src is not None else -1)
            parent = x.get("parent_id")
            a.col("parent").append(arow[parent] if parent is not None else -1)
            for j, frag in enumerate(x["content"]):
                f.col("attribution").append(abase + k)
                f.col("index").append(j)
                f.col("start").append(frag["start"])
                f.col("end").append(frag["end"])
        p = t["positions"]
        stance = self.codes["stance"]
        for x in obj.get("positions") or ():
            p.col("doc").append(doc)
            p.col("holder").append(mrow[x["holder_id"]])
            p.col("target_start").append(x["target"]["start"])
            p.col("target_end").append(x["target"]["end"])
            p.col("stance").append(stance[x["stance"]])

    def build(self) -> Side:
        """The finished columns."""
        side = Side(n_docs=self.n_docs,
                    has={k: np.array(v, dtype=bool) for k, v in self.has.items()})
        names = {
            "mentions": ("doc", "start", "end", "type"),
            "clusters": ("doc", "cluster", "mention"),
            "events": ("doc", "start", "end", "type"),
            "arguments": ("event", "role", "mention"),
            "attributions": ("doc", "cue_start", "cue_end", "source", "parent"),
            "fragments": ("attribution", "index", "start", "end"),
            "positions": ("doc", "holder", "target_start", "target_end", "stance"),
        }
        for table, cols in names.items():
            setattr(side, table, {c: np.asarray(self.t[table].get(c, []), dtype=np.int64)
                                  for c in cols})
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
