"""Human-readable views of documents: a per-layer summary of a corpus, and one document printed
with its layers marked so that a reviewer can check an annotation without reading offsets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from communique.schemas.model import LAYERS, Document, Span
from communique.schemas.spec import load_spec

LABEL_FIELD = {"mentions": "type", "actors": "type", "events": "type",
               "attributions": "type", "positions": "stance"}


@dataclass
class Summary:
    """Counts per layer and per label over a set of documents."""

    documents: int = 0
    words: int = 0
    by_provenance: Counter = field(default_factory=Counter)
    layers: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in LAYERS})
    totals: Counter = field(default_factory=Counter)
    extras: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "words": self.words,
                "provenance": dict(sorted(self.by_provenance.items())),
                "layers": {k: {"total": self.totals[k], "labels": dict(sorted(v.items()))}
                           for k, v in self.layers.items()},
                "details": dict(sorted(self.extras.items()))}

    def as_table(self) -> str:
        prov = ", ".join(f"{n} {k}" for k, n in sorted(self.by_provenance.items()))
        lines = [f"{self.documents} document(s) ({prov}), {self.words} words", ""]
        lines.append(f"{'layer':<14}{'total':>7}  labels")
        for layer in LAYERS:
            labels = ", ".join(f"{k} {n}" for k, n in sorted(self.layers[layer].items()))
            lines.append(f"{layer:<14}{self.totals[layer]:>7}  {labels}")
        if self.extras:
            lines.append("")
            lines += [f"{k:<40}{n:>7}" for k, n in sorted(self.extras.items())]
        return "\n".join(lines)


def summarize(docs: Iterable[Document]) -> Summary:
    s = Summary()
    for d in docs:
        s.documents += 1
        s.words += len(d.text.split())
        s.by_provenance[d.provenance] += 1
        for layer in LAYERS:
            items = getattr(d, layer)
            s.totals[layer] += len(items)
            s.layers[layer].update(getattr(x, LABEL_FIELD[layer]) for x in items)
        for e in d.events:
            s.extras[f"events with modality {e.modality}"] += 1
            s.extras["event arguments"] += len(e.arguments)
        for t in d.attributions:
            if t.parent_id:
                s.extras["attributions nested (with parent)"] += 1
            if t.source_id is None:
                s.extras["attributions without source"] += 1
            if len(t.content) > 1:
                s.extras["attributions with split content"] += 1
        s.extras["positions linked to an attribution"] += sum(1 for p in d.positions if p.attribution_id)
    return s


# --- one document, marked up ----------------------------------------------------------------

_COLORS = {"PERSON": "33", "ORGANIZATION": "36", "STATE": "32", "GROUP": "35",
           "LOCATION": "34", "TIME": "90"}


def _quote(span: Span) -> str:
    text = span.text.replace("\n", " ⏎ ")
    return f"«{text if len(text) <= 90 else text[:60] + ' … ' + text[-25:]}»"


def mark_mentions(doc: Document, color: bool = False) -> str:
    """The text with every mention bracketed: ``[Russia]{m3 STATE}``. Nested mentions nest;
    a mention crossing another's boundary is listed after the text instead."""
    opens: dict[int, list] = {}
    closes: dict[int, list] = {}
    stack_ends: list[int] = []
    crossing = []
    for m in sorted(doc.mentions, key=lambda m: (m.start, -m.end, m.id)):
        while stack_ends and stack_ends[-1] <= m.start:
            stack_ends.pop()
        if stack_ends and m.end > stack_ends[-1]:
            crossing.append(m)
            continue
        stack_ends.append(m.end)
        opens.setdefault(m.start, []).append(m)
        closes.setdefault(m.end, []).insert(0, m)
    out = []
    for i, ch in enumerate(doc.text + "\0"):
        for m in closes.get(i, ()):
            tag = f"]{{{m.id} {m.type}}}"
            out.append(f"\033[{_COLORS.get(m.type, '0')}m{tag}\033[0m" if color else tag)
        if i == len(doc.text):
            break
        for m in opens.get(i, ()):
            out.append(f"\033[{_COLORS.get(m.type, '0')}m[\033[0m" if color else "[")
        out.append(ch)
    text = "".join(out)
    if crossing:
        text += "\n\n(crossing mentions: " + "; ".join(f"{m.id} {m.type} {_quote(m.span)}"
                                                        for m in crossing) + ")"
    return text


def render_document(doc: Document, color: bool = False) -> str:
    """A review view: metadata, the marked text, then actors, events, attributions, positions
    with every span quoted and every reference shown by its text."""
    ms = doc.mention_map()

    def who(mid: str | None) -> str:
        if mid is None:
            return "(no source)"
        m = ms.get(mid)
        return f"{mid} «{m.text}»" if m else f"{mid} (missing)"

    head = [f"# {doc.id}: {doc.title or '(no title)'}",
            f"date {doc.date} · source {doc.source} · provenance {doc.provenance} · "
            f"language {doc.language} · url {doc.url or '(unknown)'}",
            f"license: {doc.license}", ""]
    body = [mark_mentions(doc, color), ""]
    actors = ["## Actors"] + [
        f"- {a.id} {a.name} ({a.type}{', ' + a.wikidata if a.wikidata else ''}): "
        + "; ".join(who(mid) for mid in a.mention_ids) for a in doc.actors]
    clustered = set(doc.actor_of_mention())
    actor_types = set(load_spec().actor_types)
    loose = [m for m in doc.mentions if m.id not in clustered and m.type in actor_types]
    if loose:
        actors.append("- not in any actor: " + "; ".join(f"{m.id} «{m.text}» {m.type}" for m in loose))
    events = ["", "## Events"] + [
        f"- {e.id} {e.type} ({e.modality}) trigger {_quote(e.trigger)}"
        + "".join(f"\n    {a.role}: {who(a.mention_id)}" for a in e.arguments)
        for e in doc.events]
    attributions = ["", "## Attributions"]
    children: dict[str | None, list] = {}
    for t in doc.attributions:
        children.setdefault(t.parent_id, []).append(t)
    known = {t.id for t in doc.attributions}

    def tree(parent: str | None, depth: int) -> None:
        for t in children.get(parent, ()):
            pad = "    " * depth
            attributions.append(
                f"{pad}- {t.id} {t.type}: source {who(t.source_id)}, cue {_quote(t.cue)}"
                + "".join(f"\n{pad}    content: {_quote(c)}" for c in t.content))
            tree(t.id, depth + 1)

    tree(None, 0)
    for orphan_parent in sorted(k for k in children if k is not None and k not in known):
        tree(orphan_parent, 0)
    positions = ["", "## Positions"] + [
        f"- {p.id} {who(p.holder_id)} {p.stance.upper()} {_quote(p.target)}"
        f"\n    evidence: {_quote(p.evidence)}"
        + (f"\n    via attribution {p.attribution_id}" if p.attribution_id else "")
        for p in doc.positions]
    return "\n".join(head + body + actors + events + attributions + positions)
