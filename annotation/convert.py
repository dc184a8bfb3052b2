"""Conversion both ways between canonical documents and Label Studio tasks and results.

``task_for(doc)`` and ``results_for(doc)`` write a document as a task and a result list in the
mapping of ``ls_config``; ``annotation_to_document`` reads one exported annotation back,
checking every result (the Label Studio API stores whatever it is sent) and reporting each
problem with task id, annotation id and region id. Offsets are half-open ``[start, end)`` over
Python code points, as the 1.23 editor writes them.

Region ids written here are ``<tag>.<id>`` (``mention.m1``, ``event.e2``, ``content.t1.0``):
reading them back keeps every id, so a round trip is lossless. Regions drawn in the editor get
random ids; their records receive the next free id of their layer (``m7``, ``e3``, …) in text
order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from communique.schemas.model import (METADATA_FIELDS, Actor, Argument, Attribution, Document,
                                      Event, Mention, Position, Span, sha256_text)
from communique.schemas.spec import Spec, load_spec
from communique.schemas.validate import validate_document

from .ls_config import (ACTOR, ATTRIBUTION, ATTRIBUTION_LINK, CONTENT, EVENT, HOLDER, MENTION,
                        MODALITY, PARENT, POSITION, REGION_TAGS, SOURCE, TARGET, TEXT, WIKIDATA,
                        relation_labels, tag_values)

# Task data: the text the config shows, a header line, and the document's metadata.
DATA_TEXT, DATA_HEADER, DATA_DOCUMENT = "text", "header", "document"
# Canonical id prefix of each layer, for records drawn in the editor.
NEW_ID_PREFIX = {MENTION: "m", EVENT: "e", ATTRIBUTION: "t", POSITION: "p", ACTOR: "a"}
# A pushed actor name carries its id: "United States [a1]".
ACTOR_WITH_ID = re.compile(r"^(.*) \[([A-Za-z0-9][A-Za-z0-9._:-]*)\]$", re.DOTALL)
QID = re.compile(r"^Q[1-9][0-9]*$")
RECORD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")  # as the document schema allows
PER_REGION = {MODALITY: ("choices", EVENT), ACTOR: ("textarea", MENTION),
              WIKIDATA: ("textarea", MENTION)}
# Which region kinds a relation may join, and the label it carries, by unordered pair.
PAIR_LINKS: dict[frozenset[str], str] = {
    frozenset((ATTRIBUTION, MENTION)): SOURCE,
    frozenset((ATTRIBUTION, CONTENT)): CONTENT,
    frozenset((ATTRIBUTION,)): PARENT,
    frozenset((POSITION, MENTION)): HOLDER,
    frozenset((POSITION, TARGET)): TARGET,
    frozenset((POSITION, ATTRIBUTION)): ATTRIBUTION_LINK,
}


@dataclass(frozen=True, slots=True)
class PullProblem:
    """Something wrong in one exported annotation, and exactly where."""

    task_id: Any
    document_id: str
    annotation_id: Any
    region_id: str | None
    message: str

    def __str__(self) -> str:
        where = [f"task {self.task_id} ({self.document_id})"]
        if self.annotation_id is not None:
            where.append(f"annotation {self.annotation_id}")
        if self.region_id is not None:
            where.append(f"region {self.region_id}")
        return ": ".join(where + [self.message])


def _a(word: str) -> str:
    """``word`` with its indefinite article."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _show(value: Any) -> str:
    import json

    s = json.dumps(value, ensure_ascii=False, default=str)
    return s if len(s) <= 60 else s[:57] + "..."


# ---------------------------------------------------------------- canonical → Label Studio


def header_line(doc: Document) -> str:
    """The line shown above the text in the editor: id, date, source and title."""
    title = f" — {doc.title}" if doc.title else ""
    return f"{doc.id} · {doc.date} · {doc.source}{title}"


def task_for(doc: Document) -> dict[str, Any]:
    """The task data of a document: its text, a header line and its metadata."""
    meta = {k: getattr(doc, k) for k in METADATA_FIELDS if k != "text"}
    return {DATA_TEXT: doc.text, DATA_HEADER: header_line(doc), DATA_DOCUMENT: meta}


def _region(rid: str, tag: str, span: Span, label: str) -> dict[str, Any]:
    return {"id": rid, "from_name": tag, "to_name": TEXT, "type": "labels",
            "value": {"start": span.start, "end": span.end, "text": span.text, "labels": [label]}}


def _per_region(rid: str, control: str, span: Span, value: Any) -> dict[str, Any]:
    kind = PER_REGION[control][0]
    key = "choices" if kind == "choices" else "text"
    return {"id": rid, "from_name": control, "to_name": TEXT, "type": kind,
            "value": {"start": span.start, "end": span.end, key: [value]}}


def _relation(from_id: str, to_id: str, label: str) -> dict[str, Any]:
    return {"type": "relation", "from_id": from_id, "to_id": to_id, "direction": "right",
            "labels": [label]}


def results_for(doc: Document) -> list[dict[str, Any]]:
    """The Label Studio result list that represents every layer of ``doc``."""
    out: list[dict[str, Any]] = []
    spans = {m.id: m.span for m in doc.mentions}
    for m in doc.mentions:
        out.append(_region(f"{MENTION}.{m.id}", MENTION, m.span, m.type))
    for a in doc.actors:
        for i, mid in enumerate(a.mention_ids):
            out.append(_per_region(f"{MENTION}.{mid}", ACTOR, spans[mid], f"{a.name} [{a.id}]"))
            if i == 0 and a.wikidata is not None:
                out.append(_per_region(f"{MENTION}.{mid}", WIKIDATA, spans[mid], a.wikidata))
    for e in doc.events:
        rid = f"{EVENT}.{e.id}"
        out.append(_region(rid, EVENT, e.trigger, e.type))
        out.append(_per_region(rid, MODALITY, e.trigger, e.modality))
        out += [_relation(rid, f"{MENTION}.{arg.mention_id}", arg.role) for arg in e.arguments]
    for t in doc.attributions:
        rid = f"{ATTRIBUTION}.{t.id}"
        out.append(_region(rid, ATTRIBUTION, t.cue, t.type))
        for j, c in enumerate(t.content):
            out.append(_region(f"{CONTENT}.{t.id}.{j}", CONTENT, c, CONTENT))
            out.append(_relation(rid, f"{CONTENT}.{t.id}.{j}", CONTENT))
        if t.source_id is not None:
            out.append(_relation(rid, f"{MENTION}.{t.source_id}", SOURCE))
        if t.parent_id is not None:
            out.append(_relation(rid, f"{ATTRIBUTION}.{t.parent_id}", PARENT))
    for p in doc.positions:
        rid = f"{POSITION}.{p.id}"
        out.append(_region(rid, POSITION, p.evidence, p.stance))
        out.append(_region(f"{TARGET}.{p.id}", TARGET, p.target, TARGET))
        out.append(_relation(rid, f"{MENTION}.{p.holder_id}", HOLDER))
        out.append(_relation(rid, f"{TARGET}.{p.id}", TARGET))
        if p.attribution_id is not None:
            out.append(_relation(rid, f"{ATTRIBUTION}.{p.attribution_id}", ATTRIBUTION_LINK))
    return out


# ---------------------------------------------------------------- Label Studio → canonical


@dataclass(slots=True)
class _Region:
    rid: str
    tag: str
    start: int
    end: int
    text: str
    label: str
    order: int


class _Reader:
    """Reads one annotation's result list into a canonical document, collecting problems."""

    def __init__(self, spec: Spec, task_id: Any, doc: Document, annotation_id: Any):
        self.spec, self.task_id, self.doc, self.annotation_id = spec, task_id, doc, annotation_id
        self.text = doc.text
        self.values = tag_values(spec)
        self.relation_labels = relation_labels(spec)
        self.roles = spec.label("argument_role")
        self.problems: list[PullProblem] = []
        # Regions and per-region results already reported: what refers to them is not
        # reported again (one mistake, one message).
        self.broken: set[str] = set()
        self.broken_controls: set[tuple[str, str]] = set()
        self.near_broken: set[str] = set()

    def add(self, region_id: str | None, message: str) -> None:
        self.problems.append(PullProblem(self.task_id, self.doc.id, self.annotation_id,
                                         region_id, message))

    # -- single results

    def _offsets(self, rid: str, value: Mapping[str, Any]) -> tuple[int, int] | None:
        start, end = value.get("start"), value.get("end")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
            self.add(rid, f"found start {_show(start)}, end {_show(end)}; allowed: integer "
                          "code-point offsets")
            return None
        n = len(self.text)
        if not 0 <= start < end <= n:  # type: ignore[operator]
            self.add(rid, f"found offsets [{start}, {end}); allowed: 0 <= start < end <= {n} "
                          f"(the text has {n} code points)")
            return None
        return start, end  # type: ignore[return-value]

    def region(self, r: Mapping[str, Any], order: int) -> _Region | None:
        rid, tag, value = r.get("id"), r.get("from_name"), r.get("value")
        if not isinstance(rid, str) or not rid:
            self.add(None, f"found {_a(str(tag))} region with id {_show(rid)}; allowed: a non-empty "
                           "string id")
            return None
        if not isinstance(value, dict):
            self.add(rid, f"found value {_show(value)}; allowed: an object with start, end, "
                          "text and labels")
            return None
        offsets = self._offsets(rid, value)
        if offsets is None:
            return None
        start, end = offsets
        found = value.get("text", self.text[start:end])
        if found != self.text[start:end]:
            self.add(rid, f"found text {_show(found)} at [{start}, {end}), where the document "
                          f"has {_show(self.text[start:end])}; allowed: the text at the offsets")
            return None
        labels = value.get("labels")
        allowed = self.values[tag]  # type: ignore[index]
        if not isinstance(labels, list) or len(labels) != 1:
            self.add(rid, f"found labels {_show(labels)}; allowed: exactly one of "
                          f"{', '.join(allowed)}")
            return None
        if labels[0] not in allowed:
            self.add(rid, f"found {tag} label {_show(labels[0])}; allowed: one of "
                          f"{', '.join(allowed)}")
            return None
        return _Region(rid, tag, start, end, self.text[start:end], labels[0], order)  # type: ignore[arg-type]

    def per_region(self, r: Mapping[str, Any], regions: Mapping[str, _Region]) -> tuple[str, str, str] | None:
        control, rid, value = r.get("from_name"), r.get("id"), r.get("value")
        kind, wants = PER_REGION[control]  # type: ignore[index]
        if rid in self.broken:
            return None
        if rid not in regions:
            self.add(rid if isinstance(rid, str) else None,
                     f"found {_a(str(control))} result for region {_show(rid)}, which is no region of "
                     "this annotation; allowed: the id of a labelled region")
            return None
        reg = regions[rid]  # type: ignore[index]
        if reg.tag != wants:
            self.add(reg.rid, f"found {control} on {_a(reg.tag)} region; allowed: {control} on "
                              f"{wants} regions only")
            return None
        if not isinstance(value, dict):
            self.add(reg.rid, f"found {control} value {_show(value)}; allowed: an object")
            return None
        if "start" in value or "end" in value:
            if (value.get("start"), value.get("end")) != (reg.start, reg.end):
                self.add(reg.rid, f"found {control} at [{value.get('start')}, {value.get('end')}) "
                                  f"but its region at [{reg.start}, {reg.end}); allowed: the "
                                  "region's offsets")
                return None
        items = value.get("choices" if kind == "choices" else "text")
        if kind == "textarea" and isinstance(items, list):
            items = [x for x in items if not (isinstance(x, str) and not x.strip())]
        if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], str):
            self.add(reg.rid, f"found {control} {_show(items)}; allowed: exactly one "
                              f"{'choice' if kind == 'choices' else 'line of text'}")
            return None
        return control, reg.rid, items[0]  # type: ignore[return-value]

    # -- the whole annotation

    def read(self, results: Any) -> Document | None:
        if not isinstance(results, list):
            self.add(None, f"found result {_show(results)}; allowed: a list of results")
            return None
        regions: dict[str, _Region] = {}
        controls: list[Mapping[str, Any]] = []
        relations: list[Mapping[str, Any]] = []
        region_types = {tag: "labels" for tag in REGION_TAGS}
        expected = region_types | {c: k for c, (k, _) in PER_REGION.items()}
        for order, r in enumerate(results):
            if not isinstance(r, dict):
                self.add(None, f"found result #{order} {_show(r)}; allowed: an object")
                continue
            rid = r.get("id") if isinstance(r.get("id"), str) else None
            if r.get("type") == "relation":
                relations.append(r)
                continue
            name = r.get("from_name")
            if rid is not None and name not in PER_REGION:
                self.broken.add(rid)  # until it turns out to be a valid region
            if name not in expected:
                self.add(rid, f"found from_name {_show(name)}; allowed: one of "
                              f"{', '.join(expected)}")
                continue
            if r.get("type") != expected[name]:
                self.add(rid, f"found type {_show(r.get('type'))} for {name}; allowed: "
                              f"{expected[name]}")
                continue
            if r.get("to_name") != TEXT:
                self.add(rid, f"found to_name {_show(r.get('to_name'))}; allowed: {TEXT}")
                continue
            if name in region_types:
                reg = self.region(r, order)
                if reg is None:
                    if rid is not None:
                        self.broken.add(rid)
                    continue
                if reg.rid in regions:
                    self.add(reg.rid, f"found a second labelled region with this id ({_a(reg.tag)}); "
                                      "allowed: region ids unique within an annotation")
                    continue
                regions[reg.rid] = reg
                self.broken.discard(reg.rid)
            else:
                controls.append(r)
        attached: dict[tuple[str, str], str] = {}
        for r in controls:
            got = self.per_region(r, regions)
            if got is None:
                if isinstance(r.get("id"), str):
                    self.broken_controls.add((r["from_name"], r["id"]))
                continue
            control, rid, value = got
            if (control, rid) in attached:
                self.add(rid, f"found a second {control} result; allowed: one per region")
                continue
            attached[(control, rid)] = value
        links = self._relations(relations, regions)
        return self._build(regions, attached, links)

    def _relations(self, relations: list[Mapping[str, Any]],
                   regions: Mapping[str, _Region]) -> list[tuple[str, _Region, _Region]]:
        """(label, head, dependent) for each valid relation label: head is the event, cue or
        evidence region (for ``parent``, the child cue); dependent is the other end."""
        out: list[tuple[str, _Region, _Region]] = []
        roles = self.roles
        for r in relations:
            fid, tid = r.get("from_id"), r.get("to_id")
            where = f"{fid}->{tid}"
            if fid in self.broken or tid in self.broken:
                self.near_broken.update(x for x in (fid, tid) if isinstance(x, str))
                continue
            missing = [x for x in (fid, tid) if x not in regions]
            if missing:
                self.add(where, f"found a relation to {_show(missing[0])}, which is no region of "
                                "this annotation; allowed: ids of labelled regions")
                continue
            a, b = regions[fid], regions[tid]  # type: ignore[index]
            if a.rid == b.rid:
                self.add(where, "found a relation from a region to itself; allowed: two regions")
                continue
            labels = r.get("labels") or []
            if not isinstance(labels, list):
                self.add(where, f"found relation labels {_show(labels)}; allowed: a list")
                continue
            unknown = [x for x in labels if x not in self.relation_labels]
            if unknown:
                self.add(where, f"found relation label {_show(unknown[0])}; allowed: one of "
                                f"{', '.join(self.relation_labels)}")
                continue
            pair = frozenset((a.tag, b.tag))
            if pair == frozenset((EVENT, MENTION)):
                head, dep = (a, b) if a.tag == EVENT else (b, a)
                if not labels:
                    fits = [x for x in roles.names if dep.label in roles.accepts.get(x, ())]
                    if len(fits) != 1:
                        self.add(where, f"found an unlabelled argument relation to a {dep.label} "
                                        f"mention; allowed: a role label ({', '.join(fits)})")
                        continue
                    labels = fits
                bad = [x for x in labels if x not in roles.names]
                if bad:
                    self.add(where, f"found label {_show(bad[0])} on an event-mention relation; "
                                    f"allowed: one of {', '.join(roles.names)}")
                    continue
                out += [(x, head, dep) for x in labels]
                continue
            link = PAIR_LINKS.get(pair)
            if link is None:
                self.add(where, f"found a relation between {_a(a.tag)} and {_a(b.tag)} region; allowed: "
                                "event-mention (role), attribution-mention (source), "
                                "attribution-content, attribution-attribution (parent), "
                                "position-mention (holder), position-target, "
                                "position-attribution")
                continue
            if any(x != link for x in labels):
                self.add(where, f"found label {_show(next(x for x in labels if x != link))} on "
                                f"{_a(a.tag + '-' + b.tag)} relation; allowed: {link}")
                continue
            if link == PARENT:
                direction = r.get("direction", "right")
                if direction not in ("right", "left"):
                    self.add(where, f"found direction {_show(direction)} between two cues; "
                                    "allowed: right (child -> parent) or left")
                    continue
                head, dep = (a, b) if direction == "right" else (b, a)
            else:
                head_tag = ATTRIBUTION if ATTRIBUTION in pair and link != ATTRIBUTION_LINK else POSITION
                head, dep = (a, b) if a.tag == head_tag else (b, a)
            out.append((link, head, dep))
        return out

    def _new_ids(self, regions: Iterable[_Region], tag: str) -> dict[str, str]:
        """Record ids for the regions of one tag: pushed ids kept, editor regions numbered."""
        ids: dict[str, str] = {}
        fresh: list[_Region] = []
        prefix = f"{tag}."
        for reg in regions:
            if reg.rid.startswith(prefix) and RECORD_ID.match(reg.rid[len(prefix):]):
                ids[reg.rid] = reg.rid[len(prefix):]
            else:
                fresh.append(reg)
        used = set(ids.values())
        n = 0
        for reg in sorted(fresh, key=lambda g: (g.start, g.end, g.rid)):
            n += 1
            while f"{NEW_ID_PREFIX[tag]}{n}" in used:
                n += 1
            ids[reg.rid] = f"{NEW_ID_PREFIX[tag]}{n}"
            used.add(ids[reg.rid])
        return ids

    def _build(self, regions: Mapping[str, _Region], attached: Mapping[tuple[str, str], str],
               links: list[tuple[str, _Region, _Region]]) -> Document | None:
        by_tag: dict[str, list[_Region]] = {tag: [] for tag in REGION_TAGS}
        for reg in sorted(regions.values(), key=lambda g: g.order):
            by_tag[reg.tag].append(reg)
        ids = {tag: self._new_ids(by_tag[tag], tag)
               for tag in (MENTION, EVENT, ATTRIBUTION, POSITION)}
        mid = ids[MENTION]
        mentions = [Mention(mid[g.rid], g.start, g.end, g.text, g.label) for g in by_tag[MENTION]]
        actors = self._actors(by_tag[MENTION], attached, mid)

        out_links: dict[str, dict[str, list[_Region]]] = {}
        for label, head, dep in links:
            out_links.setdefault(head.rid, {}).setdefault(label, []).append(dep)
        linked = {dep.rid for _, _, dep in links if dep.tag in (CONTENT, TARGET)}
        for g in by_tag[CONTENT] + by_tag[TARGET]:
            if g.rid not in linked:
                owner = ATTRIBUTION if g.tag == CONTENT else POSITION
                self.add(g.rid, f"found {_a(g.tag)} region that no {owner} region links to; allowed: "
                                f"{g.tag} linked from {_a(owner)} region")

        events = []
        for g in by_tag[EVENT]:
            modality = attached.get((MODALITY, g.rid))
            if modality is None and (MODALITY, g.rid) in self.broken_controls:
                pass
            elif modality is None:
                self.add(g.rid, f"found an event with no {MODALITY}; allowed: one of "
                                f"{', '.join(self.spec.label('modality').names)}")
            elif modality not in self.spec.label("modality"):
                self.add(g.rid, f"found {MODALITY} {_show(modality)}; allowed: one of "
                                f"{', '.join(self.spec.label('modality').names)}")
            # Relation order, not role order, is the argument order.
            args = tuple(Argument(label, mid[dep.rid]) for label, head, dep in links
                         if head is g and label in self.roles)
            events.append(Event(ids[EVENT][g.rid], g.label, Span(g.start, g.end, g.text),
                                modality or "", args))

        attributions = []
        for g in by_tag[ATTRIBUTION]:
            mine = out_links.get(g.rid, {})
            content = mine.get(CONTENT, [])
            if not content and g.rid not in self.near_broken:
                self.add(g.rid, "found a cue with no content; allowed: a cue linked to at least "
                                "one content region")
            for label in (SOURCE, PARENT):
                if len(mine.get(label, [])) > 1:
                    self.add(g.rid, f"found {len(mine[label])} {label} links; allowed: at most one")
            source = mine.get(SOURCE, [None])[0]
            parent = mine.get(PARENT, [None])[0]
            attributions.append(Attribution(
                ids[ATTRIBUTION][g.rid], g.label, mid[source.rid] if source else None,
                Span(g.start, g.end, g.text),
                tuple(Span(c.start, c.end, c.text) for c in content),
                ids[ATTRIBUTION][parent.rid] if parent else None))

        positions = []
        for g in by_tag[POSITION]:
            mine = out_links.get(g.rid, {})
            for label in (HOLDER, TARGET):
                if len(mine.get(label, [])) != 1 and not (
                        g.rid in self.near_broken and not mine.get(label)):
                    self.add(g.rid, f"found {len(mine.get(label, []))} {label} links; allowed: "
                                    "exactly one")
            if len(mine.get(ATTRIBUTION_LINK, [])) > 1:
                self.add(g.rid, f"found {len(mine[ATTRIBUTION_LINK])} attribution links; "
                                "allowed: at most one")
            holder = mine.get(HOLDER, [None])[0]
            target = mine.get(TARGET, [None])[0]
            via = mine.get(ATTRIBUTION_LINK, [None])[0]
            positions.append(Position(
                ids[POSITION][g.rid], mid[holder.rid] if holder else "", g.label,
                Span(target.start, target.end, target.text) if target else Span(0, 0, ""),
                Span(g.start, g.end, g.text), ids[ATTRIBUTION][via.rid] if via else None))
        if self.problems:
            return None
        doc = self.doc.with_layers(mentions=mentions, actors=actors, events=events,
                                   attributions=attributions, positions=positions)
        for p in validate_document(doc.to_dict(), "export", self.spec):
            self.add(None, f"document check: {p.path}: {p.message}")
        return None if self.problems else doc

    def _actors(self, mentions: list[_Region], attached: Mapping[tuple[str, str], str],
                mid: Mapping[str, str]) -> list[Actor]:
        """Group mentions into actors by the per-region name (and id, when pushed)."""
        actor_types = set(self.spec.actor_types)
        named: list[tuple[_Region, str, str | None]] = []
        by_rid = {g.rid: g for g in mentions}
        # Result order, not mention order, gives the order of actors and of their mentions.
        for (control, rid), raw in attached.items():
            if control != ACTOR:
                continue
            g = by_rid[rid]
            m = ACTOR_WITH_ID.match(raw)
            name, aid = (m.group(1), m.group(2)) if m else (raw.strip(), None)
            if g.label not in actor_types:
                self.add(g.rid, f"found actor {_show(raw)} on {_a(g.label)} mention; allowed: actors "
                                f"on {', '.join(self.spec.actor_types)} mentions only")
                continue
            named.append((g, name, aid))
        ids_of_name: dict[str, set[str]] = {}
        for _, name, aid in named:
            if aid is not None:
                ids_of_name.setdefault(name, set()).add(aid)
        groups: dict[str, list[_Region]] = {}
        names: dict[str, str] = {}
        explicit: set[str] = set()
        for g, name, aid in named:
            if aid is None:
                known = ids_of_name.get(name, set())
                if len(known) > 1:
                    self.add(g.rid, f"found actor name {_show(name)} without an id, and actors "
                                    f"{', '.join(sorted(known))} have that name; allowed: the name "
                                    "with the id in brackets")
                    continue
                key = next(iter(known)) if known else f"\0{name}"
            else:
                key = aid
                explicit.add(aid)
                if names.get(key, name) != name:
                    self.add(g.rid, f"found actor [{aid}] named {_show(name)}, elsewhere "
                                    f"{_show(names[key])}; allowed: one name per actor")
                    continue
            names.setdefault(key, name)
            groups.setdefault(key, []).append(g)
        # An actor-type mention with no actor name is an actor of its own, named by its text.
        grouped = {g.rid for members in groups.values() for g in members}
        for g in mentions:
            if g.label in actor_types and g.rid not in grouped and (ACTOR, g.rid) not in attached:
                key = f"\0\0{g.rid}"
                groups[key], names[key] = [g], g.text
        used = set(explicit)
        actors = []
        n = 0
        for key, members in groups.items():
            if key in explicit:
                aid = key
            else:
                n += 1
                while f"{NEW_ID_PREFIX[ACTOR]}{n}" in used:
                    n += 1
                aid = f"{NEW_ID_PREFIX[ACTOR]}{n}"
                used.add(aid)
            types = {g.label for g in members}
            if len(types) > 1:
                self.add(members[0].rid, f"found actor {_show(names[key])} over mentions of types "
                                         f"{', '.join(sorted(types))}; allowed: one type per actor")
                continue
            qids = {attached[(WIKIDATA, g.rid)].strip() for g in members
                    if (WIKIDATA, g.rid) in attached}
            if len(qids) > 1:
                self.add(members[0].rid, f"found Wikidata ids {', '.join(sorted(qids))} for actor "
                                         f"{_show(names[key])}; allowed: one")
                continue
            qid = next(iter(qids), None)
            if qid is not None and not QID.match(qid):
                self.add(members[0].rid, f"found Wikidata id {_show(qid)}; allowed: Q followed by "
                                         "digits, e.g. Q30")
                continue
            actors.append(Actor(aid, names[key], members[0].label,
                                tuple(mid[g.rid] for g in members), qid))
        for g in mentions:
            if (WIKIDATA, g.rid) in attached and (ACTOR, g.rid) not in attached:
                self.add(g.rid, "found a Wikidata id on a mention with no actor name; allowed: a "
                                "Wikidata id next to the actor's name")
        return actors


def document_of_task(task: Mapping[str, Any]) -> tuple[Document | None, str]:
    """The document (without layers) a task holds, or None and why not."""
    data = task.get("data")
    if not isinstance(data, dict) or not isinstance(data.get(DATA_TEXT), str):
        return None, f"found task data without a {DATA_TEXT!r} string; allowed: tasks pushed by " \
                     "`communique ls push`"
    meta = data.get(DATA_DOCUMENT)
    if not isinstance(meta, dict):
        return None, f"found task data without {DATA_DOCUMENT!r} metadata; allowed: tasks pushed " \
                     "by `communique ls push`"
    missing = [k for k in METADATA_FIELDS if k != "text" and k not in meta]
    if missing:
        return None, f"found document metadata without {', '.join(missing)}"
    text = data[DATA_TEXT]
    if sha256_text(text) != meta.get("text_sha256"):
        return None, "found a task text whose SHA-256 differs from the document's text_sha256; " \
                     "allowed: the text as pushed (task data must not be edited)"
    doc = Document(**{k: meta[k] for k in METADATA_FIELDS if k != "text"}, text=text)
    return doc, ""


def annotation_to_document(task_id: Any, doc: Document, annotation_id: Any, results: Any,
                           spec: Spec | None = None) -> tuple[Document | None, list[PullProblem]]:
    """Read one annotation (or prediction) result list of a task into a canonical document."""
    reader = _Reader(spec or load_spec(), task_id, doc, annotation_id)
    return reader.read(results), reader.problems
