"""Agreement measures on hand-computed cases, the report over documents, and the command on a
pulled folder and on an export file."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from communique.annotation.agreement import (Counts, agreement_report, cohen_kappa,
                                             krippendorff_alpha, overlap_counts, overlap_pairs,
                                             relations, strict_counts)
from communique.annotation.convert import results_for, task_for
from communique.schemas.io import write_document
from communique.schemas.model import Argument, Span
from communique.schemas.validate import load_documents

ROOT = Path(__file__).resolve().parent.parent
MINI = load_documents([ROOT / "tests" / "fixtures" / "mini.json"])[0]

A = [(0, 5, "PERSON"), (10, 15, "STATE"), (20, 25, "GROUP")]
B = [(0, 5, "PERSON"), (10, 15, "GROUP"), (21, 26, "GROUP"), (30, 35, "TIME")]

# (a spans, b spans, strict F1, overlap F1), computed by hand.
F1_CASES = [
    (A, B, 2 / 7, 6 / 7),
    ([(0, 10, "X")], [(0, 4, "X"), (5, 10, "X")], 0.0, 2 / 3),  # one-to-one: one match
    ([(0, 10, "X"), (8, 12, "X")], [(9, 11, "X"), (0, 3, "X")], 0.0, 1.0),  # optimal, not greedy
    ([(0, 3, "X")], [(3, 6, "X")], 0.0, 0.0),  # half-open: touching is no overlap
    ([(0, 3, "X"), (0, 3, "X")], [(0, 3, "X")], 2 / 3, 2 / 3),  # a duplicate counts once
    ([], [(0, 3, "X")], 0.0, 0.0),
    ([], [], None, None),  # nothing to agree on: left out of averages
]


@pytest.mark.parametrize("a,b,strict,overlap", F1_CASES)
def test_span_f1(a, b, strict, overlap):
    assert strict_counts(a, b).f1 == pytest.approx(strict) if strict is not None \
        else strict_counts(a, b).f1 is None
    assert overlap_counts(a, b).f1 == pytest.approx(overlap) if overlap is not None \
        else overlap_counts(a, b).f1 is None


def test_overlap_matching_is_optimal():
    assert sorted(overlap_pairs([(0, 10, "X"), (8, 12, "X")], [(9, 11, "X"), (0, 3, "X")])) == \
        [(0, 1), (1, 0)]


def test_counts_add_up():
    assert Counts(1, 2, 3) + Counts(2, 3, 4) == Counts(3, 5, 7)
    assert Counts(3, 5, 7).f1 == pytest.approx(0.5)


# (label pairs, kappa) by hand: the textbook 2×2 table (20 yes-yes, 5 yes-no, 10 no-yes,
# 15 no-no: po = .7, pe = .5), a symmetric 3-category table, and undefined cases.
KAPPA_CASES = [
    ([("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15, 0.4),
    ([("a", "a")] * 4 + [("a", "b"), ("b", "a")] + [("b", "b")] * 4, 0.6),
    ([("a", "b"), ("b", "a")], -1.0),
    ([("a", "a"), ("a", "a")], None),  # chance agreement 1: undefined
    ([], None),
]


@pytest.mark.parametrize("pairs,kappa", KAPPA_CASES)
def test_cohen_kappa(pairs, kappa):
    got = cohen_kappa(pairs)
    assert got is None if kappa is None else got == pytest.approx(kappa)


def test_krippendorff_alpha_by_hand():
    # Coincidences: o_aa = 2, o_ab = o_ba = 1, o_bb = 4; n_a = 3, n_b = 5, n = 8:
    # alpha = 1 - (n - 1) * 2 / (2 * 3 * 5) = 1 - 14/30.
    units = [{"x": "a", "y": "a"}, {"x": "a", "y": "b"}, {"x": "b", "y": "b"},
             {"x": "b", "y": "b"}, {"x": "a"}]  # the last one is unpairable: left out
    assert krippendorff_alpha(units, ["x", "y"]) == pytest.approx(16 / 30)
    assert krippendorff_alpha([{"x": "a", "y": "a"}], ["x", "y"]) is None
    assert krippendorff_alpha([{"x": "a"}], ["x", "y"]) is None


def test_kappa_and_alpha_agree_with_their_definitions_on_random_tables():
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(2, 40)
        labels = "abc"[:rng.randint(2, 3)]
        pairs = [(rng.choice(labels), rng.choice(labels)) for _ in range(n)]
        # Cohen: against the confusion-matrix formula.
        cats = sorted({x for p in pairs for x in p})
        m = np.zeros((len(cats), len(cats)))
        for x, y in pairs:
            m[cats.index(x), cats.index(y)] += 1
        po = np.trace(m) / n
        pe = float((m.sum(0) * m.sum(1)).sum()) / n ** 2
        expected = None if np.isclose(pe, 1) else (po - pe) / (1 - pe)
        got = cohen_kappa(pairs)
        assert (got is None) == (expected is None)
        if got is not None:
            assert got == pytest.approx(expected)
        # Krippendorff: our units, given straight to the package, give the same alpha.
        if len(cats) > 1:
            data = np.array([[cats.index(x) for x, _ in pairs], [cats.index(y) for _, y in pairs]],
                            dtype=float)
            units = [{"x": x, "y": y} for x, y in pairs]
            assert krippendorff_alpha(units, ["x", "y"]) == pytest.approx(krippendorff.alpha(
                reliability_data=data, level_of_measurement="nominal"))


def _variant():
    """MINI as a second annotator might do it: one mention retyped, one argument and one
    content fragment missing, the position's evidence widened."""
    mentions = list(MINI.mentions)
    mentions[4] = replace(mentions[4], type="ORGANIZATION")  # officials
    events = list(MINI.events)
    events[0] = replace(events[0], arguments=events[0].arguments[:3])
    atts = list(MINI.attributions)
    atts[1] = replace(atts[1], content=atts[1].content[:1])
    pos = MINI.positions[0]
    wider = Span.of(MINI.text, pos.evidence.start, pos.evidence.end + 4)
    actors = [replace(a, type="ORGANIZATION") if "m5" in a.mention_ids else a for a in MINI.actors]
    return MINI.with_layers(mentions=mentions, events=events, attributions=atts, actors=actors,
                            positions=[replace(pos, evidence=wider)])


def test_report_by_hand_on_one_document():
    other = _variant()
    report = agreement_report({MINI.id: {"ann-1": MINI, "ann-2": other}})
    d = report.as_dict()
    assert (d["documents"], d["annotators"]) == (1, ["ann-1", "ann-2"])
    L = d["layers"]
    # 8 mentions each, 7 with bounds and type equal; all 8 overlap.
    assert L["mentions"]["average"]["strict_f1"] == pytest.approx(14 / 16)
    assert L["mentions"]["average"]["overlap_f1"] == pytest.approx(1.0)
    # Labels on the 8 positional units: 7 agree. Types: ann-1 STATE 2, LOCATION, TIME, GROUP 3,
    # PERSON; ann-2 the same with one GROUP → ORGANIZATION. po = 7/8,
    # pe = (2·2 + 1 + 1 + 3·2 + 1) / 64 = 13/64.
    kappa = (7 / 8 - 13 / 64) / (1 - 13 / 64)
    assert L["mentions"]["average"]["cohen_kappa"] == pytest.approx(kappa)
    assert L["mentions"]["average"]["label_units"] == 8
    # Event arguments: 5 against 4, 4 shared.
    assert L["event_arguments"]["average"]["f1"] == pytest.approx(8 / 9)
    # Attribution links: t1 source + content, t2 source + 2 contents = 5 against 4.
    assert L["attribution_links"]["average"]["f1"] == pytest.approx(8 / 9)
    # Positions: evidence bounds differ (strict 0), they overlap (1); holder link kept, target
    # kept but hung on a different evidence span: 0 of 2.
    assert L["positions"]["average"]["strict_f1"] == 0.0
    assert L["positions"]["average"]["overlap_f1"] == 1.0
    assert L["position_links"]["average"]["f1"] == 0.0
    assert L["events"]["average"]["strict_f1"] == 1.0


def test_averages_are_over_documents_and_micro_pools():
    other = _variant()
    second = MINI.with_layers(mentions=MINI.mentions[:1], actors=[
        a for a in MINI.actors if a.mention_ids == ("m1",)], events=[], attributions=[],
        positions=[])
    second = replace(second, id="mini-0002")
    second_b = replace(second, mentions=())
    second_b = second_b.with_layers(actors=[])
    report = agreement_report({MINI.id: {"x": MINI, "y": other},
                               "mini-0002": {"x": second, "y": second_b},
                               "solo": {"x": MINI}})  # one annotator: left out
    avg = report.as_dict()["layers"]["mentions"]["average"]
    assert avg["documents"] == 2
    assert avg["strict_f1"] == pytest.approx((14 / 16 + 0.0) / 2)
    assert avg["strict_f1_micro"] == pytest.approx(14 / 17)
    events = report.as_dict()["layers"]["events"]
    assert events["per_document"]["mini-0002"]["strict_f1"] is None  # nothing to agree on
    assert events["average"]["strict_f1"] == 1.0


def test_relations_are_independent_of_ids():
    renamed = MINI.with_layers(events=[replace(e, id=f"ev-{e.id}", arguments=tuple(
        Argument(a.role, a.mention_id) for a in e.arguments)) for e in MINI.events])
    assert relations(renamed, "event_arguments") == relations(MINI, "event_arguments")


def test_agreement_command_on_a_pulled_folder_and_on_an_export(tmp_path):
    other = _variant()
    for who, doc in (("annotator-1", MINI), ("annotator-2", other)):
        write_document(doc, tmp_path / "pulled" / "annotators" / who)
    cmd = [sys.executable, "-m", "communique", "agreement"]
    done = subprocess.run(cmd + [str(tmp_path / "pulled"), "--format", "json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from_folder = json.loads(done.stdout)
    assert from_folder["annotators"] == ["annotator-1", "annotator-2"]
    export = [{"id": 1, "data": task_for(MINI), "annotations": [
        {"id": 10, "completed_by": 1, "result": results_for(MINI)},
        {"id": 11, "completed_by": {"id": 2, "email": "b@example.org"},
         "result": results_for(other)},
        {"id": 12, "completed_by": 3, "result": [], "was_cancelled": True}]}]
    (tmp_path / "export.json").write_text(json.dumps(export), encoding="utf-8")
    done = subprocess.run(cmd + [str(tmp_path / "export.json"), "--format", "json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == from_folder
    table = subprocess.run(cmd + [str(tmp_path / "export.json")], capture_output=True, text=True)
    lines = table.stdout.splitlines()
    assert lines[0].startswith("Agreement over 1 document(s) with 2+ annotators")
    kappa = (7 / 8 - 13 / 64) / (1 - 13 / 64)
    alpha = from_folder["layers"]["mentions"]["average"]["krippendorff_alpha_pooled"]
    assert lines[3].split() == ["mentions", "1", "0.875", "1.000", f"{kappa:.3f}", f"{alpha:.3f}",
                                "8"]


def test_agreement_command_reports_bad_input(tmp_path):
    (tmp_path / "broken.json").write_text("[{", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "communique", "agreement",
                           str(tmp_path / "broken.json")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith(f"agreement: {tmp_path / 'broken.json'}: the export is not a "
                                  "JSON list of tasks")
    done = subprocess.run([sys.executable, "-m", "communique", "agreement",
                           str(tmp_path / "missing")], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (2, f"agreement: {tmp_path / 'missing'}: no such "
                                                 "file or folder\n")
