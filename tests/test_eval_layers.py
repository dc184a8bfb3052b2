"""Hand-computed scores for actors (MUC, B³, CEAF-e), events, attributions and positions, and
identity (gold against itself is 1.0 everywhere) on a generated corpus."""

from __future__ import annotations

import pytest

from communique.eval.score import result_json, score_documents
from communique.eval.synthetic import corpus
from communique.schemas.model import LAYERS


def at(text: str, phrase: str, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(phrase, start + 1)
    return {"start": start, "end": start + len(phrase), "text": phrase}


def scores(gold: dict, pred: dict, layers: list[str]) -> dict:
    tally, *_ = score_documents([(gold, pred)], layers)
    return result_json(tally, "s")["layers"]


def prf(block: dict) -> tuple[float, float, float]:
    return block["precision"], block["recall"], block["f1"]


def test_coreference_by_hand():
    """Key {a,b,c} {d,e,f,g}; response {a,b} {c,d} {f,g,h,i} (mentions by offsets).
    MUC R = P = 2/5. B³ R = (5/3 + 5/4)/7 = 5/12, P = (2 + 1 + 1)/8 = 1/2.
    CEAF-e: φ4({a,b,c},{a,b}) = 4/5 and φ4({d,e,f,g},{f,g,h,i}) = 1/2, so R = 1.3/2, P = 1.3/3."""
    letter = {c: (10 * k, 10 * k + 5) for k, c in enumerate("abcdefghi")}

    def doc(clusters):
        mentions, actors = [], []
        for k, cluster in enumerate(clusters):
            ids = [f"m{c}" for c in cluster]
            mentions += [{"id": f"m{c}", "start": letter[c][0], "end": letter[c][1],
                          "type": "PERSON"} for c in cluster]
            actors.append({"id": f"a{k}", "name": "?", "type": "PERSON", "mention_ids": ids})
        return {"id": "d", "text": "x" * 100, "mentions": mentions, "actors": actors}

    out = scores(doc(["abc", "defg"]), doc(["ab", "cd", "fghi"]), ["mentions", "actors"])["actors"]
    assert out["muc"]["recall"] == pytest.approx(2 / 5)
    assert out["muc"]["precision"] == pytest.approx(2 / 5)
    assert out["b3"]["recall"] == pytest.approx(5 / 12, abs=1e-6)
    assert out["b3"]["precision"] == pytest.approx(1 / 2)
    assert out["ceafe"]["recall"] == pytest.approx(0.65)
    assert out["ceafe"]["precision"] == pytest.approx(1.3 / 3, abs=1e-6)
    f = [2 * p * r / (p + r) for p, r in ((0.4, 0.4), (0.5, 5 / 12), (1.3 / 3, 0.65))]
    assert out["conll_f1"] == pytest.approx(sum(f) / 3, abs=1e-6)


def test_events_plain_and_coreference_aware_arguments():
    """Gold CONSULT at [0, 5) with actor m1 (actor A = {m1, m2}) and recipient m3; predicted
    CONSULT at [0, 5) with actor at m2's offsets and actor (wrong role) at m3's offsets.
    Arg-I: only m3's offsets match (1/2). Arg-C: none. Coreference-aware Arg-I: both (2/2);
    Arg-C: the actor one (1/2)."""
    mentions = [{"id": "m1", "start": 10, "end": 15, "type": "STATE"},
                {"id": "m2", "start": 20, "end": 25, "type": "STATE"},
                {"id": "m3", "start": 30, "end": 35, "type": "PERSON"}]
    gold = {"id": "d", "text": "x" * 100, "mentions": mentions,
            "actors": [{"id": "a1", "name": "A", "type": "STATE", "mention_ids": ["m1", "m2"]},
                       {"id": "a2", "name": "B", "type": "PERSON", "mention_ids": ["m3"]}],
            "events": [{"id": "e1", "type": "CONSULT", "trigger": {"start": 0, "end": 5},
                        "modality": "asserted",
                        "arguments": [{"role": "actor", "mention_id": "m1"},
                                      {"role": "recipient", "mention_id": "m3"}]}]}
    pred = {"id": "d", "mentions": [{"id": "x", "start": 20, "end": 25, "type": "STATE"},
                                    {"id": "y", "start": 30, "end": 35, "type": "PERSON"}],
            "events": [{"id": "p", "type": "CONSULT", "trigger": {"start": 0, "end": 5},
                        "modality": "asserted",
                        "arguments": [{"role": "actor", "mention_id": "x"},
                                      {"role": "actor", "mention_id": "y"}]},
                       {"id": "q", "type": "ACCUSE", "trigger": {"start": 0, "end": 5},
                        "modality": "asserted", "arguments": []}]}
    out = scores(gold, pred, ["events"])["events"]
    assert prf(out["tri_i"]) == (0.5, 1.0, pytest.approx(2 / 3, abs=1e-6))
    assert prf(out["tri_c"]) == (0.5, 1.0, pytest.approx(2 / 3, abs=1e-6))
    assert prf(out["arg_i"]) == (0.5, 0.5, 0.5)
    assert prf(out["arg_c"]) == (0.0, 0.0, 0.0)
    assert prf(out["arg_i_coref"]) == (1.0, 1.0, 1.0)
    assert prf(out["arg_c_coref"]) == (0.5, 0.5, 0.5)
    assert out["tri_c"]["per_type"]["ACCUSE"]["precision"] == 0.0
    assert prf(out["tri_c"]["per_type"]["CONSULT"]) == (1.0, 1.0, 1.0)


TEXT = "TASS cited Darchiev as saying the talks were useful and constructive , he added ."


def _attribution_docs(pred_source: str, pred_parent: str | None):
    t = TEXT
    mentions = [{"id": "m1", **at(t, "TASS"), "type": "ORGANIZATION"},
                {"id": "m2", **at(t, "Darchiev"), "type": "PERSON"},
                {"id": "m3", **at(t, "he", 1), "type": "PERSON"}]
    outer = at(t, "Darchiev as saying the talks were useful and constructive")
    gold = {"id": "d", "text": t, "mentions": mentions,
            "attributions": [
                {"id": "t1", "type": "indirect", "source_id": "m1", "cue": at(t, "cited"),
                 "content": [outer], "parent_id": None},
                {"id": "t2", "type": "indirect", "source_id": "m2", "cue": at(t, "as saying"),
                 "content": [at(t, "the talks were useful and constructive")], "parent_id": "t1"}]}
    pred = {"id": "d", "mentions": mentions,
            "attributions": [
                {"id": "p1", "type": "indirect", "source_id": "m1", "cue": at(t, "cited"),
                 "content": [outer], "parent_id": None},
                {"id": "p2", "type": "indirect", "source_id": pred_source, "cue": at(t, "saying"),
                 "content": [at(t, "talks were useful")], "parent_id": pred_parent}]}
    return gold, pred


@pytest.mark.parametrize("source, parent, relation_overlap", [
    ("m3", "p1", 0.5),   # "he" does not overlap "Darchiev": the nested relation fails
    ("m2", "p1", 1.0),   # every component overlaps and the parent link holds
    ("m2", None, 0.5),   # the nested attribution lost its parent link
])
def test_attributions_by_hand(source, parent, relation_overlap):
    """Cues: "cited" exact; "saying" (1 token) inside "as saying" (2): coverage 1 of the
    prediction, 1/2 of the gold -> overlap P = 2/2, R = 1.5/2. Contents: the outer one exact;
    "talks were useful" (3 tokens) inside the 6-token gold: P = 2/2, R = 1.5/2."""
    gold, pred = _attribution_docs(source, parent)
    out = scores(gold, pred, ["attributions"])["attributions"]
    assert prf(out["cue"]["exact"]) == (0.5, 0.5, 0.5)
    assert prf(out["cue"]["overlap"])[:2] == (1.0, 0.75)
    assert prf(out["content"]["exact"]) == (0.5, 0.5, 0.5)
    assert prf(out["content"]["overlap"])[:2] == (1.0, 0.75)
    src = 1.0 if source == "m2" else 0.5
    assert prf(out["source"]["exact"])[:2] == (src, src)
    assert prf(out["source"]["overlap"])[:2] == (src, src)
    assert prf(out["relation"]["exact"]) == (0.5, 0.5, 0.5)
    assert prf(out["relation"]["overlap"])[:2] == (relation_overlap, relation_overlap)


def test_positions_by_hand():
    """Holder by actor: "Moscow" stands for Russia's actor. Both targets overlap; one stance
    differs: relation 1/2, stance accuracy 1/2; support F1 0, oppose F1 2/3 -> macro 1/3."""
    t = "Russia opposed the proposal while Moscow backed the plan and Lavrov rejected sanctions ."
    mentions = [{"id": "m1", **at(t, "Russia"), "type": "STATE"},
                {"id": "m2", **at(t, "Moscow"), "type": "STATE"},
                {"id": "m3", **at(t, "Lavrov"), "type": "PERSON"}]
    gold = {"id": "d", "text": t, "mentions": mentions,
            "actors": [{"id": "a1", "name": "Russia", "type": "STATE", "mention_ids": ["m1", "m2"]},
                       {"id": "a2", "name": "Lavrov", "type": "PERSON", "mention_ids": ["m3"]}],
            "positions": [
                {"id": "p1", "holder_id": "m1", "stance": "oppose", "target": at(t, "the proposal"),
                 "evidence": at(t, "opposed"), "attribution_id": None},
                {"id": "p2", "holder_id": "m3", "stance": "support", "target": at(t, "sanctions"),
                 "evidence": at(t, "rejected"), "attribution_id": None}]}
    pred = {"id": "d", "mentions": [{"id": "x", **at(t, "Moscow"), "type": "STATE"},
                                    {"id": "y", **at(t, "Lavrov"), "type": "PERSON"}],
            "positions": [
                {"id": "q1", "holder_id": "x", "stance": "oppose", "target": at(t, "proposal"),
                 "evidence": at(t, "opposed"), "attribution_id": None},
                {"id": "q2", "holder_id": "y", "stance": "oppose",
                 "target": at(t, "rejected sanctions"), "evidence": at(t, "rejected"),
                 "attribution_id": None}]}
    out = scores(gold, pred, ["positions"])["positions"]
    assert prf(out["holder"]) == (1.0, 1.0, 1.0)
    assert prf(out["target"]) == (1.0, 1.0, 1.0)
    assert prf(out["relation"]) == (0.5, 0.5, 0.5)
    assert out["stance_accuracy"] == 0.5
    assert out["stance_macro_f1"] == pytest.approx(1 / 3, abs=1e-6)


def test_gold_scored_against_itself_is_one_everywhere():
    pairs = [(g, {"id": g["id"], **{k: g[k] for k in LAYERS}}) for g, _ in corpus(150, seed=9)]
    tally, *_ = score_documents(pairs)
    result = result_json(tally, "s")
    seen = []

    def walk(node, path):
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, f"{path}/{key}")
            elif key in ("precision", "recall", "f1", "conll_f1", "stance_accuracy",
                         "stance_macro_f1", "macro_f1", "macro_precision", "macro_recall"):
                seen.append((f"{path}/{key}", value))

    walk(result["layers"], "")
    assert len(seen) > 150
    assert [p for p, v in seen if v != 1.0] == []
    assert set(result["layers"]) == set(LAYERS)


def test_empty_predictions_score_zero_on_every_layer():
    pairs = [(g, {"id": g["id"], **{k: [] for k in LAYERS}}) for g, _ in corpus(20, seed=4)]
    tally, *_ = score_documents(pairs)
    layers = result_json(tally, "s")["layers"]
    assert layers["mentions"]["strict"]["f1"] == 0.0
    assert layers["mentions"]["strict"]["mis"] == sum(len(g["mentions"]) for g, _ in pairs)
    assert layers["actors"]["conll_f1"] == 0.0
    assert layers["events"]["arg_c_coref"]["recall"] == 0.0
    assert layers["attributions"]["relation"]["overlap"]["f1"] == 0.0
    assert layers["positions"]["relation"]["f1"] == 0.0


def test_columns_are_the_same_whatever_the_packing_interval(monkeypatch):
    import numpy as np

    from communique.eval import columns

    pairs = list(corpus(30, seed=1))
    monkeypatch.setattr(columns, "FLUSH_DOCS", 7)
    small = columns.build_sides(pairs)[:2]
    monkeypatch.setattr(columns, "FLUSH_DOCS", 4096)
    large = columns.build_sides(pairs)[:2]
    for a, b in zip(small, large, strict=True):
        for table, cols in columns._TABLES.items():
            for c in cols:
                assert np.array_equal(getattr(a, table)[c], getattr(b, table)[c]), (table, c)


@pytest.mark.parametrize("parent, expected", [("p1", 1.0), (None, 0.5)])
def test_exact_relation_counts_a_nested_attribution_only_with_its_parent_link(parent, expected):
    gold, pred = _attribution_docs("m2", parent)
    pred["attributions"][1].update(cue=gold["attributions"][1]["cue"],
                                   content=gold["attributions"][1]["content"])
    out = scores(gold, pred, ["attributions"])["attributions"]
    assert prf(out["relation"]["exact"]) == (expected, expected, expected)
    assert prf(out["cue"]["exact"]) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_absent_from_a_line_scores_as_if_the_document_were_not_there(layer):
    pairs = list(corpus(12, seed=17))
    partial = [(g, {k: v for k, v in p.items() if not (k == layer and i == 3)})
               for i, (g, p) in enumerate(pairs)]
    if layer == "mentions":  # the other layers refer to the mentions: drop them all there
        partial[3] = (pairs[3][0], {"id": pairs[3][1]["id"]})
    tally, *_ = score_documents(partial, [layer])
    with_absent = result_json(tally, "s")["layers"][layer]
    tally, *_ = score_documents(pairs[:3] + pairs[4:], [layer])
    without = result_json(tally, "s")["layers"][layer]
    assert with_absent.pop("documents") == 11 and without.pop("documents") == 11
    assert with_absent == without
