"""croissant.json passes `mlcroissant validate` and mlcroissant reads the records offline; the
hub push plan is exact, fits the real `HfApi` signatures, and stops at the first network call."""

from __future__ import annotations

import inspect
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from communique.cli import main  # noqa: E402
from communique.corpus.release import ReleaseError, build_release  # noqa: E402
from communique.corpus.release_hub import UPLOADED_COMMIT, push_plan, run_plan  # noqa: E402
from communique.corpus.release_synth import synthetic_document, write_synthetic_corpus  # noqa: E402
from communique.schemas.io import dumps_document  # noqa: E402

SIZES = {"chars": 300, "sentences": 2, "positions": 1}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("croissant")
    write_synthetic_corpus(root / "docs", range(5), **SIZES)
    return build_release([root / "docs"], root / "releases", "0.2.0").path


def test_mlcroissant_validate_accepts_the_metadata(release):
    done = subprocess.run([str(Path(sys.executable).parent / "mlcroissant"), "validate",
                           "--jsonld", str(release / "croissant.json")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Done." in done.stderr


def test_mlcroissant_reads_every_record_set_offline(release):
    import mlcroissant as mlc

    manifest = json.loads((release / "MANIFEST.json").read_text())
    ds = mlc.Dataset(str(release / "croissant.json"))
    for config, per_split in manifest["configs"].items():
        records = list(ds.records(config))
        assert len(records) == sum(v["rows"] for v in per_split.values()), config
        splits = {r[f"{config}/split"].decode() for r in records}
        assert splits == {s for s, v in per_split.items() if v["rows"]}
    # The nested fields match the Parquet rows they come from.
    import pyarrow.parquet as pq

    rows = pq.read_table(release / manifest["configs"]["events"]["train"]["file"]).to_pylist()
    read = [r for r in ds.records("events") if r["events/split"] == b"train"]
    assert [(r["events/doc_id"].decode(), r["events/id"].decode(),
             r["events/trigger"]["events/trigger/start"],
             r["events/trigger"]["events/trigger/text"].decode(),
             [(a["events/arguments/role"].decode(), a["events/arguments/mention_id"].decode())
              for a in r["events/arguments"]]) for r in read] == \
        [(r["doc_id"], r["id"], r["trigger"]["start"], r["trigger"]["text"],
          [(a["role"], a["mention_id"]) for a in r["arguments"]]) for r in rows]
    content = [[c["attributions/content/text"].decode() for c in r["attributions/content"]]
               for r in ds.records("attributions") if r["attributions/split"] == b"train"]
    rows = pq.read_table(release / manifest["configs"]["attributions"]["train"]["file"]).to_pylist()
    assert content == [[c["text"] for c in r["content"]] for r in rows]
    mention_ids = [[m.decode() for m in r["actors/mention_ids"]]
                   for r in ds.records("actors") if r["actors/split"] == b"train"]
    rows = pq.read_table(release / manifest["configs"]["actors"]["train"]["file"]).to_pylist()
    assert mention_ids == [r["mention_ids"] for r in rows]


def test_documents_record_set_leaves_the_nested_layers_to_the_flat_ones(release):
    meta = json.loads((release / "croissant.json").read_text())
    documents = next(r for r in meta["recordSet"] if r["@id"] == "documents")
    names = [f["name"] for f in documents["field"]]
    assert names == ["split", "id", "title", "date", "source", "url", "language", "license",
                     "provenance", "text", "text_sha256", "text_length"]


def test_push_dry_run_prints_the_exact_hub_calls(release, capsys):
    code = main(["release", "push", str(release), "--repo-id", "acme/communique", "--dry-run"])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == [
        {"method": "create_repo", "kwargs": {"repo_id": "acme/communique",
                                             "repo_type": "dataset", "exist_ok": True}},
        {"method": "list_repo_refs", "kwargs": {"repo_id": "acme/communique",
                                                "repo_type": "dataset"}},
        {"method": "upload_folder", "kwargs": {"repo_id": "acme/communique",
                                               "repo_type": "dataset",
                                               "folder_path": str(release),
                                               "commit_message": "Communiqué v0.2.0",
                                               "delete_patterns": ["*"]}},
        {"method": "create_tag", "kwargs": {"repo_id": "acme/communique", "repo_type": "dataset",
                                            "tag": "v0.2.0", "tag_message": "Communiqué v0.2.0",
                                            "revision": UPLOADED_COMMIT}},
    ]


def test_every_planned_call_fits_the_real_hfapi_signature(release):
    from huggingface_hub import HfApi

    for call in push_plan(release, "acme/communique"):
        inspect.signature(getattr(HfApi, call.method)).bind(HfApi(), **call.kwargs)


def test_push_goes_up_to_the_network_call_and_reports_its_failure(release):
    from huggingface_hub import HfApi

    with socket.socket() as s:  # a loopback port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = HfApi(endpoint=f"http://127.0.0.1:{port}", token="hf_not_a_real_token")
    with pytest.raises(ReleaseError) as e:
        run_plan(push_plan(release, "acme/communique"), api)
    assert e.value.summary.startswith("push failed at create_repo: ")


def test_push_refuses_news_texts_a_bad_repo_id_and_an_altered_folder(tmp_path, capsys):
    doc = synthetic_document(1, **SIZES) | {"provenance": "news"}
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / f"{doc['id']}.json").write_text(dumps_document(doc))
    release = build_release([tmp_path / "docs"], tmp_path / "releases", "0.1.0").path
    assert main(["release", "push", str(release), "--repo-id", "acme/c", "--dry-run"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"refusing to push {release}: it holds the texts of 1 news document(s), which their "
        "publishers may not allow to be redistributed; allowed: a release built with "
        "--withhold-text news, or --include-news-text when you hold the rights")
    assert main(["release", "push", str(release), "--repo-id", "acme/c", "--dry-run",
                 "--include-news-text"]) == 0
    capsys.readouterr()
    assert main(["release", "push", str(release), "--repo-id", "communique", "--dry-run"]) == 2
    assert capsys.readouterr().err.strip() == "--repo-id: found 'communique'; allowed: OWNER/NAME"
    (release / "croissant.json").write_text("{}")
    assert main(["release", "push", str(release), "--repo-id", "acme/c", "--dry-run"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{release}: croissant.json: found sha256 ")
    assert err[-1] == f"refusing to push {release}: it does not match its manifest"
