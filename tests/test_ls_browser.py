"""The real editor in headless Chromium (Debian's `chromium`, never a downloaded build): the
generated config renders, and span labels, a per-region choice, a typed actor name and a
labelled relation made with mouse and keyboard come back through `ls pull` with correct
code-point offsets."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from communique.annotation.ls_config import tag_values
from communique.annotation.push import push
from communique.schemas.model import Document, document_id_for
from communique.schemas.validate import load_documents

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--disable-dev-shm-usage"]
# Astral characters before the spans: the editor must count code points, not UTF-16 units.
TEXT = "🇺🇦 Kyiv 😀 and Warsaw signed an accord in Lublin on Friday, officials said."

# Client rectangle of the n-th occurrence of a string in the editor's text (DOM offsets are
# UTF-16 units; the text is split into several nodes once regions exist).
RECT_JS = """([sub]) => {
  const root = document.querySelector('.lsf-richtext__container');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = []; let full = '';
  while (walker.nextNode()) { nodes.push([walker.currentNode, full.length]);
                              full += walker.currentNode.textContent; }
  const s = full.indexOf(sub), e = s + sub.length;
  const at = (pos, end) => { for (const [n, off] of nodes) { const len = n.textContent.length;
      if (pos >= off && (end ? pos <= off + len : pos < off + len)) return [n, pos - off]; } };
  const r = document.createRange(); const [sn, so] = at(s, false); const [en, eo] = at(e, true);
  r.setStart(sn, so); r.setEnd(en, eo);
  const rs = r.getClientRects(); const a = rs[0], b = rs[rs.length - 1];
  return {x1: a.left, y1: a.top + a.height / 2, x2: b.right, y2: b.top + b.height / 2};
}"""


def _drag_select(page, sub: str) -> None:
    r = page.evaluate(RECT_JS, [sub])
    page.mouse.move(r["x1"] + 1, r["y1"])
    page.mouse.down()
    page.mouse.move(r["x2"] - 1, r["y2"], steps=8)
    page.mouse.up()
    time.sleep(0.3)


def _click_text(page, sub: str) -> None:
    r = page.evaluate(RECT_JS, [sub])
    page.mouse.click((r["x1"] + r["x2"]) / 2, r["y1"])
    time.sleep(0.3)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed: apt-get install -y chromium (.ci/run does it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def test_mouse_made_annotation_comes_back_with_code_point_offsets(ls_server, ls_project_title,
                                                                  browser, tmp_path):
    ls = ls_server.client()
    doc = Document.new(id=document_id_for(TEXT), text=TEXT, date="2025-01-10", source="test",
                       license="CC0", provenance="synthetic")
    report = push(ls, [doc], title=ls_project_title)
    task = next(iter(ls.tasks.list(project=report.project_id, fields="task_only")))

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{ls_server.url}/user/login")
    page.fill("input[name=email]", ls_server.username)
    page.fill("input[name=password]", ls_server.password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{ls_server.url}/projects/{report.project_id}/data?task={task.id}")
    page.wait_for_selector(".lsf-richtext__line", timeout=60_000)

    # The generated config renders: every label of every layer, the header and the text.
    shown = page.locator(".lsf-label__text").all_inner_texts()
    wanted = [v for values in tag_values().values() for v in values]
    assert sorted(shown) == sorted(wanted)
    assert doc.id in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "editor.png"))

    page.click(".lsf-label:has-text('LOCATION')")
    _drag_select(page, "Lublin")
    page.click(".lsf-label:has-text('STATE')")
    _drag_select(page, "Warsaw")
    warsaw = ".lsf-outliner-item:has(.lsf-outliner-item__text:text-is('Warsaw'))"
    page.click(warsaw)  # select the mention: its actor box appears
    actor = page.get_by_placeholder("canonical name, e.g. United States")
    actor.fill("Poland")
    actor.press("Enter")
    page.click(warsaw)  # unselect (a label click would relabel a selected region)
    page.click(".lsf-label:has-text('AGREE')")
    _drag_select(page, "signed")
    page.click(".lsf-outliner-item:has(.lsf-outliner-item__text:text-is('signed'))")
    page.click("label:has-text('asserted')")  # the per-region modality of the event
    page.keyboard.press("Alt+r")  # relation from the selected event …
    _click_text(page, "Lublin")  # … to the place
    page.click("text=Relations")
    page.locator(".lsf-relations__item .lsf-relations__action").nth(0).click()
    page.click(".lsf-relation-meta >> text=Select labels")
    page.get_by_role("option", name="location").click()
    page.keyboard.press("Escape")
    page.screenshot(path=str(tmp_path / "annotated.png"))
    page.click("button:has-text('Submit')")
    deadline = time.monotonic() + 20
    while not ls.annotations.list(task.id):
        assert time.monotonic() < deadline, "the editor did not submit the annotation"
        time.sleep(0.25)

    out = tmp_path / "pulled"
    done = subprocess.run([sys.executable, "-m", "communique", "ls", "pull", str(out),
                           "--project", ls_project_title], env=ls_server.env(),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (got,) = load_documents([out / "gold"])
    place, state, trigger = (TEXT.index(w) for w in ("Lublin", "Warsaw", "signed"))
    # Editor-made regions get the next free ids of their layers, in text order.
    assert [(m.id, m.start, m.end, m.text, m.type) for m in got.mentions] == \
        [("m2", place, place + 6, "Lublin", "LOCATION"), ("m1", state, state + 6, "Warsaw", "STATE")]
    assert TEXT.encode("utf-16-le").find("Lublin".encode("utf-16-le")) // 2 != place  # astral
    (event,) = got.events
    assert (event.id, event.type, event.modality, event.trigger.start, event.trigger.end) == \
        ("e1", "AGREE", "asserted", trigger, trigger + 6)
    assert [(a.role, a.mention_id) for a in event.arguments] == [("location", "m2")]
    assert [(a.id, a.name, a.type, a.mention_ids) for a in got.actors] == \
        [("a1", "Poland", "STATE", ("m1",))]
