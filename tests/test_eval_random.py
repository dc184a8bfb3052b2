"""Randomised comparisons with independent implementations: nervaluate for the four mention
schemes, scorch for MUC, B³ and CEAF-e, brute force for the optimal matching, and str.split for
token counts. Identical counts are required."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from nervaluate import Evaluator
from scorch import scores as scorch

from communique.eval.matching import TokenIndex, assign
from communique.eval.score import score_documents
from communique.eval.synthetic import Sizes, corpus
from communique.schemas.spec import load_spec

NERVALUATE_SCHEME = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}


def test_mention_counts_equal_nervaluate_on_thousands_of_documents():
    """Where nervaluate's greedy matching is sound (each prediction overlaps at most one gold
    span and no other prediction; see eval/README.md), its counts must equal ours, overall and
    per type. nervaluate's ``end`` is inclusive, ours exclusive."""
    types = list(load_spec().labels["mention_type"].names)
    pairs = [(g, {"id": p["id"], "mentions": p["mentions"]})
             for g, p in corpus(3000, seed=2024, sizes=Sizes(words=200, mentions=12, events=0,
                                                             attributions=0, positions=0))]
    tally, *_ = score_documents(pairs, ["mentions"])

    def inclusive(doc):
        return [{"label": m["type"], "start": m["start"], "end": m["end"] - 1}
                for m in doc["mentions"]]

    result = Evaluator([inclusive(g) for g, _ in pairs], [inclusive(p) for _, p in pairs],
                       tags=types, loader="dict").evaluate()
    checked = 0
    for ours, theirs in NERVALUATE_SCHEME.items():
        r = result["overall"][theirs]
        assert tally.semeval[f"mentions/{ours}"].sum(axis=0).astype(int).tolist() == \
            [r.correct, r.incorrect, r.partial, r.missed, r.spurious], ours
        for t in types:
            key = f"mentions/{ours}/{t}"
            mine = tally.semeval[key].sum(axis=0).astype(int).tolist() if key in tally.semeval \
                else [0] * 5
            r = result["entities"].get(t, {}).get(theirs)
            assert mine == ([r.correct, r.incorrect, r.partial, r.missed, r.spurious]
                            if r else [0] * 5), key
            checked += 1
    assert checked == 4 * len(types)
    # The comparison is not vacuous: every kind of count occurs.
    totals = sum(tally.semeval[f"mentions/{s}"].sum(axis=0) for s in NERVALUATE_SCHEME)
    assert (totals > 100).all()


def _random_clustering(rng: random.Random, doc: int):
    """Gold and predicted clusters of one document over spans (start, end)."""
    spans = [(10 * k, 10 * k + rng.randint(1, 9)) for k in range(rng.randint(1, 14))]
    gold, pool = [], spans[:]
    rng.shuffle(pool)
    while pool:
        size = rng.randint(1, 4)
        gold.append(pool[:size])
        pool = pool[size:]
    kept = [s for s in spans if rng.random() > 0.15]
    kept += [(10 * k + 2, 10 * k + 5) for k in range(20, 20 + rng.randint(0, 3))]
    rng.shuffle(kept)
    pred = []
    while kept:
        size = rng.randint(1, 5)
        pred.append(kept[:size])
        kept = kept[size:]
    return gold, pred


def _doc(doc_id, clusters):
    mentions, actors = [], []
    for k, cluster in enumerate(clusters):
        ids = []
        for s, e in cluster:
            ids.append(f"m{len(mentions)}")
            mentions.append({"id": ids[-1], "start": s, "end": e, "type": "PERSON"})
        actors.append({"id": f"a{k}", "name": "?", "type": "PERSON", "mention_ids": ids})
    return {"id": doc_id, "text": "x" * 400, "mentions": mentions, "actors": actors}


def test_coreference_counts_equal_scorch_per_document(monkeypatch):
    """MUC, B³ and CEAF-e numerators and denominators of every document equal scorch's (the
    numerator recovered as its recall or precision times the denominator)."""
    # scorch's F1 uses statistics.harmonic_mean, which raises when recall and precision are
    # both 0; only recall and precision are compared here.
    monkeypatch.setattr(scorch, "harmonic_mean", lambda values: 0.0)
    rng = random.Random(7)
    pairs, clusterings = [], []
    for d in range(2000):
        gold, pred = _random_clustering(rng, d)
        pairs.append((_doc(f"d{d}", gold), _doc(f"d{d}", pred)))
        clusterings.append(([set(c) for c in gold], [set(c) for c in pred]))
    tally, *_ = score_documents(pairs, ["mentions", "actors"])
    for d, (key, response) in enumerate(clusterings):
        muc, b3, ceafe = (tally.prf[f"actors/{m}"][d] for m in ("muc", "b3", "ceafe"))
        r, p, _ = scorch.muc(key, response)
        assert muc[3] == sum(len(k) - 1 for k in key)
        assert muc[1] == sum(len(c) - 1 for c in response)
        assert muc[2] == pytest.approx(r * muc[3], abs=1e-9)
        assert muc[0] == pytest.approx(p * muc[1], abs=1e-9)
        r, p, _ = scorch.b_cubed(key, response)
        assert b3[2] == pytest.approx(r * b3[3], abs=1e-9)
        assert b3[0] == pytest.approx(p * b3[1], abs=1e-9)
        r, p, _ = scorch.ceaf_e(key, response)
        assert (ceafe[3], ceafe[1]) == (len(key), len(response))
        assert ceafe[2] == pytest.approx(r * len(key), abs=1e-9)
        assert ceafe[0] == pytest.approx(p * len(response), abs=1e-9)


def _brute_force(edges):
    """Best total weight over all one-to-one subsets of ``edges`` [(g, p, w)]."""
    best = 0.0
    for r in range(len(edges) + 1):
        for subset in itertools.combinations(edges, r):
            if len({g for g, _, _ in subset}) == r and len({p for _, p, _ in subset}) == r:
                best = max(best, sum(w for _, _, w in subset))
    return best


def test_assignment_is_optimal_on_random_small_graphs():
    rng = random.Random(3)
    for _ in range(300):
        edges = {}
        for _ in range(rng.randint(1, 8)):
            edges[(rng.randint(0, 3), rng.randint(0, 3))] = float(rng.choice((1, 2, 3, 5, 8)))
        items = [(g, p, w) for (g, p), w in edges.items()]
        gi = np.array([g for g, _, _ in items])
        pi = np.array([p for _, p, _ in items])
        w = np.array([w for _, _, w in items])
        chosen = assign(gi, pi, w)
        assert len(set(gi[chosen])) == chosen.sum() and len(set(pi[chosen])) == chosen.sum()
        assert w[chosen].sum() == _brute_force(items)


def test_token_counts_equal_str_split():
    rng = random.Random(5)
    alphabet = ["a", "b", " ", "\n", "\t", "\u00a0", "é", "\u2003", "语", "."]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(300)]
    texts += ["plain ascii words only", " leading and trailing "]
    index = TokenIndex(texts, chunk=37)
    doc, a, b, want = [], [], [], []
    for d, t in enumerate(texts):
        for _ in range(20):
            s = rng.randint(0, len(t))
            e = rng.randint(s, len(t))
            doc.append(d)
            a.append(s)
            b.append(e)
            want.append(len(t[s:e].split()))
    got = index.count(np.array(doc), np.array(a), np.array(b))
    assert got.tolist() == want


def test_small_blocks_give_the_same_counts_whatever_the_chunk_size(monkeypatch):
    from communique.eval import matching

    pairs = list(corpus(200, seed=8))
    whole, *_ = score_documents(pairs)
    monkeypatch.setattr(matching, "BLOCK_CHUNK", 7)
    chunked, *_ = score_documents(pairs)
    assert whole.prf.keys() == chunked.prf.keys()
    assert all(np.array_equal(whole.prf[k], chunked.prf[k]) for k in whole.prf)
