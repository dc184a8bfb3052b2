"""The metrics of every layer, as per-document counts (definitions in eval/README.md).

Each metric yields an ``(n_docs, 4)`` array of additive counts ``[tp_p, pred, tp_r, gold]``:
precision is ``Σtp_p / Σpred`` and recall ``Σtp_r / Σgold`` over any set of documents, so the
corpus score, bootstrap resamples and significance tests all reuse the same per-document rows
(sacreBLEU keeps sufficient statistics the same way). Mention schemes also keep their SemEval
counts ``[cor, inc, par, mis, spu]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from communique.schemas.spec import load_spec

from .columns import Side
from .matching import (TokenIndex, assign, dense_key, equal_key_matching, equal_key_pairs,
                       multiset_tp, overlap_pairs)

SCHEMES = ("strict", "exact", "partial", "type")
# Lexicographic weights for the mention matching: credit first, then exact matches, then the
# number of matched pairs. 2**20 exceeds any number of pairs one document can match.
_K = float(2 ** 20)
# SemEval-2016 Task 6 averages F1 over the two polar classes only; neutral is not averaged.
NON_POLAR_STANCE = "neutral"


@dataclass
class Tally:
    """Per-document counts of every metric, keyed ``layer/metric[/label]``: ``prf`` holds the
    ``(n_docs, 4)`` rows ``[tp_p, pred, tp_r, gold]``, ``semeval`` the mention schemes'
    ``(n_docs, 5)`` rows ``[cor, inc, par, mis, spu]``, ``docs`` each scored layer's document
    mask, and ``detail`` (only when asked for) matched pairs ``(gold rows, predicted rows,
    correct)`` for the report: mentions under the strict and type schemes, events' Tri-C pairs
    (correct: same modality), attributions' exact relation pairs (all correct) and overlap
    relation pairs (correct: every part exact), and positions' relation pairs (correct: same
    stance)."""

    n_docs: int
    prf: dict[str, np.ndarray] = field(default_factory=dict)
    semeval: dict[str, np.ndarray] = field(default_factory=dict)
    docs: dict[str, np.ndarray] = field(default_factory=dict)
    detail: dict[str, object] = field(default_factory=dict)


def _prf(n_docs: int, doc_tp_p, tp_p, doc_pred, doc_tp_r, tp_r, doc_gold) -> np.ndarray:
    """Build the ``[tp_p, pred, tp_r, gold]`` rows from item-level document indices."""
    out = np.zeros((n_docs, 4))
    out[:, 0] = np.bincount(doc_tp_p, weights=tp_p, minlength=n_docs)
    out[:, 1] = np.bincount(doc_pred, minlength=n_docs)
    out[:, 2] = np.bincount(doc_tp_r, weights=tp_r, minlength=n_docs)
    out[:, 3] = np.bincount(doc_gold, minlength=n_docs)
    return out


def _counts(n: int, tp: np.ndarray, pred_doc: np.ndarray, gold_doc: np.ndarray) -> np.ndarray:
    out = np.zeros((n, 4))
    out[:, 0] = out[:, 2] = tp
    out[:, 1] = np.bincount(pred_doc, minlength=n)
    out[:, 3] = np.bincount(gold_doc, minlength=n)
    return out


def _joint(*pairs: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Dense keys over gold and predicted rows together, so equal tuples get equal keys."""
    n = len(pairs[0][0])
    key = dense_key(*[np.concatenate([np.asarray(g, dtype=np.int64), np.asarray(p, dtype=np.int64)])
                      for g, p in pairs])
    return key[:n], key[n:]


def _exact(n_docs: int, g_doc, p_doc, *cols: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Multiset matching of exact tuples (the document is always part of the tuple)."""
    gk, pk = _joint((g_doc, p_doc), *cols)
    return _counts(n_docs, multiset_tp(gk, g_doc, pk, n_docs), p_doc, g_doc)


def _by_keys(n_docs: int, gold_key, gold_doc, pred_key, pred_doc) -> np.ndarray:
    """Multiset matching of dense keys (from ``_joint``, which include the document)."""
    return _counts(n_docs, multiset_tp(gold_key, gold_doc, pred_key, n_docs), pred_doc, gold_doc)


def _semeval(gi, pi, cor, partial: bool, g_group, p_group, n_groups: int):
    """SemEval-2013 counts per group after the lexicographic optimal matching."""
    credit2 = (1 + cor) if partial else 2 * cor
    weight = credit2 * _K * _K + cor * _K + 1.0
    matched = assign(gi, pi, weight)
    out = np.zeros((n_groups, 5))
    hit = matched & cor
    miss = matched & ~cor
    out[:, 0] = np.bincount(g_group[gi[hit]], minlength=n_groups)
    out[:, 2 if partial else 1] = np.bincount(g_group[gi[miss]], minlength=n_groups)
    n_match = np.bincount(g_group[gi[matched]], minlength=n_groups)
    out[:, 3] = np.bincount(g_group, minlength=n_groups) - n_match
    out[:, 4] = np.bincount(p_group, minlength=n_groups) - n_match
    return out, matched


def semeval_prf(counts: np.ndarray, scheme: str) -> np.ndarray:
    """``[tp_p, pred, tp_r, gold]`` rows from ``[cor, inc, par, mis, spu]`` rows."""
    cor, inc, par, mis, spu = counts.T
    tp = cor + 0.5 * par if scheme in ("partial", "type") else cor
    return np.stack([tp, cor + inc + par + spu, tp, cor + inc + par + mis], axis=1)


def _select(doc: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rows whose document is scored."""
    return np.flatnonzero(mask[doc]) if len(doc) else np.zeros(0, dtype=np.int64)


def score_mentions(tally: Tally, gold: Side, pred: Side, mask: np.ndarray,
                   keep_detail: bool = False) -> None:
    """The four SemEval-2013 schemes, overall and per mention type."""
    n = tally.n_docs
    types = load_spec().labels["mention_type"].names
    G, P = gold.mentions, pred.mentions
    gs = _select(G["doc"], mask)
    ps = _select(P["doc"], mask)
    gd, gst, gen, gty = (G[c][gs] for c in ("doc", "start", "end", "type"))
    pd, pst, pen, pty = (P[c][ps] for c in ("doc", "start", "end", "type"))
    gi, pi = overlap_pairs(gd, gst, gen, pd, pst, pen)
    exact = (gst[gi] == pst[pi]) & (gen[gi] == pen[pi])
    same = gty[gi] == pty[pi]
    cors = {"strict": exact & same, "exact": exact, "partial": exact, "type": same}
    for scheme in SCHEMES:
        counts, matched = _semeval(gi, pi, cors[scheme], scheme == "partial", gd, pd, n)
        tally.semeval[f"mentions/{scheme}"] = counts
        if keep_detail and scheme in ("strict", "type"):
            tally.detail[f"mentions/{scheme}"] = (gs[gi[matched]], ps[pi[matched]],
                                                  cors[scheme][matched])
    nt = len(types)
    sel = same
    tgi, tpi = gi[sel], pi[sel]
    texact = exact[sel]
    ggroup, pgroup = gd * nt + gty, pd * nt + pty
    per_type = {
        "strict": _semeval(tgi, tpi, texact, False, ggroup, pgroup, n * nt)[0],
        "partial": _semeval(tgi, tpi, texact, True, ggroup, pgroup, n * nt)[0],
        "type": _semeval(tgi, tpi, np.ones(len(tgi), dtype=bool), False, ggroup, pgroup, n * nt)[0],
    }
    per_type["exact"] = per_type["strict"]
    for scheme, counts in per_type.items():
        counts = counts.reshape(n, nt, 5)
        for k, t in enumerate(types):
            if counts[:, k, :].any():
                tally.semeval[f"mentions/{scheme}/{t}"] = counts[:, k, :]
    for key, counts in tally.semeval.items():
        tally.prf[key] = semeval_prf(counts, key.split("/")[1])
    tally.docs["mentions"] = mask


def score_actors(tally: Tally, gold: Side, pred: Side, mask: np.ndarray) -> None:
    """MUC, B³ and CEAF-e over actor clusters, mentions identified by their offsets."""
    n = tally.n_docs
    sides = []
    for side in (gold, pred):
        C, M = side.clusters, side.mentions
        rows = _select(C["doc"], mask)
        m = C["mention"][rows]
        sides.append((C["doc"][rows], C["cluster"][rows], M["start"][m], M["end"][m]))
    (gd, gk, gs, ge), (pd, pk, ps, pe) = sides
    ge_key, pe_key = _joint((gd, pd), (gs, ps), (ge, pe))
    # A span listed twice on one side counts once, in its first cluster.
    _, gfirst = np.unique(ge_key, return_index=True)
    _, pfirst = np.unique(pe_key, return_index=True)
    gfirst.sort()
    pfirst.sort()
    gd, gk, ge_key = gd[gfirst], gk[gfirst], ge_key[gfirst]
    pd, pk, pe_key = pd[pfirst], pk[pfirst], pe_key[pfirst]
    _, gk = np.unique(gk, return_inverse=True)
    _, pk = np.unique(pk, return_inverse=True)
    ksize, rsize = np.bincount(gk), np.bincount(pk)
    kdoc = np.zeros(len(ksize), dtype=np.int64)
    kdoc[gk] = gd
    rdoc = np.zeros(len(rsize), dtype=np.int64)
    rdoc[pk] = pd
    size = int(max(ge_key.max(initial=-1), pe_key.max(initial=-1))) + 1
    pred_cluster = np.full(size, -1, dtype=np.int64)
    pred_cluster[pe_key] = pk
    r_of = pred_cluster[ge_key]
    shared = r_of >= 0
    pair_k, pair_r = gk[shared], r_of[shared]
    if len(pair_k):
        pk_key = pair_k * (len(rsize) + 1) + pair_r
        uniq, nkr = np.unique(pk_key, return_counts=True)
        pair_k, pair_r = uniq // (len(rsize) + 1), uniq % (len(rsize) + 1)
    else:
        nkr = np.zeros(0, dtype=np.int64)
    nkr = nkr.astype(float)
    doc = kdoc[pair_k]
    muc = np.zeros((n, 4))
    muc[:, 0] = muc[:, 2] = np.bincount(doc, weights=nkr - 1, minlength=n)
    muc[:, 1] = np.bincount(rdoc, weights=rsize - 1, minlength=n)
    muc[:, 3] = np.bincount(kdoc, weights=ksize - 1, minlength=n)
    b3 = np.zeros((n, 4))
    b3[:, 0] = np.bincount(doc, weights=nkr ** 2 / rsize[pair_r], minlength=n) if len(doc) else 0
    b3[:, 2] = np.bincount(doc, weights=nkr ** 2 / ksize[pair_k], minlength=n) if len(doc) else 0
    b3[:, 1] = np.bincount(rdoc, weights=rsize, minlength=n)
    b3[:, 3] = np.bincount(kdoc, weights=ksize, minlength=n)
    phi = 2 * nkr / (ksize[pair_k] + rsize[pair_r])
    matched = assign(pair_k, pair_r, phi)
    ceafe = np.zeros((n, 4))
    ceafe[:, 0] = ceafe[:, 2] = np.bincount(doc[matched], weights=phi[matched], minlength=n)
    ceafe[:, 1] = np.bincount(rdoc, minlength=n)
    ceafe[:, 3] = np.bincount(kdoc, minlength=n)
    tally.prf.update({"actors/muc": muc, "actors/b3": b3, "actors/ceafe": ceafe})
    tally.docs["actors"] = mask


def entities(gold: Side, pred: Side) -> tuple[np.ndarray, np.ndarray]:
    """The gold actor each mention refers to: for a gold mention its cluster (or the mention
    itself when it is in no actor); for a predicted mention that of the gold mention with the
    same offsets, or a key of its own that matches nothing."""
    G, P = gold.mentions, pred.mentions
    ng = len(G["doc"])
    cluster = np.full(ng, -1, dtype=np.int64)
    cluster[gold.clusters["mention"]] = gold.clusters["cluster"]
    offset = int(gold.clusters["cluster"].max(initial=-1)) + 1
    g_ent = np.where(cluster >= 0, cluster, offset + np.arange(ng))
    gk, pk = _joint((G["doc"], P["doc"]), (G["start"], P["start"]), (G["end"], P["end"]))
    size = int(max(gk.max(initial=-1), pk.max(initial=-1))) + 1
    by_key = np.full(size, -1, dtype=np.int64)
    by_key[gk[::-1]] = g_ent[::-1]  # the first gold mention with those offsets wins
    p_ent = by_key[pk] if len(pk) else np.zeros(0, dtype=np.int64)
    p_ent = np.where(p_ent >= 0, p_ent, -1 - np.arange(len(pk)))
    return g_ent, p_ent


def score_events(tally: Tally, gold: Side, pred: Side, mask: np.ndarray,
                 ents: tuple[np.ndarray, np.ndarray], keep_detail: bool = False) -> None:
    """Tri-I, Tri-C, Arg-I, Arg-C and their coreference-aware argument variants; modality on
    the Tri-C pairs (accuracy, per label, Tri-C+modality); ``ents`` is ``entities(gold,
    pred)``. ``keep_detail`` keeps the Tri-C pairs ``(gold rows, predicted rows, same
    modality)`` for the report."""
    n = tally.n_docs
    types = load_spec().labels["event_type"].names
    G, P = gold.events, pred.events
    gs = _select(G["doc"], mask)
    ps = _select(P["doc"], mask)
    g = {c: G[c][gs] for c in G}
    p = {c: P[c][ps] for c in P}
    # Keys are built step by step (trigger, + type, + argument, + role) so that each step packs
    # into one integer and needs one sort.
    tri_g, tri_p = _joint((g["doc"], p["doc"]), (g["start"], p["start"]), (g["end"], p["end"]))
    tally.prf["events/tri_i"] = _by_keys(n, tri_g, g["doc"], tri_p, p["doc"])
    tc_g, tc_p = _joint((tri_g, tri_p), (g["type"], p["type"]))
    tally.prf["events/tri_c"] = _by_keys(n, tc_g, g["doc"], tc_p, p["doc"])
    nt = len(types)
    ggroup, pgroup = g["doc"] * nt + g["type"], p["doc"] * nt + p["type"]
    tp = multiset_tp(tc_g, ggroup, tc_p, n * nt)
    per = _counts(n * nt, tp, pgroup, ggroup).reshape(n, nt, 4)
    for k, t in enumerate(types):
        if per[:, k, :].any():
            tally.prf[f"events/tri_c/{t}"] = per[:, k, :]
    _score_modality(tally, g, p, tc_g, tc_p, (gs, ps) if keep_detail else None)
    args = []
    for side, rows, key, ent in ((gold, gs, tc_g, ents[0]), (pred, ps, tc_p, ents[1])):
        A, E, M = side.arguments, side.events, side.mentions
        event_key = np.full(len(E["doc"]), -1, dtype=np.int64)
        event_key[rows] = key
        sel = _select(E["doc"][A["event"]], mask)
        ev, m = A["event"][sel], A["mention"][sel]
        args.append({"doc": E["doc"][ev], "event": event_key[ev], "ms": M["start"][m],
                     "me": M["end"][m], "role": A["role"][sel], "ent": ent[m]})
    ga, pa = args
    ai = _joint((ga["event"], pa["event"]), (ga["ms"], pa["ms"]), (ga["me"], pa["me"]))
    ac = _joint(ai, (ga["role"], pa["role"]))
    ci = _joint((ga["event"], pa["event"]), (ga["ent"], pa["ent"]))
    cc = _joint(ci, (ga["role"], pa["role"]))
    for name, (gk, pk) in (("arg_i", ai), ("arg_c", ac), ("arg_i_coref", ci), ("arg_c_coref", cc)):
        tally.prf[f"events/{name}"] = _by_keys(n, gk, ga["doc"], pk, pa["doc"])
    tally.docs["events"] = mask


def _score_modality(tally: Tally, g: dict[str, np.ndarray], p: dict[str, np.ndarray],
                    tc_g: np.ndarray, tc_p: np.ndarray,
                    rows: tuple[np.ndarray, np.ndarray] | None) -> None:
    """Modality over the Tri-C pairs: events with equal (document, trigger, type) keys are
    paired one-to-one, as many pairs as Tri-C counts, with as many equal modalities as
    possible (ties to the earlier event). Accuracy, Tri-C+modality and, per modality label,
    its P/R/F over the pairs (as stance over position pairs); every label gets its counts,
    occurring or not, so that two systems always have the same metrics."""
    n = tally.n_docs
    gi, pi = equal_key_pairs(tc_g, tc_p)
    agree = g["modality"][gi] == p["modality"][pi]
    matched = assign(gi, pi, _K + agree)
    gi, pi, agree = gi[matched], pi[matched], agree[matched]
    d = g["doc"][gi]
    right = np.bincount(d[agree], minlength=n).astype(float)
    tally.prf["events/tri_c_modality"] = _counts(n, right, p["doc"], g["doc"])
    acc = np.zeros((n, 4))
    acc[:, 0] = acc[:, 2] = right
    acc[:, 1] = acc[:, 3] = np.bincount(d, minlength=n)
    tally.prf["events/modality_accuracy"] = acc
    for k, name in enumerate(load_spec().labels["modality"].names):
        gk, pk = g["modality"][gi] == k, p["modality"][pi] == k
        both = gk & pk
        ones = np.ones(int(both.sum()))
        tally.prf[f"events/modality/{name}"] = _prf(n, d[both], ones, d[pk], d[both], ones, d[gk])
    if rows is not None:
        tally.detail["events/modality"] = (rows[0][gi], rows[1][pi], agree)


def _soft(n: int, tokens: TokenIndex, g_doc, g_s, g_e, p_doc, p_s, p_e,
          pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
          g_len: np.ndarray | None = None, p_len: np.ndarray | None = None) -> np.ndarray:
    """Token-overlap P/R (Johansson & Moschitti): one-to-one matching that maximises the summed
    coverage; a matched pair adds overlap/|pred| to tp_p and overlap/|gold| to tp_r."""
    if pairs is None:
        gi, pi = overlap_pairs(g_doc, g_s, g_e, p_doc, p_s, p_e)
        ov = tokens.overlap(g_doc[gi], g_s[gi], g_e[gi], p_s[pi], p_e[pi])
    else:
        gi, pi, ov = pairs
    if g_len is None:
        g_len = tokens.count(g_doc, g_s, g_e)
        p_len = tokens.count(p_doc, p_s, p_e)
    g_len = np.maximum(g_len, 1)
    p_len = np.maximum(p_len, 1)
    keep = ov > 0
    gi, pi, ov = gi[keep], pi[keep], ov[keep]
    cov_p, cov_g = ov / p_len[pi], ov / g_len[gi]
    matched = assign(gi, pi, cov_p + cov_g)
    d = g_doc[gi[matched]]
    return _prf(n, d, cov_p[matched], p_doc, d, cov_g[matched], g_doc)


def _both_absent_or_overlap(tokens: TokenIndex, doc, gs, ge, ps, pe) -> np.ndarray:
    """Per pair: both spans absent (start -1), or both present and sharing a token."""
    g_has, p_has = gs >= 0, ps >= 0
    ok = ~g_has & ~p_has
    both = np.flatnonzero(g_has & p_has)
    ok[both] = tokens.overlap(doc[both], gs[both], ge[both], ps[both], pe[both]) > 0
    return ok


def score_attributions(tally: Tally, gold: Side, pred: Side, mask: np.ndarray,
                       tokens: TokenIndex, keep_detail: bool = False) -> None:
    """Cue, source and content, exact and by token overlap; whole relations both ways.
    ``keep_detail`` keeps the relation pairs of both matchings for the report."""
    n = tally.n_docs
    sides = []
    for side in (gold, pred):
        A, F, M = side.attributions, side.fragments, side.mentions
        rows = _select(A["doc"], mask)
        renum = np.full(len(A["doc"]), -1, dtype=np.int64)
        renum[rows] = np.arange(len(rows))
        src = A["source"][rows]
        has_src = src >= 0
        safe = np.where(has_src, src, 0)
        start = M["start"] if len(M["start"]) else np.zeros(1, dtype=np.int64)
        end = M["end"] if len(M["end"]) else np.zeros(1, dtype=np.int64)
        frag = np.flatnonzero(renum[F["attribution"]] >= 0) if len(F["attribution"]) else \
            np.zeros(0, dtype=np.int64)
        parent = A["parent"][rows]
        sides.append({
            "row": rows, "doc": A["doc"][rows],
            "cs": A["cue_start"][rows], "ce": A["cue_end"][rows],
            "ss": np.where(has_src, start[safe], -1), "se": np.where(has_src, end[safe], -1),
            "parent": np.where(parent >= 0, renum[np.maximum(parent, 0)], -1),
            "f_attr": renum[F["attribution"][frag]], "f_index": F["index"][frag],
            "fs": F["start"][frag], "fe": F["end"][frag]})
    g, p = sides
    for s in sides:
        s["f_doc"] = s["doc"][s["f_attr"]]
    max_frag = int(max(g["f_index"].max(initial=0), p["f_index"].max(initial=0))) + 1
    # The content of an attribution as one key: its fragments' offsets, padded with -1.
    content_cols = []
    for s in sides:
        cols = np.full((len(s["doc"]), 2 * max_frag), -1, dtype=np.int64)
        cols[s["f_attr"], 2 * s["f_index"]] = s["fs"]
        cols[s["f_attr"], 2 * s["f_index"] + 1] = s["fe"]
        content_cols.append(cols)
    gck, pck = _joint((g["doc"], p["doc"]), *[(content_cols[0][:, j], content_cols[1][:, j])
                                              for j in range(2 * max_frag)])
    g["content"], p["content"] = gck, pck
    cue_g, cue_p = _joint((g["doc"], p["doc"]), (g["cs"], p["cs"]), (g["ce"], p["ce"]))
    tally.prf["attributions/cue/exact"] = _by_keys(n, cue_g, g["doc"], cue_p, p["doc"])
    cgi, cpi = overlap_pairs(g["doc"], g["cs"], g["ce"], p["doc"], p["cs"], p["ce"])
    cov = tokens.overlap(g["doc"][cgi], g["cs"][cgi], g["ce"][cgi], p["cs"][cpi], p["ce"][cpi])
    tally.prf["attributions/cue/overlap"] = _soft(
        n, tokens, g["doc"], None, None, p["doc"], None, None, pairs=(cgi, cpi, cov),
        g_len=tokens.count(g["doc"], g["cs"], g["ce"]), p_len=tokens.count(p["doc"], p["cs"], p["ce"]))
    tally.prf["attributions/content/exact"] = _exact(n, g["doc"], p["doc"], (gck, pck))
    fgi, fpi = overlap_pairs(g["f_doc"], g["fs"], g["fe"], p["f_doc"], p["fs"], p["fe"])
    fov = tokens.overlap(g["f_doc"][fgi], g["fs"][fgi], g["fe"][fgi], p["fs"][fpi], p["fe"][fpi])
    width = len(p["doc"]) + 1
    code = g["f_attr"][fgi] * width + p["f_attr"][fpi]
    uniq, inv = np.unique(code, return_inverse=True)
    c_ov = np.bincount(inv, weights=fov, minlength=len(uniq))
    c_gi, c_pi = uniq // width, uniq % width
    g_len = np.bincount(g["f_attr"], weights=tokens.count(g["f_doc"], g["fs"], g["fe"]),
                        minlength=len(g["doc"]))
    p_len = np.bincount(p["f_attr"], weights=tokens.count(p["f_doc"], p["fs"], p["fe"]),
                        minlength=len(p["doc"]))
    tally.prf["attributions/content/overlap"] = _soft(
        n, tokens, g["doc"], None, None, p["doc"], None, None,
        pairs=(c_gi, c_pi, c_ov), g_len=g_len, p_len=p_len)
    gsrc, psrc = np.flatnonzero(g["ss"] >= 0), np.flatnonzero(p["ss"] >= 0)
    tally.prf["attributions/source/exact"] = _exact(
        n, g["doc"][gsrc], p["doc"][psrc], (g["ss"][gsrc], p["ss"][psrc]), (g["se"][gsrc], p["se"][psrc]))
    tally.prf["attributions/source/overlap"] = _soft(
        n, tokens, g["doc"][gsrc], g["ss"][gsrc], g["se"][gsrc],
        p["doc"][psrc], p["ss"][psrc], p["se"][psrc])
    # Whole relations: every component, and the parent link (the parent's cue and content).
    for s in sides:
        par = s["parent"]
        has = par >= 0
        safe = np.where(has, par, 0)
        s["pcs"] = np.where(has, s["cs"][safe] if len(s["cs"]) else -1, -1)
        s["pce"] = np.where(has, s["ce"][safe] if len(s["ce"]) else -1, -1)
    # Built step by step so that each step packs into one integer: (cue, content), + source,
    # + the parent's (cue, content).
    cc_g, cc_p = _joint((cue_g, cue_p), (gck, pck))
    cs_g, cs_p = _joint((cc_g, cc_p), (g["ss"], p["ss"]), (g["se"], p["se"]))
    parent_cc = [np.where(s["parent"] >= 0, cc[np.maximum(s["parent"], 0)] if len(cc) else -1, -1)
                 for s, cc in ((g, cc_g), (p, cc_p))]
    rel_g, rel_p = _joint((cs_g, cs_p), tuple(parent_cc))
    egi, epi = equal_key_matching(rel_g, rel_p)
    tally.prf["attributions/relation/exact"] = _counts(
        n, np.bincount(g["doc"][egi], minlength=n).astype(float), p["doc"], g["doc"])
    gi, pi = cgi[cov > 0], cpi[cov > 0]
    doc = g["doc"][gi]
    overlapping = uniq[c_ov > 0]
    code = gi * width + pi
    at = np.minimum(np.searchsorted(overlapping, code), max(len(overlapping) - 1, 0))
    content_ok = (overlapping[at] == code) if len(overlapping) else np.zeros(len(code), dtype=bool)
    # Sources and parents: both absent, or both present and overlapping (counted only there).
    src_ok = _both_absent_or_overlap(tokens, doc, g["ss"][gi], g["se"][gi], p["ss"][pi], p["se"][pi])
    par_ok = _both_absent_or_overlap(tokens, doc, g["pcs"][gi], g["pce"][gi], p["pcs"][pi],
                                     p["pce"][pi])
    keep = content_ok & src_ok & par_ok
    gi, pi = gi[keep], pi[keep]
    # The score is the maximum cardinality. Among those matchings, one covering every row of
    # the exact matching (one exists: augmenting paths from it never uncover a row), keeping
    # its pairs where it can, so that the report's verdicts agree with both counts.
    in_g = np.zeros(len(g["doc"]))
    in_g[egi] = 1
    in_p = np.zeros(len(p["doc"]))
    in_p[epi] = 1
    exact_pair = np.isin(gi * width + pi, egi * width + epi)
    matched = assign(gi, pi, _K * _K + _K * (in_g[gi] + in_p[pi]) + exact_pair)
    tp = np.bincount(g["doc"][gi[matched]], minlength=n).astype(float)
    tally.prf["attributions/relation/overlap"] = _counts(n, tp, p["doc"], g["doc"])
    if keep_detail:
        tally.detail["attributions/relation/exact"] = (
            g["row"][egi], p["row"][epi], np.ones(len(egi), dtype=bool))
        gi, pi = gi[matched], pi[matched]
        tally.detail["attributions/relation/overlap"] = (
            g["row"][gi], p["row"][pi], rel_g[gi] == rel_p[pi])
    tally.docs["attributions"] = mask


def score_positions(tally: Tally, gold: Side, pred: Side, mask: np.ndarray,
                    tokens: TokenIndex, ents: tuple[np.ndarray, np.ndarray],
                    keep_detail: bool = False) -> None:
    """Holder (by actor), target (by token overlap), relation (holder, target and stance),
    stance accuracy on matched pairs, and macro F1 over the polar stances. ``keep_detail``
    keeps the relation pairs ``(gold rows, predicted rows, same stance)`` for the report."""
    n = tally.n_docs
    stances = load_spec().labels["stance"].names
    g_ent, p_ent = ents
    sides = []
    for side, ent in ((gold, g_ent), (pred, p_ent)):
        Q = side.positions
        rows = _select(Q["doc"], mask)
        sides.append({"row": rows, "doc": Q["doc"][rows], "ent": ent[Q["holder"][rows]],
                      "ts": Q["target_start"][rows], "te": Q["target_end"][rows],
                      "stance": Q["stance"][rows]})
    g, p = sides
    tally.prf["positions/holder"] = _exact(n, g["doc"], p["doc"], (g["ent"], p["ent"]))
    gi, pi = overlap_pairs(g["doc"], g["ts"], g["te"], p["doc"], p["ts"], p["te"])
    ov = tokens.overlap(g["doc"][gi], g["ts"][gi], g["te"][gi], p["ts"][pi], p["te"][pi]) > 0
    gi, pi = gi[ov], pi[ov]
    matched = assign(gi, pi, np.ones(len(gi)))
    tp = np.bincount(g["doc"][gi[matched]], minlength=n).astype(float)
    tally.prf["positions/target"] = _counts(n, tp, p["doc"], g["doc"])
    same = g["ent"][gi] == p["ent"][pi]
    gi, pi = gi[same], pi[same]
    agree = g["stance"][gi] == p["stance"][pi]
    matched = assign(gi, pi, _K + agree)
    gi, pi, agree = gi[matched], pi[matched], agree[matched]
    if keep_detail:
        tally.detail["positions/relation"] = (g["row"][gi], p["row"][pi], agree)
    d = g["doc"][gi]
    tally.prf["positions/relation"] = _counts(n, np.bincount(d[agree], minlength=n).astype(float),
                                              p["doc"], g["doc"])
    acc = np.zeros((n, 4))
    acc[:, 0] = acc[:, 2] = np.bincount(d[agree], minlength=n)
    acc[:, 1] = acc[:, 3] = np.bincount(d, minlength=n)
    tally.prf["positions/stance_accuracy"] = acc
    for k, name in enumerate(stances):
        if name == NON_POLAR_STANCE:
            continue
        gk, pk = g["stance"][gi] == k, p["stance"][pi] == k
        tally.prf[f"positions/stance/{name}"] = _prf(n, d[gk & pk], np.ones(int((gk & pk).sum())),
                                                     d[pk], d[gk & pk],
                                                     np.ones(int((gk & pk).sum())), d[gk])
    tally.docs["positions"] = mask
