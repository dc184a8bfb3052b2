"""Near-duplicate detection for incoming articles: MinHash/LSH (``datasketch``) over word 5-grams,
confirmed by containment.

News is republished with small edits: a new headline, a photo caption, a paragraph cut. Jaccard
similarity punishes such copies for every word the two versions don't share, so it is the wrong
test on its own: the fixture copy (new headline, a caption added, one of five paragraphs dropped)
has Jaccard 0.66 against the original. What stays high is *containment*, the share of the shorter
version's 5-grams found in the longer one: 0.84 for that copy. So:

1. each text becomes the set of its lower-cased word 5-grams ("shingles"), hashed to 32 bits;
2. a MinHash signature (``NUM_PERM`` permutations) of that set goes into a ``MinHashLSH`` index
   banded for a low Jaccard (about 0.25): it finds candidates cheaply, with room for the Jaccard
   loss that a shorter copy brings;
3. a candidate is a near duplicate when its estimated containment
   ``|A∩B| / min(|A|, |B|)`` reaches ``CONTAINMENT_THRESHOLD``. The intersection comes from the
   MinHash Jaccard estimate J and the exact set sizes: ``|A∩B| = J (|A| + |B|) / (1 + J)``.

Only the signature and the set size of each document are kept, never the texts, so memory grows
with the index alone: about 7 KB per document, most of it datasketch's band tables (one Python
set per band and document).

Thresholds, measured on the invented stories in ``tests/fixtures/ingest/stories`` and 66 copies
made from them (``scripts/bench_ingest.py --thresholds`` prints the table, with exact values
computed independently from Python sets): republished copies (a new headline, a caption added,
one or two paragraphs removed, only the first two or three paragraphs kept, copy edits) had
exact containment 0.80–1.00 (estimated 0.71–1.00) and Jaccard as low as 0.32; different
articles on the same event sharing a quote had 0.08, a follow-up reusing one background
paragraph verbatim 0.29, unrelated stories 0.00. ``CONTAINMENT_THRESHOLD`` 0.6 sits in that
gap, with room for the estimate's error: at most 0.13 on those pairs, below 0.2 (mean under
0.05) on random copies that keep at least 40% of the longer text (``tests/test_ingest_dedup.py``).

The error grows as the shorter text shrinks relative to the other (0.32 at a size ratio of 0.27),
so below ``MIN_SIZE_RATIO`` (the shorter text has under 30% of the other's 5-grams) a pair is
never called a near duplicate: an excerpt that short is not flagged.

The LSH bands (``LSH_BANDS`` of ``LSH_ROWS`` values) make a pair a candidate with probability
0.90 at Jaccard 0.32, 0.94 at 0.35, 0.97 at 0.4 and above 0.99 from 0.5 on (the fixture copy is
0.66), and 0.002 at the 0.01 that unrelated news shares through stock phrases, so the
containment check runs on few pairs. 21 bands of 2 rows find more low-Jaccard copies than 42
bands of 3 and keep half the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import xxhash
from datasketch import MinHash, MinHashLSH

SHINGLE_WORDS = 5
NUM_PERM = 128
# 21 bands of 2 rows use the first 42 of the 128 values; the module docstring says what they find.
LSH_BANDS, LSH_ROWS = 21, 2
MIN_SIZE_RATIO = 0.3
CONTAINMENT_THRESHOLD = 0.6
# Signatures must be comparable across runs and machines, so the seed and scheme are fixed.
SEED = 20260314
SCHEME = "affine32"
# Words are runs of letters and digits; case, punctuation and whitespace are ignored, so a copy
# with re-flowed lines or curly quotes still matches.
_WORD = re.compile(r"\w+")
_MULTIPLIER = np.uint32(0x9E3779B1)  # odd: the golden-ratio constant of Fibonacci hashing
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def shingle_hashes(text: str) -> np.ndarray:
    """The distinct 32-bit hashes of the text's lower-cased word 5-grams (all words if fewer).

    Each word is hashed once (xxh32) and a 5-gram's hash is the polynomial
    ``((w0·M + w1)·M + …)·M + w4 mod 2**32`` over its words' hashes, computed for all 5-grams at
    once: three times faster than hashing each 5-gram as a string, and, with ``M`` odd, still a
    bijection in each word, so distinct 5-grams collide only by chance.
    """
    words = _WORD.findall(text.lower())
    if not words:
        return np.empty(0, dtype=np.uint32)
    w = np.fromiter(map(xxhash.xxh32_intdigest, map(str.encode, words)), dtype=np.uint32,
                    count=len(words))
    k = min(SHINGLE_WORDS, len(words))
    n = len(words) - k + 1
    h = np.zeros(n, dtype=np.uint32)
    for j in range(k):
        h = h * _MULTIPLIER + w[j:j + n]
    return np.unique(h)


@dataclass(frozen=True, slots=True)
class Sketch:
    """A text's MinHash signature and the number of distinct 5-grams it summarises."""

    minhash: MinHash
    size: int

    @classmethod
    def of(cls, text: str) -> "Sketch":
        hashes = shingle_hashes(text)
        # The values are hashes already: ``int`` passes them through (the fastest callable).
        m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=int,
                    permutations=_PERMUTATIONS)
        m.update_batch(hashes.tolist())
        return cls(m, int(hashes.size))

    @classmethod
    def from_values(cls, hashvalues: np.ndarray, size: int) -> "Sketch":
        """A sketch rebuilt from its signature, sharing the one permutation table."""
        return cls(MinHash(seed=SEED, scheme=SCHEME, hashfunc=int, hashvalues=hashvalues,
                           permutations=_PERMUTATIONS), size)

    def __reduce__(self) -> tuple:
        # Sent between processes as signature and size only (not the permutation table).
        return (Sketch.from_values, (self.minhash.hashvalues, self.size))


@dataclass(frozen=True, slots=True)
class Resemblance:
    """How much two texts overlap: estimated Jaccard and containment of their 5-gram sets."""

    jaccard: float
    containment: float


def resemblance(a: Sketch, b: Sketch) -> Resemblance:
    """Jaccard (MinHash estimate) and containment of the smaller set in the larger one."""
    if a.size == 0 or b.size == 0:
        return Resemblance(0.0, 0.0)
    j = float(a.minhash.jaccard(b.minhash))
    common = j * (a.size + b.size) / (1.0 + j)
    return Resemblance(j, min(1.0, common / min(a.size, b.size)))


@dataclass(frozen=True, slots=True)
class NearMatch:
    """An indexed document that a new text resembles, with the measured overlap."""

    key: str
    resemblance: Resemblance


class NearDuplicateIndex:
    """Incremental MinHash/LSH index of documents by key; ``find`` returns the closest match."""

    def __init__(self, containment_threshold: float = CONTAINMENT_THRESHOLD):
        self.threshold = containment_threshold
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=(LSH_BANDS, LSH_ROWS))
        self._sketches: dict[str, Sketch] = {}

    def __len__(self) -> int:
        return len(self._sketches)

    def find(self, sketch: Sketch) -> NearMatch | None:
        """The indexed document with the highest containment at or above the threshold."""
        if sketch.size == 0:
            return None
        best: NearMatch | None = None
        # Sorted so that ties go to the same document whatever the set order.
        for key in sorted(self._lsh.query(sketch.minhash)):
            other = self._sketches[key]
            if min(sketch.size, other.size) < MIN_SIZE_RATIO * max(sketch.size, other.size):
                continue
            r = resemblance(sketch, other)
            if r.containment >= self.threshold and (
                    best is None or r.containment > best.resemblance.containment):
                best = NearMatch(key, r)
        return best

    def add(self, key: str, sketch: Sketch) -> None:
        """Index ``sketch`` under ``key`` (a key already present is left as it is)."""
        if key in self._sketches or sketch.size == 0:
            return
        self._lsh.insert(key, sketch.minhash, check_duplication=False)
        self._sketches[key] = sketch
