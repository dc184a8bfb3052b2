"""The distribution installs under one namespace (`communique.…`), from a built wheel, with no
generic top-level names; imports point one way (schemas ← corpus, annotation, eval ← cli)."""

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # Build from a copy without build/ and other local output: setuptools reuses build/lib, so a
    # module deleted from the source could otherwise still ship in the wheel.
    import shutil

    source = tmp_path_factory.mktemp("source") / "communique"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", ".communique", "out", "__pycache__",
        ".pytest_cache", ".hypothesis"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(source)], check=True)
    (path,) = out.glob("communique-*.whl")
    return path


def test_wheel_has_only_the_communique_namespace(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"communique"}
    assert "communique/schemas/communique.yaml" in names
    assert "communique/schemas/generated/document.schema.json" in names
    assert not [n for n in names if "/documents/" in n or "/releases/" in n], \
        "corpus data must stay out of the wheel"


def test_installed_copy_imports_and_runs(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(wheel)], check=True)
    site = next(p for p in sys.path if p.endswith("site-packages"))
    # -S: no site processing, so the checkout's editable finder (a .pth hook) is not active;
    # the dependencies' folder is appended after the installed copy without running .pth files.
    code = f"""
import sys, importlib.util
sys.path[:0] = [{str(target)!r}]
sys.path.append({site!r})
import communique.schemas, communique.cli
assert communique.schemas.__file__.startswith({str(target)!r}), communique.schemas.__file__
for generic in ("eval", "schemas", "annotation", "corpus", "baseline"):
    assert importlib.util.find_spec(generic) is None, generic
from communique.schemas import load_spec
assert len(load_spec().labels["event_type"].names) == 16
raise SystemExit(communique.cli.main(["validate", {str(ROOT / "tests/fixtures/mini.json")!r}]))
"""
    done = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("valid: 1 document(s)")


FORBIDDEN = {
    "schemas": ("communique.corpus", "communique.annotation", "communique.eval",
                "communique.baseline", "communique.cli", "label_studio_sdk", "datasets"),
    "eval": ("communique.annotation", "communique.cli", "label_studio_sdk", "label_studio"),
    "corpus": ("communique.cli",),
    "annotation": ("communique.cli", "communique.eval"),
    "baseline": ("communique.cli", "communique.annotation"),
}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    bad = [f"{py.relative_to(ROOT)} imports {name}"
           for py in sorted((ROOT / package).rglob("*.py"))
           for name in _imports(py)
           if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[package])]
    assert bad == []
