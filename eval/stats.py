"""From per-document counts to scores: corpus totals, macro averages, bootstrap intervals over
documents, and the paired tests between two systems (paired bootstrap, approximate
randomisation), all vectorised over resamples with one matrix product per batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from .metrics import Tally

# A derived metric: a name and a function from summed count columns to values, vectorised over
# any leading axes. Columns are looked up by key in ``Columns``.
Derived = Callable[["Columns", np.ndarray], np.ndarray]


def prf_values(s: np.ndarray) -> np.ndarray:
    """``[..., (precision, recall, f1)]`` from ``[..., (tp_p, pred, tp_r, gold)]`` sums.

    0/0 conventions: with nothing predicted and nothing to find, all three are 1.0; with
    predictions but no gold (or gold but no predictions) the undefined side is 0.0.
    """
    tp_p, pred, tp_r, gold = s[..., 0], s[..., 1], s[..., 2], s[..., 3]
    empty = (pred == 0) & (gold == 0)
    p = np.where(pred > 0, tp_p / np.where(pred > 0, pred, 1), np.where(empty, 1.0, 0.0))
    r = np.where(gold > 0, tp_r / np.where(gold > 0, gold, 1), np.where(empty, 1.0, 0.0))
    denom = p + r
    f = np.where(denom > 0, 2 * p * r / np.where(denom > 0, denom, 1), 0.0)
    return np.stack([p, r, f], axis=-1)


@dataclass(frozen=True, slots=True)
class PRF:
    """Additive counts of one metric: ``tp_p`` of ``pred`` predicted items are right (precision
    side), ``tp_r`` of ``gold`` items are found (recall side); fractional for soft metrics."""

    tp_p: float = 0.0
    pred: float = 0.0
    tp_r: float = 0.0
    gold: float = 0.0

    @classmethod
    def of(cls, row: np.ndarray) -> "PRF":
        return cls(*(float(x) for x in row))

    def __add__(self, other: "PRF") -> "PRF":
        return PRF(self.tp_p + other.tp_p, self.pred + other.pred, self.tp_r + other.tp_r,
                   self.gold + other.gold)

    @property
    def precision(self) -> float:
        return float(prf_values(np.array([self.tp_p, self.pred, self.tp_r, self.gold]))[0])

    @property
    def recall(self) -> float:
        return float(prf_values(np.array([self.tp_p, self.pred, self.tp_r, self.gold]))[1])

    @property
    def f1(self) -> float:
        return float(prf_values(np.array([self.tp_p, self.pred, self.tp_r, self.gold]))[2])


@dataclass(frozen=True, slots=True)
class Columns:
    """All per-document count arrays of a tally side by side: ``matrix[doc, 4*i:4*i+4]`` holds
    metric ``keys[i]``."""

    keys: tuple[str, ...]
    matrix: np.ndarray

    @classmethod
    def of(cls, tally: Tally) -> "Columns":
        keys = tuple(sorted(tally.prf))
        if not keys:
            return cls((), np.zeros((tally.n_docs, 0)))
        return cls(keys, np.concatenate([tally.prf[k] for k in keys], axis=1))

    def aligned(self, keys: tuple[str, ...]) -> "Columns":
        """These columns over ``keys`` (a superset of ours), zero where a key is not ours. A
        per-label key exists when the label occurs in the gold or the predictions, so a key
        another system has and we lack counts nothing for us: no prediction and no gold."""
        matrix = np.zeros((self.matrix.shape[0], 4 * len(keys)), dtype=self.matrix.dtype)
        for i, key in enumerate(keys):
            if key in self.keys:
                matrix[:, 4 * i:4 * i + 4] = self.take(self.matrix, key)
        return Columns(keys, matrix)

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def take(self, sums: np.ndarray, key: str) -> np.ndarray:
        """The ``(..., 4)`` sums of one metric from ``(..., 4K)`` sums."""
        i = self.index(key)
        return sums[..., 4 * i:4 * i + 4]


# Macro groups whose members all exist for every system (so that two systems have the same
# columns in eval compare), averaged over the members that occur in the summed counts: those
# of the corpus, or of one resample.
MACRO_OVER_OCCURRING = frozenset({"events/modality"})


def macro_groups(keys: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Macro averages and their members: mention schemes over their types, event Tri-C over
    event types, modality macro F1 over the modality labels of Tri-C pairs, CoNLL F1 over
    MUC/B³/CEAF-e, stance macro F1 over the polar stances."""
    groups: dict[str, tuple[str, ...]] = {}
    for prefix in ("mentions/strict", "mentions/exact", "mentions/partial", "mentions/type",
                   "events/tri_c"):
        members = tuple(k for k in keys if k.startswith(prefix + "/"))
        if members:
            groups[prefix] = members
    modality = tuple(k for k in keys if k.startswith("events/modality/"))
    if modality:
        groups["events/modality"] = modality
    if "actors/muc" in keys:
        groups["actors/conll"] = ("actors/muc", "actors/b3", "actors/ceafe")
    stance = tuple(k for k in keys if k.startswith("positions/stance/"))
    if stance:
        groups["positions/stance"] = stance
    return groups


def evaluate(columns: Columns, sums: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric's ``(..., 3)`` precision/recall/F1 and every macro group's ``(..., 3)``
    mean precision/recall/F1, from ``(..., 4K)`` sums."""
    out = {k: prf_values(columns.take(sums, k)) for k in columns.keys}
    for name, members in macro_groups(columns.keys).items():
        values = np.stack([out[m] for m in members])
        if name in MACRO_OVER_OCCURRING:
            counts = np.stack([columns.take(sums, m) for m in members])
            occurs = (counts[..., 1] + counts[..., 3] > 0)[..., None]
            k = occurs.sum(axis=0)
            # No label occurs: nothing predicted and nothing to find, 1.0 as in prf_values.
            out["macro:" + name] = np.where(k > 0, (values * occurs).sum(axis=0)
                                            / np.maximum(k, 1), 1.0)
        else:
            out["macro:" + name] = values.mean(axis=0)
    return out


def totals(columns: Columns) -> dict[str, np.ndarray]:
    """The corpus scores."""
    return evaluate(columns, columns.matrix.sum(axis=0))


def _resample_weights(rng: np.random.Generator, n: int, batch: int) -> np.ndarray:
    idx = rng.integers(0, n, size=(batch, n))
    idx += (np.arange(batch) * n)[:, None]
    return np.bincount(idx.ravel(), minlength=batch * n).reshape(batch, n).astype(np.float64)


def _distinct_columns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct columns of ``matrix`` and, per original column, its distinct column: many
    count columns repeat (tp_p = tp_r for exact matching, shared prediction counts), and the
    resampling product only needs each once."""
    probe = np.random.default_rng(0).random(matrix.shape[0])
    signature = np.round(matrix.T @ probe, 6) if matrix.shape[0] else np.zeros(matrix.shape[1])
    keep: list[int] = []
    where = np.empty(matrix.shape[1], dtype=np.int64)
    seen: dict[float, list[int]] = {}
    for j, sig in enumerate(signature):
        for k in seen.get(sig, []):
            if np.array_equal(matrix[:, keep[k]], matrix[:, j]):
                where[j] = k
                break
        else:
            seen.setdefault(sig, []).append(len(keep))
            where[j] = len(keep)
            keep.append(j)
    return matrix[:, keep], where


def bootstrap(columns: Columns, n_samples: int, seed: int, batch: int = 50
              ) -> dict[str, np.ndarray]:
    """Percentile 95% intervals ``(3, 2)`` (precision, recall, F1 × low, high) for every metric,
    resampling documents with replacement ``n_samples`` times."""
    rng = np.random.default_rng(seed)
    n = columns.matrix.shape[0]
    distinct, where = _distinct_columns(columns.matrix)
    draws: dict[str, list[np.ndarray]] = {}
    done = 0
    # Single-threaded BLAS: these products are small, and spinning BLAS threads collapse when
    # the cores are shared.
    with threadpool_limits(limits=1, user_api="blas"):
        while done < n_samples:
            b = min(batch, n_samples - done)
            sums = (_resample_weights(rng, n, b) @ distinct)[:, where]
            for k, v in evaluate(columns, sums).items():
                draws.setdefault(k, []).append(v)
            done += b
    return {k: np.percentile(np.concatenate(v), [2.5, 97.5], axis=0).T for k, v in draws.items()}


@dataclass(frozen=True, slots=True)
class Comparison:
    """One headline metric of two systems: values, difference, and both tests' p-values."""

    metric: str
    a: float
    b: float
    delta: float
    p_bootstrap: float
    p_randomization: float


def headline(keys: tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, metric) of the headline F1 scores: every metric without a per-label suffix,
    plus the macro groups that are headline numbers."""
    out = []
    for k in keys:
        parts = k.split("/")
        if parts[0] == "mentions" and len(parts) > 2:
            continue
        if parts[0] == "events" and len(parts) > 2:
            continue
        if k.startswith("positions/stance/"):
            continue
        out.append((k, k))
    groups = macro_groups(keys)
    if "actors/conll" in groups:
        out.append(("actors/conll_f1", "macro:actors/conll"))
    if "events/modality" in groups:
        out.append(("events/modality_macro_f1", "macro:events/modality"))
    if "positions/stance" in groups:
        out.append(("positions/stance_macro_f1", "macro:positions/stance"))
    return out


def compare(a: Columns, b: Columns, n_samples: int, seed: int, batch: int = 50
            ) -> list[Comparison]:
    """Paired bootstrap and approximate randomisation over documents for every headline F1
    (precision for stance and modality accuracy); p = (c + 1) / (N + 1), two-sided."""
    if a.keys != b.keys:
        keys = tuple(sorted(set(a.keys) | set(b.keys)))
        a, b = a.aligned(keys), b.aligned(keys)
    names = headline(a.keys)
    pick = lambda scores, metric: scores[metric][..., 0 if metric.endswith("accuracy") else 2]  # noqa: E731
    obs_a, obs_b = totals(a), totals(b)
    observed = np.array([pick(obs_b, m) - pick(obs_a, m) for _, m in names])
    rng = np.random.default_rng(seed)
    n = a.matrix.shape[0]
    diff = b.matrix - a.matrix
    base_a, base_b = a.matrix.sum(axis=0), b.matrix.sum(axis=0)
    boot, rand = [], []
    done = 0
    with threadpool_limits(limits=1, user_api="blas"):
        while done < n_samples:
            k = min(batch, n_samples - done)
            w = _resample_weights(rng, n, k)
            sa, sb = evaluate(a, w @ a.matrix), evaluate(b, w @ b.matrix)
            boot.append(np.stack([pick(sb, m) - pick(sa, m) for _, m in names], axis=1))
            swap = rng.integers(0, 2, size=(k, n)).astype(np.float64)
            moved = swap @ diff
            ra, rb = evaluate(a, base_a + moved), evaluate(b, base_b - moved)
            rand.append(np.stack([pick(rb, m) - pick(ra, m) for _, m in names], axis=1))
            done += k
    boot_d, rand_d = np.concatenate(boot), np.concatenate(rand)
    eps = 1e-12  # floating-point noise must not turn an equal difference into a smaller one
    c_boot = (np.abs(boot_d - boot_d.mean(axis=0)) >= np.abs(observed) - eps).sum(axis=0)
    c_rand = (np.abs(rand_d) >= np.abs(observed) - eps).sum(axis=0)
    return [Comparison(label, float(pick(obs_a, m)), float(pick(obs_b, m)), float(observed[i]),
                       float((c_boot[i] + 1) / (n_samples + 1)),
                       float((c_rand[i] + 1) / (n_samples + 1)))
            for i, (label, m) in enumerate(names)]
