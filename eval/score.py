"""Scoring a set of predictions against gold: per-document counts for every layer, corpus scores,
intervals, and the result object (JSON, table, Markdown)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from communique.schemas.model import LAYERS

from .columns import Side, build_sides
from .matching import TokenIndex
from .metrics import (SCHEMES, Tally, entities, score_actors, score_attributions, score_events,
                      score_mentions, score_positions)
from .stats import Columns, bootstrap, macro_groups, totals

ATTRIBUTION_PARTS = ("cue", "source", "content", "relation")
EVENT_METRICS = ("tri_i", "tri_c", "tri_c_modality", "arg_i", "arg_c", "arg_i_coref",
                 "arg_c_coref")


def predicted_layers(pred: Side) -> tuple[str, ...]:
    """Layers that at least one prediction line gives."""
    return tuple(k for k in LAYERS if pred.has[k].any())


def score_sides(gold: Side, pred: Side, texts: Sequence[str], layers: Iterable[str],
                keep_detail: bool = False) -> Tally:
    """Per-document counts of every metric of ``layers``; a document is scored on a layer only
    when its prediction line gives that layer."""
    tally = Tally(gold.n_docs)
    layers = tuple(layers)
    tokens = TokenIndex(texts) if {"attributions", "positions"} & set(layers) else None
    ents = entities(gold, pred) if {"events", "positions"} & set(layers) else None
    for layer in layers:
        mask = pred.has[layer]
        if layer == "mentions":
            score_mentions(tally, gold, pred, mask, keep_detail)
        elif layer == "actors":
            score_actors(tally, gold, pred, mask)
        elif layer == "events":
            score_events(tally, gold, pred, mask, ents, keep_detail)
        elif layer == "attributions":
            score_attributions(tally, gold, pred, mask, tokens, keep_detail)
        elif layer == "positions":
            score_positions(tally, gold, pred, mask, tokens, ents, keep_detail)
    return tally


def score_documents(pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any] | None]],
                    layers: Iterable[str] | None = None, keep_detail: bool = False
                    ) -> tuple[Tally, list[str], list[str], tuple[str, ...]]:
    """Score ``(gold dict, prediction dict)`` pairs on ``layers`` (default: every predicted
    layer); returns the tally, document ids, texts and the layers scored."""
    gold, pred, ids, texts = build_sides(pairs)
    scored = predicted_layers(pred) if layers is None else tuple(layers)
    return score_sides(gold, pred, texts, scored, keep_detail), ids, texts, scored


def _round(x: float) -> float:
    return round(float(x), 6)


def _count(x: float) -> int | float:
    """A count: an integer when whole (most are), else rounded (soft matching counts halves)."""
    value = _round(x)
    return int(value) if value.is_integer() else value


def _prf_block(values: np.ndarray, sums: np.ndarray | None, ci: np.ndarray | None
               ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, name in enumerate(("precision", "recall", "f1")):
        out[name] = _round(values[i])
        if ci is not None:
            out[f"{name}_ci"] = [_round(ci[i][0]), _round(ci[i][1])]
    if sums is not None:
        out["pred"] = _count(sums[1])
        out["gold"] = _count(sums[3])
    return out


def result_json(tally: Tally, signature: str, ci: Mapping[str, np.ndarray] | None = None
                ) -> dict[str, Any]:
    """The result object of ``eval score --format json`` (shape in eval/README.md)."""
    columns = Columns.of(tally)
    scores = totals(columns)
    sums = {k: tally.prf[k].sum(axis=0) for k in tally.prf}
    civ = (lambda k: ci[k]) if ci is not None else (lambda k: None)  # noqa: E731

    def block(key: str) -> dict[str, Any]:
        return _prf_block(scores[key], sums[key], civ(key))

    def scalar(out: dict[str, Any], name: str, key: str, col: int) -> None:
        out[name] = _round(scores[key][col])
        if ci is not None:
            out[f"{name}_ci"] = [_round(ci[key][col][0]), _round(ci[key][col][1])]

    layers: dict[str, Any] = {}
    for layer, mask in tally.docs.items():
        out: dict[str, Any] = {"documents": int(mask.sum())}
        if layer == "mentions":
            for scheme in SCHEMES:
                key = f"mentions/{scheme}"
                b = block(key)
                cor, inc, par, mis, spu = tally.semeval[key].sum(axis=0)
                b.update(cor=int(cor), inc=int(inc), par=int(par), mis=int(mis), spu=int(spu),
                         pos=int(cor + inc + par + mis), act=int(cor + inc + par + spu))
                b.pop("pred")
                b.pop("gold")
                group = macro_groups(columns.keys).get(key, ())
                if group:
                    macro = _prf_block(scores["macro:" + key], None, civ("macro:" + key))
                    b.update({f"macro_{k}": v for k, v in macro.items()})
                per_type = {}
                for member in group:
                    t = member.rsplit("/", 1)[1]
                    pb = block(member)
                    cor, inc, par, mis, spu = tally.semeval[member].sum(axis=0)
                    pb.update(cor=int(cor), inc=int(inc), par=int(par), mis=int(mis),
                              spu=int(spu), pos=int(cor + inc + par + mis),
                              act=int(cor + inc + par + spu))
                    pb.pop("pred")
                    pb.pop("gold")
                    per_type[t] = pb
                b["per_type"] = per_type
                out[scheme] = b
        elif layer == "actors":
            for m in ("muc", "b3", "ceafe"):
                out[m] = block(f"actors/{m}")
            scalar(out, "conll_f1", "macro:actors/conll", 2)
        elif layer == "events":
            for m in EVENT_METRICS:
                out[m] = block(f"events/{m}")
            group = macro_groups(columns.keys).get("events/tri_c", ())
            out["tri_c"]["per_type"] = {k.rsplit("/", 1)[1]: block(k) for k in group}
            if group:
                scalar(out["tri_c"], "macro_f1", "macro:events/tri_c", 2)
            scalar(out, "modality_accuracy", "events/modality_accuracy", 0)
            out["modality_matched_pairs"] = int(round(float(sums["events/modality_accuracy"][1])))
            scalar(out, "modality_macro_f1", "macro:events/modality", 2)
        elif layer == "attributions":
            for part in ATTRIBUTION_PARTS:
                out[part] = {mode: block(f"attributions/{part}/{mode}")
                             for mode in ("exact", "overlap")}
        elif layer == "positions":
            for m in ("holder", "target", "relation"):
                out[m] = block(f"positions/{m}")
            scalar(out, "stance_accuracy", "positions/stance_accuracy", 0)
            out["stance_matched_pairs"] = int(round(float(sums["positions/stance_accuracy"][1])))
            scalar(out, "stance_macro_f1", "macro:positions/stance", 2)
        layers[layer] = out
    return {"signature": signature, "documents": tally.n_docs, "layers": layers}


def with_intervals(tally: Tally, n: int, seed: int) -> dict[str, np.ndarray]:
    """Bootstrap 95% intervals of every metric (resampling documents)."""
    return bootstrap(Columns.of(tally), n, seed)


def _rows(result: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(layer, metric, P, R, F) rows of the headline numbers, formatted."""
    def pct(block: Mapping[str, Any], name: str) -> str:
        v = f"{100 * block[name]:.2f}"
        if f"{name}_ci" in block:
            lo, hi = block[f"{name}_ci"]
            v += f" [{100 * lo:.1f}, {100 * hi:.1f}]"
        return v

    rows = []
    for layer, out in result["layers"].items():
        for name, block in out.items():
            if not isinstance(block, dict):
                continue
            if "f1" in block:
                rows.append((layer, name, pct(block, "precision"), pct(block, "recall"),
                             pct(block, "f1")))
            else:
                for mode, sub in block.items():
                    rows.append((layer, f"{name} {mode}", pct(sub, "precision"),
                                 pct(sub, "recall"), pct(sub, "f1")))
        for name in ("conll_f1", "modality_accuracy", "modality_macro_f1", "stance_accuracy",
                     "stance_macro_f1"):
            if name in out:
                rows.append((layer, name, "", "", pct(out, name)))
    return rows


def coverage_notes(result: Mapping[str, Any]) -> list[str]:
    """One line per layer scored on fewer documents than the gold has: lines that leave a layer
    out are not scored on it, which a reader of the scores must know."""
    total = result["documents"]
    return [f"note: {layer} scored on {out['documents']} of {total} documents; the other "
            f"prediction lines leave {layer} out (not predicted, not scored)"
            for layer, out in result["layers"].items() if out.get("documents", total) < total]


def render_table(result: Mapping[str, Any]) -> str:
    """A plain-text table of the headline numbers (percent), signature last."""
    rows = [("layer", "metric", "P", "R", "F1")] + _rows(result)
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = coverage_notes(result)
    return "\n".join(lines + ([""] + notes if notes else [])) + \
        f"\n\nsignature: {result['signature']}"


def render_markdown(result: Mapping[str, Any]) -> str:
    """A Markdown table of the headline numbers (percent), signature last."""
    lines = ["| layer | metric | P | R | F1 |", "|---|---|---:|---:|---:|"]
    lines += [f"| {' | '.join(r)} |" for r in _rows(result)]
    notes = coverage_notes(result)
    return "\n".join(lines + ([""] + [n[0].upper() + n[1:] + "." for n in notes] if notes else [])) \
        + f"\n\nSignature: `{result['signature']}`"
