"""`communique release …`: build, verify, load, rehydrate and push versioned releases, and
refresh the composition section of DATASHEET.md."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2
DEFAULT_CORPUS = Path("corpus/documents")
DEFAULT_RELEASES = Path("corpus/releases")
DEFAULT_SPLITS = Path("corpus/splits.json")
DEFAULT_CHANGELOG = Path("corpus/CHANGELOG.md")
DEFAULT_DATASHEET = Path("DATASHEET.md")


def _fail(e: Exception) -> int:
    from .release import ReleaseError

    if isinstance(e, ReleaseError):
        for p in e.problems:
            print(p, file=sys.stderr)
        print(e.summary, file=sys.stderr)
        return e.exit_code
    print(str(e), file=sys.stderr)
    return EXIT_FAIL


class _Progress:
    """One status line on a terminal's stderr, rewritten in place; silent under CI or when
    stderr is not a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty() and not os.environ.get("CI")

    def __call__(self, line: str) -> None:
        print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)

    def clear(self) -> None:
        if self.enabled:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def refresh_datasheet(datasheet: Path, releases: Path) -> bool:
    """Splice the latest release's counts into ``datasheet``; True when the file changed."""
    from communique.schemas.io import atomic_write_text

    from .release import latest_release, read_manifest
    from .release_card import splice_datasheet

    latest = latest_release(releases)
    if latest is None or not datasheet.exists():
        return False
    current = datasheet.read_text(encoding="utf-8")
    new = splice_datasheet(current, read_manifest(latest))
    if new != current:
        atomic_write_text(datasheet, new)
    return new != current


def _baseline(args: argparse.Namespace) -> Any:
    """What `release build` freezes into the release as the baseline's scores, if anything."""
    if args.baseline_results is not None:
        return args.baseline_results
    if args.baseline:
        from communique.baseline.results import score_release

        return score_release
    return None


def cmd_build(args: argparse.Namespace) -> int:
    from communique.schemas.spec import load_spec

    from .release import ReleaseError, build_release
    from .release_splits import RegistryError

    withhold: list[str] = []
    if args.withhold_text is not None:
        withhold = args.withhold_text or list(load_spec().labels["provenance"].names)
    scratch = args.out is not None
    progress = _Progress()
    try:
        with tempfile.TemporaryDirectory(prefix="communique-splits-") as tmp:
            splits = args.splits
            if scratch:
                # A scratch build reads the registry but never records its assignments.
                splits = Path(tmp) / "splits.json"
                if args.splits.exists():
                    splits.write_bytes(args.splits.read_bytes())
            result = build_release(args.corpus or [DEFAULT_CORPUS],
                                   args.out if scratch else args.releases_dir, args.version,
                                   splits_path=splits,
                                   changelog_path=None if scratch else args.changelog,
                                   withhold=withhold, allow_split_change=args.allow_split_change,
                                   workers=args.workers,
                                   progress=progress if progress.enabled else None,
                                   baseline=_baseline(args))
    except (ReleaseError, RegistryError, OSError) as e:
        progress.clear()
        return _fail(e)
    progress.clear()
    if not scratch and result.status == "built":
        refresh_datasheet(args.datasheet, args.releases_dir)
    m = result.manifest
    if args.format == "json":
        print(json.dumps({"path": str(result.path), "status": result.status,
                          "new_documents": len(result.new_documents),
                          "configs": m["configs"]}, indent=2))
        return EXIT_OK
    docs = {s: info["rows"] for s, info in m["configs"]["documents"].items()}
    verb = "built" if result.status == "built" else "already built, identical:"
    print(f"{verb} {result.path}: " + ", ".join(f"{n} {s}" for s, n in docs.items()) +
          f" document(s); {len(result.new_documents)} newly assigned to a split")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    if _check_release(args.release):
        return EXIT_INVALID
    print(f"ok: every file of {args.release} matches its MANIFEST.json")
    return EXIT_OK


def cmd_export_documents(args: argparse.Namespace) -> int:
    from .release import export_documents

    code = _check_release(args.release)
    if code:
        return code
    try:
        n = export_documents(args.release, args.out)
    except ValueError as e:
        print(e, file=sys.stderr)
        return EXIT_INVALID
    print(f"wrote {n} canonical document(s) of {args.release} to {args.out}")
    return EXIT_OK


def _check_release(folder: Path) -> int:
    """0 when ``folder`` matches its manifest; else print every problem and return 2."""
    from .release import verify_release

    problems = verify_release(folder)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"invalid: {len(problems)} problem(s) in {folder}", file=sys.stderr)
    return EXIT_INVALID if problems else EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    from .release import load_release, read_manifest

    manifest = read_manifest(args.release)
    configs = [args.config] if args.config else list(manifest["configs"])
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # before datasets reads its config
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets

    datasets.disable_progress_bars()  # one line per split below says it all
    with tempfile.TemporaryDirectory(prefix="communique-hf-") as cache:
        for config in configs:
            for split, info in manifest["configs"][config].items():
                if info["file"] is None or (args.split and split != args.split):
                    continue
                ds = load_release(args.release, config, split, Path(cache))
                print(f"{config:<13} {split:<11} {len(ds):>7} row(s)  version {ds.info.version}")
    return EXIT_OK


def cmd_rehydrate(args: argparse.Namespace) -> int:
    from .release import ReleaseError, rehydrate_release

    try:
        manifest = rehydrate_release(args.release, args.texts, args.out)
    except ReleaseError as e:
        return _fail(e)
    n = sum(info["rows"] for info in manifest["configs"]["documents"].values())
    print(f"rehydrated {args.out}: {n} document(s), every text matches its sha256")
    return EXIT_OK


def cmd_push(args: argparse.Namespace) -> int:
    from .release import ReleaseError
    from .release_hub import push_plan, run_plan

    try:
        plan = push_plan(args.release, args.repo_id, args.include_news_text)
        if args.dry_run:
            print(json.dumps([c.as_dict() for c in plan], indent=2, ensure_ascii=False))
            return EXIT_OK
        from huggingface_hub import HfApi

        commit = run_plan(plan, HfApi())
    except ReleaseError as e:
        return _fail(e)
    print(f"pushed {args.release} to {args.repo_id} at {commit}, tagged "
          f"{plan[-1].kwargs['tag']}")
    return EXIT_OK


def cmd_datasheet(args: argparse.Namespace) -> int:
    from .release import latest_release, read_manifest
    from .release_card import splice_datasheet

    latest = latest_release(args.releases_dir)
    if latest is None:
        print(f"no release in {args.releases_dir}", file=sys.stderr)
        return EXIT_FAIL
    if args.check:
        current = args.datasheet.read_text(encoding="utf-8")
        if splice_datasheet(current, read_manifest(latest)) != current:
            print(f"stale: {args.datasheet} (run `communique release datasheet`)", file=sys.stderr)
            return EXIT_INVALID
        return EXIT_OK
    changed = refresh_datasheet(args.datasheet, args.releases_dir)
    print(f"{'wrote' if changed else 'unchanged:'} {args.datasheet} (counts of {latest.name})")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `communique release build|verify|load|rehydrate|push|datasheet`."""
    p = subparsers.add_parser("release", help="build, check, load and publish versioned releases",
                              description="Versioned Parquet releases that datasets.load_dataset "
                                          "loads, with card, MANIFEST.json and croissant.json.")
    sub = p.add_subparsers(dest="release_command", metavar="ACTION", required=True)

    b = sub.add_parser("build", help="build release vX.Y.Z from the canonical documents",
                       description="Validate every document (refusing on any problem), assign new "
                                   "documents to splits, and write corpus/releases/vX.Y.Z "
                                   "atomically; an existing version is never overwritten unless "
                                   "identical. Updates corpus/splits.json, corpus/CHANGELOG.md and "
                                   "the counts in DATASHEET.md.")
    b.add_argument("--version", required=True, help="X.Y.Z")
    b.add_argument("--corpus", type=Path, nargs="+", help=f"documents; default {DEFAULT_CORPUS}")
    b.add_argument("--releases-dir", type=Path, default=DEFAULT_RELEASES)
    b.add_argument("--splits", type=Path, default=DEFAULT_SPLITS, help="split registry")
    b.add_argument("--changelog", type=Path, default=DEFAULT_CHANGELOG)
    b.add_argument("--datasheet", type=Path, default=DEFAULT_DATASHEET)
    b.add_argument("--out", type=Path, help="scratch build into this releases folder instead: "
                   "the split registry is read but not written; no CHANGELOG or DATASHEET change")
    b.add_argument("--withhold-text", nargs="*", metavar="PROVENANCE",
                   help="leave out the texts (all, or of these provenance values, e.g. news); "
                        "hashes, lengths and offsets are kept")
    b.add_argument("--allow-split-change", action="store_true",
                   help="allow documents of the previous release to change split")
    b.add_argument("--workers", type=int, help="processes that read and validate (default: "
                   "up to 4 CPUs, one for fewer than 2,000 files); the output does not depend "
                   "on it")
    frozen = b.add_mutually_exclusive_group()
    frozen.add_argument("--baseline", action="store_true",
                        help="score the rule-based baseline on the new release's validation and "
                             "test splits and freeze the scores into it (baseline.json and the "
                             "card); how project releases are built")
    frozen.add_argument("--baseline-results", type=Path, metavar="BASELINE_JSON",
                        help="freeze these recorded scores instead (a release's baseline.json, "
                             "to rebuild it); refused unless they are of this release")
    b.add_argument("--format", choices=("text", "json"), default="text")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("verify", help="check a release folder against its MANIFEST.json")
    v.add_argument("release", type=Path)
    v.set_defaults(func=cmd_verify)

    x = sub.add_parser("export-documents", help="write a release's documents as canonical JSON",
                       description="Check the release against its manifest, then write each of "
                                   "its documents as OUT/<id>.json (canonical JSON), e.g. to "
                                   "rebuild it and compare, or to score against a folder.")
    x.add_argument("release", type=Path)
    x.add_argument("--out", type=Path, required=True)
    x.set_defaults(func=cmd_export_documents)

    ld = sub.add_parser("load", help="load every config and split with datasets (offline)")
    ld.add_argument("release", type=Path)
    ld.add_argument("--config")
    ld.add_argument("--split")
    ld.set_defaults(func=cmd_load)

    r = sub.add_parser("rehydrate", help="restore withheld texts from your own copies",
                       description="Write a copy of a withheld-text release with the texts "
                                   "restored from DIR/<document id>.txt; refuses any text whose "
                                   "SHA-256 differs, writing nothing.")
    r.add_argument("release", type=Path)
    r.add_argument("--texts", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    r.set_defaults(func=cmd_rehydrate)

    h = sub.add_parser("push", help="upload a release to the Hugging Face Hub and tag it vX.Y.Z",
                       description="Upload the release folder to a hub dataset repository and tag "
                                   "the commit vX.Y.Z; --dry-run prints the calls instead.")
    h.add_argument("release", type=Path)
    h.add_argument("--repo-id", required=True, help="OWNER/NAME of the hub dataset repository")
    h.add_argument("--dry-run", action="store_true")
    h.add_argument("--include-news-text", action="store_true",
                   help="push news texts too (only when you hold the rights)")
    h.set_defaults(func=cmd_push)

    d = sub.add_parser("datasheet", help="refresh the composition counts in DATASHEET.md")
    d.add_argument("--releases-dir", type=Path, default=DEFAULT_RELEASES)
    d.add_argument("--datasheet", type=Path, default=DEFAULT_DATASHEET)
    d.add_argument("--check", action="store_true", help="only report staleness (exit 2)")
    d.set_defaults(func=cmd_datasheet)
