"""The README's worked example, end to end: a saved HTML page becomes a corpus document and then
a task in a real Label Studio server, with the exact text that offsets refer to."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PAGE = Path(__file__).parent / "fixtures" / "ingest" / "meridian_original.html"


def test_html_page_to_label_studio_task(ls_server, ls_project_title, tmp_path):
    out = tmp_path / "documents"
    added = subprocess.run(
        [sys.executable, "-m", "communique", "corpus", "add", str(PAGE), "--license", "CC BY 4.0",
         "--provenance", "synthetic", "--out", str(out)], capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    (path,) = out.glob("*.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    pushed = subprocess.run(
        [sys.executable, "-m", "communique", "ls", "push", str(path), "--project",
         ls_project_title], env=ls_server.env(), capture_output=True, text=True)
    assert pushed.returncode == 0, pushed.stderr
    assert "tasks: 1 created" in pushed.stdout
    ls = ls_server.client()
    (project,) = [p for p in ls.projects.list() if p.title == ls_project_title]
    (task,) = list(ls.tasks.list(project=project.id))
    assert task.data["text"] == doc["text"]
    assert doc["text"].startswith("Marovia and Estrel agree to reopen Tessel border crossing")
