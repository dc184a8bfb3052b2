"""Every file generated from the schema, in one registry, so that `communique schema generate`
rewrites them all and a test fails when one is stale.

Each entry maps a path relative to the repository root to a function that returns the file's
full new content given its current content (or None when it does not exist yet); spliced files
such as the guidelines keep their hand-written parts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from communique.annotation.ls_config import labeling_config
from communique.schemas import docs
from communique.schemas.io import atomic_write_text
from communique.schemas.json_schema import document_schema, prediction_schema

Generator = Callable[[str | None], str]


def repo_root() -> Path:
    """The checkout that holds `schemas/` (generation only makes sense in a checkout)."""
    import communique.schemas as schemas

    return Path(schemas.__file__).resolve().parent.parent


def _json(obj: object) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def _guideline_tables(current: str | None) -> str:
    if current is None:
        raise FileNotFoundError("annotation/GUIDELINES.md must exist with the GENERATED markers")
    return docs.splice(current, docs.label_tables())


def _datasheet(current: str | None) -> str:
    from communique.corpus import variety
    from communique.schemas.validate import load_documents

    if current is None:
        raise FileNotFoundError("DATASHEET.md must exist with the GENERATED markers")
    documents = load_documents([repo_root() / "corpus" / "documents"])
    current = docs.splice(current, variety.variety_table(documents), variety.BEGIN, variety.END)
    return docs.splice(current, _agreement_section(), AGREEMENT_BEGIN, AGREEMENT_END)


AGREEMENT_BEGIN = "<!-- BEGIN GENERATED: agreement (communique schema generate) -->"
AGREEMENT_END = "<!-- END GENERATED: agreement -->"
DOUBLE_ANNOTATION = "annotation/double"


def _agreement_section() -> str:
    """The agreement table of the double-annotated documents, for DATASHEET.md."""
    from communique.annotation.agreement import agreement_report, load_annotations

    sets, problems = load_annotations(repo_root() / DOUBLE_ANNOTATION)
    if problems:
        raise ValueError(f"{DOUBLE_ANNOTATION}: " + "; ".join(problems))
    report = agreement_report(sets)
    return (f"Measured with `communique agreement {DOUBLE_ANNOTATION}` on the documents annotated "
            "twice, independently (see `annotation/double/README.md`), before adjudication:\n\n"
            f"```\n{report.as_table()}\n```\n")


def registry() -> dict[str, Generator]:
    return {
        "schemas/generated/document.schema.json": lambda _: _json(document_schema()),
        "schemas/generated/prediction.schema.json": lambda _: _json(prediction_schema()),
        "annotation/GUIDELINES.md": _guideline_tables,
        "annotation/labeling_config.xml": lambda _: labeling_config(),
        "DATASHEET.md": _datasheet,
    }


def _current(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def write_generated(root: Path | None = None) -> list[Path]:
    """Rewrite every generated file that changed; return the paths written."""
    root = root or repo_root()
    written = []
    for rel, make in registry().items():
        path = root / rel
        current = _current(path)
        new = make(current)
        if new != current:
            atomic_write_text(path, new)
            written.append(path)
    return written


def check_generated(root: Path | None = None) -> list[str]:
    """The generated files whose content differs from what the schema gives now."""
    root = root or repo_root()
    return [rel for rel, make in registry().items()
            if make(_current(root / rel)) != _current(root / rel)]
