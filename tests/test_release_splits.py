"""The split registry: hand-computed assignments of new documents, stability of known ones, and
the messages for a broken registry file."""

from __future__ import annotations

import json

import pytest

from communique.corpus.release_splits import RegistryError, SplitRegistry, split_sizes

# sha256 prefixes: doc-a 1fb08630, doc-b 23a63855, doc-d 4cb9a1a3, doc-e df58583f, doc-c f3314b01,
# so new documents are taken in the order a, b, d, e, c.
CASES = [
    # (known assignments, documents being released, expected assignment of every document)
    # With the seed in test (1 of n): each new document goes to the split whose count is
    # furthest below 60/20/20 of the running total, ties in the order train, validation, test.
    # a: total 2, deficits 1.2/0.4/-0.6 -> train; b: 3, 0.8/0.6/-0.4 -> train;
    # d: 4, 0.4/0.8/-0.2 -> validation; e: 5, 1.0/0.0/0.0 -> train; c: 6, 0.6/0.2/0.2 -> train.
    ({"seed": "test"}, ["seed", "doc-a", "doc-b", "doc-c", "doc-d", "doc-e"],
     {"seed": "test", "doc-a": "train", "doc-b": "train", "doc-d": "validation",
      "doc-e": "train", "doc-c": "train"}),
    # Empty registry: a: 1, 0.6/0.2/0.2 -> train; b: 2, 0.2/0.4/0.4 -> validation (tie before
    # test); d: 3, 0.8/-0.4/0.6 -> train; e: 4, 0.4/-0.2/0.8 -> test; c: 5, 1.0/0.0/0.0 -> train.
    ({}, ["doc-c", "doc-b", "doc-a", "doc-e", "doc-d"],
     {"doc-a": "train", "doc-b": "validation", "doc-d": "train", "doc-e": "test",
      "doc-c": "train"}),
    # Known documents never move, even when the shares are far off.
    ({"doc-a": "test", "doc-b": "test", "doc-c": "test"}, ["doc-a", "doc-b", "doc-c"],
     {"doc-a": "test", "doc-b": "test", "doc-c": "test"}),
]


@pytest.mark.parametrize("known, ids, expected", CASES)
def test_assignment_table(known, ids, expected):
    registry = SplitRegistry(dict(known))
    assert registry.assign(ids) == {d: expected[d] for d in ids}
    assert registry.added == [d for d in expected if d not in known]


def test_registry_round_trip_and_sizes(tmp_path):
    registry = SplitRegistry({"seed": "test"})
    registry.assign(["seed", "doc-a", "doc-b"])
    path = tmp_path / "splits.json"
    registry.save(path)
    again = SplitRegistry.load(path)
    assert again.assignments == {"doc-a": "train", "doc-b": "train", "seed": "test"}
    assert split_sizes(again.assignments) == {"train": 2, "validation": 0, "test": 1}
    assert list(json.loads(path.read_text())["assignments"]) == ["doc-a", "doc-b", "seed"]


@pytest.mark.parametrize("text, message", [
    ("{", "{path}: invalid JSON: Expecting property name enclosed in double quotes at line 1"),
    ("[]", "{path}: found no object \"assignments\"; allowed: {{\"assignments\": {{document id: "
           "split}}}}"),
    ('{"assignments": {"x": "dev"}}', "{path}: $.assignments: found 'x': 'dev'; allowed splits: "
                                      "train, validation, test"),
])
def test_broken_registry_messages(tmp_path, text, message):
    path = tmp_path / "splits.json"
    path.write_text(text)
    with pytest.raises(RegistryError) as e:
        SplitRegistry.load(path)
    assert str(e.value) == message.format(path=path)
