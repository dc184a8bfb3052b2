"""The validator's fast path (msgspec, `communique.schemas.fastcheck`, which the release build
relies on for speed) never accepts an object that jsonschema rejects: randomised comparison on
mutated documents and prediction lines."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from communique.corpus.release_synth import synthetic_document
from communique.schemas import validate
from communique.schemas.json_schema import document_schema, prediction_schema

BASE = synthetic_document(3, chars=200, sentences=2, positions=1)
PREDICTION = {k: BASE[k] for k in ("id", "mentions", "actors", "events", "attributions",
                                   "positions")}
SCHEMAS = {"document": (BASE, document_schema()), "prediction": (PREDICTION, prediction_schema())}
VALUES = st.sampled_from([None, "", "x", "PERSONA", -1, 0, 7, 1.5, True, [], {}, ["m1"],
                          {"start": 0, "end": 1}, "2025-02-30", "Q0", "cmq-1", "A" * 70])


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:2]):
            out += _paths(v, prefix + (i,))
    return out


PATHS = _paths(BASE)  # the prediction's paths are a subset


def _mutate(doc: dict, path: tuple, action: str, value: Any) -> dict:
    out = copy.deepcopy(doc)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "set":
        parent[last] = value
    elif action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "extra" and isinstance(parent, dict):
        parent["unexpected"] = value
    return out


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(sorted(SCHEMAS)),
       st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "delete", "extra"]),
                          VALUES), min_size=1, max_size=3))
def test_fast_path_accepts_only_what_jsonschema_accepts(kind, mutations):
    doc, schema = SCHEMAS[kind]
    for path, action, value in mutations:
        try:
            doc = _mutate(doc, path, action, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced the place
    fast = validate._fast_validator(kind)
    try:
        fast(doc)
        accepted = True
    except Exception:
        accepted = False
    slow = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    if accepted:
        assert slow == []


def test_fast_path_is_in_use_and_rejects_a_bad_label():
    for kind, (obj, _) in SCHEMAS.items():
        fast = validate._fast_validator(kind)
        assert fast is not None
        fast(obj)
    bad = _mutate(BASE, ("mentions", 0, "type"), "set", "PERSONA")
    problems = validate.validate_document(bad, "x.json")
    assert [str(p) for p in problems] == [
        f"x.json: {BASE['id']}: $.mentions[0].type: found \"PERSONA\"; allowed: one of PERSON, "
        "ORGANIZATION, STATE, GROUP, LOCATION, TIME"]
