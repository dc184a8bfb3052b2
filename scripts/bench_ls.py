"""Benchmark of the Label Studio leg against a real local server (targets: issue 3).

1. push N tasks with pre-annotations (predictions of every layer) — target < 60 s for 10,000;
2. pull and convert N annotated tasks (≈40 regions each) — target < 60 s for 10,000, with peak
   memory of the converting process not growing with N (the export is streamed to disk and
   parsed task by task); conversion runs in a child process so its peak RSS is its own.

Usage: .venv/bin/python scripts/bench_ls.py [--tasks 10000] [--port 18095]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from communique.annotation.pull import download_export
from communique.annotation.push import push
from communique.annotation.server import (copy_data_dir, credentials, client, init_data_dir,
                                          port_free, start, stop)
from communique.schemas.model import (Actor, Argument, Attribution, Document, Event, Mention,
                                      Position, Prediction, Span, document_id_for)
from communique.schemas.spec import load_spec
from communique.schemas.validate import load_documents

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("the talks ministers said on Thursday that both sides agreed to resume flights while "
         "officials in Moscow and Washington warned of new sanctions against the embassy staff "
         "according to a statement").split()


def synthetic_document(i: int, rng: random.Random) -> Document:
    """A valid document of ≈1,500 characters with 40 labelled regions: 20 mentions, 6 event
    triggers, 3 cues with 3 content spans, 4 evidence spans with 4 targets."""
    spec = load_spec()
    words = [rng.choice(WORDS) for _ in range(260)] + [f"#{i}"]
    text = " ".join(words)
    starts = [0]
    for w in words[:-1]:
        starts.append(starts[-1] + len(w) + 1)
    pick = rng.sample(range(len(words) - 1), 40)

    def word(k: int) -> Span:
        return Span.of(text, starts[k], starts[k] + len(words[k]))

    actor_types = list(spec.actor_types)
    other_types = [t for t in spec.label("mention_type").names if t not in actor_types]
    mentions = [Mention(f"m{j + 1}", *(lambda s: (s.start, s.end, s.text))(word(k)),
                        rng.choice(actor_types) if j < 16 else rng.choice(other_types))
                for j, k in enumerate(pick[:20])]
    actors = [Actor(f"a{j + 1}", f"Actor {j + 1}", m.type, (m.id,),
                    f"Q{j + 1}" if j % 3 == 0 else None) for j, m in enumerate(mentions[:16])]
    accepts = spec.label("argument_role").accepts
    events = []
    for j, k in enumerate(pick[20:26]):
        args = tuple(Argument(r, m.id) for m in rng.sample(mentions, 2)
                     for r in [next(r for r, ok in accepts.items() if m.type in ok)])
        events.append(Event(f"e{j + 1}", rng.choice(spec.label("event_type").names), word(k),
                            rng.choice(spec.label("modality").names), args))
    attributions = [Attribution(f"t{j + 1}", rng.choice(spec.label("attribution_type").names),
                                mentions[j].id, word(pick[26 + j]), (word(pick[29 + j]),),
                                "t1" if j else None) for j in range(3)]
    positions = [Position(f"p{j + 1}", mentions[j + 3].id, rng.choice(spec.label("stance").names),
                          word(pick[32 + j]), word(pick[36 + j]), "t1" if j % 2 else None)
                 for j in range(4)]
    doc = Document.new(id=document_id_for(text), text=text, date="2025-04-11", source="bench",
                       license="CC0", provenance="synthetic")
    return doc.with_layers(mentions=mentions, actors=actors, events=events,
                           attributions=attributions, positions=positions)


def convert_in_child(export: Path, out: Path) -> tuple[float, int, str]:
    """Seconds, peak RSS (KiB) and summary line of converting an export in a fresh process.

    The peak is that of the largest process: the child's own VmHWM (/proc/self/status;
    getrusage's ru_maxrss would count the parent's pages it held between fork and exec) or
    the largest of its converting workers.
    """
    code = ("import re, sys, time; from pathlib import Path; "
            "from communique.annotation.pull import convert_export; t = time.perf_counter(); "
            "s = convert_export(Path(sys.argv[1]), Path(sys.argv[2])); "
            "import resource; "
            "hwm = re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()); "
            "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
            "print(time.perf_counter() - t, max(int(hwm.group(1)), kids), len(s.problems), "
            "s.lines()[0])")
    done = subprocess.run([sys.executable, "-c", code, str(export), str(out)],
                          capture_output=True, text=True, check=True)
    seconds, peak, problems, line = done.stdout.strip().split(" ", 3)
    if int(problems):
        raise SystemExit(f"conversion found {problems} problem(s): {line}")
    return float(seconds), int(peak), line


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--port", type=int, default=18095)
    args = ap.parse_args()
    n = args.tasks
    rng = random.Random(3)
    t = time.perf_counter()
    docs = [synthetic_document(i, rng) for i in range(n)]
    regions = sum(len(d.mentions) + len(d.events) + 2 * len(d.attributions) + 2 * len(d.positions)
                  for d in docs) / n
    print(f"generated {n} documents ({regions:.0f} regions each) in {time.perf_counter() - t:.1f} s")

    work = Path(tempfile.mkdtemp(prefix="bench-ls-"))
    template = next(iter(sorted((ROOT / ".communique").glob("test-label-studio-template-*"))), None)
    data = work / "label-studio"
    if template and (template / "label_studio.sqlite3").exists():
        copy_data_dir(template, data)
    else:
        print("initialising a Label Studio data folder (≈40 s, not timed)")
        init_data_dir(data)
    if not port_free(args.port):
        raise SystemExit(f"port {args.port} is busy; pass --port")
    info = start(data, args.port)
    try:
        ls = client(info.url, credentials(data).token)
        preds = [Prediction(d.id, {layer: getattr(d, layer) for layer in
                                   ("mentions", "actors", "events", "attributions", "positions")})
                 for d in docs]
        t = time.perf_counter()
        report = push(ls, docs, title="bench predictions", predictions=preds,
                      model_version="bench-1")
        push_s = time.perf_counter() - t
        print(f"push {report.tasks_created} tasks with {report.predictions_created} predictions: "
              f"{push_s:.1f} s  (target < 60 s for 10,000)")

        t = time.perf_counter()
        gold = push(ls, docs, title="bench annotations", gold=True)
        print(f"(set-up, not a target) push {gold.tasks_created} tasks with annotations: "
              f"{time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        export = download_export(ls, gold.project_id, work / "export.json")
        export_s = time.perf_counter() - t
        size = export.stat().st_size
        # Peak memory must not grow with the number of tasks: convert a quarter of the export,
        # then all of it.
        with open(export, encoding="utf-8") as fh:
            quarter = json.load(fh)[: max(1, n // 4)]
        small = work / "export-quarter.json"
        small.write_text(json.dumps(quarter), encoding="utf-8")
        del quarter
        q_s, q_kib, _ = convert_in_child(small, work / "out-quarter")
        conv_s, peak_kib, line = convert_in_child(export, work / "out")
        print(f"pull: snapshot export + download {export_s:.1f} s ({size / 2**20:.0f} MiB), "
              f"convert {conv_s:.1f} s, total {export_s + conv_s:.1f} s  (target < 60 s)")
        print(f"  {line}")
        print(f"  peak RSS converting {max(1, n // 4)} tasks: {q_kib / 1024:.0f} MiB; {n} tasks: "
              f"{peak_kib / 1024:.0f} MiB")
        back = load_documents([work / "out" / "gold"])
        if {d.id: d for d in back} != {d.id: d for d in docs}:
            raise SystemExit("the converted documents differ from the pushed ones")
        print(f"  all {len(back)} converted documents equal the pushed ones")
    finally:
        stop(data)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
