"""Communiqué's data model, label sets, generated schemas and validation.

This package is the single source of truth; it imports nothing from the rest of Communiqué.
"""

from .model import (LAYERS, Actor, Argument, Attribution, Document, Event, Mention, Position,
                    Prediction, Span, nfc, sha256_text)
from .spec import LabelSet, Spec, load_spec
from .validate import Problem, ValidationError, check_paths, load_documents, validate_document

__all__ = [
    "LAYERS", "Actor", "Argument", "Attribution", "Document", "Event", "Mention", "Position",
    "Prediction", "Span", "nfc", "sha256_text", "LabelSet", "Spec", "load_spec", "Problem",
    "ValidationError", "check_paths", "load_documents", "validate_document",
]
