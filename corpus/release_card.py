"""The texts that describe a release, generated from its manifest and the schema: the dataset
card (README.md with the YAML `datasets` reads), croissant.json, the CHANGELOG entry and the
composition section of DATASHEET.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import yaml

from communique.schemas.io import atomic_write_text
from communique.schemas.spec import Spec, load_spec

from .release_schema import (DOC_ID, DOCUMENTS, LAYER_RECORD, SPLITS, TEXT_LENGTH, label_sets,
                             croissant_fields, features_yaml)

PRETTY_NAME = "Communiqué"
HUB_REPO = "<owner>/communique"
SUMMARY = ("An annotated corpus of international-politics news: mentions and actors "
           "(coreference clusters), PLOVER events with arguments and modality, attributions "
           "(source, cue, content, nested), and actors' positions (stances).")
LICENSE_NOTE = ("Annotations and synthetic texts: CC BY 4.0 (the Communiqué team). News texts "
                "remain under their publishers' rights (see each document's `license` field); "
                "a release published outside the project must withhold them "
                "(`communique release build --withhold-text news`).")
CROISSANT_CONTEXT: dict[str, Any] = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs",
    "column": "cr:column", "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract",
    "field": "cr:field", "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet", "format": "cr:format", "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath", "key": "cr:key",
    "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path",
    "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex",
    "repeated": "cr:repeated", "replace": "cr:replace", "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform"}
ROW_OF = {DOCUMENTS: "document (all layers nested)", "mentions": "mention",
          "actors": "actor (a cluster of mentions)", "events": "event",
          "attributions": "attribution", "positions": "position"}


def _files(manifest: Mapping[str, Any], config: str) -> list[tuple[str, str, int]]:
    """(split, relative file, rows) of the non-empty splits of a config."""
    return [(s, info["file"], info["rows"]) for s, info in manifest["configs"][config].items()
            if info["file"] is not None]


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def _provenance(manifest: Mapping[str, Any]) -> dict[str, int]:
    """Documents per provenance value over all splits."""
    out: dict[str, int] = {}
    for split in SPLITS:
        for name, n in manifest["counts"][split][DOCUMENTS]["labels"]["provenance"].items():
            out[name] = out.get(name, 0) + n
    return out


def _language_creators(manifest: Mapping[str, Any]) -> list[str]:
    """Hub vocabulary: real news is `found`; synthetic articles were written by AI agents."""
    n = _provenance(manifest)
    return [name for name, kind in (("found", "news"), ("machine-generated", "synthetic"))
            if n.get(kind)]


def _making(manifest: Mapping[str, Any]) -> str:
    """The card's plain statement of where the texts and annotations come from."""
    n = _provenance(manifest)
    total, synthetic, news = sum(n.values()), n.get("synthetic", 0), n.get("news", 0)
    parts = []
    if synthetic:
        parts.append(f"{synthetic} of the {total} documents are synthetic: wire-style reports of "
                     "invented events set among real states and institutions, written by AI "
                     "agents (large language model sessions), with fictional officials")
    if news:
        parts.append(f"{news} {'is' if news == 1 else 'are'} real news "
                     "(`provenance: news`)")
    return ("; ".join(parts) + ". All annotations were made by AI agents following the "
            "project's guidelines; no human has reviewed the gold. Scores on synthetic text "
            "overstate performance on real news: report the `news` documents separately "
            "where possible, and read the project's DATASHEET.md before use.")


def card_yaml(manifest: Mapping[str, Any], spec: Spec) -> dict[str, Any]:
    """The card's YAML header: hub metadata, configs with `version:` and data files, and the
    Features and split sizes of every config under `dataset_info`."""
    version = manifest["version"]
    cfgs, infos = [], []
    for config in manifest["configs"]:
        files = _files(manifest, config)
        if not files:
            continue
        entry: dict[str, Any] = {"config_name": config, "version": version}
        if config == DOCUMENTS:
            entry["default"] = True
        entry["data_files"] = [{"split": s, "path": f} for s, f, _ in files]
        cfgs.append(entry)
        infos.append({"config_name": config, "features": features_yaml(config, spec),
                      "splits": [{"name": s, "num_bytes": manifest["configs"][config][s]
                                  ["data_bytes"], "num_examples": n} for s, _, n in files]})
    documents = sum(manifest["configs"][DOCUMENTS][s]["rows"] for s in SPLITS)
    return {"pretty_name": PRETTY_NAME, "language": ["en"], "license": "other",
            "license_name": "communique-mixed", "annotations_creators": ["machine-generated"],
            "language_creators": _language_creators(manifest),
            "multilinguality": ["monolingual"], "size_categories": [_size_category(documents)],
            "source_datasets": ["original"],
            "task_categories": ["token-classification", "text-classification"],
            "tags": ["events", "plover", "attribution", "stance", "coreference", "news",
                     "international-relations"],
            "configs": cfgs, "dataset_info": infos}


def _counts_table(manifest: Mapping[str, Any]) -> list[str]:
    lines = ["| config | one row per | " + " | ".join(SPLITS) + " |",
             "|---|---|" + "---:|" * len(SPLITS)]
    for config, per_split in manifest["configs"].items():
        lines.append(f"| `{config}` | {ROW_OF.get(config, config)} | " +
                     " | ".join(str(per_split[s]["rows"]) for s in SPLITS) + " |")
    return lines


def _label_tables(manifest: Mapping[str, Any], spec: Spec | None = None) -> list[str]:
    """Per label field, each label's count per split; with ``spec``, its definition too."""
    lines: list[str] = []
    counts = manifest["counts"]
    for config in manifest["configs"]:
        sets = (label_sets(LAYER_RECORD.get(config, "document"), spec, nested=config != DOCUMENTS)
                if spec else {})
        for name, labels in counts[SPLITS[0]][config]["labels"].items():
            definitions = spec.labels[sets[name]].definitions if spec else {}
            head = "| label | definition | " if spec else "| label | "
            lines += ["", f"`{config}.{name}`:", "", head + " | ".join(SPLITS) + " |",
                      ("|---|---|" if spec else "|---|") + "---:|" * len(SPLITS)]
            for label in labels:
                cells = [label]
                if spec:
                    cells.append((definitions.get(label) or "").replace("|", "\\|"))
                cells += [str(counts[s][config]["labels"][name][label]) for s in SPLITS]
                lines.append("| " + " | ".join(cells) + " |")
    return lines


def _field_lines(config: str, spec: Spec) -> list[str]:
    if config == DOCUMENTS:
        fields = list(spec.records["document"].fields.items())
        extra = [(TEXT_LENGTH, "Length of `text` in code points (kept when the text is withheld).")]
    else:
        fields = list(spec.records[LAYER_RECORD[config]].fields.items())
        extra = [(DOC_ID, "Id of the document (the `id` of the `documents` config).")]
    out = [f"- `{n}`: {d}" for n, d in extra if n == DOC_ID]
    for name, field in fields:
        label = f" ClassLabel `{field.label}`." if field.kind == "label" else ""
        out.append(f"- `{name}`: {field.description}{label}")
    out += [f"- `{n}`: {d}" for n, d in extra if n != DOC_ID]
    return out


def _baseline_lines(version: str, record: Mapping[str, Any]) -> list[str]:
    from communique.baseline.results import render

    from communique.baseline.predict import SYSTEM_NAME

    tool = record["system"].removeprefix(f"{SYSTEM_NAME}-").split("+")[0]
    splits = [s for s in SPLITS if s in record["splits"]]
    return [
        "## Baseline results", "",
        "Scores of communique's transparent rule-based reference system on this version, "
        "computed when the version was built and frozen here: later baselines do not change "
        "this card (the communique project's own README tracks the current one). "
        "`baseline.json` holds the full `communique eval score` output of each split, every "
        "metric and label included. The baseline's rules and lexicons were developed on train "
        "and validation only, so the test column is the estimate to quote.", "",
        render(f"v{version}", record), "",
        f"To reproduce, install communique {tool}, check that `communique baseline predict` "
        f"reports the model version `{record['system']}`, and run, with `DATA` the folder of "
        "this dataset:", "",
        "```sh",
        *[line for split in splits for line in (
            f"communique baseline predict --gold DATA --split {split} --out {split}.jsonl",
            f"communique eval score --gold DATA --split {split} --pred {split}.jsonl "
            f"--bootstrap {record['bootstrap']} --seed {record['seed']}")],
        "```", ""]


def card_text(manifest: Mapping[str, Any], spec: Spec | None = None,
              baseline: Mapping[str, Any] | None = None) -> str:
    """The dataset card README.md of a release; ``baseline``: the baseline's scores on it."""
    spec = spec or load_spec()
    version = manifest["version"]
    header = yaml.safe_dump(card_yaml(manifest, spec), sort_keys=False, allow_unicode=True,
                            default_flow_style=False, width=100)
    withheld = manifest["text_withheld_for"]
    n_withheld = sum(manifest["counts"][s][DOCUMENTS]["text_withheld"] for s in SPLITS)
    first_split = next((s for s in SPLITS if manifest["configs"][DOCUMENTS][s]["file"]), "test")
    lines = [
        "---", header.rstrip("\n"), "---", "",
        f"# {PRETTY_NAME} v{version}", "", SUMMARY, "", "**How it was made.** " + _making(manifest),
        "",
        f"Schema version {manifest['schema_version']}; built with communique "
        f"{manifest['tool']['communique']} and pyarrow {manifest['tool']['pyarrow']}. "
        "Offsets are half-open `[start, end)` over Python code points of the NFC text, and "
        "`text[start:end] == span.text` for every span.", "",
        "## Loading", "",
        "```python",
        "from datasets import load_dataset",
        "",
        "# this version, from a local copy of its folder (one folder per version):",
        f"ds = load_dataset(\"corpus/releases/v{version}\", \"documents\", split=\"{first_split}\")",
        "# this version, from the hub once it is published there (each release a tag):",
        f"ds = load_dataset(\"{HUB_REPO}\", \"documents\", split=\"{first_split}\", "
        f"revision=\"v{version}\")",
        "print(ds.info.version)  # " + version,
        "```", "",
        "`revision=` is ignored for a local folder: choose the version by its folder. Label "
        "fields are `ClassLabel`s: `ds.features[\"mentions\"].feature[\"type\"].names` in "
        "`documents`, `ds.features[\"type\"].names` in `mentions`. The flat configs "
        "(`mentions`, `actors`, `events`, `attributions`, `positions`) have one row per item "
        "and `doc_id`; ids inside a document (`m1`, `a1`, …) are local to it.", "",
        "## Configs and splits", "",
        *_counts_table(manifest), "",
        "Splits are fixed per document: a document keeps its split in every later version "
        "(`corpus/splits.json` in the project); `CHANGELOG.md` says when one moves. A split "
        "with no rows is not declared (datasets cannot load an empty split).", "",
    ]
    if withheld:
        lines += ["## Withheld texts", "",
                  f"The texts of {n_withheld} document(s) (provenance: {', '.join(withheld)}) "
                  "are withheld: `text` and every span `text` are null; `text_sha256`, "
                  "`text_length` and all offsets are kept. Restore them from your own copies "
                  "(`<document id>.txt`, UTF-8) with `communique release rehydrate RELEASE "
                  "--texts DIR --out NEW`, which refuses any text whose SHA-256 differs.", ""]
    lines += ["## Fields", ""]
    for config in manifest["configs"]:
        lines += [f"### `{config}`", "", *_field_lines(config, spec), ""]
    lines += ["## Labels", "", "What each label means (the full rules and examples are in the "
              "project's annotation guidelines), and how often it occurs.",
              *_label_tables(manifest, spec), ""]
    if baseline is not None:
        lines += _baseline_lines(version, baseline)
    lines += ["## Integrity", "",
              "`MANIFEST.json` lists the SHA-256 of every file, the counts per split, layer and "
              "label, and the schema and tool versions; `communique release verify FOLDER` checks "
              "a copy against it. `croissant.json` describes the flat configs and the "
              "document-level fields of `documents` for Croissant readers.", "",
              "## Licence", "", LICENSE_NOTE, "",
              "See `DATASHEET.md` in the project for how the corpus was made, by whom, and its "
              "intended and out-of-scope uses.", ""]
    return "\n".join(lines)


def croissant_json(manifest: Mapping[str, Any], spec: Spec | None = None) -> dict[str, Any]:
    """Croissant 1.0 metadata: one FileSet and one RecordSet per non-empty config, with a
    `split` field taken from the file name."""
    spec = spec or load_spec()
    distribution, record_sets = [], []
    for config in manifest["configs"]:
        if not _files(manifest, config):
            continue
        file_set = f"{config}-parquet"
        distribution.append({"@type": "cr:FileSet", "@id": file_set, "name": file_set,
                             "description": f"Parquet files of the {config} config, one per split.",
                             "encodingFormat": "application/x-parquet",
                             "includes": f"data/{config}/*.parquet"})
        split_field = {"@type": "cr:Field", "@id": f"{config}/split", "name": "split",
                       "description": "The split: " + ", ".join(SPLITS) + ".",
                       "dataType": "sc:Text",
                       "source": {"fileSet": {"@id": file_set},
                                  "extract": {"fileProperty": "filename"},
                                  "transform": {"regex": r"^(" + "|".join(SPLITS) +
                                                r")\.parquet$"}}}
        record_sets.append({"@type": "cr:RecordSet", "@id": config, "name": config,
                            "description": f"One record per {ROW_OF.get(config, config)}."
                            + (" Layers are in the flat record sets." if config == DOCUMENTS
                               else ""),
                            "field": [split_field, *croissant_fields(config, file_set, spec)]})
    return {"@context": CROISSANT_CONTEXT, "@type": "sc:Dataset", "name": "communique",
            "description": SUMMARY, "conformsTo": "http://mlcommons.org/croissant/1.0",
            "version": manifest["version"], "license": LICENSE_NOTE,
            "url": f"https://huggingface.co/datasets/{HUB_REPO}",
            "citeAs": f"Communiqué v{manifest['version']}: an annotated corpus of "
                      "international-politics news.",
            "distribution": distribution, "recordSet": record_sets}


# --- CHANGELOG -------------------------------------------------------------------------------

CHANGELOG_HEADER = ("# Changelog\n\nOne entry per release, newest first, written by "
                    "`communique release build` (counts and their differences from the previous "
                    "release are generated).\n")


def _total(manifest: Mapping[str, Any] | None, split: str, config: str) -> int:
    if manifest is None:
        return 0
    return manifest["counts"].get(split, {}).get(config, {}).get("total", 0)


def _labels(manifest: Mapping[str, Any] | None, split: str, config: str,
            name: str) -> Mapping[str, int]:
    if manifest is None:
        return {}
    return manifest["counts"].get(split, {}).get(config, {}).get("labels", {}).get(name, {})


def changelog_entry(manifest: Mapping[str, Any], previous: Mapping[str, Any] | None,
                    previous_ids: Mapping[str, list[str]] | None,
                    ids: Mapping[str, list[str]], moved: list[str], today: str) -> str:
    """The CHANGELOG section of a new release, with count differences from ``previous``."""
    version = manifest["version"]
    prev = f"v{previous['version']}" if previous else "nothing"
    lines = [f"## v{version} — {today}", "",
             f"Schema {manifest['schema_version']}, communique {manifest['tool']['communique']}. "
             f"Compared with {prev}:", "",
             "| split | config | before | now | change |", "|---|---|---:|---:|---:|"]
    for split in SPLITS:
        for config in manifest["configs"]:
            a, b = _total(previous, split, config), _total(manifest, split, config)
            lines.append(f"| {split} | {config} | {a} | {b} | {b - a:+d} |")
    label_rows = []
    for config in manifest["configs"]:
        for name, labels in manifest["counts"][SPLITS[0]][config]["labels"].items():
            for label in labels:
                a = sum(_labels(previous, s, config, name).get(label, 0) for s in SPLITS)
                b = sum(_labels(manifest, s, config, name).get(label, 0) for s in SPLITS)
                if a != b:
                    label_rows.append(f"| {config}.{name} | {label} | {a} | {b} | {b - a:+d} |")
    old_ids = {d for v in (previous_ids or {}).values() for d in v}
    new_ids = {d for v in ids.values() for d in v}
    added = {s: sum(1 for d in v if d not in old_ids) for s, v in ids.items()}
    removed = sorted(old_ids - new_ids)
    lines += [""]
    if label_rows:
        lines += ["Labels whose count changed (all splits):", "",
                  "| field | label | before | now | change |", "|---|---|---:|---:|---:|",
                  *label_rows, ""]
    else:
        lines += ["No label count changed.", ""]
    lines += [
              "Documents added: " + ", ".join(f"{n} to {s}" for s, n in added.items()) + ".",
              "Documents removed: " + (", ".join(removed) if removed else "none") + ".",
              "Documents that changed split: " + ("; ".join(moved) if moved else "none") + ".",
              "Texts withheld for provenance: " +
              (", ".join(manifest["text_withheld_for"]) or "none") + ".",
              "Baseline results in the card: " +
              (f"`{manifest['baseline']}`" if manifest.get("baseline") else "none") + ".", ""]
    return "\n".join(lines)


def add_changelog_entry(path: Path, manifest: Mapping[str, Any],
                        previous: Mapping[str, Any] | None,
                        previous_ids: Mapping[str, list[str]] | None,
                        ids: Mapping[str, list[str]], moved: list[str], today: str) -> None:
    """Insert the entry of a new release at the top of the CHANGELOG (created if missing)."""
    current = path.read_text(encoding="utf-8") if path.exists() else CHANGELOG_HEADER
    if f"## v{manifest['version']} " in current:
        return
    entry = changelog_entry(manifest, previous, previous_ids, ids, moved, today)
    head, sep, rest = current.partition("\n## ")
    new = head.rstrip("\n") + "\n\n" + entry + ("\n## " + rest if sep else "")
    atomic_write_text(path, new)


# --- DATASHEET composition -------------------------------------------------------------------

DATASHEET_BEGIN = "<!-- BEGIN GENERATED: composition (communique release datasheet) -->"
DATASHEET_END = "<!-- END GENERATED: composition -->"


def composition_markdown(manifest: Mapping[str, Any]) -> str:
    """The generated composition section of DATASHEET.md, from the latest release's manifest."""
    counts = manifest["counts"]
    provenance = counts[SPLITS[0]][DOCUMENTS]["labels"]["provenance"]
    lines = [f"Counts of release v{manifest['version']} (from its `MANIFEST.json`).", "",
             "| split | documents | " + " | ".join(provenance) +
             " | code points | texts withheld |", "|---|---:|" + "---:|" * (len(provenance) + 2)]
    for split in SPLITS:
        doc = counts[split][DOCUMENTS]
        lines.append(f"| {split} | {doc['total']} | " +
                     " | ".join(str(doc["labels"]["provenance"][p]) for p in provenance) +
                     f" | {doc['text_code_points']} | {doc['text_withheld']} |")
    lines += ["", *_counts_table(manifest), *_label_tables(manifest)]
    return "\n".join(lines)


def splice_datasheet(current: str, manifest: Mapping[str, Any]) -> str:
    """``current`` with the text between the composition markers replaced."""
    if DATASHEET_BEGIN not in current or DATASHEET_END not in current:
        raise ValueError(f"DATASHEET.md must contain the lines {DATASHEET_BEGIN} and "
                         f"{DATASHEET_END}")
    head, rest = current.split(DATASHEET_BEGIN, 1)
    _, tail = rest.split(DATASHEET_END, 1)
    return f"{head}{DATASHEET_BEGIN}\n{composition_markdown(manifest)}\n{DATASHEET_END}{tail}"
