"""Release build on a small generated corpus: real `datasets.load_dataset` offline, pinned counts
and first/last records per split, ClassLabel, version, byte-identical rebuilds, immutability,
stable splits, CHANGELOG, and guard rails with their exact messages."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from communique.cli import main  # noqa: E402
from communique.corpus.release import (ReleaseError, build_release, differing_files,  # noqa: E402
                                       verify_release)
from communique.corpus.release_schema import SPLITS  # noqa: E402
from communique.corpus.release_synth import write_synthetic_corpus  # noqa: E402
from communique.schemas.io import dumps_document  # noqa: E402

SIZES = {"chars": 300, "sentences": 2, "positions": 1}
VERSION = "1.2.3"
# Rows per config and split of the release of documents 0..9 (6/2/2 documents; each document
# has 8 mentions, 4 actors, 2 events, 2 attributions, 1 position).
ROWS = {
    "documents": {"train": 6, "validation": 2, "test": 2},
    "mentions": {"train": 48, "validation": 16, "test": 16},
    "actors": {"train": 24, "validation": 8, "test": 8},
    "events": {"train": 12, "validation": 4, "test": 4},
    "attributions": {"train": 12, "validation": 4, "test": 4},
    "positions": {"train": 6, "validation": 2, "test": 2},
}
# (first, last) document id and title per split: ids sorted within a split.
DOCUMENTS = {
    "train": (("cmq-0822d9e3e815", "Talks in Port Selene, report 5"),
              ("cmq-e2e3e20b8444", "Talks in Mirabad, report 8")),
    "validation": (("cmq-1d1cbfb9a26b", "Talks in the Hall of Nations, report 1"),
                   ("cmq-958722e7253d", "Talks in Lake Orun, report 9")),
    "test": (("cmq-a9af14d9f5a5", "Talks in Lake Orun, report 4"),
             ("cmq-f9def1bcdae6", "Talks in Port Selene, report 0")),
}
# (first, last) mention per split as (doc_id, id, start, end, text, type). Document 5 starts
# "PORT SELENE, dispatch 5 — " (26 code points), then its first person, Jonas Weiß.
MENTIONS = {
    "train": (("cmq-0822d9e3e815", "m1", 26, 36, "Jonas Weiß", "PERSON"),
              ("cmq-e2e3e20b8444", "m8", 240, 246, "Kastel", "LOCATION")),
    "validation": (("cmq-1d1cbfb9a26b", "m1", 30, 40, "Jonas Weiß", "PERSON"),
                   ("cmq-958722e7253d", "m8", 235, 244, "Lake Orun", "LOCATION")),
    "test": (("cmq-a9af14d9f5a5", "m1", 24, 39, "Zoë Łukasiewicz", "PERSON"),
             ("cmq-f9def1bcdae6", "m8", 245, 264, "the Hall of Nations", "LOCATION")),
}
# (first, last) event per split as (doc_id, id, type, modality, trigger start, roles).
EVENTS = {
    "train": (("cmq-0822d9e3e815", "e1", "THREATEN", "asserted", 100),
              ("cmq-e2e3e20b8444", "e2", "CONSULT", "future", 233)),
    "validation": (("cmq-1d1cbfb9a26b", "e1", "SUPPORT", "future", 94),
                   ("cmq-958722e7253d", "e2", "CONCEDE", "negated", 228)),
    "test": (("cmq-a9af14d9f5a5", "e1", "ACCUSE", "hypothetical", 94),
             ("cmq-f9def1bcdae6", "e2", "CONSULT", "historical", 238)),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("release")
    write_synthetic_corpus(root / "docs", range(10), **SIZES)
    result = build_release([root / "docs"], root / "releases", VERSION,
                           splits_path=root / "splits.json",
                           changelog_path=root / "CHANGELOG.md", today="2026-11-27")
    assert result.status == "built"
    return {"root": root, "release": result.path, "cache": root / "hf-cache"}


def _load(built: dict[str, Path], config: str, split: str):
    import datasets

    return datasets.load_dataset(str(built["release"]), config, split=split,
                                 cache_dir=str(built["cache"]))


def test_release_folder_holds_card_manifest_croissant_and_parquet(built):
    names = sorted(p.relative_to(built["release"]).as_posix()
                   for p in built["release"].rglob("*") if p.is_file())
    assert names == ["MANIFEST.json", "README.md", "croissant.json"] + sorted(
        f"data/{c}/{s}.parquet" for c in ROWS for s in SPLITS)
    assert verify_release(built["release"]) == []


@pytest.mark.parametrize("config", list(ROWS))
def test_every_config_and_split_loads_with_pinned_counts_and_version(built, config):
    for split in SPLITS:
        ds = _load(built, config, split)
        assert len(ds) == ROWS[config][split]
        assert str(ds.info.version) == VERSION


def test_labels_come_back_as_classlabel_with_schema_names(built):
    from communique.schemas.spec import load_spec

    spec = load_spec()
    docs = _load(built, "documents", "train")
    assert docs.features["provenance"].names == list(spec.labels["provenance"].names)
    assert docs.features["mentions"].feature["type"].names == list(spec.labels["mention_type"].names)
    assert docs.features["events"].feature["arguments"].feature["role"].names == \
        list(spec.labels["argument_role"].names)
    events = _load(built, "events", "test")
    assert events.features["type"].names == list(spec.labels["event_type"].names)
    assert events.features["modality"].names == list(spec.labels["modality"].names)
    positions = _load(built, "positions", "test")
    assert positions.features["stance"].names == list(spec.labels["stance"].names)


@pytest.mark.parametrize("split", SPLITS)
def test_first_and_last_records_per_split(built, split):
    docs = _load(built, "documents", split)
    assert [(docs[0]["id"], docs[0]["title"]), (docs[-1]["id"], docs[-1]["title"])] == \
        list(DOCUMENTS[split])
    first = docs[0]
    assert first["text"][first["mentions"][0]["start"]:first["mentions"][0]["end"]] == \
        first["mentions"][0]["text"]
    assert first["text_length"] == len(first["text"])

    mentions = _load(built, "mentions", split)
    names = mentions.features["type"].names
    got = [(r["doc_id"], r["id"], r["start"], r["end"], r["text"], names[r["type"]])
           for r in (mentions[0], mentions[-1])]
    assert got == list(MENTIONS[split])

    events = _load(built, "events", split)
    tn, mn = events.features["type"].names, events.features["modality"].names
    got = [(r["doc_id"], r["id"], tn[r["type"]], mn[r["modality"]], r["trigger"]["start"])
           for r in (events[0], events[-1])]
    assert got == list(EVENTS[split])
    roles = events.features["arguments"].feature["role"].names
    assert [roles[a["role"]] for a in events[0]["arguments"]] == ["actor", "location", "time"]


def test_manifest_counts_files_and_versions(built):
    manifest = json.loads((built["release"] / "MANIFEST.json").read_text())
    assert manifest["version"] == VERSION
    assert manifest["schema_version"] == "1.0.0"
    assert set(manifest["tool"]) == {"communique", "pyarrow"}
    assert {c: {s: v["rows"] for s, v in per.items()}
            for c, per in manifest["configs"].items()} == ROWS
    for split in SPLITS:
        counts = manifest["counts"][split]
        assert counts["documents"]["labels"]["provenance"] == {
            "news": 0, "synthetic": ROWS["documents"][split]}
        # Every mention is one of the four template types, two per sentence for actors.
        assert sum(counts["mentions"]["labels"]["type"].values()) == ROWS["mentions"][split]
        assert counts["mentions"]["labels"]["type"]["ORGANIZATION"] == 0
        assert counts["events"]["labels"]["arguments.role"] == {
            "actor": ROWS["events"][split], "recipient": 0, "location": ROWS["events"][split],
            "time": ROWS["events"][split]}
    assert len(manifest["files"]) == 3 + 18 - 1  # every file but the manifest itself


def test_card_yaml_declares_configs_versions_features_and_split_sizes(built):
    import yaml

    text = (built["release"] / "README.md").read_text()
    header = yaml.safe_load(text.split("---\n")[1])
    configs = {c["config_name"]: c for c in header["configs"]}
    assert list(configs) == list(ROWS)
    assert configs["documents"]["default"] is True
    assert all(c["version"] == VERSION for c in configs.values())
    assert configs["events"]["data_files"] == [
        {"split": s, "path": f"data/events/{s}.parquet"} for s in SPLITS]
    info = {i["config_name"]: i for i in header["dataset_info"]}
    assert [s["num_examples"] for s in info["mentions"]["splits"]] == [48, 16, 16]
    mentions = next(f for f in info["documents"]["features"] if f["name"] == "mentions")
    assert "list" in mentions and "sequence" not in text
    assert f'revision="v{VERSION}"' in text


def test_rebuild_is_byte_identical_and_building_again_is_a_no_op(built, tmp_path):
    again = build_release([built["root"] / "docs"], tmp_path / "releases", VERSION,
                          splits_path=built["root"] / "splits.json")
    assert differing_files(again.path, built["release"]) == []
    same = build_release([built["root"] / "docs"], built["root"] / "releases", VERSION,
                         splits_path=built["root"] / "splits.json")
    assert same.status == "unchanged"
    assert [p.name for p in (built["root"] / "releases").iterdir()] == [f"v{VERSION}"]


def _copy_corpus(built: dict[str, Path], tmp_path: Path) -> tuple[Path, Path, Path]:
    docs, releases, splits = tmp_path / "docs", tmp_path / "releases", tmp_path / "splits.json"
    shutil.copytree(built["root"] / "docs", docs)
    shutil.copytree(built["root"] / "releases", releases)
    shutil.copyfile(built["root"] / "splits.json", splits)
    return docs, releases, splits


def test_a_changed_corpus_never_overwrites_a_released_version(built, tmp_path):
    docs, releases, splits = _copy_corpus(built, tmp_path)
    write_synthetic_corpus(docs, [10], **SIZES)
    before = {p: p.read_bytes() for p in releases.rglob("*") if p.is_file()}
    with pytest.raises(ReleaseError) as e:
        build_release([docs], releases, VERSION, splits_path=splits)
    assert e.value.summary == (
        f"refusing to overwrite {releases / ('v' + VERSION)}: this build differs in "
        "MANIFEST.json, README.md, data/actors/train.parquet, data/attributions/train.parquet, "
        "data/documents/train.parquet, data/events/train.parquet, …; allowed: a new version "
        "number (a released version never changes)")
    assert {p: p.read_bytes() for p in releases.rglob("*") if p.is_file()} == before
    with pytest.raises(ReleaseError) as e:
        build_release([docs], releases, "1.2.2", splits_path=splits)
    assert e.value.summary == (f"version 1.2.2 is older than the latest release {VERSION} in "
                               f"{releases}; allowed: a version after {VERSION}")


def test_next_version_keeps_every_split_and_logs_count_differences(built, tmp_path):
    docs, releases, splits = _copy_corpus(built, tmp_path)
    old = json.loads(splits.read_text())["assignments"]
    new_ids = write_synthetic_corpus(docs, range(10, 15), **SIZES)
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text((built["root"] / "CHANGELOG.md").read_text())
    result = build_release([docs], releases, "1.3.0", splits_path=splits,
                           changelog_path=changelog, today="2026-11-28")
    now = json.loads(splits.read_text())["assignments"]
    assert {d: now[d] for d in old} == old
    assert sorted(result.new_documents) == sorted(new_ids)
    # 15 documents toward 60/20/20: 9/3/3.
    assert {s: v["rows"] for s, v in result.manifest["configs"]["documents"].items()} == \
        {"train": 9, "validation": 3, "test": 3}
    text = changelog.read_text()
    assert text.index("## v1.3.0 — 2026-11-28") < text.index("## v1.2.3 — 2026-11-27")
    entry = text.split("## v1.3.0")[1].split("## v1.2.3")[0]
    assert "Compared with v1.2.3:" in entry
    assert "| train | documents | 6 | 9 | +3 |" in entry
    assert "| validation | mentions | 16 | 24 | +8 |" in entry
    assert "| test | positions | 2 | 3 | +1 |" in entry
    assert "Documents added: 3 to train, 1 to validation, 1 to test." in entry
    assert "Documents that changed split: none." in entry


def test_moving_a_released_document_needs_allow_split_change(built, tmp_path):
    docs, releases, splits = _copy_corpus(built, tmp_path)
    registry = json.loads(splits.read_text())
    registry["assignments"]["cmq-0822d9e3e815"] = "test"
    splits.write_text(json.dumps(registry))
    with pytest.raises(ReleaseError) as e:
        build_release([docs], releases, "1.3.0", splits_path=splits)
    assert e.value.problems == ["cmq-0822d9e3e815: train in v1.2.3, test now"]
    assert e.value.summary.startswith("refusing to move 1 document(s) to another split;")
    changelog = tmp_path / "CHANGELOG.md"
    build_release([docs], releases, "1.3.0", splits_path=splits, changelog_path=changelog,
                  allow_split_change=True, today="2026-11-28")
    assert "Documents that changed split: cmq-0822d9e3e815: train in v1.2.3, test now." in \
        changelog.read_text()


def _bad_corpus(built: dict[str, Path], folder: Path) -> None:
    folder.mkdir()
    src = built["root"] / "docs" / "cmq-0822d9e3e815.json"
    shutil.copyfile(src, folder / src.name)
    shutil.copyfile(src, folder / "copy.json")
    doc = json.loads(src.read_text())
    label = dict(doc, id="cmq-000000000001", mentions=[dict(doc["mentions"][0], type="PERSONA"),
                                                      *doc["mentions"][1:]])
    (folder / "label.json").write_text(dumps_document(label))
    notext = {k: v for k, v in doc.items() if k != "text"} | {"id": "cmq-000000000002"}
    (folder / "notext.json").write_text(dumps_document(notext))


def test_invalid_corpus_is_refused_with_every_problem_and_nothing_written(built, tmp_path,
                                                                          capsys, monkeypatch):
    bad = tmp_path / "bad"
    _bad_corpus(built, bad)
    releases, splits = tmp_path / "releases", tmp_path / "splits.json"
    monkeypatch.chdir(tmp_path)
    code = main(["release", "build", "--version", "0.1.0", "--corpus", "bad",
                 "--releases-dir", "releases", "--splits", "splits.json",
                 "--changelog", "CHANGELOG.md", "--datasheet", "DATASHEET.md"])
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "bad/copy.json: cmq-0822d9e3e815: $.id: found \"cmq-0822d9e3e815\", already used by "
        "bad/cmq-0822d9e3e815.json; allowed: document ids unique across the corpus",
        "bad/label.json: cmq-000000000001: $.mentions[0].type: found \"PERSONA\"; allowed: one "
        "of PERSON, ORGANIZATION, STATE, GROUP, LOCATION, TIME",
        "bad/notext.json: cmq-000000000002: $.text: missing required field",
        "refusing to release invalid data: 3 problem(s) in 3 document(s); nothing was written",
    ]
    assert not releases.exists() and not splits.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]


def test_empty_text_and_bad_version_are_refused(built, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    doc = json.loads((built["root"] / "docs" / "cmq-0822d9e3e815.json").read_text())
    empty = dict(doc, text="", mentions=[], actors=[], events=[], attributions=[], positions=[])
    (folder / "empty.json").write_text(dumps_document(empty))
    with pytest.raises(ReleaseError) as e:
        build_release([folder], tmp_path / "releases", "0.1.0")
    assert [str(p) for p in e.value.problems] == [
        f"{folder / 'empty.json'}: cmq-0822d9e3e815: $.text: found \"\"; allowed: at least 1 "
        "character(s)",
        f"{folder / 'empty.json'}: cmq-0822d9e3e815: $.text_sha256: found "
        f"{doc['text_sha256']}; allowed: "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, the SHA-256 of the text",
    ]
    with pytest.raises(ReleaseError) as e:
        build_release([folder], tmp_path / "releases", "1.02.3")
    assert e.value.summary == ("version: found '1.02.3'; allowed: X.Y.Z with non-negative "
                               "integers and no leading zeros, e.g. 0.1.0")
    assert not (tmp_path / "releases").exists()


def test_failure_while_writing_leaves_no_temporary_folder(built, tmp_path, monkeypatch):
    import communique.corpus.release as release

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(release, "_sha256_file", boom)
    with pytest.raises(OSError, match="disk full"):
        build_release([built["root"] / "docs"], tmp_path / "releases", "0.1.0")
    assert not (tmp_path / "releases").exists()
    (tmp_path / "existing").mkdir()
    with pytest.raises(OSError, match="disk full"):
        build_release([built["root"] / "docs"], tmp_path / "existing", "0.1.0")
    assert list((tmp_path / "existing").iterdir()) == []


def test_cli_build_with_defaults_keeps_the_books(built, tmp_path, capsys, monkeypatch):
    from communique.corpus.release_card import DATASHEET_BEGIN, DATASHEET_END

    shutil.copytree(built["root"] / "docs", tmp_path / "corpus" / "documents")
    (tmp_path / "DATASHEET.md").write_text(f"# Datasheet\n\n{DATASHEET_BEGIN}\nnone\n"
                                           f"{DATASHEET_END}\n\nMore.\n")
    monkeypatch.chdir(tmp_path)
    assert main(["release", "build", "--version", "0.1.0"]) == 0
    assert capsys.readouterr().out == ("built corpus/releases/v0.1.0: 6 train, 2 validation, 2 "
                                       "test document(s); 10 newly assigned to a split\n")
    assert main(["release", "build", "--version", "0.1.0"]) == 0
    assert capsys.readouterr().out.startswith("already built, identical: corpus/releases/v0.1.0")
    assert "## v0.1.0 — " in (tmp_path / "corpus" / "CHANGELOG.md").read_text()
    assert len(json.loads((tmp_path / "corpus" / "splits.json").read_text())["assignments"]) == 10
    datasheet = (tmp_path / "DATASHEET.md").read_text()
    assert "| train | 6 | 0 | 6 |" in datasheet and datasheet.endswith("\n\nMore.\n")
    assert main(["release", "datasheet", "--check"]) == 0
    assert main(["release", "verify", "corpus/releases/v0.1.0"]) == 0


def test_worker_processes_give_the_same_bytes(built, tmp_path):
    result = build_release([built["root"] / "docs"], tmp_path / "releases", VERSION,
                           splits_path=built["root"] / "splits.json", workers=2)
    assert differing_files(result.path, built["release"]) == []


def test_a_json_lines_corpus_gives_the_same_release(built, tmp_path):
    lines = [json.dumps(json.loads(p.read_text()), ensure_ascii=False)
             for p in sorted((built["root"] / "docs").iterdir(), reverse=True)]
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "all.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = build_release([tmp_path / "docs"], tmp_path / "releases", VERSION,
                           splits_path=built["root"] / "splits.json")
    assert differing_files(result.path, built["release"]) == []
