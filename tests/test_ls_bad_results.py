"""One case per kind of invalid result: the real server stores each (its API checks nothing in a
result), and `ls pull`'s converter reports it with task, annotation and region id and this
exact message."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from communique.annotation.convert import results_for, task_for
from communique.annotation.pull import convert_task, download_export, iter_export
from communique.annotation.push import ensure_project
from communique.schemas.model import (Actor, Argument, Attribution, Document, Event, Mention,
                                      Position, Span, document_id_for)
from communique.schemas.validate import validate_document

TEXT = "TASS cited Darchiev 😀 as saying Moscow rejects the plan in Istanbul."
N = len(TEXT)


def span(word: str, nth: int = 0) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(word, start + 1)
    return Span.of(TEXT, start, start + len(word))


def base_document() -> Document:
    def m(mid: str, word: str, mtype: str) -> Mention:
        s = span(word)
        return Mention(mid, s.start, s.end, s.text, mtype)

    doc = Document.new(id=document_id_for(TEXT), text=TEXT, date="2025-04-11", source="test",
                       license="CC0", provenance="synthetic")
    doc = doc.with_layers(
        mentions=[m("m1", "TASS", "ORGANIZATION"), m("m2", "Darchiev", "PERSON"),
                  m("m3", "Moscow", "STATE"), m("m4", "Istanbul", "LOCATION")],
        actors=[Actor("a1", "TASS", "ORGANIZATION", ("m1",)),
                Actor("a2", "Alexander Darchiev", "PERSON", ("m2",)),
                Actor("a3", "Russia", "STATE", ("m3",), "Q159")],
        events=[Event("e1", "REJECT", span("rejects"), "asserted",
                      (Argument("actor", "m3"), Argument("location", "m4")))],
        attributions=[Attribution("t1", "indirect", "m1", span("cited"),
                                  (span("Moscow rejects the plan"),)),
                      Attribution("t2", "indirect", "m2", span("as saying"),
                                  (span("Moscow rejects the plan"),), "t1")],
        positions=[Position("p1", "m3", "oppose", span("the plan"), span("rejects"), "t2")])
    assert validate_document(doc.to_dict()) == []
    return doc


DOC = base_document()
BASE = results_for(DOC)


def first(results: list, **match) -> dict:
    return next(r for r in results if all(r.get(k) == v for k, v in match.items()))


def relation(results: list, from_id: str, to_id: str) -> dict:
    return first(results, type="relation", from_id=from_id, to_id=to_id)


def case(edit):
    """The base results with one edit applied."""
    results = copy.deepcopy(BASE)
    edit(results)
    return results


def _set(d: dict, **kv) -> None:
    d.update(kv)


def _relation(a: str, b: str, label: str) -> dict:
    return {"type": "relation", "from_id": a, "to_id": b, "direction": "right", "labels": [label]}


def _text(rid: str, control: str, s: Span, value: str) -> dict:
    return {"id": rid, "from_name": control, "to_name": "text", "type": "textarea",
            "value": {"start": s.start, "end": s.end, "text": [value]}}


MENTION_LABELS = "PERSON, ORGANIZATION, STATE, GROUP, LOCATION, TIME"
FROM_NAMES = "mention, event, attribution, content, position, target, modality, actor, wikidata"
PAIRS = ("event-mention (role), attribution-mention (source), attribution-content, "
         "attribution-attribution (parent), position-mention (holder), position-target, "
         "position-attribution")
M1 = f"[{span('TASS').start}, {span('TASS').end})"

# (case, results, [(region id, exact message), ...])
CASES = [
    ("unknown from_name", case(lambda r: _set(first(r, id="mention.m1"), from_name="entity")),
     [("mention.m1", f'found from_name "entity"; allowed: one of {FROM_NAMES}')]),
    ("type not that of the tag", case(lambda r: _set(first(r, id="mention.m1"), type="choices")),
     [("mention.m1", 'found type "choices" for mention; allowed: labels')]),
    ("unknown to_name", case(lambda r: _set(first(r, id="mention.m1"), to_name="title")),
     [("mention.m1", 'found to_name "title"; allowed: text')]),
    ("offset not an integer", case(lambda r: first(r, id="mention.m1")["value"].update(start="0")),
     [("mention.m1", 'found start "0", end 4; allowed: integer code-point offsets')]),
    ("end beyond the text",
     case(lambda r: first(r, id="mention.m4")["value"].update(end=N + 3)),
     [("mention.m4", f"found offsets [{span('Istanbul').start}, {N + 3}); allowed: "
                     f"0 <= start < end <= {N} (the text has {N} code points)")]),
    ("empty span", case(lambda r: first(r, id="mention.m1")["value"].update(end=0)),
     [("mention.m1", f"found offsets [0, 0); allowed: 0 <= start < end <= {N} (the text has "
                     f"{N} code points)")]),
    ("offsets shifted (UTF-16 units past the emoji)",
     case(lambda r: first(r, id="mention.m3")["value"].update(
         start=span("Moscow").start + 1, end=span("Moscow").end + 1)),
     [("mention.m3", f'found text "Moscow" at [{span("Moscow").start + 1}, '
                     f'{span("Moscow").end + 1}), where the document has "oscow "; allowed: '
                     "the text at the offsets")]),
    ("unknown label", case(lambda r: first(r, id="mention.m2")["value"].update(labels=["DIPLOMAT"])),
     [("mention.m2", f'found mention label "DIPLOMAT"; allowed: one of {MENTION_LABELS}')]),
    ("two labels on a region",
     case(lambda r: first(r, id="mention.m2")["value"].update(labels=["PERSON", "GROUP"])),
     [("mention.m2", f'found labels ["PERSON", "GROUP"]; allowed: exactly one of {MENTION_LABELS}')]),
    ("region without id", case(lambda r: first(r, id="mention.m4").pop("id")),
     [(None, "found a mention region with id null; allowed: a non-empty string id"),
      ("event.e1->mention.m4", 'found a relation to "mention.m4", which is no region of this '
                               "annotation; allowed: ids of labelled regions")]),
    ("two regions with one id",
     case(lambda r: r.append(dict(copy.deepcopy(first(r, id="mention.m1")), from_name="target",
                                  value=dict(first(r, id="mention.m1")["value"], labels=["target"])))),
     [("mention.m1", "found a second labelled region with this id (a target); allowed: region "
                     "ids unique within an annotation")]),
    ("per-region choice for a missing region",
     case(lambda r: _set(first(r, from_name="modality"), id="event.zz")),
     [("event.zz", 'found a modality result for region "event.zz", which is no region of this '
                   "annotation; allowed: the id of a labelled region"),
      ("event.e1", "found an event with no modality; allowed: one of asserted, historical, "
                   "future, hypothetical, negated")]),
    ("per-region choice on the wrong kind of region",
     case(lambda r: r.append(dict(copy.deepcopy(first(r, from_name="modality")), id="mention.m2",
                                  value={"choices": ["asserted"]}))),
     [("mention.m2", "found modality on a mention region; allowed: modality on event regions "
                     "only")]),
    ("per-region result at other offsets",
     case(lambda r: first(r, from_name="modality")["value"].update(start=0)),
     [("event.e1", f"found modality at [0, {span('rejects').end}) but its region at "
                   f"[{span('rejects').start}, {span('rejects').end}); allowed: the region's "
                   "offsets")]),
    ("two modalities ticked",
     case(lambda r: first(r, from_name="modality")["value"].update(choices=["asserted", "future"])),
     [("event.e1", 'found modality ["asserted", "future"]; allowed: exactly one choice')]),
    ("second actor name for one mention",
     case(lambda r: r.append(copy.deepcopy(first(r, from_name="actor", id="mention.m1")))),
     [("mention.m1", "found a second actor result; allowed: one per region")]),
    ("unknown modality",
     case(lambda r: first(r, from_name="modality")["value"].update(choices=["likely"])),
     [("event.e1", 'found modality "likely"; allowed: one of asserted, historical, future, '
                   "hypothetical, negated")]),
    ("event without modality", case(lambda r: r.remove(first(r, from_name="modality"))),
     [("event.e1", "found an event with no modality; allowed: one of asserted, historical, "
                   "future, hypothetical, negated")]),
    ("relation to a missing region",
     case(lambda r: _set(relation(r, "event.e1", "mention.m3"), to_id="mention.m9")),
     [("event.e1->mention.m9", 'found a relation to "mention.m9", which is no region of this '
                               "annotation; allowed: ids of labelled regions")]),
    ("relation from a region to itself",
     case(lambda r: _set(relation(r, "event.e1", "mention.m3"), to_id="event.e1")),
     [("event.e1->event.e1", "found a relation from a region to itself; allowed: two regions")]),
    ("unknown relation label",
     case(lambda r: _set(relation(r, "event.e1", "mention.m3"), labels=["agent"])),
     [("event.e1->mention.m3", 'found relation label "agent"; allowed: one of actor, recipient, '
                               "location, time, source, content, parent, holder, target, "
                               "attribution")]),
    ("relation between two mentions",
     case(lambda r: r.append({"type": "relation", "from_id": "mention.m1", "to_id": "mention.m2",
                              "direction": "right"})),
     [("mention.m1->mention.m2", f"found a relation between a mention and a mention region; "
                                 f"allowed: {PAIRS}")]),
    ("structural label on the wrong pair",
     case(lambda r: _set(relation(r, "attribution.t1", "mention.m1"), labels=["holder"])),
     [("attribution.t1->mention.m1", 'found label "holder" on an attribution-mention relation; '
                                     "allowed: source")]),
    ("non-role label on an argument",
     case(lambda r: _set(relation(r, "event.e1", "mention.m3"), labels=["source"])),
     [("event.e1->mention.m3", 'found label "source" on an event-mention relation; allowed: one '
                               "of actor, recipient, location, time")]),
    ("unlabelled argument where the role is ambiguous",
     case(lambda r: relation(r, "event.e1", "mention.m3").pop("labels")),
     [("event.e1->mention.m3", "found an unlabelled argument relation to a STATE mention; "
                               "allowed: a role label (actor, recipient)")]),
    ("parent link in both directions",
     case(lambda r: _set(relation(r, "attribution.t2", "attribution.t1"), direction="bi")),
     [("attribution.t2->attribution.t1", 'found direction "bi" between two cues; allowed: right '
                                         "(child -> parent) or left")]),
    ("content region nobody links to",
     case(lambda r: r.remove(relation(r, "attribution.t2", "content.t2.0"))),
     [("content.t2.0", "found a content region that no attribution region links to; allowed: "
                       "content linked from an attribution region"),
      ("attribution.t2", "found a cue with no content; allowed: a cue linked to at least one "
                         "content region")]),
    ("target region nobody links to",
     case(lambda r: r.remove(relation(r, "position.p1", "target.p1"))),
     [("target.p1", "found a target region that no position region links to; allowed: target "
                    "linked from a position region"),
      ("position.p1", "found 0 target links; allowed: exactly one")]),
    ("two sources for one cue",
     case(lambda r: r.append(_relation("attribution.t1", "mention.m2", "source"))),
     [("attribution.t1", "found 2 source links; allowed: at most one")]),
    ("position without holder",
     case(lambda r: r.remove(relation(r, "position.p1", "mention.m3"))),
     [("position.p1", "found 0 holder links; allowed: exactly one")]),
    ("position expressed in two attributions",
     case(lambda r: r.append(_relation("position.p1", "attribution.t1", "attribution"))),
     [("position.p1", "found 2 attribution links; allowed: at most one")]),
    ("actor name on a place",
     case(lambda r: r.append(_text("mention.m4", "actor", span("Istanbul"), "Istanbul"))),
     [("mention.m4", 'found actor "Istanbul" on a LOCATION mention; allowed: actors on PERSON, '
                     "ORGANIZATION, STATE, GROUP mentions only")]),
    ("one actor over mentions of two types",
     case(lambda r: first(r, from_name="actor", id="mention.m2")["value"].update(
         text=["TASS [a1]"])),
     [("mention.m1", 'found actor "TASS" over mentions of types ORGANIZATION, PERSON; allowed: '
                     "one type per actor")]),
    ("one actor id with two names",
     case(lambda r: r.append(_text("mention.m2", "actor", span("Darchiev"), "TASS agency [a1]"))
          or r.remove(first(r, from_name="actor", id="mention.m2"))),
     [("mention.m2", 'found actor [a1] named "TASS agency", elsewhere "TASS"; allowed: one name '
                     "per actor")]),
    ("bare name shared by two actor ids",
     case(lambda r: (first(r, from_name="actor", id="mention.m2")["value"].update(
         text=["TASS [a9]"]), r.append(_text("mention.m3", "actor", span("Moscow"), "TASS")),
         r.remove(first(r, from_name="actor", id="mention.m3")))),
     [("mention.m3", 'found actor name "TASS" without an id, and actors a1, a9 have that name; '
                     "allowed: the name with the id in brackets")]),
    ("two Wikidata ids for one actor",
     case(lambda r: (first(r, from_name="actor", id="mention.m2")["value"].update(
         text=["Russia [a3]"]), first(r, id="mention.m2")["value"].update(labels=["STATE"]),
         r.append(_text("mention.m2", "wikidata", span("Darchiev"), "Q30")))),
     [("mention.m2", 'found Wikidata ids Q159, Q30 for actor "Russia"; allowed: one')]),
    ("malformed Wikidata id",
     case(lambda r: first(r, from_name="wikidata")["value"].update(text=["159"])),
     [("mention.m3", 'found Wikidata id "159"; allowed: Q followed by digits, e.g. Q30')]),
    ("Wikidata id without actor name",
     case(lambda r: r.append(_text("mention.m4", "wikidata", span("Istanbul"), "Q406"))),
     [("mention.m4", "found a Wikidata id on a mention with no actor name; allowed: a Wikidata "
                     "id next to the actor's name")]),
    ("argument role the mention type cannot take",
     case(lambda r: _set(relation(r, "event.e1", "mention.m4"), labels=["actor"])),
     [(None, "document check: $.events[0].arguments[1].mention_id: found a LOCATION mention in "
             "role actor; allowed: PERSON, ORGANIZATION, STATE, GROUP mentions")]),
    ("nested attributions in a cycle",
     case(lambda r: r.append(_relation("attribution.t1", "attribution.t2", "parent"))),
     [(None, "document check: $.attributions[0].parent_id: found a cycle t1 -> t2 -> t1; "
             "allowed: parent_id chains that end at an attribution with no parent")]),
    ("result that is not an object", case(lambda r: r.append("PERSON")),
     [(None, f'found result #{len(BASE)} "PERSON"; allowed: an object')]),
]


def test_cases_are_distinct_and_the_base_is_clean():
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))
    got = convert_task({"id": 1, "data": task_for(DOC), "annotations": [
        {"id": 1, "completed_by": 1, "result": BASE}]})
    assert got.problems == [] and got.gold == DOC


@pytest.fixture(scope="module")
def exported(ls_server, tmp_path_factory):
    """Every case stored by the real server as one task's annotation, then exported."""
    ls = ls_server.client()
    pid, _, _ = ensure_project(ls, "bad results")
    tasks = [{"data": dict(task_for(DOC), case=name),
              "annotations": [{"result": results}]} for name, results, _ in CASES]
    ls.projects.import_tasks(pid, request=tasks)
    export = download_export(ls, pid, tmp_path_factory.mktemp("bad") / "export.json")
    with open(export, "rb") as fh:
        by_case = {t["data"]["case"]: t for t in iter_export(fh)}
    return export, by_case


@pytest.mark.parametrize("name,results,expected", CASES, ids=[c[0] for c in CASES])
def test_each_bad_result_is_reported_exactly(exported, name, results, expected):
    _, by_case = exported
    task = by_case[name]
    assert task["annotations"][0]["result"] == json.loads(json.dumps(results))  # stored as sent
    got = convert_task(task)
    assert got.gold is None and got.by_annotator == {}
    ann = task["annotations"][0]["id"]
    assert [(p.task_id, p.annotation_id, p.region_id, p.message) for p in got.problems] == \
        [(task["id"], ann, region, message) for region, message in expected]
    prefix = f"task {task['id']} ({DOC.id}): annotation {ann}: "
    assert str(got.problems[0]).startswith(prefix)


def test_pull_reports_every_problem_and_writes_nothing(exported, tmp_path):
    export, by_case = exported
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "communique", "ls", "pull", str(out),
                           "--export", str(export)], capture_output=True, text=True)
    assert done.returncode == 2
    expected = sum(len(c[2]) for c in CASES)
    assert done.stderr.count(f"({DOC.id}): annotation ") == expected
    assert f"ls pull: {expected} problem(s); nothing written" in done.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary folder left behind


def test_likely_slips_are_pulled_with_a_warning():
    """Valid but probably wrong: an empty submission, and a second actor with an existing
    actor's name (the Actor field left empty, or the name typed differently)."""
    got = convert_task({"id": 7, "data": task_for(DOC), "annotations": [
        {"id": 3, "completed_by": 1, "result": []}]})
    assert got.problems == [] and got.gold is not None
    assert got.warnings == [f"task 7 ({DOC.id}), annotation 3: no regions at all; the document "
                            "is pulled with empty layers"]
    noted = copy.deepcopy(BASE)
    first(noted, id="mention.m1")["meta"] = {"text": ["is TASS an actor here?"]}
    got = convert_task({"id": 9, "data": task_for(DOC), "annotations": [
        {"id": 5, "completed_by": 1, "result": noted}]})
    assert got.problems == [] and got.gold == DOC
    assert got.warnings == [f"task 9 ({DOC.id}), annotation 5: region(s) mention.m1 carry a note "
                            "(meta text), which the corpus has no place for and is not pulled; "
                            "raise the question in an issue or the guidelines instead"]
    # the annotator meant Russia but typed its name without the id and in lower case
    results = copy.deepcopy(BASE)
    results.append(_text("mention.m4", "actor", span("Istanbul"), "russia"))
    results = [dict(r, value=dict(r["value"], labels=["STATE"])) if r.get("id") == "mention.m4"
               and r.get("from_name") == "mention" else r for r in results
               if r.get("to_id") != "mention.m4"]  # Istanbul is no longer the location
    got = convert_task({"id": 8, "data": task_for(DOC), "annotations": [
        {"id": 4, "completed_by": 1, "result": results}]})
    assert got.problems == [], got.problems
    new = next(a for a in got.gold.actors if a.name == "russia")
    assert got.warnings == [
        f"task 8 ({DOC.id}), annotation 4: actors a3 'Russia' (1 mention(s)), {new.id} 'russia' "
        "(1 mention(s)) have the same name; if they are one actor, type its name in the Actor "
        "field of each of its regions"]


def test_a_task_whose_text_was_edited_is_named_by_its_document():
    data = dict(task_for(DOC), text=DOC.text + " Edited.")
    got = convert_task({"id": 11, "data": data, "annotations": [
        {"id": 6, "completed_by": 1, "result": BASE}]})
    assert got.gold is None and len(got.problems) == 1
    assert str(got.problems[0]).startswith(f"task 11 ({DOC.id}): ")


def test_same_named_collectives_are_not_a_slip():
    """Two audiences named "reporters" are two actors (rule C3); two actors named "Russia" are
    probably one."""
    from communique.annotation.pull import annotation_warnings

    text = "Russia told reporters, and Russia later told reporters again."
    spans = {w: [i for i in range(len(text)) if text.startswith(w, i)] for w in ("Russia", "reporters")}
    mentions = [Mention(f"m{k}", s, s + len(w), w, "STATE" if w == "Russia" else "GROUP")
                for k, (w, s) in enumerate(((w, s) for w in spans for s in spans[w]), 1)]
    doc = Document.new(id=document_id_for(text), text=text, date="2025-04-11", source="test",
                       license="CC0", provenance="synthetic").with_layers(
        mentions=mentions,
        actors=[Actor(f"a{m.id[1:]}", m.text, m.type, (m.id,)) for m in mentions])
    assert validate_document(doc.to_dict()) == []
    assert annotation_warnings("w", doc, [{}]) == [
        "w: actors a1 'Russia' (1 mention(s)), a2 'Russia' (1 mention(s)) have the same name; if "
        "they are one actor, type its name in the Actor field of each of its regions"]
