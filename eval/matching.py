"""Vectorised building blocks of the scorers: overlapping span pairs, one-to-one optimal matching,
multiset intersections and token counts, all over whole-corpus numpy arrays.

Spans are half-open ``[start, end)`` code-point offsets; a span row always carries its document
index, and nothing ever matches across documents.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

# Python's str.split() separators, so that a token here is what ``text.split()`` yields.
_SPACE_CODES = np.array([c for c in range(0x3100) if chr(c).isspace()], dtype=np.uint32)


def dense_key(*cols: np.ndarray) -> np.ndarray:
    """One int64 id per row such that rows get equal ids exactly when all columns are equal."""
    key = np.zeros(len(cols[0]), dtype=np.int64)
    for col in cols:
        col = np.asarray(col, dtype=np.int64)
        _, col = np.unique(col, return_inverse=True)
        combined = key * (int(col.max(initial=0)) + 1) + col
        _, key = np.unique(combined, return_inverse=True)
        key = key.astype(np.int64)
    return key


def multiset_tp(gold_key: np.ndarray, gold_doc: np.ndarray, pred_key: np.ndarray,
                n_docs: int) -> np.ndarray:
    """Per-document size of the multiset intersection of gold and predicted keys.

    Keys must already include the document (see ``dense_key``), so equal keys share a document.
    """
    if len(gold_key) == 0 or len(pred_key) == 0:
        return np.zeros(n_docs)
    size = int(max(gold_key.max(), pred_key.max())) + 1
    cg = np.bincount(gold_key, minlength=size)
    cp = np.bincount(pred_key, minlength=size)
    tp = np.minimum(cg, cp)
    doc_of = np.zeros(size, dtype=np.int64)
    doc_of[gold_key] = gold_doc
    return np.bincount(doc_of, weights=tp, minlength=n_docs)


def overlap_pairs(g_doc: np.ndarray, g_start: np.ndarray, g_end: np.ndarray,
                  p_doc: np.ndarray, p_start: np.ndarray, p_end: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Every (gold row, predicted row) pair in one document whose spans share a code point."""
    if len(g_doc) == 0 or len(p_doc) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    scale = int(max(g_end.max(), p_end.max())) + 2
    order = np.lexsort((g_start, g_doc))
    key = g_doc[order].astype(np.int64) * scale + g_start[order]
    longest = int((g_end - g_start).max())
    base = p_doc.astype(np.int64) * scale
    lo = np.searchsorted(key, base + np.maximum(p_start - longest + 1, 0), "left")
    hi = np.searchsorted(key, base + p_end, "left")
    counts = hi - lo
    pi = np.repeat(np.arange(len(p_doc)), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    gi = order[np.repeat(lo, counts) + offsets]
    keep = g_end[gi] > p_start[pi]
    gi, pi = gi[keep], pi[keep]
    resort = np.lexsort((gi, pi))
    return gi[resort].astype(np.int64), pi[resort].astype(np.int64)


def assign(gi: np.ndarray, pi: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Which candidate pairs a maximum-weight one-to-one matching keeps (a boolean mask).

    Every pair has a positive weight. Components that are a single pair or a star (one item with
    several partners that have no other partner) are solved directly; the rest per connected
    block with ``scipy.optimize.linear_sum_assignment``. Ties go to the earlier pair.
    """
    n = len(gi)
    matched = np.zeros(n, dtype=bool)
    if n == 0:
        return matched
    deg_g = np.bincount(gi)
    deg_p = np.bincount(pi)
    dg, dp = deg_g[gi], deg_p[pi]
    matched |= (dg == 1) & (dp == 1)
    done = matched.copy()
    for center, other_deg, center_deg in ((gi, dp, dg), (pi, dg, dp)):
        size = int(center.max()) + 1
        worst = np.zeros(size, dtype=np.int64)
        np.maximum.at(worst, center, other_deg)
        star = (center_deg > 1) & (worst[center] == 1)
        if star.any():
            idx = np.flatnonzero(star)
            # Highest weight first, then earliest pair: the first row per center wins.
            order = idx[np.lexsort((idx, -weight[idx], center[idx]))]
            first = np.ones(len(order), dtype=bool)
            first[1:] = center[order][1:] != center[order][:-1]
            matched[order[first]] = True
            done[idx] = True
    rest = np.flatnonzero(~done)
    if len(rest):
        matched[_assign_blocks(gi[rest], pi[rest], weight[rest], rest)] = True
    return matched


def _components(gi: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """Connected-component label of each pair of a bipartite edge list."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    _, g = np.unique(gi, return_inverse=True)
    _, p = np.unique(pi, return_inverse=True)
    ng, npred = int(g.max()) + 1, int(p.max()) + 1
    graph = coo_matrix((np.ones(len(g)), (g, ng + p)), shape=(ng + npred, ng + npred))
    _, labels = connected_components(graph, directed=False)
    return labels[g]


def _assign_blocks(gi: np.ndarray, pi: np.ndarray, weight: np.ndarray,
                   index: np.ndarray) -> np.ndarray:
    comp = _components(gi, pi)
    order = np.argsort(comp, kind="stable")
    bounds = np.flatnonzero(np.diff(comp[order])) + 1
    kept = []
    for block in np.split(order, bounds):
        rows, r = np.unique(gi[block], return_inverse=True)
        cols, c = np.unique(pi[block], return_inverse=True)
        matrix = np.zeros((len(rows), len(cols)))
        matrix[r, c] = weight[block]
        pair = np.full((len(rows), len(cols)), -1, dtype=np.int64)
        pair[r, c] = index[block]
        ri, ci = linear_sum_assignment(matrix, maximize=True)
        chosen = pair[ri, ci]
        kept.append(chosen[(chosen >= 0) & (matrix[ri, ci] > 0)])
    return np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)


class TokenIndex:
    """Whitespace tokens of every document text, for counting tokens inside any span fast.

    A token is a maximal run of non-whitespace code points (what ``str.split()`` yields);
    ``count(doc, a, b)`` is ``len(text[a:b].split())``, vectorised.
    """

    def __init__(self, texts: Sequence[str], chunk: int = 5000):
        starts, ends, offsets = [], [], np.zeros(len(texts) + 1, dtype=np.int64)
        pos = 0
        for i in range(0, len(texts), chunk):
            part = texts[i:i + chunk]
            joined = "\n".join(part) + "\n"
            if joined.isascii():
                codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
                space = np.isin(codes, _SPACE_CODES[_SPACE_CODES < 128].astype(np.uint8))
            else:
                codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
                space = np.isin(codes, _SPACE_CODES)
            word = ~space
            edge = np.diff(word.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
            starts.append(np.flatnonzero(edge == 1) + pos)
            ends.append(np.flatnonzero(edge == -1) + pos)
            for k, t in enumerate(part, i):
                offsets[k + 1] = offsets[k] + len(t) + 1
            pos += len(joined)
        self.offsets = offsets
        self.starts = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
        self.ends = np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)

    def count(self, doc: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Number of tokens that intersect ``[a, b)`` in each row's document (0 when a >= b)."""
        base = self.offsets[doc]
        ga, gb = base + a, base + b
        n = np.searchsorted(self.starts, gb, "left") - np.searchsorted(self.ends, ga, "right")
        return np.where(b > a, np.maximum(n, 0), 0)

    def overlap(self, doc: np.ndarray, a1: np.ndarray, b1: np.ndarray, a2: np.ndarray,
                b2: np.ndarray) -> np.ndarray:
        """Tokens of the intersection of ``[a1, b1)`` and ``[a2, b2)``."""
        return self.count(doc, np.maximum(a1, a2), np.minimum(b1, b2))
