"""One broken document per problem class, each with the exact message the validator gives.

The base is `tests/fixtures/mini.json`, a small valid document with all five layers; each case
breaks one thing. Messages are pinned in full: they are the user interface of validation.
"""

import copy
import hashlib
import json
from pathlib import Path

import pytest

from communique.schemas.model import Document
from communique.schemas.validate import validate_document

FIXTURE = Path(__file__).parent / "fixtures" / "mini.json"
BASE = json.loads(FIXTURE.read_text(encoding="utf-8"))


def _nfd_tail(d):
    text = d["text"] + "e\u0301"
    d.update(text=text, text_sha256=hashlib.sha256(text.encode()).hexdigest())


CASES = [
    ("missing_field", lambda d: d.pop("license"),
     ['$.license: missing required field']),
    ("missing_label", lambda d: d["mentions"][0].pop("type"),
     ['$.mentions[0].type: missing required field; allowed: one of PERSON, ORGANIZATION, STATE, GROUP, LOCATION, TIME']),
    ("edge_space", lambda d: d["mentions"][1].update(start=10, text=" Chile"),
     ['$.mentions[1]: found [10, 16) " Chile", which starts or ends with white space; allowed: a span that starts and ends on text ([11, 16))']),
    ("duplicate_mention", lambda d: (d["mentions"].append(dict(d["mentions"][1], id="m99")),
                                     d["actors"][1]["mention_ids"].append("m99")),
     ['$.mentions[8]: found a second STATE mention over [11, 16) (the first is $.mentions[1]); allowed: one mention per span and type']),
    ("unknown_field", lambda d: d["mentions"][0].update(colour="red"),
     ['$.mentions[0].colour: unknown field; allowed fields: id, start, end, text, type']),
    ("integral_float", lambda d: d["mentions"][0].update(start=0.0),
     ['$.mentions[0].start: found number 0.0; allowed: integer']),
    ("wrong_type", lambda d: d["mentions"][0].update(start="0"),
     ['$.mentions[0].start: found string "0"; allowed: integer']),
    ("bad_label", lambda d: d["mentions"][1].update(type="COUNTRY"),
     ['$.mentions[1].type: found "COUNTRY"; allowed: one of PERSON, ORGANIZATION, STATE, GROUP, LOCATION, TIME']),
    ("bad_sha_pattern", lambda d: d.update(text_sha256="abc"),
     ['$.text_sha256: found "abc"; allowed: a string matching ^[0-9a-f]{64}$']),
    ("empty_actor", lambda d: d["actors"][1].update(mention_ids=[]),
     ['$.actors[1].mention_ids: found 0 items; allowed: at least 1', '$.mentions[1]: found STATE mention "m2" "Chile" in no actor; allowed: every actor-type mention in exactly one actor (a singleton actor if mentioned once)']),
    ("end_past_text", lambda d: d["events"][0]["trigger"].update(end=9999),
     ['$.events[0].trigger: found end 9999; allowed: end <= 158 (the text has 158 code points)']),
    ("empty_span", lambda d: d["mentions"][0].update(end=0),
     ['$.mentions[0]: found start 0, end 0; allowed: start < end (offsets are half-open [start, end) code points)']),
    ("text_mismatch", lambda d: d["mentions"][1].update(text="Chili"),
     ['$.mentions[1].text: found "Chili"; allowed: the text at [11, 16), which is "Chile"']),
    ("dup_id", lambda d: d["mentions"][1].update(id="m1"),
     ['$.mentions[1].id: found "m1", already used by $.mentions[0]; allowed: ids unique within mentions', '$.actors[1].mention_ids[0]: found "m2", which is no id in mentions; allowed: an id of mentions (m1, m3, m4, m5, m6, m7, m8)', '$.events[0].arguments[1].mention_id: found "m2", which is no id in mentions; allowed: an id of mentions (m1, m3, m4, m5, m6, m7, m8)']),
    ("dangling_actor_mention", lambda d: d["actors"][0].update(mention_ids=["m99"]),
     ['$.actors[0].mention_ids[0]: found "m99", which is no id in mentions; allowed: an id of mentions (m1, m2, m3, m4, m5, m6, m7, m8)', '$.mentions[0]: found STATE mention "m1" "Norway" in no actor; allowed: every actor-type mention in exactly one actor (a singleton actor if mentioned once)']),
    ("dangling_source", lambda d: d["attributions"][0].update(source_id="m42"),
     ['$.attributions[0].source_id: found "m42", which is no id in mentions; allowed: an id of mentions (m1, m2, m3, m4, m5, m6, m7, m8)']),
    ("dangling_holder", lambda d: d["positions"][0].update(holder_id="zz"),
     ['$.positions[0].holder_id: found "zz", which is no id in mentions; allowed: an id of mentions (m1, m2, m3, m4, m5, m6, m7, m8)']),
    ("dangling_arg", lambda d: d["events"][1]["arguments"][0].update(mention_id="m77"),
     ['$.events[1].arguments[0].mention_id: found "m77", which is no id in mentions; allowed: an id of mentions (m1, m2, m3, m4, m5, m6, m7, m8)']),
    ("dangling_parent", lambda d: d["attributions"][1].update(parent_id="t9"),
     ['$.attributions[1].parent_id: found "t9", which is no id in attributions; allowed: an id of attributions (t1, t2)']),
    ("dangling_attr", lambda d: d["positions"][0].update(attribution_id="t5"),
     ['$.positions[0].attribution_id: found "t5", which is no id in attributions; allowed: an id of attributions (t1, t2)']),
    ("mention_two_actors", lambda d: d["actors"][1]["mention_ids"].append("m1"),
     ['$.actors[1].mention_ids[1]: found "m1", already in actor "a1"; allowed: a mention belongs to at most one actor']),
    ("cycle", lambda d: (d["attributions"][0].update(parent_id="t2"), d["attributions"][1].update(parent_id="t1")),
     ['$.attributions[0].parent_id: found a cycle t1 -> t2 -> t1; allowed: parent_id chains that end at an attribution with no parent']),
    ("sha_mismatch", lambda d: d.update(text_sha256="0"*64),
     ['$.text_sha256: found 0000000000000000000000000000000000000000000000000000000000000000; allowed: 5f7993b2d0c989b779904e544e4b4b4520eec2767c027e653b93ca63bf9a890e, the SHA-256 of the text']),
    ("not_nfc", _nfd_tail ,
     ['$.text: found text not in NFC near code point 158; allowed: NFC-normalised text (normalise before annotating)']),
    ("bad_date", lambda d: d.update(date="2025-02-30"),
     ['$.date: found "2025-02-30"; allowed: a real calendar date YYYY-MM-DD']),
    ("role_type", lambda d: d["events"][0]["arguments"][2].update(mention_id="m1"),
     ['$.events[0].arguments[2].mention_id: found a STATE mention in role location; allowed: LOCATION mentions']),
    ("source_not_actor", lambda d: d["attributions"][0].update(source_id="m3"),
     ['$.attributions[0].source_id: found "m3", a LOCATION mention; allowed: a mention of an actor type (GROUP, ORGANIZATION, PERSON, STATE)']),
    ("mention_type_vs_actor", lambda d: d["actors"][0].update(type="ORGANIZATION"),
     ['$.actors[0].mention_ids[0]: found mention "m1" of type STATE in actor of type ORGANIZATION; allowed: mentions of type ORGANIZATION only']),
    ("unclustered", lambda d: d["actors"].pop(2),
     ['$.mentions[4]: found GROUP mention "m5" "officials" in no actor; allowed: every actor-type mention in exactly one actor (a singleton actor if mentioned once)']),
    ("content_order", lambda d: d["attributions"][1].update(content=list(reversed(d["attributions"][1]["content"]))),
     ['$.attributions[1].content[1]: found start 79 before the end 156 of the previous fragment; allowed: fragments in text order, not overlapping']),]


def test_base_fixture_is_valid():
    assert validate_document(BASE, "mini.json") == []


@pytest.mark.parametrize("name,mutate,expected", CASES, ids=[c[0] for c in CASES])
def test_broken_document_message(name, mutate, expected):
    doc = copy.deepcopy(BASE)
    mutate(doc)
    problems = validate_document(doc, "mini.json")
    assert [str(p) for p in problems] == [f"mini.json: mini-0001: {m}" for m in expected]


def test_every_problem_is_reported_not_only_the_first():
    doc = copy.deepcopy(BASE)
    doc["mentions"][1]["type"] = "COUNTRY"
    doc["events"][0]["trigger"]["end"] = 9999
    doc["positions"][0]["holder_id"] = "zz"
    paths = [p.path for p in validate_document(doc, "mini.json")]
    assert paths == ["$.mentions[1].type", "$.events[0].trigger", "$.positions[0].holder_id"]


def test_not_an_object():
    assert [str(p) for p in validate_document([1, 2], "x.json")] == [
        "x.json: ?: $: found array; allowed: a JSON object (one document)"]


@pytest.mark.parametrize("field,value", [("type", ["PERSON"]), ("start", {"a": 1}),
                                         ("end", [3])])
def test_unhashable_mention_fields_are_reported_not_crashed(field, value):
    from communique.schemas.validate import validate_prediction

    doc = copy.deepcopy(BASE)
    doc["mentions"][0][field] = value
    problems = validate_document(doc, "x")
    assert any(p.path == f"$.mentions[0].{field}" for p in problems), problems
    line = {"id": BASE["id"], "mentions": [dict(BASE["mentions"][0], **{field: value})]}
    found = validate_prediction(line, {BASE["id"]: Document.from_dict(BASE)}, "p:1")
    assert any(p.path == f"$.mentions[0].{field}" for p in found), found


def _leaf_paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaf_paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaf_paths(v, prefix + (i,))
    else:
        yield prefix


@pytest.mark.parametrize("bad", [[1], {"x": 1}, None, True, 1.5], ids=repr)
def test_any_field_of_any_kind_is_a_problem_never_a_crash(bad):
    """Every leaf of the fixture replaced by a value of another kind: validating it as a
    document and as a prediction line gives problems (or none), never an exception."""
    from communique.schemas.validate import validate_prediction

    gold = {BASE["id"]: Document.from_dict(BASE)}
    for path in _leaf_paths(BASE):
        doc = copy.deepcopy(BASE)
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = bad
        validate_document(doc, "x")
        line = {k: v for k, v in doc.items() if k in ("id", "mentions", "actors", "events",
                                                        "attributions", "positions")}
        validate_prediction(line, gold, "p:1")
