"""The rule-based baseline end to end: one document's text in, one prediction line out (all five
layers, ids of its own, span texts included), and reading the documents to predict for.

Offsets are half-open ``[start, end)`` code points of the document's NFC text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from communique.schemas.model import (Actor, Argument, Attribution, Document, Event, Mention,
                                      Position, Prediction, Span)

from .actors import add_quoted_pronouns, cluster_mentions
from .attributions import find_attributions
from .events import find_events
from .lexicon import Lexicon, load_lexicon
from .mentions import find_mentions
from .positions import find_positions
from .text import quotations

SYSTEM_NAME = "communique-rules"
# Modules of the package that do not take part in predicting (left out of the model version).
NOT_PREDICTING = frozenset({"cli.py", "results.py"})


def model_version() -> str:
    """The baseline's version, for Label Studio's `model_version` and the signature of published
    scores: system name, package version, and the first 8 hex digits of a SHA-256 over the
    lexicon files and the baseline's own modules, so any change to what it predicts gives a new
    version."""
    import hashlib
    from importlib import resources

    from communique import __version__

    from .lexicon import LEXICON_FILES

    package = resources.files(__package__)
    modules = sorted(r.name for r in package.iterdir()
                     if r.name.endswith(".py") and r.name not in NOT_PREDICTING)
    h = hashlib.sha256()
    for name in [f"lexicons/{n}" for n in LEXICON_FILES] + modules:
        h.update(name.encode() + b"\0")
        h.update(package.joinpath(*name.split("/")).read_bytes())
    return f"{SYSTEM_NAME}-{__version__}+{h.hexdigest()[:8]}"


def predict_text(doc_id: str, text: str, lex: Lexicon | None = None,
                 date: str | None = None) -> Prediction:
    """The baseline's prediction for one document text (all five layers); ``date`` (ISO) is
    the publication date, against which event times are dated."""
    lex = lex or load_lexicon()
    found = find_mentions(text, lex)
    found, clusters = cluster_mentions(text, found, lex)
    attrs = find_attributions(text, found, lex)
    found, clusters = add_quoted_pronouns(text, found, clusters, attrs, quotations(text), lex)
    cues = tuple(a.cue for a in attrs)
    events = find_events(text, found, lex, exclude=cues, date=date)
    positions = find_positions(text, found, attrs, lex)

    # Places and times are mentions only where they fill an event argument (guidelines §1).
    used = {m for ev in events for _, m in ev.arguments}
    keep = sorted((i for i, f in enumerate(found)
                   if f.type not in (lex.location_type, lex.time_type) or i in used),
                  key=lambda i: (found[i].start, -found[i].end, i))
    mid = {i: f"m{k + 1}" for k, i in enumerate(keep)}
    mentions = tuple(Mention(mid[i], found[i].start, found[i].end,
                             text[found[i].start:found[i].end], found[i].type) for i in keep)
    actors = tuple(Actor(f"a{k + 1}", c.name, c.type, tuple(mid[m] for m in c.members), c.wikidata)
                   for k, c in enumerate(clusters))
    span = lambda s_e: Span.of(text, *s_e)  # noqa: E731 - a local shorthand
    out_events = tuple(Event(f"e{k + 1}", ev.type, span(ev.trigger), ev.modality,
                             tuple(Argument(role, mid[m]) for role, m in ev.arguments))
                       for k, ev in enumerate(events))
    out_attrs = tuple(Attribution(f"t{k + 1}", a.type, mid[a.source] if a.source is not None else None,
                                  span(a.cue), tuple(span(c) for c in a.content),
                                  f"t{a.parent + 1}" if a.parent is not None else None)
                      for k, a in enumerate(attrs))
    out_pos = tuple(Position(f"p{k + 1}", mid[p.holder], p.stance, span(p.target), span(p.evidence),
                             f"t{p.attribution + 1}" if p.attribution is not None else None)
                    for k, p in enumerate(positions))
    return Prediction(doc_id, {"mentions": mentions, "actors": actors, "events": out_events,
                               "attributions": out_attrs, "positions": out_pos})


def predict_documents(docs: Iterable[Document], lex: Lexicon | None = None) -> list[dict[str, Any]]:
    """Prediction lines (canonical dicts) for ``docs``, in the order given."""
    lex = lex or load_lexicon()
    return [predict_text(d.id, d.text, lex, d.date).to_dict() for d in docs]


class GoldError(Exception):
    """The documents to predict for could not be read; the message says where and why."""


def read_gold(path: Path, split: str | None = None) -> list[Document]:
    """Validated documents, in id order, from a release folder (``split`` chooses the split), a
    folder of canonical documents, or a JSON Lines file of documents. The reader is the
    scorer's (``communique.eval.inputs.load_gold``), so the baseline predicts for exactly the
    documents `communique eval score` scores."""
    from communique.eval.inputs import InputProblems, load_gold

    try:
        gold = load_gold(path, split)
    except InputProblems as e:
        raise GoldError(str(e)) from None
    return [Document.from_dict(d) for d in gold.documents]
