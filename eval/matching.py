"""Vectorised building blocks of the scorers: overlapping span pairs, one-to-one optimal matching,
multiset intersections and token counts, all over whole-corpus numpy arrays.

Spans are half-open ``[start, end)`` code-point offsets; a span row always carries its document
index, and nothing ever matches across documents.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

# Python's str.split() separators, so that a token here is what ``text.split()`` yields.
_SPACE_CODES = np.array([c for c in range(0x3100) if chr(c).isspace()], dtype=np.uint32)


def search(sorted_values: np.ndarray, queries: np.ndarray, side: str = "left") -> np.ndarray:
    """``np.searchsorted`` with the queries sorted first: numpy then narrows each search from
    the previous answer, several times faster than random lookups into a large array."""
    if len(queries) < 2 or bool((queries[1:] >= queries[:-1]).all()):
        return np.searchsorted(sorted_values, queries, side)
    order = np.argsort(queries, kind="stable")
    out = np.empty(len(queries), dtype=np.int64)
    out[order] = np.searchsorted(sorted_values, queries[order], side)
    return out


def dense_key(*cols: np.ndarray) -> np.ndarray:
    """One int64 id per row (0, 1, 2, …) such that rows get equal ids exactly when all columns
    are equal. Columns are packed into one integer while it fits, re-densified when not."""
    key: np.ndarray | None = None
    span = 1
    for col in cols:
        col = np.asarray(col, dtype=np.int64)
        lo = int(col.min(initial=0))
        width = int(col.max(initial=0)) - lo + 1
        if width >= 2 ** 31:
            _, col = np.unique(col, return_inverse=True)
            lo, width = 0, int(col.max(initial=0)) + 1
        if key is None:
            key, span = col - lo, width
            continue
        if span * width >= 2 ** 62:
            _, key = np.unique(key, return_inverse=True)
            span = int(key.max(initial=0)) + 1
        key = key * width + (col - lo)
        span *= width
    if key is None or len(key) == 0:
        return np.zeros(0 if key is None else len(key), dtype=np.int64)
    _, key = np.unique(key, return_inverse=True)
    return key.astype(np.int64)


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


def equal_key_pairs(gold_key: np.ndarray, pred_key: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Every (gold row, predicted row) pair with equal keys (from ``dense_key``, so within one
    document), ordered by predicted row, then gold row."""
    order = np.argsort(gold_key, kind="stable")
    sorted_key = gold_key[order]
    lo = np.searchsorted(sorted_key, pred_key, "left")
    counts = np.searchsorted(sorted_key, pred_key, "right") - lo
    pi = np.repeat(np.arange(len(pred_key), dtype=np.int64), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    gi = order[np.repeat(lo, counts) + offsets].astype(np.int64)
    return gi, pi


def equal_key_matching(gold_key: np.ndarray, pred_key: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """A one-to-one matching of rows with equal keys (from ``dense_key``): the k-th gold row
    of a key (in row order) with its k-th predicted row, so a key pairs min(gold, predicted)
    times, the multiset intersection ``multiset_tp`` counts. Ordered by gold row."""
    ranked = []
    for key in (gold_key, pred_key):
        order = np.argsort(key, kind="stable")
        ordered = key[order].astype(np.int64)
        rank = np.arange(len(key)) - np.searchsorted(ordered, ordered, "left")
        ranked.append((order, ordered, rank))
    width = max(len(gold_key), len(pred_key)) + 1
    (go, gk, gr), (po, pk, pr) = ranked
    _, at_g, at_p = np.intersect1d(gk * width + gr, pk * width + pr, assume_unique=True,
                                   return_indices=True)
    gi, pi = go[at_g].astype(np.int64), po[at_p].astype(np.int64)
    first = np.argsort(gi, kind="stable")
    return gi[first], pi[first]


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
    lo = search(key, base + np.maximum(p_start - longest + 1, 0), "left")
    hi = search(key, base + p_end, "left")
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


def _small_matchings(k: int) -> list[tuple[tuple[int, int], ...]]:
    """Every one-to-one set of cells of a k×k grid, fewest cells first."""
    cells = [(r, c) for r in range(k) for c in range(k)]
    out = []
    for size in range(k + 1):
        for chosen in itertools.combinations(cells, size):
            if len({r for r, _ in chosen}) == size and len({c for _, c in chosen}) == size:
                out.append(chosen)
    return out


SMALL = 3
BLOCK_CHUNK = 100_000  # components evaluated together
# Padded (cells, rows, cols) of every matching of a SMALL×SMALL block, empty cells at (0, 0)
# with a mask, for evaluating all of them at once.
_MATCHINGS = _small_matchings(SMALL)
_CELL_R = np.array([[r for r, _ in m] + [0] * (SMALL - len(m)) for m in _MATCHINGS])
_CELL_C = np.array([[c for _, c in m] + [0] * (SMALL - len(m)) for m in _MATCHINGS])
_CELL_ON = np.array([[True] * len(m) + [False] * (SMALL - len(m)) for m in _MATCHINGS])


def _assign_blocks(gi: np.ndarray, pi: np.ndarray, weight: np.ndarray,
                   index: np.ndarray) -> np.ndarray:
    """Maximum-weight matching of the remaining connected components. Components with at most
    three items on each side are solved by evaluating every matching at once; the rest as one
    sparse assignment problem."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows, g = np.unique(gi, return_inverse=True)
    cols, p = np.unique(pi, return_inverse=True)
    ng, npred = len(rows), len(cols)
    graph = coo_matrix((np.ones(len(g)), (g, ng + p)), shape=(ng + npred, ng + npred))
    _, label = connected_components(graph, directed=False)
    comp = label[g]
    # Position of each item inside its component, and component sizes.
    g_local = _rank_within(label[:ng])
    p_local = _rank_within(label[ng:])
    size_g = np.bincount(label[:ng], minlength=label.max() + 1)
    size_p = np.bincount(label[ng:], minlength=label.max() + 1)
    small = (size_g[comp] <= SMALL) & (size_p[comp] <= SMALL)
    kept = []
    if small.any():
        rows_small = np.flatnonzero(small)
        ids, slot = np.unique(comp[rows_small], return_inverse=True)
        order = np.argsort(slot, kind="stable")
        bounds = np.searchsorted(slot[order], np.arange(0, len(ids) + BLOCK_CHUNK, BLOCK_CHUNK))
        # In chunks of components, so that memory stays bounded (34 matchings × 3 cells each).
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            if hi == lo:
                continue
            part = rows_small[order[lo:hi]]
            local = slot[order[lo:hi]] - slot[order[lo]]
            m = int(local.max()) + 1
            w = np.zeros((m, SMALL, SMALL))
            pair = np.full((m, SMALL, SMALL), -1, dtype=np.int64)
            lr, lc = g_local[g[part]], p_local[p[part]]
            w[local, lr, lc] = weight[part]
            pair[local, lr, lc] = index[part]
            totals = (w[:, _CELL_R, _CELL_C] * _CELL_ON).sum(axis=2)
            best = totals.argmax(axis=1)
            chosen = pair[np.arange(m)[:, None], _CELL_R[best], _CELL_C[best]]
            chosen = chosen[_CELL_ON[best]]
            kept.append(chosen[chosen >= 0])
    large = np.flatnonzero(~small)
    if len(large):
        kept.append(_assign_sparse(gi[large], pi[large], weight[large], index[large]))
    return np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)


def _rank_within(label: np.ndarray) -> np.ndarray:
    """0, 1, 2, … for the items of each label, in item order."""
    order = np.argsort(label, kind="stable")
    ranks = np.empty(len(label), dtype=np.int64)
    counts = np.bincount(label)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ranks[order] = np.arange(len(label)) - np.repeat(first, counts)
    return ranks


def _assign_sparse(gi: np.ndarray, pi: np.ndarray, weight: np.ndarray,
                   index: np.ndarray) -> np.ndarray:
    """Maximum-weight matching as one sparse assignment problem (LAPJVsp). Every item gets a
    private dummy partner and each real edge (g, p) a dummy-dummy edge, all of weight 1, with
    real edges at weight + 1: a perfect matching always exists and its total is the real
    matching's weight plus a constant."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    rows, g = np.unique(gi, return_inverse=True)
    cols, p = np.unique(pi, return_inverse=True)
    ng, npred = len(rows), len(cols)
    n = ng + npred
    r = np.concatenate([g, np.arange(ng), ng + np.arange(npred), ng + p])
    c = np.concatenate([p, npred + np.arange(ng), np.arange(npred), npred + g])
    w = np.concatenate([weight + 1.0, np.ones(ng), np.ones(npred), np.ones(len(p))])
    graph = coo_matrix((w, (r, c)), shape=(n, n)).tocsr()
    ri, ci = min_weight_full_bipartite_matching(graph, maximize=True)
    real = (ri < ng) & (ci < npred)
    code = g.astype(np.int64) * npred + p
    found = np.searchsorted(np.sort(code), ri[real].astype(np.int64) * npred + ci[real])
    return index[np.argsort(code, kind="stable")[found]]


class TokenIndex:
    """Whitespace tokens of every document text, for counting tokens inside any span fast.

    A token is a maximal run of non-whitespace code points (what ``str.split()`` yields);
    ``count(doc, a, b)`` is ``len(text[a:b].split())``, vectorised.
    """

    def __init__(self, texts: Sequence[str], chunk: int = 5000):
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        self.offsets = np.concatenate([[0], np.cumsum(lengths)])
        control_space = _SPACE_CODES[_SPACE_CODES < 32].astype(np.uint8)
        # int32 halves the memory (a corpus below 2**31 code points, i.e. any real one).
        dtype = np.int32 if self.offsets[-1] < 2 ** 31 else np.int64
        starts, ends = [], []
        for i in range(0, len(texts), chunk):
            joined = "\n".join(texts[i:i + chunk]) + "\n"
            word = np.empty(len(joined) + 1, dtype=bool)
            word[0] = False
            if joined.isascii():
                codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
                np.greater(codes, 32, out=word[1:])
                low = codes < 32
                if low.any():  # control characters other than whitespace are word characters
                    word[1:] |= low & ~np.isin(codes, control_space)
            else:
                codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
                word[1:] = ~np.isin(codes, _SPACE_CODES)
            # Word runs alternate with space runs and every chunk ends with a separator, so the
            # boundaries are start, end, start, end, …
            edges = np.flatnonzero(word[1:] != word[:-1]) + self.offsets[i]
            starts.append(edges[0::2].astype(dtype))
            ends.append(edges[1::2].astype(dtype))
        self.starts = np.concatenate(starts) if starts else np.zeros(0, dtype)
        self.ends = np.concatenate(ends) if ends else np.zeros(0, dtype)

    def count(self, doc: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Number of tokens that intersect ``[a, b)`` in each row's document (0 when a >= b)."""
        base = self.offsets[doc]
        # Queries in the index's own dtype: a mismatch would copy the index on every search.
        ga, gb = (base + a).astype(self.starts.dtype), (base + b).astype(self.starts.dtype)
        n = search(self.starts, gb, "left") - search(self.ends, ga, "right")
        return np.where(b > a, np.maximum(n, 0), 0)

    def overlap(self, doc: np.ndarray, a1: np.ndarray, b1: np.ndarray, a2: np.ndarray,
                b2: np.ndarray) -> np.ndarray:
        """Tokens of the intersection of ``[a1, b1)`` and ``[a2, b2)``."""
        return self.count(doc, np.maximum(a1, a2), np.minimum(b1, b2))
