"""The main job end to end on embedded defaults (`make demo`).

Now: validate the corpus and print a per-layer summary of it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> None:
    print(f"\n$ communique {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "communique", *args], cwd=ROOT)
    if done.returncode:
        sys.exit(done.returncode)


def main() -> None:
    run("validate", "corpus/documents")
    run("summary", "corpus/documents")


if __name__ == "__main__":
    main()
