"""The split registry: which split every document ever released belongs to.

A document keeps its split for ever: the registry (committed as ``corpus/splits.json``) is read
before every build, and only documents it does not know yet are assigned. New documents are
taken in the order of the SHA-256 of their id and each goes to the split furthest below its
target share, so the assignment is deterministic and the shares stay near 60/20/20.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from communique.schemas.io import atomic_write_text

from .release_schema import SPLITS

TARGETS = {"train": 0.6, "validation": 0.2, "test": 0.2}
ABOUT = ("The split of every document ever assigned one. Read by `communique release build`; "
         "new documents are added, existing ones never move unless a maintainer edits this file "
         "on purpose and builds with --allow-split-change (the CHANGELOG then lists the move).")
RULE = ("new documents, in order of sha256(id), each to the split whose count is furthest "
        "below its target share of the documents being released")


class RegistryError(ValueError):
    """A split registry file that cannot be used; the message says where and what."""


@dataclass
class SplitRegistry:
    """Document id → split, plus the assignments made during this build."""

    assignments: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path | None) -> "SplitRegistry":
        """The registry in ``path``; empty when ``path`` is None or does not exist."""
        if path is None or not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise RegistryError(f"{path}: invalid JSON: {e.msg} at line {e.lineno}") from None
        found = raw.get("assignments") if isinstance(raw, dict) else None
        if not isinstance(found, dict):
            raise RegistryError(f"{path}: found no object \"assignments\"; allowed: "
                                "{\"assignments\": {document id: split}}")
        bad = [f"{doc_id!r}: {split!r}" for doc_id, split in found.items() if split not in SPLITS]
        if bad:
            raise RegistryError(f"{path}: $.assignments: found {', '.join(bad[:5])}; allowed "
                                f"splits: {', '.join(SPLITS)}")
        return cls(dict(found))

    def assign(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """The split of each of ``doc_ids`` (the documents being released), assigning the ones
        the registry does not know yet."""
        ids = list(doc_ids)
        counts = {s: 0 for s in SPLITS}
        for doc_id in ids:
            if doc_id in self.assignments:
                counts[self.assignments[doc_id]] += 1
        new = sorted((d for d in ids if d not in self.assignments),
                     key=lambda d: hashlib.sha256(d.encode("utf-8")).hexdigest())
        total = sum(counts.values())
        for doc_id in new:
            total += 1
            split = max(SPLITS, key=lambda s: (TARGETS[s] * total - counts[s], -SPLITS.index(s)))
            counts[split] += 1
            self.assignments[doc_id] = split
            self.added.append(doc_id)
        return {d: self.assignments[d] for d in ids}

    def dumps(self) -> str:
        return json.dumps({"about": ABOUT, "rule": RULE, "targets": TARGETS,
                           "assignments": dict(sorted(self.assignments.items()))},
                          indent=1, ensure_ascii=False) + "\n"

    def save(self, path: Path) -> None:
        atomic_write_text(path, self.dumps())


def split_sizes(assignment: Mapping[str, str]) -> dict[str, int]:
    """Number of documents per split, in split order."""
    out = {s: 0 for s in SPLITS}
    for split in assignment.values():
        out[split] += 1
    return out
