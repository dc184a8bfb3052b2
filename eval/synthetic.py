"""Generated gold documents and noisy predictions, for the benchmark and the randomised tests.

Everything is drawn from one ``random.Random(seed)``, so a seed gives the same corpus every
time. Gold documents satisfy the validator (spans on word boundaries, actor-type mentions in
actors, roles with the mention types they accept); predictions carry realistic noise: dropped and
spurious items, shifted and split spans, wrong labels, split and merged clusters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Iterator

from communique.schemas.model import document_id_for, sha256_text
from communique.schemas.spec import load_spec

WORDS = ("the minister said talks on embassy staff would resume in Istanbul after officials "
         "from both governments met for six hours on Thursday while diplomats warned that "
         "sanctions could follow unless Moscow accepted the proposal which Washington called "
         "a first step toward normal relations between the two countries").split()


@dataclass(frozen=True, slots=True)
class Sizes:
    """How many items of each layer a generated gold document has."""

    words: int = 520
    mentions: int = 30
    events: int = 8
    attributions: int = 8
    positions: int = 4


class _Doc:
    """Word offsets of one generated text and which words are taken."""

    def __init__(self, rng: random.Random, n_words: int):
        self.rng = rng
        self.words = [rng.choice(WORDS) for _ in range(n_words)]
        self.starts: list[int] = []
        pos = 0
        for w in self.words:
            self.starts.append(pos)
            pos += len(w) + 1
        self.text = " ".join(self.words)
        self.taken = [False] * n_words

    def span(self, i: int, j: int) -> dict[str, Any]:
        """The span covering words ``i`` to ``j - 1``."""
        start = self.starts[i]
        end = self.starts[j - 1] + len(self.words[j - 1])
        return {"start": start, "end": end, "text": self.text[start:end]}

    def free_range(self, lo: int, hi: int, mark: bool = True) -> tuple[int, int] | None:
        """A random run of ``lo``..``hi`` free words, or None after some tries."""
        n = len(self.words)
        for _ in range(40):
            size = self.rng.randint(lo, hi)
            i = self.rng.randrange(0, n - size)
            if not any(self.taken[i:i + size]):
                if mark:
                    for k in range(i, i + size):
                        self.taken[k] = True
                return i, i + size
        return None


def gold_document(rng: random.Random, sizes: Sizes = Sizes()) -> dict[str, Any]:
    """One valid canonical gold document (a dict) with all five layers."""
    spec = load_spec()
    mention_types = spec.labels["mention_type"].names
    actor_types = spec.actor_types
    other_types = [t for t in mention_types if t not in actor_types]
    d = _Doc(rng, sizes.words)
    mentions = []
    for k in range(sizes.mentions):
        r = d.free_range(1, 4)
        if r is None:
            break
        mtype = rng.choice(other_types) if rng.random() < 0.2 else rng.choice(actor_types)
        mentions.append({"id": f"m{k + 1}", **d.span(*r), "type": mtype})
    actors = []
    for atype in actor_types:
        ids = [m["id"] for m in mentions if m["type"] == atype]
        rng.shuffle(ids)
        while ids:
            size = min(len(ids), rng.choice((1, 1, 2, 2, 3, 4)))
            group, ids = ids[:size], ids[size:]
            actors.append({"id": f"a{len(actors) + 1}", "name": f"actor {len(actors) + 1}",
                           "type": atype, "mention_ids": group, "wikidata": None})
    accepts = spec.labels["argument_role"].accepts
    by_role = {role: [m["id"] for m in mentions if m["type"] in ok] for role, ok in accepts.items()}
    events = []
    for k in range(sizes.events):
        r = d.free_range(1, 2)
        if r is None:
            break
        args = []
        for role in rng.sample(list(accepts), rng.randint(1, 3)):
            if by_role[role]:
                args.append({"role": role, "mention_id": rng.choice(by_role[role])})
        events.append({"id": f"e{k + 1}", "type": rng.choice(spec.labels["event_type"].names),
                       "trigger": d.span(*r), "modality": rng.choice(spec.labels["modality"].names),
                       "arguments": args})
    actor_mentions = [m["id"] for m in mentions if m["type"] in actor_types]
    attributions = []
    for k in range(sizes.attributions):
        cue = d.free_range(1, 3)
        if cue is None:
            break
        fragments = []
        for _ in range(rng.choice((1, 1, 1, 2))):
            r = d.free_range(4, 16, mark=False)
            if r is not None:
                fragments.append(r)
        fragments.sort()
        content, last = [], -1
        for i, j in fragments:
            if i >= last:
                content.append(d.span(i, j))
                last = j
        if not content:
            continue
        parent = rng.choice(attributions)["id"] if attributions and rng.random() < 0.2 else None
        source = rng.choice(actor_mentions) if actor_mentions and rng.random() < 0.9 else None
        attributions.append({"id": f"t{k + 1}", "type": rng.choice(spec.labels["attribution_type"].names),
                             "source_id": source, "cue": d.span(*cue), "content": content,
                             "parent_id": parent})
    positions = []
    for k in range(sizes.positions):
        target = d.free_range(2, 6)
        if target is None or not actor_mentions:
            break
        i = rng.randrange(0, sizes.words - 8)
        positions.append({"id": f"p{k + 1}", "holder_id": rng.choice(actor_mentions),
                          "stance": rng.choice(spec.labels["stance"].names), "target": d.span(*target),
                          "evidence": d.span(i, i + rng.randint(2, 8)),
                          "attribution_id": rng.choice(attributions)["id"]
                          if attributions and rng.random() < 0.5 else None})
    return {"id": document_id_for(d.text), "title": None, "date": "2025-04-11",
            "source": "generated", "url": None, "language": "en", "license": "CC0-1.0",
            "provenance": "synthetic", "text": d.text, "text_sha256": sha256_text(d.text),
            "mentions": mentions, "actors": actors, "events": events,
            "attributions": attributions, "positions": positions}


def _words(text: str) -> list[tuple[int, int]]:
    out, i, n = [], 0, len(text)
    while i < n:
        while i < n and text[i] == " ":
            i += 1
        j = i
        while j < n and text[j] != " ":
            j += 1
        if j > i:
            out.append((i, j))
        i = j
    return out


def _shift(rng: random.Random, text: str, start: int, end: int) -> tuple[int, int]:
    """A span near ``[start, end)``: a boundary moved by a few characters, still non-empty."""
    n = len(text)
    for _ in range(10):
        s = min(max(0, start + rng.randint(-6, 6)), n - 1)
        e = min(max(s + 1, end + rng.randint(-6, 6)), n)
        if (s, e) != (start, end) and e > s:
            return s, e
    return start, end


def _span(text: str, s: int, e: int) -> dict[str, Any]:
    return {"start": s, "end": e, "text": text[s:e]}


def noisy_prediction(gold: dict[str, Any], rng: random.Random, noise: float = 1.0) -> dict[str, Any]:
    """A prediction line for ``gold`` with every layer predicted and noise scaled by ``noise``."""
    spec = load_spec()
    text = gold["text"]
    types = spec.labels["mention_type"].names
    actor_types = set(spec.actor_types)
    accepts = spec.labels["argument_role"].accepts
    words = _words(text)
    p = lambda x: rng.random() < x * noise  # noqa: E731 - a probability test, scaled

    # Mention noise stays where greedy and optimal matching agree (see eval/README.md): each
    # predicted span overlaps at most one gold span and no other predicted span, and the two
    # pieces of a split span keep one type. Shifts stay within half the gap to the neighbours.
    mentions: list[dict[str, Any]] = []
    pred_of: dict[str, str] = {}
    ordered = sorted(gold["mentions"], key=lambda m: m["start"])
    for k, m in enumerate(ordered):
        if p(0.1):
            continue
        s, e, mtype = m["start"], m["end"], m["type"]
        lo = (ordered[k - 1]["end"] + s + 1) // 2 if k else 0
        hi = (e + ordered[k + 1]["start"]) // 2 if k + 1 < len(ordered) else len(text)
        if p(0.1):
            s, e = _shift(rng, text, s, e)
            s, e = max(s, lo), min(e, hi)
            s, e = (s, e) if e > s and s < m["end"] and e > m["start"] else (m["start"], m["end"])
        if p(0.1):
            mtype = rng.choice(types)
        if p(0.04) and len(_words(text[s:e])) > 1:
            cut = s + _words(text[s:e])[1][0]
            mentions.append({"id": f"pm{len(mentions) + 1}", **_span(text, s, cut - 1), "type": mtype})
            s = cut
        pid = f"pm{len(mentions) + 1}"
        mentions.append({"id": pid, **_span(text, s, e), "type": mtype})
        pred_of[m["id"]] = pid
    taken = [(x["start"], x["end"]) for x in [*gold["mentions"], *mentions]]
    for _ in range(rng.randint(0, round(4 * noise))):
        i = rng.randrange(len(words))
        j = min(len(words), i + rng.randint(1, 3))
        s, e = words[i][0], words[j - 1][1]
        if all(e <= a or b <= s for a, b in taken):
            taken.append((s, e))
            mentions.append({"id": f"pm{len(mentions) + 1}", **_span(text, s, e),
                             "type": rng.choice(types)})
    ptype = {m["id"]: m["type"] for m in mentions}

    clusters: dict[tuple[int, str], list[str]] = {}
    for k, a in enumerate(gold["actors"]):
        key = k
        if p(0.1) and k > 0:
            key = k - 1
        for mid in a["mention_ids"]:
            pid = pred_of.get(mid)
            if pid is None or ptype[pid] not in actor_types:
                continue
            split = 1 if p(0.05) else 0
            clusters.setdefault((key * 2 + split, ptype[pid]), []).append(pid)
    clustered = {pid for ids in clusters.values() for pid in ids}
    for m in mentions:
        if m["type"] in actor_types and m["id"] not in clustered:
            clusters[(-len(clusters) - 1, m["type"])] = [m["id"]]
    actors = [{"id": f"pa{k + 1}", "name": "?", "type": t, "mention_ids": ids, "wikidata": None}
              for k, ((_, t), ids) in enumerate(clusters.items())]
    cluster_of = {pid: ids for ids in clusters.values() for pid in ids}

    def pred_mention(mid: str | None, ok: tuple[str, ...] | set[str]) -> str | None:
        pid = pred_of.get(mid) if mid else None
        if pid is not None and p(0.1) and len(cluster_of.get(pid, ())) > 1:
            pid = rng.choice(cluster_of[pid])
        return pid if pid is not None and ptype[pid] in ok else None

    events = []
    for ev in gold["events"]:
        if p(0.1):
            continue
        s, e = ev["trigger"]["start"], ev["trigger"]["end"]
        if p(0.1):
            s, e = _shift(rng, text, s, e)
        etype = rng.choice(spec.labels["event_type"].names) if p(0.1) else ev["type"]
        modality = rng.choice(spec.labels["modality"].names) if p(0.1) else ev["modality"]
        args = []
        for arg in ev["arguments"]:
            role = arg["role"]
            if p(0.1) and role in ("actor", "recipient"):
                role = "recipient" if role == "actor" else "actor"
            pid = pred_mention(arg["mention_id"], accepts[role])
            if pid is not None and not p(0.1):
                args.append({"role": role, "mention_id": pid})
        events.append({"id": f"pe{len(events) + 1}", "type": etype, "trigger": _span(text, s, e),
                       "modality": modality, "arguments": args})
    if p(0.5):
        i = rng.randrange(len(words))
        events.append({"id": f"pe{len(events) + 1}", "type": rng.choice(spec.labels["event_type"].names),
                       "trigger": _span(text, *words[i]), "modality": "asserted", "arguments": []})

    attributions = []
    kept: dict[str, str] = {}
    for t in gold["attributions"]:
        if p(0.1):
            continue
        cs, ce = t["cue"]["start"], t["cue"]["end"]
        if p(0.1):
            cs, ce = _shift(rng, text, cs, ce)
        content = []
        for frag in t["content"]:
            s, e = frag["start"], frag["end"]
            if p(0.2):
                s, e = _shift(rng, text, s, e)
            if content and s < content[-1]["end"]:
                s = content[-1]["end"]
            if e > s:
                content.append(_span(text, s, e))
        if not content:
            continue
        source = pred_mention(t["source_id"], actor_types)
        if p(0.1):
            source = None
        pid = f"pt{len(attributions) + 1}"
        kept[t["id"]] = pid
        attributions.append({"id": pid, "type": t["type"], "source_id": source,
                             "cue": _span(text, cs, ce), "content": content,
                             "parent_id": kept.get(t["parent_id"]) if t["parent_id"] else None})

    positions = []
    for q in gold["positions"]:
        if p(0.1):
            continue
        holder = pred_mention(q["holder_id"], actor_types)
        if holder is None:
            continue
        s, e = q["target"]["start"], q["target"]["end"]
        if p(0.2):
            s, e = _shift(rng, text, s, e)
        stance = rng.choice(spec.labels["stance"].names) if p(0.15) else q["stance"]
        positions.append({"id": f"pp{len(positions) + 1}", "holder_id": holder, "stance": stance,
                          "target": _span(text, s, e), "evidence": q["evidence"],
                          "attribution_id": kept.get(q["attribution_id"]) if q["attribution_id"] else None})
    return {"id": gold["id"], "mentions": mentions, "actors": actors, "events": events,
            "attributions": attributions, "positions": positions}


def corpus(n: int, seed: int = 0, sizes: Sizes = Sizes(),
           noise: float = 1.0) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """``n`` pairs of (gold document, noisy prediction line), reproducible from ``seed``."""
    rng = random.Random(seed)
    for _ in range(n):
        gold = gold_document(rng, sizes)
        yield gold, noisy_prediction(gold, rng, noise)
