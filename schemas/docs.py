"""Markdown tables of the label sets and records, generated from the schema for the guidelines."""

from __future__ import annotations

from .spec import Spec, load_spec

BEGIN = "<!-- BEGIN GENERATED: label tables (communique schema generate) -->"
END = "<!-- END GENERATED: label tables -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def label_tables(spec: Spec | None = None) -> str:
    """The label tables and record field tables, as Markdown (without the markers)."""
    spec = spec or load_spec()
    out = [f"Schema version **{spec.schema_version}**. PLOVER categories follow the "
           f"{spec.sources['plover']['title']}, {spec.sources['plover']['version']} "
           f"({spec.sources['plover']['license']}); the definitions are ours.", ""]
    for name, labels in spec.labels.items():
        out += [f"### `{name}`", "", _cell(labels.description), ""]
        has_accepts = bool(labels.accepts)
        head = "| label | definition |" + (" accepts mention types |" if has_accepts else "")
        out += [head, "|---|---|" + ("---|" if has_accepts else "")]
        for label, definition in labels.definitions.items():
            row = f"| `{label}` | {_cell(definition)} |"
            if has_accepts:
                row += " " + ", ".join(labels.accepts.get(label, ())) + " |"
            out.append(row)
        out.append("")
    out += ["### Records", ""]
    for name, rec in spec.records.items():
        out += [f"**`{name}`** — {_cell(rec.description)}", "", "| field | kind | description |",
                "|---|---|---|"]
        for fname, f in rec.fields.items():
            kind = f.kind
            if f.kind == "label":
                kind = f"label `{f.label}`"
            elif f.kind == "ref":
                kind = f"id in `{f.ref}`"
            elif f.kind == "record":
                kind = f"`{f.record}`"
            elif f.kind == "list" and f.items is not None:
                inner = f.items
                kind = "list of " + (f"`{inner.record}`" if inner.kind == "record" else
                                     f"ids in `{inner.ref}`" if inner.kind == "ref" else inner.kind)
            if f.nullable:
                kind += " or null"
            out.append(f"| `{fname}` | {kind} | {_cell(f.description)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def splice(document: str, generated: str, begin: str = BEGIN, end: str = END) -> str:
    """Replace what stands between ``begin`` and ``end`` in ``document`` with ``generated``."""
    try:
        head, rest = document.split(begin, 1)
        _, tail = rest.split(end, 1)
    except ValueError:
        raise ValueError(f"markers {begin!r} … {end!r} not found") from None
    return f"{head}{begin}\n{generated}{end}{tail}"
