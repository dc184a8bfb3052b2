"""Intervals and significance: the bootstrap equals a plain per-resample computation, the 0/0
conventions, and the p-value convention p = (c + 1) / (N + 1)."""

from __future__ import annotations

import numpy as np
import pytest

from communique.eval.metrics import Tally
from communique.eval.score import score_documents
from communique.eval.stats import (Columns, _resample_weights, bootstrap, compare, evaluate,
                                   prf_values)
from communique.eval.synthetic import corpus


def test_prf_values_and_zero_conventions():
    got = prf_values(np.array([[3, 4, 3, 6], [0, 0, 0, 0], [0, 2, 0, 0], [0, 0, 0, 5]], float))
    assert got[0].tolist() == [0.75, 0.5, 0.6]
    assert got[1].tolist() == [1.0, 1.0, 1.0]   # nothing predicted, nothing to find
    assert got[2].tolist() == [0.0, 0.0, 0.0]   # predictions, no gold
    assert got[3].tolist() == [0.0, 0.0, 0.0]   # gold, no predictions


def test_bootstrap_equals_a_plain_loop_over_resamples():
    tally, *_ = score_documents(list(corpus(40, seed=12)))
    columns = Columns.of(tally)
    got = bootstrap(columns, 120, seed=5, batch=7)
    rng = np.random.default_rng(5)
    draws = []
    done = 0
    while done < 120:
        b = min(7, 120 - done)
        draws.append(evaluate(columns, _resample_weights(rng, 40, b) @ columns.matrix))
        done += b
    for key in ("mentions/strict", "actors/b3", "macro:actors/conll", "events/arg_c",
                "positions/stance_accuracy", "macro:mentions/type"):
        want = np.percentile(np.concatenate([d[key] for d in draws]), [2.5, 97.5], axis=0).T
        assert np.allclose(got[key], want, atol=1e-12), key


def test_resample_weights_draw_n_documents_each():
    w = _resample_weights(np.random.default_rng(1), 50, 30)
    assert w.shape == (30, 50) and (w.sum(axis=1) == 50).all()


def _tally(rows: list[list[float]]) -> Tally:
    t = Tally(len(rows))
    t.prf["mentions/strict"] = np.array(rows, dtype=float)
    return t


def test_p_values_follow_the_plus_one_convention():
    a = _tally([[0, 2, 0, 2]] * 30)           # A finds nothing in any document
    b = _tally([[2, 2, 2, 2]] * 30)           # B finds everything
    (row,) = compare(Columns.of(a), Columns.of(b), 99, seed=3)
    assert (row.a, row.b, row.delta) == (0.0, 1.0, 1.0)
    assert row.p_bootstrap == pytest.approx(1 / 100)
    assert row.p_randomization == pytest.approx(1 / 100)
    (row,) = compare(Columns.of(a), Columns.of(a), 99, seed=3)
    assert (row.delta, row.p_bootstrap, row.p_randomization) == (0.0, 1.0, 1.0)


def test_a_difference_in_one_document_of_many_is_not_significant():
    rows = [[1, 1, 1, 1]] * 40
    a = _tally(rows)
    b = _tally(rows[:-1] + [[0, 1, 0, 1]])
    (row,) = compare(Columns.of(a), Columns.of(b), 500, seed=4)
    assert row.delta == pytest.approx(-1 / 40)
    # Swapping the one differing document only flips the sign: every randomisation counts.
    assert row.p_randomization == 1.0
    assert row.p_bootstrap > 0.05
