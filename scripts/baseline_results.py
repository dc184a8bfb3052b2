"""Regenerate the baseline results table in README.md and eval/BASELINES.md.

Runs `communique baseline predict` and `communique eval score --bootstrap 1000` on the validation
and test splits of the latest release (or --release), and writes the table between the
"baseline results" markers. `--check` only reports whether the files are stale (exit 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = (ROOT / "README.md", ROOT / "eval" / "BASELINES.md")


def main(argv: list[str] | None = None) -> int:
    from communique.baseline.results import current_block, generate, latest_release_folder, \
        replace_block

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, help="release folder (default: the latest in "
                                                     "corpus/releases)")
    parser.add_argument("--check", action="store_true", help="report stale files, write nothing")
    args = parser.parse_args(argv)
    release = args.release or latest_release_folder(ROOT / "corpus" / "releases")
    block = generate(release)
    stale = 0
    for path in TARGETS:
        text = path.read_text(encoding="utf-8")
        if current_block(text) == block:
            continue
        if args.check:
            print(f"stale: {path.relative_to(ROOT)} (run scripts/baseline_results.py)",
                  file=sys.stderr)
            stale += 1
            continue
        from communique.schemas.io import atomic_write_text

        atomic_write_text(path, replace_block(text, block, str(path)))
        print(f"wrote {path.relative_to(ROOT)}")
    print(block)
    return 2 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
