"""The HTML error report renders in a real headless Chromium (Debian's, never a downloaded
build): offline, no console errors, the legend, highlights, relation verdicts and plots there;
the events (with modality), attributions and positions tables of hand-made predictions, row by
row; the attribution verdicts counted against the scorer's relation counts."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from communique.cli import main
from communique.eval.synthetic import corpus
from communique.schemas.io import write_jsonl

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture(scope="module")
def hand_report(tmp_path_factory):
    """tests/fixtures/mini.json plus a second position (Norway supports "a fisheries accord"),
    and a prediction with one modality wrong, one spurious event, one stance wrong and one
    position whose holder is another actor (so a missed and a spurious one)."""
    root = tmp_path_factory.mktemp("hand")
    gold = json.loads((ROOT / "tests" / "fixtures" / "mini.json").read_text(encoding="utf-8"))
    gold["positions"].append(
        {"id": "p2", "holder_id": "m1", "stance": "support",
         "target": {"start": 24, "end": 42, "text": "a fisheries accord"},
         "evidence": {"start": 17, "end": 23, "text": "signed"}, "attribution_id": None})
    pred = {"id": gold["id"],
            "mentions": [{"id": "x1", "start": 101, "end": 126, "type": "PERSON"},
                         {"id": "x2", "start": 11, "end": 16, "type": "STATE"}],
            "events": [{"id": "v1", "type": "AGREE", "trigger": {"start": 17, "end": 23},
                        "modality": "future", "arguments": []},
                       {"id": "v2", "type": "CONSULT", "trigger": {"start": 146, "end": 150},
                        "modality": "future", "arguments": []},
                       {"id": "v3", "type": "SUPPORT", "trigger": {"start": 82, "end": 88},
                        "modality": "asserted", "arguments": []}],
            "positions": [{"id": "q1", "holder_id": "x1", "stance": "support",
                           "target": {"start": 93, "end": 98}, "evidence": {"start": 82, "end": 88},
                           "attribution_id": None},
                          {"id": "q2", "holder_id": "x2", "stance": "support",
                           "target": {"start": 26, "end": 42}, "evidence": {"start": 17, "end": 23},
                           "attribution_id": None}]}
    write_jsonl(root / "gold.jsonl", [gold])
    write_jsonl(root / "pred.jsonl", [pred])
    code = main(["eval", "score", "--gold", str(root / "gold.jsonl"), "--pred",
                 str(root / "pred.jsonl"), "--report", str(root / "report.html")])
    assert code == 0
    return root / "report.html"


def test_report_lists_events_with_modality_and_positions_in_headless_chromium(hand_report):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_context(offline=True).new_page()
        page.goto(hand_report.as_uri())
        page.wait_for_load_state("load")
        tables = page.eval_on_selector_all(
            "table.rel", "ts => ts.map(t => [...t.rows].map(r => [...r.cells].map(c => c.innerText)))")
        headings = page.eval_on_selector_all(
            "table.rel", "ts => ts.map(t => t.previousElementSibling.innerText)")
        wrong = page.locator("td span.bad", has_text="modality wrong")
        colour = wrong.evaluate("e => getComputedStyle(e).color")
        scores = page.locator("pre.sum").inner_text()
        browser.close()
    assert headings == ["Events", "Positions"]
    events, positions = tables
    assert events == [
        ["side", "trigger", "type", "modality", "verdict"],
        ["gold", "signed", "AGREE", "asserted", "Tri-C correct, modality wrong (predicted future)"],
        ["gold", "meet", "CONSULT", "future", "Tri-C correct"],
        ["pred", "oppose", "SUPPORT", "asserted", "spurious"]]
    assert positions == [
        ["side", "holder", "stance", "target", "verdict"],
        ["gold", "Foreign Minister Ada Lund", "oppose", "any delay",
         "holder and target right, stance wrong (predicted support)"],
        ["gold", "Norway", "support", "a fisheries accord", "missed"],
        ["pred", "Chile", "support", "fisheries accord", "spurious"]]
    assert colour == "rgb(179, 38, 30)"  # .bad
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in scores.splitlines()[2:]
            if line.strip()}
    # Two Tri-C pairs, one modality right; asserted F1 0, future P 1/2 R 1 F1 2/3: macro 1/3.
    assert rows[("events", "modality_accuracy")] == ["50.00"]
    assert rows[("events", "modality_macro_f1")] == ["33.33"]
    assert rows[("positions", "stance_accuracy")] == ["0.00"]


def _tables(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    """The heading and the cells of every relation table, as Chromium renders them."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_context(offline=True).new_page()
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        tables = page.eval_on_selector_all(
            "table.rel", "ts => ts.map(t => [...t.rows].map(r => [...r.cells].map(c => c.innerText)))")
        headings = page.eval_on_selector_all(
            "table.rel", "ts => ts.map(t => t.previousElementSibling.innerText)")
        browser.close()
    return headings, tables


def test_report_attributions_follow_the_scorers_relation_pairs(tmp_path):
    """Regression: the table matched attributions on its own (cue, content and source offsets,
    no parent link), so a prediction with the wrong parent showed as exact. Gold is
    tests/fixtures/mini.json plus t3 (We, "oppose", "any delay", parent t2) and t4 (Chile,
    "signed", "a fisheries accord", parent t1). Predicted: t1 with an overlapping source and
    content; t2 exactly; t3 under the wrong parent (q1, whose cue does not overlap t2's); t4
    under q1 (same cue as t1, other content)."""
    gold = json.loads((ROOT / "tests" / "fixtures" / "mini.json").read_text(encoding="utf-8"))
    gold["attributions"] += [
        {"id": "t3", "type": "indirect", "source_id": "m7",
         "cue": {"start": 82, "end": 88, "text": "oppose"},
         "content": [{"start": 89, "end": 98, "text": "any delay"}], "parent_id": "t2"},
        {"id": "t4", "type": "indirect", "source_id": "m2",
         "cue": {"start": 17, "end": 23, "text": "signed"},
         "content": [{"start": 24, "end": 42, "text": "a fisheries accord"}], "parent_id": "t1"}]
    pred = {"id": gold["id"],
            "mentions": [{"id": "x1", "start": 101, "end": 126, "type": "PERSON"},
                         {"id": "x2", "start": 54, "end": 71, "type": "GROUP"},
                         {"id": "x3", "start": 79, "end": 81, "type": "GROUP"},
                         {"id": "x4", "start": 11, "end": 16, "type": "STATE"}],
            "attributions": [
                {"id": "q1", "type": "indirect", "source_id": "x2", "cue": {"start": 72, "end": 76},
                 "content": [{"start": 26, "end": 60}], "parent_id": None},
                {"id": "q2", "type": "direct", "source_id": "x1", "cue": {"start": 127, "end": 131},
                 "content": [{"start": 79, "end": 98}, {"start": 134, "end": 156}],
                 "parent_id": None},
                {"id": "q3", "type": "indirect", "source_id": "x3", "cue": {"start": 82, "end": 88},
                 "content": [{"start": 89, "end": 98}], "parent_id": "q1"},
                {"id": "q4", "type": "indirect", "source_id": "x4", "cue": {"start": 17, "end": 23},
                 "content": [{"start": 24, "end": 42}], "parent_id": "q1"}]}
    write_jsonl(tmp_path / "gold.jsonl", [gold])
    write_jsonl(tmp_path / "pred.jsonl", [pred])
    assert main(["eval", "score", "--gold", str(tmp_path / "gold.jsonl"), "--pred",
                 str(tmp_path / "pred.jsonl"), "--report", str(tmp_path / "report.html")]) == 0
    headings, tables = _tables(tmp_path / "report.html")
    assert headings == ["Attributions"]
    assert tables[0] == [
        ["side", "source", "cue", "content", "parent", "verdict"],
        ["gold", "officials", "said", "Norway and Chile signed a fisheries accord in Oslo on Monday",
         "—", "relation overlap only; differs: source (predicted “Monday, officials”), content "
         "(predicted “fisheries accord in Oslo on Monday”)"],
        ["gold", "Foreign Minister Ada Lund", "said", "We oppose any delay … and we will meet again",
         "—", "relation exact"],
        ["gold", "We", "oppose", "any delay", "said", "missed"],
        ["gold", "Chile", "signed", "a fisheries accord", "said",
         "relation overlap only; differs: parent (predicted “said”: “fisheries accord in Oslo on "
         "Monday”)"],
        ["pred", "We", "oppose", "any delay", "said", "spurious"]]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    scores = html[html.index('<pre class="sum">'):html.index("</pre>")]
    rows = {tuple(line.split()[:3]): line.split()[3:] for line in scores.splitlines()}
    assert rows[("attributions", "relation", "exact")] == ["25.00", "25.00", "25.00"]
    assert rows[("attributions", "relation", "overlap")] == ["75.00", "75.00", "75.00"]


def test_report_attribution_verdicts_count_what_the_scorer_counts(tmp_path, capsys):
    """On a generated corpus, all documents shown: as many "relation exact" rows as the
    scorer's exact relation true positives, exact plus overlap-only rows as its token-overlap
    ones, and the other gold and predicted attributions missed and spurious."""
    pairs = list(corpus(12, seed=7))
    write_jsonl(tmp_path / "gold.jsonl", [g for g, _ in pairs])
    write_jsonl(tmp_path / "pred.jsonl", [p for _, p in pairs])
    assert main(["eval", "score", "--gold", str(tmp_path / "gold.jsonl"), "--pred",
                 str(tmp_path / "pred.jsonl"), "--format", "json", "--report",
                 str(tmp_path / "report.html"), "--report-docs", "12"]) == 0
    relation = json.loads(capsys.readouterr().out)["layers"]["attributions"]["relation"]
    headings, tables = _tables(tmp_path / "report.html")
    verdicts = Counter()
    for heading, table in zip(headings, tables, strict=True):
        if heading == "Attributions":
            verdicts.update((r[0], r[-1].split(";")[0]) for r in table[1:])
    exact = round(relation["exact"]["recall"] * relation["exact"]["gold"])
    overlap = round(relation["overlap"]["recall"] * relation["overlap"]["gold"])
    assert exact > 0 and overlap > exact  # the corpus has both kinds of pair
    assert verdicts[("gold", "relation exact")] == exact
    assert verdicts[("gold", "relation overlap only")] == overlap - exact
    assert verdicts[("gold", "missed")] == relation["overlap"]["gold"] - overlap > 0
    assert verdicts[("pred", "spurious")] == relation["overlap"]["pred"] - overlap > 0
    assert sum(verdicts.values()) == relation["overlap"]["gold"] + verdicts[("pred", "spurious")]


def test_report_attribution_overlap_matching_keeps_the_exact_pairs(tmp_path):
    """Regression: the overlap relation matching took the earliest of equally large matchings,
    so gold t0 ("officials said" "Norway and Chile", listed first) took prediction q1, which is
    exactly gold t1: the report then counted two matched attributions where the scorer counts
    one. Among the largest matchings the scorer now keeps the exact pairs."""
    gold = json.loads((ROOT / "tests" / "fixtures" / "mini.json").read_text(encoding="utf-8"))
    gold["attributions"].insert(0, {
        "id": "t0", "type": "indirect", "source_id": "m5",
        "cue": {"start": 72, "end": 76, "text": "said"},
        "content": [{"start": 0, "end": 16, "text": "Norway and Chile"}], "parent_id": None})
    pred = {"id": gold["id"],
            "mentions": [{"id": "x1", "start": 62, "end": 71, "type": "GROUP"}],
            "attributions": [{"id": "q1", "type": "indirect", "source_id": "x1",
                              "cue": {"start": 72, "end": 76}, "content": [{"start": 0, "end": 60}],
                              "parent_id": None}]}
    write_jsonl(tmp_path / "gold.jsonl", [gold])
    write_jsonl(tmp_path / "pred.jsonl", [pred])
    assert main(["eval", "score", "--gold", str(tmp_path / "gold.jsonl"), "--pred",
                 str(tmp_path / "pred.jsonl"), "--report", str(tmp_path / "report.html")]) == 0
    _, tables = _tables(tmp_path / "report.html")
    assert [r[1:3] + r[-1:] for r in tables[0]] == [
        ["source", "cue", "verdict"],
        ["officials", "said", "missed"],
        ["officials", "said", "relation exact"],
        ["Foreign Minister Ada Lund", "said", "missed"]]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    scores = html[html.index('<pre class="sum">'):html.index("</pre>")]
    rows = {tuple(line.split()[:3]): line.split()[3:] for line in scores.splitlines()}
    assert rows[("attributions", "relation", "exact")] == ["100.00", "33.33", "50.00"]
    assert rows[("attributions", "relation", "overlap")] == ["100.00", "33.33", "50.00"]
