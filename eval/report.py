"""The error report: one self-contained offline HTML file (inline CSS and SVG, no script, no
external resource) with the scores, per-label F1 bars, an event-type confusion matrix, and per
document the text with gold and predicted mentions coloured by verdict and the events (with
their modality), attributions and positions listed with theirs."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from communique.schemas.io import atomic_write_text
from communique.schemas.spec import load_spec

from .metrics import Tally
from .score import render_table, score_documents

VERDICTS = {
    "correct": ("#b7e4c7", "bounds and type right (strict match)"),
    "boundary": ("#ffe8a3", "overlaps a gold mention of the same type, other bounds"),
    "wrongtype": ("#f4b6c2", "matched a gold mention with another type"),
    "missed": ("#c9d6ff", "gold mention no prediction matched"),
    "spurious": ("#ffcf9e", "predicted mention that matched no gold mention"),
}
CSS = """
body{font:14px/1.5 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
h3{font-size:15px;margin:18px 0 6px}
pre.sum{background:#f6f6f6;padding:10px;overflow-x:auto;font-size:12px}
.legend span{display:inline-block;padding:1px 8px;margin:2px 6px 2px 0;border-radius:3px}
.text{white-space:pre-wrap;background:#fcfcfc;border:1px solid #e3e3e3;padding:8px;
font-size:13px}
mark{border-radius:2px;padding:0 1px}mark sub{font-size:9px;color:#555;margin-left:1px}
""" + "".join(f"mark.{k},.legend .{k}{{background:{c}}}" for k, (c, _) in VERDICTS.items()) + """
table.rel{border-collapse:collapse;font-size:12px;margin:4px 0 10px}
table.rel td,table.rel th{border:1px solid #ddd;padding:2px 6px;text-align:left}
.ok{color:#1b7a3a;font-weight:600}.half{color:#9a6b00;font-weight:600}
.bad{color:#b3261e;font-weight:600}
.sig{font-family:monospace;font-size:12px;word-break:break-all}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _bars(title: str, values: Sequence[tuple[str, float]]) -> str:
    """A horizontal bar chart (inline SVG) of F1 per label."""
    if not values:
        return ""
    row, left, width = 18, 120, 300
    height = row * len(values) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" '
             f'height="{height}" role="img" aria-label="{_e(title)}">',
             f'<text x="0" y="14" font-size="13" font-weight="600">{_e(title)}</text>']
    for i, (label, f1) in enumerate(values):
        y = 24 + i * row
        parts.append(f'<text x="{left - 6}" y="{y + 12}" font-size="11" '
                     f'text-anchor="end">{_e(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{width}" height="{row - 5}" '
                     'fill="#eee"/>')
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{width * f1:.1f}" '
                     f'height="{row - 5}" fill="#4a7bd0"/>')
        parts.append(f'<text x="{left + width + 4}" y="{y + 12}" font-size="11">'
                     f'{100 * f1:.1f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _confusion(gold_docs: Sequence[Mapping[str, Any]],
               preds: Mapping[str, Mapping[str, Any] | None]) -> tuple[list[str], np.ndarray]:
    """Event-type confusion over triggers with identical offsets (same-type pairs first);
    the last row and column, "none", count missed and spurious triggers."""
    types = list(load_spec().labels["event_type"].names) + ["none"]
    index = {t: i for i, t in enumerate(types)}
    none = index["none"]
    matrix = np.zeros((len(types), len(types)), dtype=np.int64)
    for doc in gold_docs:
        pred = preds.get(doc["id"]) or {}
        if pred.get("events") is None:
            continue
        g: dict[tuple[int, int], Counter] = {}
        p: dict[tuple[int, int], Counter] = {}
        for side, events in ((g, doc["events"]), (p, pred["events"])):
            for ev in events:
                side.setdefault((ev["trigger"]["start"], ev["trigger"]["end"]), Counter())[ev["type"]] += 1
        for span in set(g) | set(p):
            gc, pc = g.get(span, Counter()), p.get(span, Counter())
            for t in set(gc) & set(pc):
                k = min(gc[t], pc[t])
                matrix[index[t], index[t]] += k
                gc[t] -= k
                pc[t] -= k
            gl, pl = list(gc.elements()), list(pc.elements())
            for a, b in zip(gl, pl):
                matrix[index[a], index[b]] += 1
            for a in gl[len(pl):]:
                matrix[index[a], none] += 1
            for b in pl[len(gl):]:
                matrix[none, index[b]] += 1
    return types, matrix


def _matrix_svg(types: list[str], matrix: np.ndarray) -> str:
    used = [i for i in range(len(types)) if matrix[i].any() or matrix[:, i].any()]
    if not used:
        return "<p>No events scored.</p>"
    cell, left, top = 22, 90, 90
    size_x, size_y = left + cell * len(used) + 10, top + cell * len(used) + 10
    peak = max(int(matrix.max()), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_x}" height="{size_y}" '
             'role="img" aria-label="event type confusion matrix">',
             '<text x="0" y="12" font-size="11">rows: gold type, columns: predicted type</text>']
    for j, c in enumerate(used):
        x = left + j * cell + cell / 2
        parts.append(f'<text transform="translate({x + 4},{top - 4}) rotate(-60)" '
                     f'font-size="10">{_e(types[c])}</text>')
    for i, r in enumerate(used):
        y = top + i * cell
        parts.append(f'<text x="{left - 4}" y="{y + 15}" font-size="10" '
                     f'text-anchor="end">{_e(types[r])}</text>')
        for j, c in enumerate(used):
            v = int(matrix[r, c])
            shade = 255 - int(200 * v / peak)
            fill = f"rgb({shade},{shade},255)" if r == c else f"rgb(255,{shade},{shade})"
            parts.append(f'<rect x="{left + j * cell}" y="{y}" width="{cell - 1}" '
                         f'height="{cell - 1}" fill="{fill if v else "#f7f7f7"}"/>')
            if v:
                parts.append(f'<text x="{left + j * cell + cell / 2}" y="{y + 15}" '
                             f'font-size="9" text-anchor="middle">{v}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _marked(text: str, spans: Sequence[tuple[int, int, str, str]]) -> str:
    """The text with ``(start, end, verdict, label)`` spans as <mark>s; where spans nest or
    overlap, a segment takes the shortest span covering it, so inner mentions stay visible."""
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        cover = sorted((sp for sp in spans if sp[0] <= a and b <= sp[1]),
                       key=lambda sp: sp[1] - sp[0])
        piece = _e(text[a:b])
        if cover:
            s, e, verdict, label = cover[0]
            tail = f"<sub>{_e(label)}</sub>" if b == e else ""
            out.append(f'<mark class="{verdict}" title="{_e(label)} · {verdict}">{piece}{tail}</mark>')
        else:
            out.append(piece)
    return "".join(out)


def _mention_verdicts(doc: Mapping[str, Any], pred: Mapping[str, Any] | None, tally: Tally,
                      g_base: int, p_base: int):
    gold = doc["mentions"]
    pm = (pred or {}).get("mentions") or []
    g_v = ["missed"] * len(gold)
    p_v = ["spurious"] * len(pm)
    gi, pi, cor = tally.detail["mentions/strict"]
    sel = (gi >= g_base) & (gi < g_base + len(gold))
    for g, p, ok in zip(gi[sel] - g_base, pi[sel] - p_base, cor[sel], strict=True):
        gm, pr = gold[g], pm[p]
        v = "correct" if ok else ("wrongtype" if gm["type"] != pr["type"] else "boundary")
        g_v[g] = p_v[p] = v
    return ([(m["start"], m["end"], v, m["type"]) for m, v in zip(gold, g_v, strict=True)],
            [(m["start"], m["end"], v, m["type"]) for m, v in zip(pm, p_v, strict=True)])


def _span_text(text: str, span: Mapping[str, Any] | None) -> str:
    return "—" if span is None else _e(text[span["start"]:span["end"]])


def _pairs(tally: Tally, key: str, g_base: int, n_gold: int, p_base: int
           ) -> dict[int, tuple[int, bool]]:
    """The scorer's matched pairs of one document: gold index → (predicted index, correct)."""
    gi, pi, ok = tally.detail[key]
    sel = (gi >= g_base) & (gi < g_base + n_gold)
    return {int(g): (int(p), bool(c)) for g, p, c in
            zip(gi[sel] - g_base, pi[sel] - p_base, ok[sel], strict=True)}


def _events_table(doc: Mapping[str, Any], pred: Mapping[str, Any],
                  pairs: Mapping[int, tuple[int, bool]]) -> str:
    """Gold events with their verdict (Tri-C pairs as the scorer matched them, with their
    modality; else Tri-I on the same trigger; else missed), then spurious predictions."""
    text, pe = doc["text"], list(pred.get("events") or [])
    used = {p for p, _ in pairs.values()}
    rows = []
    for k, ev in enumerate(doc["events"]):
        t = ev["trigger"]
        if k in pairs:
            p, same = pairs[k]
            verdict = '<span class="ok">Tri-C correct</span>'
            if not same:
                verdict += (', <span class="bad">modality wrong (predicted '
                            f'{_e(pe[p]["modality"])})</span>')
        else:
            same_span = [i for i, p in enumerate(pe) if i not in used
                         and (p["trigger"]["start"], p["trigger"]["end"]) == (t["start"], t["end"])]
            if same_span:
                used.add(same_span[0])
                verdict = ('<span class="half">Tri-I only (predicted '
                           f'{_e(pe[same_span[0]]["type"])})</span>')
            else:
                verdict = '<span class="bad">missed</span>'
        rows.append(f"<tr><td>gold</td><td>{_span_text(text, t)}</td><td>{_e(ev['type'])}</td>"
                    f"<td>{_e(ev['modality'])}</td><td>{verdict}</td></tr>")
    for i, p in enumerate(pe):
        if i not in used:
            rows.append(f"<tr><td>pred</td><td>{_span_text(text, p['trigger'])}</td>"
                        f"<td>{_e(p['type'])}</td><td>{_e(p['modality'])}</td>"
                        "<td><span class=\"bad\">spurious</span></td></tr>")
    return ("<table class=\"rel\"><tr><th>side</th><th>trigger</th><th>type</th>"
            "<th>modality</th><th>verdict</th></tr>" + "".join(rows) + "</table>") if rows else ""


def _positions_table(doc: Mapping[str, Any], pred: Mapping[str, Any],
                     pairs: Mapping[int, tuple[int, bool]]) -> str:
    """Gold positions with their verdict (the scorer's relation pairs: same holder actor,
    overlapping targets), then spurious predictions."""
    text = doc["text"]
    gm = {m["id"]: m for m in doc["mentions"]}
    pm = {m["id"]: m for m in pred.get("mentions") or []}
    pp = list(pred.get("positions") or [])
    used = {p for p, _ in pairs.values()}
    rows = []
    for k, q in enumerate(doc["positions"]):
        if k in pairs:
            p, same = pairs[k]
            verdict = ('<span class="ok">holder, target and stance right</span>' if same else
                       '<span class="half">holder and target right, stance wrong (predicted '
                       f'{_e(pp[p]["stance"])})</span>')
        else:
            verdict = '<span class="bad">missed</span>'
        rows.append(f"<tr><td>gold</td><td>{_span_text(text, gm.get(q['holder_id']))}</td>"
                    f"<td>{_e(q['stance'])}</td><td>{_span_text(text, q['target'])}</td>"
                    f"<td>{verdict}</td></tr>")
    for i, q in enumerate(pp):
        if i not in used:
            rows.append(f"<tr><td>pred</td><td>{_span_text(text, pm.get(q['holder_id']))}</td>"
                        f"<td>{_e(q['stance'])}</td><td>{_span_text(text, q['target'])}</td>"
                        "<td><span class=\"bad\">spurious</span></td></tr>")
    return ("<table class=\"rel\"><tr><th>side</th><th>holder</th><th>stance</th>"
            "<th>target</th><th>verdict</th></tr>" + "".join(rows) + "</table>") if rows else ""


def _attribution_parts(t: Mapping[str, Any], mentions: Mapping[str, Any],
                       by_id: Mapping[str, Any]) -> dict[str, Any]:
    """What the scorer's exact relation compares, per part: cue and content offsets, the
    source mention's offsets, the parent's (cue, content); None where absent."""

    def own(a: Mapping[str, Any]) -> tuple:
        return ((a["cue"]["start"], a["cue"]["end"]),
                tuple((c["start"], c["end"]) for c in a["content"]))

    src = mentions.get(t["source_id"]) if t.get("source_id") is not None else None
    parent = by_id.get(t["parent_id"]) if t.get("parent_id") is not None else None
    cue, content = own(t)
    return {"cue": cue, "source": None if src is None else (src["start"], src["end"]),
            "content": content, "parent": None if parent is None else own(parent)}


def _attributions_table(doc: Mapping[str, Any], pred: Mapping[str, Any],
                        exact: Mapping[int, tuple[int, bool]],
                        overlap: Mapping[int, tuple[int, bool]]) -> str:
    """Gold attributions with their verdict (the scorer's exact relation pairs, else its
    token-overlap relation pairs with the parts that are not exact, else missed), then
    spurious predictions. The parent column shows the parent's cue."""
    text = doc["text"]
    gm = {m["id"]: m for m in doc["mentions"]}
    pm = {m["id"]: m for m in pred.get("mentions") or []}
    ga = list(doc["attributions"])
    pa = list(pred.get("attributions") or [])
    g_by_id, p_by_id = {a["id"]: a for a in ga}, {a["id"]: a for a in pa}
    used = {p for p, _ in exact.values()} | {p for p, _ in overlap.values()}

    def content_text(t: Mapping[str, Any]) -> str:
        return " … ".join(_span_text(text, c) for c in t["content"])

    def cells(t: Mapping[str, Any], mentions: Mapping[str, Any],
              by_id: Mapping[str, Any]) -> dict[str, str]:
        src = mentions.get(t["source_id"]) if t.get("source_id") is not None else None
        parent = by_id.get(t["parent_id"]) if t.get("parent_id") is not None else None
        return {"source": _span_text(text, src), "cue": _span_text(text, t["cue"]),
                "content": content_text(t),
                "parent": _span_text(text, None if parent is None else parent["cue"])}

    def row(side: str, c: Mapping[str, str], verdict: str) -> str:
        return (f"<tr><td>{side}</td><td>{c['source']}</td><td>{c['cue']}</td>"
                f"<td>{c['content']}</td><td>{c['parent']}</td><td>{verdict}</td></tr>")

    rows = []
    for k, t in enumerate(ga):
        if k in exact:
            verdict = '<span class="ok">relation exact</span>'
        elif k in overlap:
            q = pa[overlap[k][0]]
            mine = _attribution_parts(t, gm, g_by_id)
            theirs = _attribution_parts(q, pm, p_by_id)
            shown = cells(q, pm, p_by_id)
            if theirs["parent"] is not None:
                shown["parent"] += "”: “" + content_text(p_by_id[q["parent_id"]])
            differ = [f"{part} (predicted “{shown[part]}”)" if theirs[part] is not None else
                      f"{part} (predicted none)" for part in ("cue", "source", "content", "parent")
                      if mine[part] != theirs[part]]
            verdict = ('<span class="half">relation overlap only; differs: '
                       f'{", ".join(differ)}</span>')
        else:
            verdict = '<span class="bad">missed</span>'
        rows.append(row("gold", cells(t, gm, g_by_id), verdict))
    for i, q in enumerate(pa):
        if i not in used:
            rows.append(row("pred", cells(q, pm, p_by_id), '<span class="bad">spurious</span>'))
    return ("<table class=\"rel\"><tr><th>side</th><th>source</th><th>cue</th><th>content</th>"
            "<th>parent</th><th>verdict</th></tr>" + "".join(rows) + "</table>") if rows else ""


def render_report(gold_docs: Sequence[Mapping[str, Any]],
                  preds: Mapping[str, Mapping[str, Any] | None], result: Mapping[str, Any],
                  max_docs: int = 50) -> str:
    """The whole report as one HTML string."""
    shown = list(gold_docs[:max_docs])
    sub, _, _, _ = score_documents(((d, preds.get(d["id"])) for d in shown),
                                   layers=[k for k in ("mentions", "events", "attributions",
                                                       "positions") if k in result["layers"]],
                                   keep_detail=True)
    layers = result["layers"]
    bars = []
    if "mentions" in layers:
        per = layers["mentions"]["strict"]["per_type"]
        bars.append(_bars("Mentions, strict F1 per type", [(k, v["f1"]) for k, v in per.items()]))
    if "events" in layers:
        per = layers["events"]["tri_c"]["per_type"]
        bars.append(_bars("Events, Tri-C F1 per type", [(k, v["f1"]) for k, v in per.items()]))
    legend = "".join(f'<span class="{k}" title="{_e(d)}">{k}</span>' for k, (_, d) in VERDICTS.items())
    body = [f"<h1>Communiqué evaluation report</h1><p class=\"sig\">{_e(result['signature'])}</p>",
            f"<h2>Scores</h2><pre class=\"sum\">{_e(render_table(result))}</pre>",
            "<h2>Per-label F1</h2>" + "".join(bars)]
    if "events" in layers:
        types, matrix = _confusion(gold_docs, preds)
        body.append("<h2>Event types: confusion matrix</h2>" + _matrix_svg(types, matrix))
    body.append(f"<h2>Documents ({len(shown)} of {len(gold_docs)})</h2>"
                f"<p class=\"legend\">Mention verdicts: {legend}</p>")
    bases = {k: [0, 0] for k in ("mentions", "events", "attributions", "positions")}
    for doc in shown:
        pred = preds.get(doc["id"]) or {}
        body.append(f"<h3>{_e(doc['id'])}{' — ' + _e(doc['title']) if doc.get('title') else ''}</h3>")
        if "mentions" in layers and pred.get("mentions") is not None:
            gold_spans, pred_spans = _mention_verdicts(doc, pred, sub, *bases["mentions"])
            body.append("<p><b>Gold</b></p><div class=\"text\">"
                        f"{_marked(doc['text'], gold_spans)}</div>")
            body.append("<p><b>Predicted</b></p><div class=\"text\">"
                        f"{_marked(doc['text'], pred_spans)}</div>")
        else:
            body.append(f"<div class=\"text\">{_e(doc['text'])}</div>")
        if "events" in layers and pred.get("events") is not None:
            pairs = _pairs(sub, "events/modality", bases["events"][0], len(doc["events"]),
                           bases["events"][1])
            body.append("<p><b>Events</b></p>" + _events_table(doc, pred, pairs))
        if "attributions" in layers and pred.get("attributions") is not None:
            g_base, p_base = bases["attributions"]
            exact, overlap = (_pairs(sub, f"attributions/relation/{m}", g_base,
                                     len(doc["attributions"]), p_base)
                              for m in ("exact", "overlap"))
            body.append("<p><b>Attributions</b></p>"
                        + _attributions_table(doc, pred, exact, overlap))
        if "positions" in layers and pred.get("positions") is not None:
            pairs = _pairs(sub, "positions/relation", bases["positions"][0],
                           len(doc["positions"]), bases["positions"][1])
            body.append("<p><b>Positions</b></p>" + _positions_table(doc, pred, pairs))
        for layer, base in bases.items():
            base[0] += len(doc.get(layer) or [])
            base[1] += len(pred.get(layer) or [])
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            "<link rel=\"icon\" href=\"data:,\"><title>Communiqué evaluation report</title>"
            f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>\n")


def write_report(path: Path, gold_docs: Sequence[Mapping[str, Any]],
                 preds: Mapping[str, Mapping[str, Any] | None], result: Mapping[str, Any],
                 max_docs: int = 50) -> None:
    """Write the report atomically to ``path``."""
    atomic_write_text(path, render_report(gold_docs, preds, result, max_docs))
