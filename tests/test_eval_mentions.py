"""Mention scoring: hand-computed SemEval-2013 counts for the four schemes, including the cases
that break greedy scorers (a gold span predicted as two pieces, overlapping predictions, a
prediction over two gold spans), per-type and macro scores, identity and empty predictions."""

from __future__ import annotations

import pytest

from communique.eval.score import result_json, score_documents
from communique.eval.stats import PRF

TEXT = "x" * 100


def doc(mentions, doc_id="d1"):
    return {"id": doc_id, "text": TEXT,
            "mentions": [{"id": f"m{k}", "start": s, "end": e, "type": t}
                         for k, (s, e, t) in enumerate(mentions)]}


def counts(gold, pred):
    tally, *_ = score_documents([(doc(gold), doc(pred))], layers=["mentions"])
    return {s: tally.semeval[f"mentions/{s}"].sum(axis=0).astype(int).tolist()
            for s in ("strict", "exact", "partial", "type")}


# Each row: gold spans, predicted spans, then [cor, inc, par, mis, spu] for strict, exact,
# partial, type — computed by hand from the definitions in eval/README.md.
CASES = {
    "exact match": (
        [(0, 10, "PERSON")], [(0, 10, "PERSON")],
        [1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0]),
    "same bounds, wrong type": (
        [(0, 10, "PERSON")], [(0, 10, "STATE")],
        [0, 1, 0, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 1, 0, 0, 0]),
    "overlap, right type": (
        [(0, 10, "PERSON")], [(5, 15, "PERSON")],
        [0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [1, 0, 0, 0, 0]),
    "overlap, wrong type": (
        [(0, 10, "PERSON")], [(5, 15, "GROUP")],
        [0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 1, 0, 0, 0]),
    "touching is no overlap (half-open ends)": (
        [(0, 10, "PERSON")], [(10, 20, "PERSON")],
        [0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1]),
    "one gold span predicted as two pieces": (
        [(0, 20, "PERSON")], [(0, 8, "PERSON"), (10, 20, "PERSON")],
        [0, 1, 0, 0, 1], [0, 1, 0, 0, 1], [0, 0, 1, 0, 1], [1, 0, 0, 0, 1]),
    "two pieces, only the second with the right type": (
        [(0, 20, "PERSON")], [(0, 8, "STATE"), (10, 20, "PERSON")],
        [0, 1, 0, 0, 1], [0, 1, 0, 0, 1], [0, 0, 1, 0, 1], [1, 0, 0, 0, 1]),
    "overlapping predictions, the exact one listed second": (
        [(0, 10, "PERSON")], [(2, 8, "PERSON"), (0, 10, "PERSON")],
        [1, 0, 0, 0, 1], [1, 0, 0, 0, 1], [1, 0, 0, 0, 1], [1, 0, 0, 0, 1]),
    "one prediction over two gold spans": (
        [(0, 10, "PERSON"), (12, 20, "STATE")], [(0, 20, "STATE")],
        [0, 1, 0, 1, 0], [0, 1, 0, 1, 0], [0, 0, 1, 1, 0], [1, 0, 0, 1, 0]),
    "chain: a straddling prediction must not take the exact one's gold": (
        [(12, 20, "PERSON"), (0, 10, "PERSON")], [(8, 14, "PERSON"), (12, 20, "PERSON")],
        [1, 1, 0, 0, 0], [1, 1, 0, 0, 0], [1, 0, 1, 0, 0], [2, 0, 0, 0, 0]),
    "nothing predicted": (
        [(0, 10, "PERSON"), (20, 30, "TIME")], [],
        [0, 0, 0, 2, 0], [0, 0, 0, 2, 0], [0, 0, 0, 2, 0], [0, 0, 0, 2, 0]),
    "nothing to find": (
        [], [(0, 10, "PERSON")],
        [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1]),
}


@pytest.mark.parametrize("name", CASES)
def test_semeval_counts_by_hand(name):
    gold, pred, strict, exact, partial, typ = CASES[name]
    assert counts(gold, pred) == {"strict": strict, "exact": exact, "partial": partial,
                                  "type": typ}


def test_counts_do_not_depend_on_the_order_of_predictions():
    gold = [(12, 20, "PERSON"), (0, 10, "PERSON"), (30, 40, "STATE")]
    pred = [(8, 14, "PERSON"), (12, 20, "PERSON"), (30, 35, "GROUP"), (33, 40, "STATE")]
    assert counts(gold, pred) == counts(list(reversed(gold)), list(reversed(pred)))


def test_precision_recall_f1_of_the_split_case():
    # partial: COR 0, PAR 1, SPU 1 -> credit 0.5 of ACT 2 and POS 1.
    tally, *_ = score_documents([(doc([(0, 20, "PERSON")]),
                                  doc([(0, 8, "PERSON"), (10, 20, "PERSON")]))], ["mentions"])
    prf = PRF.of(tally.prf["mentions/partial"].sum(axis=0))
    assert (prf.precision, prf.recall) == (0.25, 0.5)
    assert prf.f1 == pytest.approx(1 / 3)
    strict = result_json(tally, "s")["layers"]["mentions"]["strict"]
    assert {k: strict[k] for k in ("cor", "inc", "par", "mis", "spu", "pos", "act")} == \
        {"cor": 0, "inc": 1, "par": 0, "mis": 0, "spu": 1, "pos": 1, "act": 2}
    assert (strict["precision"], strict["recall"], strict["f1"]) == (0.0, 0.0, 0.0)


def test_per_type_scores_filter_both_sides_by_type_and_macro_averages_them():
    gold = [(0, 10, "PERSON"), (20, 30, "STATE"), (40, 50, "STATE")]
    pred = [(0, 10, "STATE"), (20, 30, "STATE")]
    tally, *_ = score_documents([(doc(gold), doc(pred))], ["mentions"])
    strict = result_json(tally, "s")["layers"]["mentions"]["strict"]
    per = strict["per_type"]
    assert set(per) == {"PERSON", "STATE"}
    assert [per["PERSON"][k] for k in ("cor", "inc", "par", "mis", "spu")] == [0, 0, 0, 1, 0]
    assert [per["STATE"][k] for k in ("cor", "inc", "par", "mis", "spu")] == [1, 0, 0, 1, 1]
    # STATE: P 1/2, R 1/2, F 0.5; PERSON: F 0 -> macro F1 0.25.
    assert per["STATE"]["f1"] == pytest.approx(0.5)
    assert strict["macro_f1"] == pytest.approx(0.25)


def test_empty_on_both_sides_is_perfect_and_empty_predictions_score_zero():
    tally, *_ = score_documents([(doc([]), doc([]))], ["mentions"])
    block = result_json(tally, "s")["layers"]["mentions"]["strict"]
    assert (block["precision"], block["recall"], block["f1"]) == (1.0, 1.0, 1.0)
    tally, *_ = score_documents([(doc([(0, 5, "TIME")]), doc([]))], ["mentions"])
    block = result_json(tally, "s")["layers"]["mentions"]["type"]
    assert (block["precision"], block["recall"], block["f1"], block["mis"]) == (0.0, 0.0, 0.0, 1)


def test_prf_counts_add():
    a, b = PRF(1, 2, 1, 4), PRF(2, 2, 2, 0)
    assert a + b == PRF(3, 4, 3, 4)
    assert ((a + b).precision, (a + b).recall) == (0.75, 0.75)


# Regression tests for nervaluate's greedy counting (eval/README.md): the same cases scored by
# nervaluate 1.2.1 (inclusive ends), showing where and how its counts differ from the optimum.
NERVALUATE_DIFFERS = {
    "chain: a straddling prediction must not take the exact one's gold": ("strict", [0, 1, 0, 1, 1]),
    "overlapping predictions, the exact one listed second": ("strict", [0, 1, 0, 0, 1]),
    "two pieces, only the second with the right type": ("ent_type", [0, 1, 0, 0, 1]),
}


@pytest.mark.parametrize("name", NERVALUATE_DIFFERS)
def test_greedy_nervaluate_loses_credit_that_the_optimal_matching_keeps(name):
    from nervaluate import Evaluator

    gold, pred, *ours = CASES[name]
    scheme, theirs = NERVALUATE_DIFFERS[name]

    def inclusive(spans):
        return [[{"label": t, "start": s, "end": e - 1} for s, e, t in spans]]

    r = Evaluator(inclusive(gold), inclusive(pred), tags=["PERSON", "STATE"],
                  loader="dict").evaluate()["overall"][scheme]
    assert [r.correct, r.incorrect, r.partial, r.missed, r.spurious] == theirs
    mine = ours[("strict", "exact", "partial", "ent_type").index(scheme)]
    assert mine != theirs and mine[0] >= theirs[0]
