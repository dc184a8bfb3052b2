"""Generated, valid canonical documents for release tests and the release benchmark.

They are not corpus data: the wording is a fixed template filled deterministically from the
document number, so the same number always gives the same document. Labels cycle through the
label sets of the schema, so every label of a set appears once enough documents are made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from communique.schemas.io import atomic_write_text, dumps_document
from communique.schemas.model import document_id_for, nfc, sha256_text
from communique.schemas.spec import Spec, load_spec

PEOPLE = ("Zoë Łukasiewicz", "Amara Okafor", "Jonas Weiß", "Hiroko Tanabe", "Rafael Núñez",
          "Leïla Benali", "Sven Åkesson", "Priya Raman")
STATES = ("Veridia", "the Republic of Ostrava", "Calmaria", "Nordhavn", "Tessaly", "Quorin")
PLACES = ("Port Selene", "the Hall of Nations", "Kastel", "Mirabad", "Lake Orun")
TIMES = ("on Monday", "on Tuesday", "in March", "this week", "on Friday")
GROUPS = ("the delegations", "negotiators from both sides", "customs officials")
TOPICS = ("the fisheries accord", "a ceasefire along the river", "new tariffs on steel",
          "the prisoner exchange", "a joint border commission 🤝")
FILLER = ("Officials familiar with the talks declined to comment on the schedule. ",
          "Neither side published a text of the draft, and observers described the mood as "
          "cautious. ",
          "Analysts said the outcome would depend on the next round of consultations. ",
          "The ministry’s statement did not mention the earlier dispute over shipping lanes. ")


class _Writer:
    """Appends text and records half-open code-point spans of what it appended."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, s: str) -> tuple[int, int]:
        start = self.length
        self.parts.append(s)
        self.length += len(s)
        return start, self.length

    def text(self) -> str:
        return "".join(self.parts)


def synthetic_document(number: int, *, chars: int = 4000, sentences: int = 8,
                       positions: int = 4, spec: Spec | None = None) -> dict[str, Any]:
    """A valid canonical document (a dict) numbered ``number``: ``sentences`` annotated
    sentences, each with 4 mentions, one event and one attribution, ``positions`` positions,
    then filler sentences until the text has at least ``chars`` code points."""
    spec = spec or load_spec()
    accepts = spec.labels["argument_role"].accepts
    person, state = spec.actor_types[0], spec.actor_types[2]
    location, time = accepts["location"][0], accepts["time"][0]
    labels = {name: spec.labels[name].names for name in
              ("event_type", "modality", "attribution_type", "stance")}
    w = _Writer()
    mentions: list[dict[str, Any]] = []
    events, attributions, position_items = [], [], []
    clusters: dict[tuple[str, str], list[str]] = {}

    def mention(s: str, mtype: str) -> str:
        start, end = w.add(s)
        mid = f"m{len(mentions) + 1}"
        mentions.append({"id": mid, "start": start, "end": end, "text": s, "type": mtype})
        if mtype in (person, state):
            clusters.setdefault((mtype, s), []).append(mid)
        return mid

    def span(s: str) -> dict[str, Any]:
        start, end = w.add(s)
        return {"start": start, "end": end, "text": s}

    # The number in the dateline keeps texts, and so document ids, distinct.
    w.add(f"{PLACES[number % len(PLACES)].removeprefix('the ').upper()}, dispatch {number} — ")
    for k in range(sentences):
        n = number * sentences + k
        p = mention(PEOPLE[n % len(PEOPLE)], person)
        w.add(" of ")
        s = mention(STATES[n % len(STATES)], state)
        w.add(" ")
        cue = span("said")
        w.add(" ")
        t = mention(TIMES[n % len(TIMES)], time)
        w.add(" that ")
        content_start = w.length
        w.add(f"{GROUPS[n % len(GROUPS)]} had ")
        trigger = span("met")
        w.add(" in ")
        loc = mention(PLACES[n % len(PLACES)], location)
        w.add(" to discuss ")
        target = span(TOPICS[n % len(TOPICS)])
        content_end = w.length
        w.add(".\n\n" if k % 3 == 2 else ". ")
        events.append({"id": f"e{k + 1}", "type": labels["event_type"][n % len(labels["event_type"])],
                       "trigger": trigger, "modality": labels["modality"][n % len(labels["modality"])],
                       "arguments": [{"role": "actor", "mention_id": s},
                                     {"role": "location", "mention_id": loc},
                                     {"role": "time", "mention_id": t}]})
        content = {"start": content_start, "end": content_end,
                   "text": w.text()[content_start:content_end]}
        attributions.append({"id": f"t{k + 1}", "type": labels["attribution_type"][n % 3],
                             "source_id": p, "cue": cue, "content": [content],
                             "parent_id": "t1" if k % 4 == 3 else None})
        if k < positions:
            position_items.append({"id": f"p{k + 1}", "holder_id": p,
                                   "stance": labels["stance"][n % len(labels["stance"])],
                                   "target": target, "evidence": content,
                                   "attribution_id": f"t{k + 1}"})
    i = 0
    while w.length < chars:
        w.add(FILLER[(number + i) % len(FILLER)])
        i += 1
    text = nfc(w.text())
    actors = [{"id": f"a{j + 1}", "name": name.removeprefix("the "), "type": mtype,
               "mention_ids": mids, "wikidata": None}
              for j, ((mtype, name), mids) in enumerate(clusters.items())]
    return {"id": document_id_for(text), "title": f"Talks in {PLACES[number % len(PLACES)]}, "
            f"report {number}", "date": f"2025-{number % 12 + 1:02d}-{number % 28 + 1:02d}",
            "source": "Communiqué test generator", "url": None, "language": "en",
            "license": "CC0-1.0 (generated test data)", "provenance": "synthetic",
            "text": text, "text_sha256": sha256_text(text), "mentions": mentions,
            "actors": actors, "events": events, "attributions": attributions,
            "positions": position_items}


def write_synthetic_corpus(folder: Path, numbers: Iterable[int], **sizes: int) -> list[str]:
    """Write ``synthetic_document(n, **sizes)`` for each number as canonical files in
    ``folder``; return their ids in the order written."""
    spec = load_spec()
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for n in numbers:
        doc = synthetic_document(n, spec=spec, **sizes)
        atomic_write_text(folder / f"{doc['id']}.json", dumps_document(doc))
        ids.append(doc["id"])
    return ids
