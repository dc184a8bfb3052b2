"""Signature strings in the spirit of sacreBLEU's: every choice a score depends on, as
``key:value`` fields joined by ``|``, parsed back by ``communique eval signature --explain``."""

from __future__ import annotations

from dataclasses import dataclass

# Field key → what it means; the order is the order in the string.
FIELDS = {
    "corpus": "corpus name (the gold folder or release name)",
    "release": "release version of the gold, or 'none' for a folder or file of documents",
    "hash": "first 12 hex digits of the SHA-256 over the gold documents' ids, text hashes and layers",
    "split": "split of the release that was scored, or 'all'",
    "docs": "number of gold documents scored",
    "layers": "layers scored, joined by '+'",
    "match": "span matching: one-to-one optimal assignment ('optimal')",
    "partial": "credit of a partial mention match in the partial and type schemes",
    "overlap": "what counts as overlap for attributions and positions ('token': a shared token)",
    "missing": "gold documents without a prediction line: 'error' or 'empty'",
    "nboot": "bootstrap resamples of documents (0: no intervals)",
    "test": "significance tests of eval compare ('none', or 'paired-bs+ar')",
    "seed": "random seed of resampling",
    "version": "communique package version",
}


class SignatureError(ValueError):
    """A signature string that does not parse; the message says what is wrong and allowed."""


@dataclass(frozen=True, slots=True)
class Signature:
    """The fields of one signature, in ``FIELDS`` order."""

    fields: tuple[tuple[str, str], ...]

    @classmethod
    def make(cls, **values: object) -> "Signature":
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise SignatureError(f"unknown signature field(s) {', '.join(sorted(unknown))}")
        return cls(tuple((k, str(values[k])) for k in FIELDS if k in values))

    def __str__(self) -> str:
        return "|".join(f"{k}:{v}" for k, v in self.fields)

    def as_dict(self) -> dict[str, str]:
        return dict(self.fields)

    @classmethod
    def parse(cls, text: str) -> "Signature":
        """Read a signature string back; every field must be known and appear once."""
        fields: list[tuple[str, str]] = []
        for part in text.strip().split("|"):
            key, sep, value = part.partition(":")
            if not sep or not key or not value:
                raise SignatureError(f"found {part!r}; allowed: key:value fields joined by '|'")
            if key not in FIELDS:
                raise SignatureError(f"found unknown field {key!r}; allowed: {', '.join(FIELDS)}")
            if key in dict(fields):
                raise SignatureError(f"found field {key!r} twice; allowed: each field once")
            fields.append((key, value))
        return cls(tuple(fields))

    def explain(self) -> str:
        """One line per field: key, value and what it means."""
        width = max(len(k) for k, _ in self.fields)
        return "\n".join(f"{k:<{width}}  {v:<20}  {FIELDS[k]}" for k, v in self.fields)
