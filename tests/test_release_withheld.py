"""Withheld-text releases and rehydration: texts and span texts are null with hashes, lengths and
offsets kept; rehydration from the user's own copies gives back the full release byte for byte
and refuses any text whose hash differs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from communique.cli import main  # noqa: E402
from communique.corpus.release import (ReleaseError, build_release, differing_files,  # noqa: E402
                                       rehydrate_release)
from communique.corpus.release_synth import write_synthetic_corpus  # noqa: E402

SIZES = {"chars": 300, "sentences": 2, "positions": 1}


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("withheld")
    ids = write_synthetic_corpus(root / "docs", range(6), **SIZES)
    full = build_release([root / "docs"], root / "full", "0.3.0").path
    withheld = build_release([root / "docs"], root / "withheld", "0.3.0",
                             withhold=["synthetic"]).path
    texts = root / "texts"
    texts.mkdir()
    for doc_id in ids:
        doc = json.loads((root / "docs" / f"{doc_id}.json").read_text())
        (texts / f"{doc_id}.txt").write_text(doc["text"], encoding="utf-8")
    return {"root": root, "full": full, "withheld": withheld, "texts": texts}


def test_withheld_release_keeps_hashes_lengths_and_offsets_but_no_text(releases):
    import datasets

    cache = str(releases["root"] / "hf-cache")
    docs = datasets.load_dataset(str(releases["withheld"]), "documents", split="train",
                                 cache_dir=cache)
    full = datasets.load_dataset(str(releases["full"]), "documents", split="train",
                                 cache_dir=cache)
    assert len(docs) == len(full) > 0
    for w, f in zip(docs, full, strict=True):
        assert w["text"] is None and w["text_sha256"] == f["text_sha256"]
        assert w["text_length"] == len(f["text"])
        assert [(m["start"], m["end"], m["text"]) for m in w["mentions"]] == \
            [(m["start"], m["end"], None) for m in f["mentions"]]
        assert all(c["text"] is None for a in w["attributions"] for c in a["content"])
        assert all(p["target"]["text"] is None and p["evidence"]["text"] is None
                   for p in w["positions"])
    events = datasets.load_dataset(str(releases["withheld"]), "events", split="train",
                                   cache_dir=cache)
    assert all(e["trigger"]["text"] is None for e in events)
    manifest = json.loads((releases["withheld"] / "MANIFEST.json").read_text())
    assert manifest["text_withheld_for"] == ["synthetic"]
    assert manifest["counts"]["train"]["documents"]["text_withheld"] == len(docs)
    assert "## Withheld texts" in (releases["withheld"] / "README.md").read_text()


def test_rehydration_gives_back_the_full_release_byte_for_byte(releases, tmp_path):
    out = tmp_path / "rehydrated"
    rehydrate_release(releases["withheld"], releases["texts"], out)
    assert differing_files(out, releases["full"]) == []


def test_rehydration_refuses_texts_whose_hash_differs(releases, tmp_path, capsys):
    texts = tmp_path / "texts"
    texts.mkdir()
    for p in releases["texts"].iterdir():
        (texts / p.name).write_bytes(p.read_bytes())
    first = sorted(texts.iterdir())[0]
    changed = first.read_text(encoding="utf-8").replace("said", "stated", 1)
    first.write_text(changed, encoding="utf-8")
    missing = sorted(texts.iterdir())[1]
    missing.unlink()
    from communique.schemas.model import sha256_text

    doc_id, missing_id = first.stem, missing.stem
    expected_sha = json.loads((releases["root"] / "docs" / f"{doc_id}.json").read_text())[
        "text_sha256"]
    out = tmp_path / "out"
    code = main(["release", "rehydrate", str(releases["withheld"]), "--texts", str(texts),
                 "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err.splitlines()
    assert f"{first}: {doc_id}: found text with sha256 {sha256_text(changed)} ({len(changed)} " \
           f"code points); allowed: the text whose sha256 is {expected_sha}" in err
    assert f"{missing}: {missing_id}: missing; allowed: the article text as UTF-8 in this " \
           "file" in err
    assert err[-1] == "refusing to rehydrate: 2 text(s) missing or different; nothing was written"
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["texts"]


def test_rehydration_refuses_an_altered_release_and_a_full_one(releases, tmp_path):
    with pytest.raises(ReleaseError) as e:
        rehydrate_release(releases["full"], releases["texts"], tmp_path / "out")
    assert e.value.summary == (f"{releases['full']}: no text is withheld in this release; "
                               "nothing to rehydrate")
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(releases["withheld"], copy)
    card = copy / "README.md"
    card.write_text(card.read_text() + "edited\n")
    with pytest.raises(ReleaseError) as e:
        rehydrate_release(copy, releases["texts"], tmp_path / "out")
    assert len(e.value.problems) == 1
    assert e.value.problems[0].startswith(f"{copy}: README.md: found sha256 ")
    assert not (tmp_path / "out").exists()


def test_withhold_text_flag_takes_provenance_values(releases, tmp_path, capsys):
    code = main(["release", "build", "--version", "0.3.0", "--corpus",
                 str(releases["root"] / "docs"), "--out", str(tmp_path / "r"),
                 "--withhold-text", "rumour"])
    assert code == 2
    assert capsys.readouterr().err.strip() == ("withhold-text: found rumour; allowed: news, "
                                               "synthetic")
    code = main(["release", "build", "--version", "0.3.0", "--corpus",
                 str(releases["root"] / "docs"), "--out", str(tmp_path / "r"),
                 "--withhold-text"])
    assert code == 0
    # All texts withheld: the same data as withholding the only provenance present.
    assert differing_files(tmp_path / "r" / "v0.3.0", releases["withheld"]) == \
        ["MANIFEST.json", "README.md"]
    manifest = json.loads((tmp_path / "r" / "v0.3.0" / "MANIFEST.json").read_text())
    assert manifest["text_withheld_for"] == ["news", "synthetic"]
