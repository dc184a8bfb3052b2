"""Inter-annotator agreement, per layer, per document and averaged (definitions in
annotation/AGREEMENT.md).

- Span layers (mentions; event triggers; attribution cues; position evidence): pairwise F1 with
  one-to-one matching, ``strict`` (same bounds and label) and ``overlap`` (any shared code point,
  label ignored; optimal assignment).
- Labels on matched spans, following INCEpTION's coding measures: a unit is a span position
  (same start and end); Cohen's κ for each pair of annotators over the units both labelled,
  Krippendorff's α (nominal, ``krippendorff`` package) over every unit labelled by two or more.
- Relations (event arguments; attribution source, content and parent links; position holder
  and target links): pairwise F1 over exact tuples of bounds and label.

Averages are means over documents of the mean over annotator pairs (INCEpTION averages pairwise
scores the same way); ``micro`` pools the counts of all documents and pairs.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from communique.schemas.model import Document

Span3 = tuple[int, int, str]  # start, end, label

SPAN_LAYERS = ("mentions", "events", "attributions", "positions")
RELATION_LAYERS = ("event_arguments", "attribution_links", "position_links")


class AgreementInputError(Exception):
    """The input is neither a Label Studio export nor a pulled folder."""


def spans(doc: Document, layer: str) -> list[Span3]:
    """The labelled spans of one layer: mention types, event triggers with their type,
    attribution cues with their type, position evidence with its stance."""
    if layer == "mentions":
        return [(m.start, m.end, m.type) for m in doc.mentions]
    if layer == "events":
        return [(e.trigger.start, e.trigger.end, e.type) for e in doc.events]
    if layer == "attributions":
        return [(t.cue.start, t.cue.end, t.type) for t in doc.attributions]
    if layer == "positions":
        return [(p.evidence.start, p.evidence.end, p.stance) for p in doc.positions]
    raise ValueError(f"unknown span layer {layer!r}; allowed: {', '.join(SPAN_LAYERS)}")


def relations(doc: Document, layer: str) -> list[tuple[Any, ...]]:
    """Relations as tuples of bounds and label, independent of ids."""
    m = {x.id: (x.start, x.end) for x in doc.mentions}
    cue = {t.id: (t.cue.start, t.cue.end) for t in doc.attributions}
    if layer == "event_arguments":
        return [((e.trigger.start, e.trigger.end), a.role, m[a.mention_id])
                for e in doc.events for a in e.arguments]
    if layer == "attribution_links":
        out: list[tuple[Any, ...]] = []
        for t in doc.attributions:
            c = (t.cue.start, t.cue.end)
            if t.source_id is not None:
                out.append((c, "source", m[t.source_id]))
            out += [(c, "content", (f.start, f.end)) for f in t.content]
            if t.parent_id is not None:
                out.append((c, "parent", cue[t.parent_id]))
        return out
    if layer == "position_links":
        out = []
        for p in doc.positions:
            ev = (p.evidence.start, p.evidence.end)
            out.append((ev, "holder", m[p.holder_id]))
            out.append((ev, "target", (p.target.start, p.target.end)))
        return out
    raise ValueError(f"unknown relation layer {layer!r}; allowed: {', '.join(RELATION_LAYERS)}")


@dataclass(frozen=True, slots=True)
class Counts:
    """Matches between two annotators' sets of sizes ``a`` and ``b``; adds up."""

    matched: int = 0
    a: int = 0
    b: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.matched + other.matched, self.a + other.a, self.b + other.b)

    @property
    def f1(self) -> float | None:
        """2·matched / (a + b); None when neither annotated anything (nothing to agree on)."""
        return None if self.a + self.b == 0 else 2 * self.matched / (self.a + self.b)


def _multiset_matches(xs: Iterable[Any], ys: Iterable[Any]) -> int:
    from collections import Counter

    cx, cy = Counter(xs), Counter(ys)
    return sum(min(n, cy[k]) for k, n in cx.items())


def strict_counts(a: list[Span3], b: list[Span3]) -> Counts:
    """Same bounds and same label, one to one."""
    return Counts(_multiset_matches(a, b), len(a), len(b))


def overlap_pairs(a: list[Span3], b: list[Span3]) -> list[tuple[int, int]]:
    """An optimal one-to-one matching of overlapping spans (labels ignored): most pairs, then
    most shared code points."""
    if not a or not b:
        return []
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    weight = np.zeros((len(a), len(b)))
    for i, (s1, e1, _) in enumerate(a):
        for j, (s2, e2, _) in enumerate(b):
            shared = min(e1, e2) - max(s1, s2)
            if shared > 0:
                # One match always outweighs any amount of overlap.
                weight[i, j] = 1 + shared / (1 + max(e1, e2) - min(s1, s2))
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if weight[i, j] > 0]


def overlap_counts(a: list[Span3], b: list[Span3]) -> Counts:
    return Counts(len(overlap_pairs(a, b)), len(a), len(b))


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's κ of two coders over the units both labelled; None when undefined (no units, or
    chance agreement 1)."""
    n = len(pairs)
    if n == 0:
        return None
    from collections import Counter

    observed = sum(x == y for x, y in pairs) / n
    ca, cb = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(units: list[dict[str, str]], coders: list[str]) -> float | None:
    """Krippendorff's α (nominal) over units {coder: label}; units with fewer than two labels
    are left out; None when undefined (no pairable values, or a single value in the domain)."""
    units = [u for u in units if len(u) >= 2]
    if not units:
        return None
    import krippendorff
    import numpy as np

    values = sorted({v for u in units for v in u.values()})
    if len(values) < 2:
        return None
    code = {v: i for i, v in enumerate(values)}
    data = np.full((len(coders), len(units)), np.nan)
    for j, u in enumerate(units):
        for i, c in enumerate(coders):
            if c in u:
                data[i, j] = code[u[c]]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal",
                                    value_domain=list(range(len(values)))))


def label_units(docs: Mapping[str, Document], layer: str) -> list[dict[str, str]]:
    """Positional units of one document: span bounds → {annotator: label} (first label if an
    annotator put two spans at the same bounds)."""
    units: dict[tuple[int, int], dict[str, str]] = {}
    for who, doc in docs.items():
        for s, e, label in spans(doc, layer):
            units.setdefault((s, e), {}).setdefault(who, label)
    return [units[k] for k in sorted(units)]


def _mean(xs: Iterable[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


@dataclass(slots=True)
class LayerScores:
    """Scores of one layer: per document, averaged over documents, and pooled (micro)."""

    kind: str
    per_document: dict[str, dict[str, float | None]] = field(default_factory=dict)
    pooled: dict[str, Counts] = field(default_factory=dict)
    pair_labels: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    units: list[dict[str, str]] = field(default_factory=list)
    coders: set[str] = field(default_factory=set)

    def averaged(self) -> dict[str, Any]:
        keys = sorted({k for d in self.per_document.values() for k in d})
        out: dict[str, Any] = {"documents": len(self.per_document)}
        for k in keys:
            out[k] = _mean(d.get(k) for d in self.per_document.values())
        for k, c in sorted(self.pooled.items()):
            out[f"{k}_micro"] = c.f1
        if self.kind == "spans":
            out["cohen_kappa_pooled"] = _mean(cohen_kappa(p) for p in self.pair_labels.values())
            out["krippendorff_alpha_pooled"] = krippendorff_alpha(self.units, sorted(self.coders))
            out["label_units"] = sum(1 for u in self.units if len(u) >= 2)
        return out


@dataclass(slots=True)
class AgreementReport:
    """Agreement of every layer over the documents with two or more annotators."""

    documents: int
    annotators: list[str]
    layers: dict[str, LayerScores]

    def as_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "annotators": self.annotators,
                "layers": {name: {"average": s.averaged(), "per_document": s.per_document}
                           for name, s in self.layers.items()}}

    def as_table(self) -> str:
        def f(x: Any) -> str:
            return "—" if x is None else f"{x:.3f}"

        head = (f"{'layer':<18} {'docs':>5} {'strict F1':>10} {'overlap F1':>11} {'κ (Cohen)':>10} "
                f"{'α (Kripp.)':>11} {'units':>6}")
        lines = [f"Agreement over {self.documents} document(s) with 2+ annotators "
                 f"({', '.join(self.annotators) or 'none'}); means over documents of pairwise "
                 "scores", head, "-" * len(head)]
        for name, s in self.layers.items():
            a = s.averaged()
            if s.kind == "spans":
                lines.append(f"{name:<18} {a['documents']:>5} {f(a.get('strict_f1')):>10} "
                             f"{f(a.get('overlap_f1')):>11} {f(a.get('cohen_kappa_pooled')):>10} "
                             f"{f(a.get('krippendorff_alpha_pooled')):>11} {a['label_units']:>6}")
            else:
                lines.append(f"{name:<18} {a['documents']:>5} {f(a.get('f1')):>10} "
                             f"{'':>11} {'':>10} {'':>11} {'':>6}")
        return "\n".join(lines)


def agreement_report(sets: Mapping[str, Mapping[str, Document]]) -> AgreementReport:
    """Agreement over ``{document id: {annotator: document}}``; documents annotated by fewer
    than two annotators are left out."""
    layers = {name: LayerScores("spans") for name in SPAN_LAYERS}
    layers |= {name: LayerScores("relations") for name in RELATION_LAYERS}
    annotators: set[str] = set()
    used = 0
    for doc_id in sorted(sets):
        docs = sets[doc_id]
        if len(docs) < 2:
            continue
        used += 1
        annotators |= set(docs)
        pairs = list(itertools.combinations(sorted(docs), 2))
        for name in SPAN_LAYERS:
            sc = layers[name]
            sc.coders |= set(docs)
            strict, overlap, kappas = [], [], []
            for x, y in pairs:
                a, b = spans(docs[x], name), spans(docs[y], name)
                cs, co = strict_counts(a, b), overlap_counts(a, b)
                sc.pooled["strict_f1"] = sc.pooled.get("strict_f1", Counts()) + cs
                sc.pooled["overlap_f1"] = sc.pooled.get("overlap_f1", Counts()) + co
                strict.append(cs.f1)
                overlap.append(co.f1)
                units = label_units({x: docs[x], y: docs[y]}, name)
                labelled = [(u[x], u[y]) for u in units if x in u and y in u]
                sc.pair_labels.setdefault(f"{x} vs {y}", []).extend(labelled)
                kappas.append(cohen_kappa(labelled))
            units = label_units(docs, name)
            sc.units += units
            sc.per_document[doc_id] = {
                "strict_f1": _mean(strict), "overlap_f1": _mean(overlap),
                "cohen_kappa": _mean(kappas),
                "krippendorff_alpha": krippendorff_alpha(units, sorted(docs))}
        for name in RELATION_LAYERS:
            sc = layers[name]
            scores = []
            for x, y in pairs:
                a, b = relations(docs[x], name), relations(docs[y], name)
                c = Counts(_multiset_matches(a, b), len(a), len(b))
                sc.pooled["f1"] = sc.pooled.get("f1", Counts()) + c
                scores.append(c.f1)
            sc.per_document[doc_id] = {"f1": _mean(scores)}
    return AgreementReport(used, sorted(annotators), layers)


def load_annotations(source: Path) -> tuple[dict[str, dict[str, Document]], list[str]]:
    """``{document id: {annotator: document}}`` from a `ls pull` folder (``annotators/``) or a
    Label Studio JSON export; and every problem found, as text."""
    from communique.schemas.validate import check_paths

    from .pull import ANNOTATORS_DIR, ExportError, convert_task, iter_export

    sets: dict[str, dict[str, Document]] = {}
    problems: list[str] = []
    if source.is_dir():
        root = source / ANNOTATORS_DIR if (source / ANNOTATORS_DIR).is_dir() else source
        folders = sorted(p for p in root.iterdir() if p.is_dir())
        if not folders:
            raise AgreementInputError(f"{source}: no annotator folders (expected "
                                      f"{ANNOTATORS_DIR}/<pseudonym>/<id>.json from `ls pull`)")
        for folder in folders:
            got = check_paths([folder])
            problems += [str(p) for p in got.problems]
            for doc in got.documents:
                sets.setdefault(doc.id, {})[folder.name] = doc
        return sets, problems
    if not source.is_file():
        raise AgreementInputError(f"{source}: no such file or folder")
    try:
        with open(source, "rb") as fh:
            for task in iter_export(fh):
                got = convert_task(task)
                problems += [str(p) for p in got.problems]
                if got.by_annotator:
                    sets.setdefault(got.document_id, {}).update(got.by_annotator)
    except ExportError as e:
        raise AgreementInputError(f"{source}: {e}") from None
    return sets, problems
