"""The committed releases (v0.1.0, v1.0.0, v1.0.1, v1.1.0): it matches its manifest, loads offline with `datasets` with
pinned counts and first/last records per split, holds the annotated seed article in `test`, and
DATASHEET.md's composition section matches the latest release's manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from communique.corpus.release import latest_release, read_manifest, verify_release  # noqa: E402
from communique.corpus.release_card import composition_markdown, splice_datasheet  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "corpus" / "releases" / "v0.1.0"
SEED = "cmq-22aa667baa49"
ROWS = {
    "documents": {"train": 15, "validation": 5, "test": 5},
    "mentions": {"train": 1093, "validation": 371, "test": 404},
    "actors": {"train": 394, "validation": 139, "test": 127},
    "events": {"train": 399, "validation": 136, "test": 151},
    "attributions": {"train": 186, "validation": 75, "test": 72},
    "positions": {"train": 111, "validation": 42, "test": 47},
}
# (first, last) per split: document (id, title); mention (doc_id, id, start, end, text, type);
# event (doc_id, id, type, trigger text, modality); position (doc_id, id, stance, evidence text).
FIRST_LAST = {
    "train": {
        "documents": [("cmq-29e89f1a9bcc", "Gulf states send escorts after tanker seized near "
                                           "Strait of Hormuz"),
                      ("cmq-fe9640963475", "Kenya and Somalia to reopen Mandera crossing as AU "
                                           "mission plans troop drawdown")],
        "mentions": [("cmq-29e89f1a9bcc", "m2", 26, 50, "The United Arab Emirates", "STATE"),
                     ("cmq-fe9640963475", "m63", 2120, 2141, "the reopened crossing", "LOCATION")],
        "events": [("cmq-29e89f1a9bcc", "e1", "MOBILIZE", "deployed", "asserted"),
                   ("cmq-fe9640963475", "e24", "ASSAULT", "attack", "hypothetical")],
        "positions": [("cmq-29e89f1a9bcc", "p1", "support", "asked"),
                      ("cmq-fe9640963475", "p4", "neutral", "neither endorse nor oppose")],
    },
    "validation": {
        "documents": [("cmq-09d2e5eb1544", "Philippines protests to China after water cannon "
                                           "attack on resupply boat injures two"),
                      ("cmq-e6a08556a56e", "Japan frees South Korean fishing crew after two-day "
                                           "standoff near disputed islets")],
        "mentions": [("cmq-09d2e5eb1544", "m1", 36, 51, "The Philippines", "STATE"),
                     ("cmq-e6a08556a56e", "m70", 2643, 2651, "Japanese", "STATE")],
        "events": [("cmq-09d2e5eb1544", "e1", "PROTEST", "protest", "asserted"),
                   ("cmq-e6a08556a56e", "e29", "CONSULT", "summit", "future")],
        "positions": [("cmq-09d2e5eb1544", "p1", "oppose", "a deliberate and dangerous act"),
                      ("cmq-e6a08556a56e", "p8", "support", "demanding")],
    },
    "test": {
        "documents": [("cmq-152c88cf934e", "ASEAN ministers press Myanmar on detainees and aid "
                                           "access, split over summit seats"),
                      ("cmq-d554d3bab809", "Brazil lifts steel quotas as Argentina drops car "
                                           "levy in Mercosur truce")],
        "mentions": [("cmq-152c88cf934e", "m1", 48, 81, "Southeast Asian foreign ministers",
                      "GROUP"),
                     ("cmq-d554d3bab809", "m73", 2389, 2415, "a Buenos Aires consultancy",
                      "ORGANIZATION")],
        "events": [("cmq-152c88cf934e", "e1", "REQUEST", "called on", "asserted"),
                   ("cmq-d554d3bab809", "e32", "SANCTION", "surcharge", "hypothetical")],
        "positions": [("cmq-152c88cf934e", "p1", "support", "called on"),
                      ("cmq-d554d3bab809", "p6", "neutral", "neither backed nor opposed")],
    },
}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("hf-cache"))


def _load(config: str, split: str, cache: str, folder: Path = RELEASE):
    import datasets

    return datasets.load_dataset(str(folder), config, split=split, cache_dir=cache)


# v1.0.0, the first full release (issue 6): pinned the same way.
ROWS_V1 = {'documents': {'train': 55, 'validation': 18, 'test': 18},
 'mentions': {'train': 4062, 'validation': 1401, 'test': 1484},
 'actors': {'train': 1560, 'validation': 538, 'test': 554},
 'events': {'train': 1423, 'validation': 481, 'test': 501},
 'attributions': {'train': 730, 'validation': 235, 'test': 273},
 'positions': {'train': 470, 'validation': 150, 'test': 163}}
FIRST_LAST_V1 = {'train': {'documents': [('cmq-19a3914680d9',
                          "Libya's rival governments agree UN-brokered mechanism to share oil "
                          'revenues'),
                         ('cmq-fe9640963475',
                          'Kenya and Somalia to reopen Mandera crossing as AU mission plans troop '
                          'drawdown')],
           'mentions': [('cmq-19a3914680d9',
                         'm1',
                         34,
                         63,
                         'Libya’s rival administrations',
                         'GROUP'),
                        ('cmq-fe9640963475',
                         'm63',
                         2120,
                         2141,
                         'the reopened crossing',
                         'LOCATION')],
           'events': [('cmq-19a3914680d9', 'e1', 'AGREE', 'agreed', 'asserted'),
                      ('cmq-fe9640963475', 'e24', 'ASSAULT', 'attack', 'hypothetical')],
           'positions': [('cmq-19a3914680d9', 'p1', 'support', 'welcomed'),
                         ('cmq-fe9640963475', 'p4', 'neutral', 'neither endorse nor oppose')]},
 'validation': {'documents': [('cmq-09d2e5eb1544',
                               'Philippines protests to China after water cannon attack on '
                               'resupply boat injures two'),
                              ('cmq-f87543b7d7c8',
                               'Cypriot negotiators agree to open two new crossing points, first '
                               'in five years')],
                'mentions': [('cmq-09d2e5eb1544', 'm1', 36, 51, 'The Philippines', 'STATE'),
                             ('cmq-f87543b7d7c8', 'm40', 2074, 2087, 'the two sides', 'GROUP')],
                'events': [('cmq-09d2e5eb1544', 'e1', 'PROTEST', 'protest', 'asserted'),
                           ('cmq-f87543b7d7c8', 'e19', 'REQUEST', 'lobbied', 'historical')],
                'positions': [('cmq-09d2e5eb1544',
                               'p1',
                               'oppose',
                               'a deliberate and dangerous act'),
                              ('cmq-f87543b7d7c8', 'p7', 'support', 'lobbied for')]},
 'test': {'documents': [('cmq-11c14aecd4f1',
                         'Nigeria and Niger agree to reopen border crossings, resume joint '
                         'patrols'),
                        ('cmq-e13a6c163d8a',
                         'Chad reopens Adré crossing for Darfur aid convoy, warns it could shut it '
                         'again')],
          'mentions': [('cmq-11c14aecd4f1', 'm1', 25, 32, 'Nigeria', 'STATE'),
                       ('cmq-e13a6c163d8a',
                        'm47',
                        1992,
                        2015,
                        'the border east of Adré',
                        'LOCATION')],
          'events': [('cmq-11c14aecd4f1', 'e1', 'AGREE', 'agreed', 'asserted'),
                     ('cmq-e13a6c163d8a', 'e18', 'AID', 'send', 'hypothetical')],
          'positions': [('cmq-11c14aecd4f1', 'p1', 'oppose', 'never again'),
                        ('cmq-e13a6c163d8a', 'p5', 'oppose', 'protested against')]}}

# v1.1.0, after the consistency pass (same documents and splits; first and last records
# unchanged, more items in some layers).
ROWS_V11 = {"documents": {"train": 55, "validation": 18, "test": 18},
            "mentions": {"train": 4074, "validation": 1407, "test": 1487},
            "actors": {"train": 1572, "validation": 545, "test": 557},
            "events": {"train": 1435, "validation": 481, "test": 504},
            "attributions": {"train": 730, "validation": 235, "test": 273},
            "positions": {"train": 481, "validation": 153, "test": 165}}

# v1.0.1 holds the documents of v1.0.0; its card adds the baseline results.
PINNED = {"0.1.0": (ROWS, FIRST_LAST), "1.0.0": (ROWS_V1, FIRST_LAST_V1),
          "1.0.1": (ROWS_V1, FIRST_LAST_V1), "1.1.0": (ROWS_V11, FIRST_LAST_V1)}


@pytest.mark.parametrize("version", list(PINNED))
def test_committed_release_matches_its_manifest(version):
    folder = ROOT / "corpus" / "releases" / f"v{version}"
    assert verify_release(folder) == []
    manifest = read_manifest(folder)
    assert manifest["version"] == version
    assert {c: {s: v["rows"] for s, v in per.items()}
            for c, per in manifest["configs"].items()} == PINNED[version][0]


@pytest.mark.parametrize("version,split", [(v, s) for v in PINNED for s in FIRST_LAST])
def test_committed_release_loads_with_pinned_first_and_last_records(version, split, cache):
    rows, first_last = PINNED[version]
    pinned = first_last[split]
    folder = ROOT / "corpus" / "releases" / f"v{version}"
    docs = _load("documents", split, cache, folder)
    assert len(docs) == rows["documents"][split] and str(docs.info.version) == version
    assert [(d["id"], d["title"]) for d in (docs[0], docs[-1])] == pinned["documents"]

    mentions = _load("mentions", split, cache, folder)
    assert len(mentions) == rows["mentions"][split]
    t = mentions.features["type"].int2str
    assert [(m["doc_id"], m["id"], m["start"], m["end"], m["text"], t(m["type"]))
            for m in (mentions[0], mentions[-1])] == pinned["mentions"]

    events = _load("events", split, cache, folder)
    assert len(events) == rows["events"][split]
    et, mo = events.features["type"].int2str, events.features["modality"].int2str
    assert [(e["doc_id"], e["id"], et(e["type"]), e["trigger"]["text"], mo(e["modality"]))
            for e in (events[0], events[-1])] == pinned["events"]

    positions = _load("positions", split, cache, folder)
    assert len(positions) == rows["positions"][split]
    st = positions.features["stance"].int2str
    assert [(p["doc_id"], p["id"], st(p["stance"]), p["evidence"]["text"])
            for p in (positions[0], positions[-1])] == pinned["positions"]

    for config in ("actors", "attributions"):
        assert len(_load(config, split, cache, folder)) == rows[config][split]


def test_the_annotated_seed_article_is_in_test_with_its_text(cache):
    docs = _load("documents", "test", cache)
    seed = next(d for d in docs if d["id"] == SEED)
    assert docs.features["provenance"].int2str(seed["provenance"]) == "news"
    assert len(seed["mentions"]) == 89 and len(seed["events"]) == 26
    assert seed["text"].startswith("The United States and Russia both said on Thursday")
    for m in seed["mentions"]:
        assert seed["text"][m["start"]:m["end"]] == m["text"]
    registry = json.loads((ROOT / "corpus" / "splits.json").read_text())
    assert registry["assignments"][SEED] == "test"


def test_datasheet_composition_matches_the_latest_release():
    latest = latest_release(ROOT / "corpus" / "releases")
    assert latest is not None
    manifest = read_manifest(latest)
    datasheet = (ROOT / "DATASHEET.md").read_text(encoding="utf-8")
    assert splice_datasheet(datasheet, manifest) == datasheet
    assert composition_markdown(manifest) in datasheet
    # and the section carries the manifest's numbers, e.g. the documents per split
    for split, info in manifest["configs"]["documents"].items():
        assert f"| {split} | {info['rows']} |" in datasheet


def test_committed_release_rebuilds_from_its_own_documents(tmp_path):
    """The documents config holds every canonical field: writing its rows back as documents and
    building again gives the same data, and the same Parquet bytes when pyarrow is the same
    version. (The card and croissant.json quote the schema's descriptions, which may be
    reworded later without changing the data; they are checked on the fixture release.)"""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from communique.corpus.release import build_release, release_document_ids
    from communique.corpus.release_splits import SplitRegistry
    from communique.schemas.io import write_document
    from communique.schemas.model import Document

    manifest = read_manifest(RELEASE)
    docs = tmp_path / "docs"
    for split, info in manifest["configs"]["documents"].items():
        for row in pq.read_table(RELEASE / info["file"]).to_pylist():
            del row["text_length"]
            write_document(Document.from_dict(row), docs)
    registry = SplitRegistry({d: s for s, ids in release_document_ids(RELEASE).items()
                              for d in ids})
    registry.save(tmp_path / "splits.json")
    rebuilt = build_release([docs], tmp_path / "releases", "0.1.0",
                            splits_path=tmp_path / "splits.json").path
    for config, per_split in manifest["configs"].items():
        for split, info in per_split.items():
            if info["file"] is None:
                continue
            assert pq.read_table(rebuilt / info["file"]).equals(pq.read_table(RELEASE / info["file"]))
    if manifest["tool"]["pyarrow"] == pa.__version__:
        from communique.corpus.release import differing_files

        assert [f for f in differing_files(rebuilt, RELEASE) if f.startswith("data/")] == []


def test_release_load_command_prints_every_split_of_a_config(capsys):
    from communique.cli import main

    assert main(["release", "load", str(RELEASE), "--config", "positions"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "positions     train           111 row(s)  version 0.1.0",
        "positions     validation       42 row(s)  version 0.1.0",
        "positions     test             47 row(s)  version 0.1.0",
    ]


def test_committed_croissant_reads_the_flat_records_offline():
    import mlcroissant as mlc

    ds = mlc.Dataset(str(RELEASE / "croissant.json"))
    events = list(ds.records("events"))
    assert len(events) == sum(ROWS["events"].values())
    first_test = next(r for r in events if r["events/split"] == b"test")
    assert (first_test["events/doc_id"], first_test["events/id"],
            first_test["events/trigger"]["events/trigger/text"]) == \
        (b"cmq-152c88cf934e", b"e1", b"called on")
