"""A release holds everything needed to rebuild it: its documents, exported back to canonical
JSON, and the baseline scores frozen into it, rebuild the same version byte for byte (with the
communique and pyarrow versions its manifest names)."""

import subprocess
import sys
from pathlib import Path

from communique.corpus.release import latest_release, read_manifest, rebuild_differences
from communique.schemas.validate import check_paths

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run([sys.executable, "-m", "communique", *args], cwd=ROOT,
                          capture_output=True, text=True)


def test_latest_release_rebuilds_byte_identical_from_its_own_documents(tmp_path):
    import pyarrow

    release = latest_release(ROOT / "corpus" / "releases")
    built_with = read_manifest(release)["tool"]["pyarrow"]
    assert pyarrow.__version__.split(".")[0] == built_with.split(".")[0], (
        f"{release.name} was written by pyarrow {built_with}; Parquet files record the writer's "
        f"version, so a byte-identical rebuild needs that series (installed: {pyarrow.__version__})")
    docs = tmp_path / "docs"
    done = run("release", "export-documents", str(release), "--out", str(docs))
    assert done.returncode == 0, done.stderr
    assert check_paths([docs]).problems == []
    version = release.name.removeprefix("v")
    # the baseline's scores are frozen into a release when it is built: a rebuild reuses them
    frozen = ["--baseline-results", str(release / "baseline.json")] \
        if (release / "baseline.json").exists() else []
    done = run("release", "build", "--version", version, "--corpus", str(docs),
               "--out", str(tmp_path / "releases"), *frozen)
    assert done.returncode == 0, done.stderr
    diff, exempt = rebuild_differences(release, tmp_path / "releases" / release.name)
    assert diff == [], exempt


def test_export_refuses_a_tampered_release(tmp_path):
    import shutil

    release = latest_release(ROOT / "corpus" / "releases")
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    (copy / "MANIFEST.json").write_text("{}", encoding="utf-8")
    done = run("release", "export-documents", str(copy), "--out", str(tmp_path / "docs"))
    assert done.returncode == 2
    assert not (tmp_path / "docs").exists()


def test_a_newer_tool_still_reproduces_everything_but_the_files_naming_it(tmp_path, monkeypatch):
    import shutil

    from communique.corpus import release as release_module

    release = latest_release(ROOT / "corpus" / "releases")
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    for name in ("MANIFEST.json", "README.md", "croissant.json"):
        with open(copy / name, "a", encoding="utf-8") as fh:
            fh.write("\n")
    built_with = read_manifest(release)["tool"]["communique"]
    assert rebuild_differences(release, copy) == (
        ["MANIFEST.json", "README.md", "croissant.json"], None)
    monkeypatch.setattr(release_module, "_tool_version", lambda: "99.0.0")
    assert rebuild_differences(release, copy) == (
        ["croissant.json"],
        f"MANIFEST.json and README.md name communique {built_with}, this is 99.0.0: not compared")
