"""The HTML error report renders in a real headless Chromium (Debian's, never a downloaded
build): offline, no console errors, the legend, highlights, relation verdicts and plots there."""

from __future__ import annotations

import re
import shutil

import pytest

from communique.cli import main
from communique.eval.synthetic import corpus
from communique.schemas.io import write_jsonl

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    pairs = list(corpus(6, seed=31))
    write_jsonl(root / "gold.jsonl", [g for g, _ in pairs])
    write_jsonl(root / "pred.jsonl", [p for _, p in pairs])
    code = main(["eval", "score", "--gold", str(root / "gold.jsonl"), "--pred",
                 str(root / "pred.jsonl"), "--report", str(root / "report.html"),
                 "--report-docs", "3"])
    assert code == 0
    return root / "report.html", pairs


def test_report_is_self_contained(report):
    path, pairs = report
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert "<script" not in html
    for verdict in ("correct", "boundary", "wrongtype", "missed", "spurious"):
        assert f'class="{verdict}"' in html
    assert html.count("<svg") == 3  # two per-label F1 bar charts and the confusion matrix
    assert "Tri-C correct" in html and "spurious" in html
    assert html.count("<h3>") == 3
    ids = sorted(g["id"] for g, _ in pairs)  # documents are shown in id order
    assert ids[0] in html and ids[2] in html and ids[3] not in html


def test_report_renders_in_headless_chromium(report, tmp_path):
    from playwright.sync_api import sync_playwright

    path, _ = report
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1200, "height": 900}, offline=True)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        shot = path.with_suffix(".png")
        page.screenshot(path=str(shot), full_page=True)
        legend = page.locator(".legend span").all_inner_texts()
        marks = page.locator("mark").count()
        bars = page.locator("svg rect").count()
        title = page.title()
        browser.close()
    assert errors == []
    assert [r for r in requests if not r.startswith("file:")] == []
    assert legend == ["correct", "boundary", "wrongtype", "missed", "spurious"]
    assert marks > 50 and bars > 20
    assert title == "Communiqué evaluation report"
    assert shot.stat().st_size > 20_000
