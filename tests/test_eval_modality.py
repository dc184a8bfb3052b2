"""Event modality on the Tri-C pairs: hand-computed tables (accuracy, Tri-C+modality, macro F1
over the modality labels of the pairs), the pairing that maximises equal modalities, intervals,
the CLI table and JSON, eval compare, a prediction without modality refused like one without
stance, and a randomised check against a plain per-document count."""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest

from communique.cli import main
from communique.eval.score import render_table, result_json, score_documents
from communique.eval.synthetic import corpus
from communique.schemas.io import write_jsonl
from communique.schemas.model import LAYERS
from communique.schemas.spec import load_spec


def ev(start: int, type_: str, modality: str) -> dict:
    return {"type": type_, "trigger": {"start": start, "end": start + 5}, "modality": modality,
            "arguments": []}


def doc(doc_id: str, events: list[dict]) -> dict:
    return {"id": doc_id, "text": "x" * 100,
            "events": [{"id": f"e{k}", **e} for k, e in enumerate(events)]}


def events_of(pairs: list[tuple[dict, dict]]) -> dict:
    tally, *_ = score_documents(pairs, ["events"])
    return result_json(tally, "s")["layers"]["events"]


def prf(block: dict) -> tuple[float, float, float]:
    return block["precision"], block["recall"], block["f1"]


# Gold, predicted events of one document (start, type, modality), and the expected
# (matched pairs, modality_accuracy, tri_c_modality P/R/F1, modality_macro_f1).
CASES = {
    # Pairs (asserted, asserted), (future, asserted), (negated, negated); the REJECT/THREATEN
    # trigger is Tri-I only and the AID a spurious event: neither is a pair. Accuracy 2/3;
    # Tri-C+modality P 2/5, R 2/4, F1 4/9. Per label over the pairs: asserted P 1/2 R 1 F1 2/3,
    # future P 0 R 0 F1 0, negated 1; hypothetical and historical are in no pair and not
    # averaged: macro (2/3 + 0 + 1)/3 = 5/9.
    "one mismatch, a Tri-I-only and a spurious event": (
        [(0, "CONSULT", "asserted"), (10, "AGREE", "future"), (20, "ACCUSE", "negated"),
         (30, "REJECT", "hypothetical")],
        [(0, "CONSULT", "asserted"), (10, "AGREE", "asserted"), (20, "ACCUSE", "negated"),
         (30, "THREATEN", "hypothetical"), (40, "AID", "asserted")],
        (3, 2 / 3, (0.4, 0.5, 4 / 9), 5 / 9)),
    # Two gold events share trigger and type; the one prediction pairs with the gold event of
    # the same modality although the other comes first in the file.
    "duplicate key: the pairing maximises equal modalities": (
        [(0, "CONSULT", "future"), (0, "CONSULT", "asserted")],
        [(0, "CONSULT", "asserted")],
        (1, 1.0, (1.0, 0.5, 2 / 3), 1.0)),
    # Same again, mirrored: two predictions, one gold event.
    "duplicate predictions: the one with the gold modality is paired": (
        [(0, "CONSULT", "historical")],
        [(0, "CONSULT", "asserted"), (0, "CONSULT", "historical")],
        (1, 1.0, (0.5, 1.0, 2 / 3), 1.0)),
    # Right trigger, wrong type: no Tri-C pair, so no modality pair. Accuracy over 0 pairs is
    # 1.0 (the 0/0 convention, as for stance), and so is the macro F1 with no label occurring.
    "no Tri-C pair": (
        [(0, "CONSULT", "asserted")],
        [(0, "AGREE", "asserted")],
        (0, 1.0, (0.0, 0.0, 0.0), 1.0)),
    # Every pair disagrees: hypothetical→future, negated→asserted. Each label: F1 0 -> macro 0.
    "every pair disagrees": (
        [(0, "CONSULT", "hypothetical"), (10, "SUPPORT", "negated")],
        [(0, "CONSULT", "future"), (10, "SUPPORT", "asserted")],
        (2, 0.0, (0.0, 0.0, 0.0), 0.0)),
}


@pytest.mark.parametrize("gold, pred, expected", CASES.values(), ids=CASES.keys())
def test_modality_by_hand(gold, pred, expected):
    pairs_n, accuracy, strict, macro = expected
    out = events_of([(doc("d", [ev(*e) for e in gold]), doc("d", [ev(*e) for e in pred]))])
    assert out["modality_matched_pairs"] == pairs_n
    assert out["modality_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    assert prf(out["tri_c_modality"]) == pytest.approx(strict, abs=1e-6)
    assert out["modality_macro_f1"] == pytest.approx(macro, abs=1e-6)


def test_modality_accuracy_is_micro_over_documents():
    """Document 1: two pairs, one modality right; document 2: one pair, right. Micro 2/3, not
    the mean of 1/2 and 1."""
    d1 = (doc("a", [ev(0, "AGREE", "asserted"), ev(10, "AID", "future")]),
          doc("a", [ev(0, "AGREE", "asserted"), ev(10, "AID", "negated")]))
    d2 = (doc("b", [ev(0, "COERCE", "historical")]), doc("b", [ev(0, "COERCE", "historical")]))
    out = events_of([d1, d2])
    assert out["modality_matched_pairs"] == 3
    assert out["modality_accuracy"] == pytest.approx(2 / 3, abs=1e-6)
    # asserted 1, historical 1, future P 0 R 0, negated P 0 R 0 (predicted but never gold).
    assert out["modality_macro_f1"] == pytest.approx(0.5)


def test_gold_against_itself_is_one():
    pairs = [(g, {"id": g["id"], **{k: g[k] for k in LAYERS}}) for g, _ in corpus(40, seed=5)]
    out = events_of(pairs)
    gold_events = sum(len(g["events"]) for g, _ in pairs)
    assert out["modality_matched_pairs"] == gold_events
    assert (out["modality_accuracy"], out["modality_macro_f1"]) == (1.0, 1.0)
    assert prf(out["tri_c_modality"]) == (1.0, 1.0, 1.0)


def _modality_pairs(correct: list[bool]) -> list[tuple[dict, dict]]:
    """One document per entry, each with one Tri-C pair whose modality is right or not."""
    return [(doc(f"d{i:02d}", [ev(0, "CONSULT", "asserted")]),
             doc(f"d{i:02d}", [ev(0, "CONSULT", "asserted" if ok else "future")]))
            for i, ok in enumerate(correct)]


@pytest.mark.parametrize("correct, accuracy_ci", [
    # Every document has its pair right: every resample has accuracy 1.
    ([True] * 20, [1.0, 1.0]),
    # Two documents, one right: resamples give 0, 1/2 or 1 with probabilities 1/4, 1/2, 1/4,
    # so the 2.5th and 97.5th percentiles of 1,000 resamples are 0 and 1.
    ([True, False], [0.0, 1.0]),
])
def test_intervals(correct, accuracy_ci):
    from communique.eval.score import with_intervals

    tally, *_ = score_documents(_modality_pairs(correct), ["events"])
    out = result_json(tally, "s", with_intervals(tally, 1000, 7))["layers"]["events"]
    assert out["modality_accuracy_ci"] == accuracy_ci
    assert len(out["modality_macro_f1_ci"]) == 2
    assert out["modality_macro_f1_ci"][0] <= out["modality_macro_f1"] <= \
        out["modality_macro_f1_ci"][1]
    assert "f1_ci" in out["tri_c_modality"]


def test_macro_interval_averages_the_labels_each_resample_has():
    """Document A: future predicted future; document B: negated predicted asserted. Corpus:
    future F1 1, negated 0, asserted 0 -> 1/3. Resamples {A, A} (1/4): only future occurs ->
    1; {A, B} (1/2): 1/3; {B, B} (1/4): negated and asserted occur, both 0 -> 0 (a label that
    does not occur in a resample is not averaged as 1.0 there)."""
    from communique.eval.score import with_intervals

    pairs = [(doc("a", [ev(0, "CONSULT", "future")]), doc("a", [ev(0, "CONSULT", "future")])),
             (doc("b", [ev(0, "CONSULT", "negated")]), doc("b", [ev(0, "CONSULT", "asserted")]))]
    tally, *_ = score_documents(pairs, ["events"])
    out = result_json(tally, "s", with_intervals(tally, 1000, 3))["layers"]["events"]
    assert out["modality_macro_f1"] == pytest.approx(1 / 3, abs=1e-6)
    assert out["modality_macro_f1_ci"] == [0.0, 1.0]


def test_compare_when_the_two_systems_pair_different_modality_labels():
    """System A pairs the negated gold event, system B misses it: B has no negated pair, yet
    both are compared on the same metrics, each macro F1 over its own occurring labels."""
    from communique.eval.stats import Columns, compare

    gold = doc("d", [ev(0, "CONSULT", "negated"), ev(10, "AID", "future")])
    a = doc("d", [ev(0, "CONSULT", "negated"), ev(10, "AID", "asserted")])
    b = doc("d", [ev(10, "AID", "future")])
    (ta, _, _, _), (tb, _, _, _) = (score_documents([(gold, x)], ["events"]) for x in (a, b))
    rows = {r.metric: r for r in compare(Columns.of(ta), Columns.of(tb), 20, seed=1)}
    # A: negated 1, future P 0 R 0, asserted P 0 -> 1/3. B: future 1 -> 1.
    assert (rows["events/modality_macro_f1"].a, rows["events/modality_macro_f1"].b) == \
        pytest.approx((1 / 3, 1.0))
    assert (rows["events/modality_accuracy"].a, rows["events/modality_accuracy"].b) == (0.5, 1.0)


def test_table_rows():
    tally, *_ = score_documents(_modality_pairs([True, True, False, True]), ["events"])
    table = render_table(result_json(tally, "s")).splitlines()
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in table[2:] if line.strip()}
    # 3 of 4 pairs right; asserted: P 3/3 R 3/4 F1 6/7; future: P 0 (never gold) -> macro 3/7.
    assert rows[("events", "modality_accuracy")] == ["75.00"]
    assert rows[("events", "modality_macro_f1")] == ["42.86"]
    assert rows[("events", "tri_c_modality")] == ["75.00", "75.00", "75.00"]


@pytest.fixture()
def files(tmp_path):
    pairs = list(corpus(10, seed=44))
    gold = [g for g, _ in pairs]
    ident = [{"id": g["id"], "mentions": g["mentions"], "events": copy.deepcopy(g["events"])}
             for g in gold]
    flipped = copy.deepcopy(ident)
    names = load_spec().labels["modality"].names
    for e in flipped[0]["events"]:  # every event of the first document gets another modality
        e["modality"] = names[(names.index(e["modality"]) + 1) % len(names)]
    write_jsonl(tmp_path / "gold.jsonl", gold)
    write_jsonl(tmp_path / "ident.jsonl", ident)
    write_jsonl(tmp_path / "flipped.jsonl", flipped)
    return tmp_path, gold


def test_cli_json_and_compare(files, capsys):
    root, gold = files
    total, first = sum(len(g["events"]) for g in gold), len(gold[0]["events"])
    code = main(["eval", "score", "--gold", str(root / "gold.jsonl"), "--pred",
                 str(root / "flipped.jsonl"), "--format", "json", "--bootstrap", "50"])
    out, err = capsys.readouterr()
    assert code == 0, err
    events = json.loads(out)["layers"]["events"]
    assert events["modality_matched_pairs"] == total
    assert events["modality_accuracy"] == pytest.approx((total - first) / total, abs=1e-6)
    assert prf(events["tri_c"]) == (1.0, 1.0, 1.0)
    assert events["tri_c_modality"]["f1"] == pytest.approx((total - first) / total, abs=1e-6)
    assert {"modality_accuracy_ci", "modality_macro_f1", "modality_macro_f1_ci"} <= set(events)
    names = load_spec().labels["modality"].names
    assert 0 < events["modality_macro_f1"] < 1 and {e["modality"] for g in gold
                                                    for e in g["events"]} == set(names)
    code = main(["eval", "compare", "--gold", str(root / "gold.jsonl"), "--pred-a",
                 str(root / "ident.jsonl"), "--pred-b", str(root / "flipped.jsonl"),
                 "--format", "json", "--samples", "50"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = {r["metric"]: r for r in json.loads(out)["metrics"]}
    assert rows["events/tri_c"]["delta"] == 0.0
    assert rows["events/modality_accuracy"]["delta"] == pytest.approx(-first / total, abs=1e-6)
    assert rows["events/tri_c_modality"]["delta"] == pytest.approx(-first / total, abs=1e-6)
    assert "events/modality_macro_f1" in rows


def test_a_prediction_without_modality_is_refused_like_one_without_stance(files, capsys):
    root, gold = files
    pairs = list(corpus(10, seed=44))
    preds = [copy.deepcopy(p) for _, p in pairs]
    del preds[0]["events"][0]["modality"]
    del preds[1]["positions"][0]["stance"]
    write_jsonl(root / "bad.jsonl", preds)
    code = main(["eval", "score", "--gold", str(root / "gold.jsonl"), "--pred",
                 str(root / "bad.jsonl")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"{root / 'bad.jsonl'}:1: {gold[0]['id']}: $.events[0].modality: missing required field; "
        "allowed: one of asserted, historical, future, hypothetical, negated",
        f"{root / 'bad.jsonl'}:2: {gold[1]['id']}: $.positions[0].stance: missing required field; "
        "allowed: one of support, oppose, neutral",
        "invalid input: 2 problem(s); nothing was scored"]


def _by_hand(gold: dict, pred: dict) -> tuple[int, int, Counter]:
    """Matched pairs, pairs with equal modality and per-label [tp, pred, gold] counts of one
    document, by plain counting per (trigger, type): equal modalities are paired first, then
    the rest in file order."""
    keys: dict[tuple, tuple[list[str], list[str]]] = {}
    for side, events in ((0, gold["events"]), (1, pred["events"])):
        for e in events:
            key = (e["trigger"]["start"], e["trigger"]["end"], e["type"])
            keys.setdefault(key, ([], []))[side].append(e["modality"])
    matched = right = 0
    labels: Counter = Counter()
    for g, p in keys.values():
        same = Counter(g) & Counter(p)
        rest_g = list((Counter(g) - same).elements())
        rest_p = list((Counter(p) - same).elements())
        n_rest = min(len(rest_g), len(rest_p))
        longer, shorter = sorted((rest_g, rest_p), key=len, reverse=True)
        if shorter and len(longer) > len(shorter) and len(set(longer)) > 1:
            raise AssertionError("an undetermined per-label count; pick another seed")
        matched += sum(same.values()) + n_rest
        right += sum(same.values())
        for label, k in same.items():
            labels[(label, "tp")] += k
            labels[(label, "pred")] += k
            labels[(label, "gold")] += k
        for a, b in zip(rest_g, rest_p):
            labels[(a, "gold")] += 1
            labels[(b, "pred")] += 1
    return matched, right, labels


def test_random_corpus_against_plain_counting():
    pairs = list(corpus(300, seed=77))
    matched = right = 0
    labels: Counter = Counter()
    for g, p in pairs:
        m, r, c = _by_hand(g, p)
        matched, right, labels = matched + m, right + r, labels + c
    tally, *_ = score_documents(pairs, ["events"])
    assert tally.prf["events/modality_accuracy"].sum(axis=0).tolist() == \
        [right, matched, right, matched]
    assert tally.prf["events/tri_c_modality"][:, 0].sum() == right
    assert tally.prf["events/tri_c"][:, 0].sum() == matched
    assert 0 < right < matched
    for name in load_spec().labels["modality"].names:
        tp, pred, gold = (labels[(name, k)] for k in ("tp", "pred", "gold"))
        assert tally.prf[f"events/modality/{name}"].sum(axis=0).tolist() == [tp, pred, tp, gold]
