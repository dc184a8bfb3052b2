"""`communique corpus add`: text and HTML files into canonical documents, and every way one can
be refused. Real trafilatura, real files, exact messages."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from communique.corpus import ingest_cli
from communique.schemas.io import dumps_document
from communique.schemas.model import Document, document_id_for, sha256_text
from communique.schemas.validate import check_paths

FIX = Path(__file__).parent / "fixtures" / "ingest"
STORIES = FIX / "stories"
MERIDIAN_ARTICLE = (FIX / "meridian_original.html")
LICENSE = ["--license", "CC BY 4.0", "--provenance", "synthetic"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `communique corpus ...` through this module's own parser (isolated from the other
    command modules) and return (exit code, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="communique")
    ingest_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["corpus", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def docs_in(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("*.json"))}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*")) if folder.exists() else []


def test_html_page_becomes_document_with_page_metadata(tmp_path, capsys):
    out = tmp_path / "docs"
    code, stdout, err = run(["add", str(MERIDIAN_ARTICLE), *LICENSE, "--out", str(out)], capsys)
    assert code == 0, err
    (doc_id, doc), = docs_in(out).items()
    paragraphs = STORIES.joinpath("a_tessel_deal.txt").read_text(encoding="utf-8").strip()
    # trafilatura gives the headline and each paragraph on its own line.
    assert doc["text"] == paragraphs.replace("\n\n", "\n")
    assert doc_id == doc["id"] == document_id_for(doc["text"])
    assert doc["text_sha256"] == sha256_text(doc["text"])
    assert {k: doc[k] for k in ("title", "date", "source", "url", "language", "license",
                                "provenance")} == {
        "title": "Marovia and Estrel agree to reopen Tessel border crossing after two-year closure",
        "date": "2026-03-14", "source": "Meridian Press",
        "url": "https://meridian-press.example/world/2026/03/14/marovia-estrel-tessel-crossing",
        "language": "en", "license": "CC BY 4.0", "provenance": "synthetic"}
    assert all(doc[layer] == [] for layer in ("mentions", "actors", "events", "attributions",
                                              "positions"))
    path = out / f"{doc_id}.json"
    assert path.read_text(encoding="utf-8") == dumps_document(Document.from_dict(doc))
    assert check_paths([out]).problems == []
    assert stdout.splitlines() == [
        f"added {doc_id}  {MERIDIAN_ARTICLE} -> {path}",
        f"added 1, skipped 0 duplicate(s) and 0 near duplicate(s), rejected 0 (of 1 input(s)); "
        f"documents in {out}"]
    assert "Related stories" not in doc["text"] and "All rights reserved" not in doc["text"]
    assert leftovers(out) == []


def test_options_override_page_metadata(tmp_path, capsys):
    out = tmp_path / "docs"
    code, _, err = run(["add", str(MERIDIAN_ARTICLE), *LICENSE, "--out", str(out),
                        "--title", "Tessel crossing to reopen", "--date", "2026-03-15",
                        "--source", "Meridian Press (wire)", "--language", "en-GB"], capsys)
    assert code == 0, err
    (doc,) = docs_in(out).values()
    assert (doc["title"], doc["date"], doc["source"], doc["language"]) == (
        "Tessel crossing to reopen", "2026-03-15", "Meridian Press (wire)", "en-GB")


def test_text_kept_exactly_except_nfc_and_bom(tmp_path, capsys):
    raw = ("\ufeffCafe\u0301 talks end\r\n\r\nThe  ministers met\tin Valdenz.\r\n"
           "Second line, no change.  \n")
    src = tmp_path / "story.txt"
    src.write_bytes(raw.encode("utf-8"))
    out = tmp_path / "docs"
    code, _, err = run(["add", str(src), *LICENSE, "--date", "2026-03-14", "--source",
                        "Meridian Press", "--out", str(out)], capsys)
    assert code == 0, err
    (doc,) = docs_in(out).values()
    # NFC joins e + combining acute; the BOM goes; CRLF, tabs, double and trailing spaces stay.
    assert doc["text"] == ("Caf\u00e9 talks end\r\n\r\nThe  ministers met\tin Valdenz.\r\n"
                           "Second line, no change.  \n")
    assert doc["title"] is None and doc["url"] is None


def test_ids_do_not_depend_on_order(tmp_path, capsys):
    files = [str(STORIES / n) for n in ("b_tessel_own_report.txt", "c_tessel_followup.txt",
                                        "d_ostland_curbs.txt")]
    meta = [*LICENSE, "--date", "2026-03-14", "--source", "Meridian Press"]
    run(["add", *files, *meta, "--out", str(tmp_path / "one")], capsys)
    run(["add", *reversed(files), *meta, "--out", str(tmp_path / "two")], capsys)
    one = {p.name: p.read_bytes() for p in (tmp_path / "one").glob("*.json")}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two").glob("*.json")}
    assert len(one) == 3 and one == two


def test_republished_wire_copy_is_a_near_duplicate(tmp_path, capsys):
    """Same story, new headline, a photo caption added, a paragraph removed (HTML pages)."""
    out = tmp_path / "docs"
    republished = FIX / "courier_republished.html"
    code, stdout, err = run(["add", str(MERIDIAN_ARTICLE), str(republished), *LICENSE,
                             "--out", str(out)], capsys)
    assert code == 0
    (original_id,) = docs_in(out)
    line, = err.splitlines()
    assert line.startswith(f"skipped (near duplicate): {republished}: resembles {original_id} "
                           f"({out / (original_id + '.json')}): about ")
    assert line.endswith("threshold 0.6); --allow-near-duplicates adds it anyway")
    assert "added 1, skipped 0 duplicate(s) and 1 near duplicate(s), rejected 0" in stdout

    code, _, _ = run(["add", str(republished), *LICENSE, "--out", str(out),
                      "--allow-near-duplicates"], capsys)
    assert code == 0
    titles = sorted(d["title"] for d in docs_in(out).values())
    assert titles == ["Border bridge to reopen as Marovia, Estrel strike trade deal",
                      "Marovia and Estrel agree to reopen Tessel border crossing after two-year "
                      "closure"]


def test_republished_text_copy_against_existing_folder(tmp_path, capsys):
    """The copy arrives in a later run: the original is found in the output folder."""
    out = tmp_path / "docs"
    meta = [*LICENSE, "--date", "2026-03-14", "--source", "Meridian Press", "--out", str(out)]
    assert run(["add", str(STORIES / "a_tessel_deal.txt"), *meta], capsys)[0] == 0
    code, _, err = run(["add", str(STORIES / "a_tessel_deal_republished.txt"),
                        str(STORIES / "c_tessel_followup.txt"), *meta], capsys)
    assert code == 0
    assert err.count("skipped (near duplicate)") == 1
    assert "a_tessel_deal_republished.txt: resembles cmq-" in err
    assert len(docs_in(out)) == 2  # the original and the follow-up (it shares one paragraph)


def test_exact_duplicates_skipped_in_run_and_against_folder(tmp_path, capsys):
    out = tmp_path / "docs"
    story = STORIES / "d_ostland_curbs.txt"
    copy = tmp_path / "copy.txt"
    copy.write_bytes(story.read_bytes())
    meta = [*LICENSE, "--date", "2026-03-14", "--source", "Meridian Press", "--out", str(out)]
    code, stdout, err = run(["add", str(story), str(copy), *meta], capsys)
    (doc_id,) = docs_in(out)
    assert code == 0
    assert err == (f"skipped (duplicate): {copy}: the same text is already there as {doc_id} "
                   f"({out / (doc_id + '.json')})\n")
    code, stdout, err = run(["add", str(copy), *meta], capsys)
    assert code == 0 and "skipped 1 duplicate(s)" in stdout
    assert err == (f"skipped (duplicate): {copy}: the same text is already there as {doc_id} "
                   f"({out / (doc_id + '.json')})\n")


def _reject(tmp_path, capsys, name: str, data: bytes, extra: list[str] | None = None) -> str:
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "docs"
    argv = ["add", str(src), "--out", str(out)]
    argv += extra if extra is not None else [*LICENSE, "--date", "2026-03-14", "--source", "X"]
    code, stdout, err = run(argv, capsys)
    assert code == 2
    assert "rejected 1 (of 1 input(s))" in stdout
    assert not out.exists() or list(out.iterdir()) == []
    prefix = f"rejected: {src}: "
    assert err.startswith(prefix) and err.endswith("\n") and err.count("\n") == 1
    return err[len(prefix):-1]


STORY = b"Ministers met in Valdenz on Friday to discuss the crossing.\n"

REJECTIONS = [
    # (case, file name, bytes, options or None for complete metadata, message)
    ("empty file", "empty.txt", b"", None,
     "empty file (0 bytes); allowed: an article as text or HTML"),
    ("whitespace only", "blank.txt", b" \n\t\n", None,
     "text is empty or only whitespace; allowed: an article text"),
    ("binary", "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None,
     "binary data (a NUL byte at byte offset 8); allowed: text or HTML"),
    ("latin-1", "latin1.txt", "Talks in Valdenz\ncaf\u00e9 quarter".encode("latin-1"), None,
     "not valid utf-8: invalid continuation byte at byte offset 20 (byte(s) e9); save the file "
     "as UTF-8 or give its encoding with --encoding"),
    ("unsupported type", "story.pdf", b"%PDF-1.7", None,
     "unsupported file type '.pdf'; allowed: .txt, .text, .html, .htm, .xhtml"),
    ("no licence", "story.txt", STORY,
     ["--provenance", "news", "--date", "2026-03-14", "--source", "X"],
     "no licence statement: every document must say under what terms its text is held, because "
     "a release may withhold the texts whose licence does not allow redistribution (their "
     "hashes and annotations are kept); give --license, e.g. 'CC BY 4.0' or '© Publisher, all "
     "rights reserved'"),
    ("blank licence", "story.txt", STORY,
     ["--license", "  ", "--provenance", "news", "--date", "2026-03-14", "--source", "X"],
     "no licence statement: every document must say under what terms its text is held, because "
     "a release may withhold the texts whose licence does not allow redistribution (their "
     "hashes and annotations are kept); give --license, e.g. 'CC BY 4.0' or '© Publisher, all "
     "rights reserved'"),
    ("no provenance", "story.txt", STORY,
     ["--license", "CC0", "--date", "2026-03-14", "--source", "X"],
     "no provenance: give --provenance (news: Real published news text, kept exactly as "
     "published.; synthetic: A wire-style article written by the Communiqué team about invented "
     "events.)"),
    ("unknown provenance", "story.txt", STORY,
     ["--license", "CC0", "--provenance", "blog", "--date", "2026-03-14", "--source", "X"],
     "provenance: found \"blog\"; allowed: one of news, synthetic"),
    ("no date, no source", "story.txt", STORY, ["--license", "CC0", "--provenance", "news"],
     "no publication date: give --date (YYYY-MM-DD); no source (publisher or wire service): "
     "give --source"),
    ("date not a date", "story.txt", STORY, [*LICENSE, "--date", "14/03/2026", "--source", "X"],
     "date '14/03/2026' is not a date; allowed: ISO 8601 YYYY-MM-DD (a date-time such as "
     "2026-03-14T09:12:00Z is cut to its date)"),
    ("date not in the calendar", "story.txt", STORY,
     [*LICENSE, "--date", "2026-02-30", "--source", "X"],
     "date '2026-02-30' is not a date; allowed: ISO 8601 YYYY-MM-DD (a date-time such as "
     "2026-03-14T09:12:00Z is cut to its date)"),
    ("bad language tag", "story.txt", STORY,
     [*LICENSE, "--date", "2026-03-14", "--source", "X", "--language", "English"],
     "language: found \"English\"; allowed: a string matching ^[a-z]{2,3}(-[A-Za-z0-9]+)*$"),
    ("no article in HTML", "home.html", (FIX / "no_article.html").read_bytes(), None,
     "no article text could be extracted from the HTML (trafilatura found nothing); allowed: a "
     "page with an article, or the article as plain text"),
    ("teaser only in HTML", "teaser.html",
     b"<html><body><article><p>Ministers met in Valdenz on Friday to discuss the border.</p>"
     b"</article></body></html>", None,
     "no article text could be extracted from the HTML (trafilatura found only 57 characters); "
     "allowed: a page with an article, or the article as plain text"),
    ("HTML without a date", "undated.html",
     ("<html><head><title>Ostland faces new export curbs</title></head><body><article>"
      + "".join(f"<p>{p}</p>" for p in (STORIES / "d_ostland_curbs.txt").read_text(
          encoding="utf-8").split("\n\n")[1:]) + "</article></body></html>").encode(),
     [*LICENSE, "--source", "X"],
     "no publication date: give --date (YYYY-MM-DD)"),
]


@pytest.mark.parametrize("case,name,data,extra,message", REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_rejections(tmp_path, capsys, case, name, data, extra, message):
    assert _reject(tmp_path, capsys, name, data, extra) == message


def test_datetime_is_cut_to_date(tmp_path, capsys):
    src = tmp_path / "story.txt"
    src.write_bytes(STORY)
    out = tmp_path / "docs"
    code, _, err = run(["add", str(src), *LICENSE, "--date", "2026-03-14T23:30:00Z",
                        "--source", "X", "--out", str(out)], capsys)
    assert code == 0, err
    assert [d["date"] for d in docs_in(out).values()] == ["2026-03-14"]


def test_other_encoding_when_asked(tmp_path, capsys):
    src = tmp_path / "latin1.txt"
    src.write_bytes("Talks in Valdenz over the caf\u00e9 quarter.".encode("latin-1"))
    out = tmp_path / "docs"
    code, _, err = run(["add", str(src), *LICENSE, "--date", "2026-03-14", "--source", "X",
                        "--encoding", "latin-1", "--out", str(out)], capsys)
    assert code == 0, err
    assert [d["text"] for d in docs_in(out).values()] == [
        "Talks in Valdenz over the caf\u00e9 quarter."]


def test_one_bad_file_does_not_stop_the_others(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = tmp_path / "docs"
    files = [str(STORIES / "b_tessel_own_report.txt"), str(empty),
             str(STORIES / "d_ostland_curbs.txt")]
    code, stdout, err = run(["add", *files, *LICENSE, "--date", "2026-03-14", "--source", "X",
                             "--out", str(out)], capsys)
    assert code == 2
    assert len(docs_in(out)) == 2 and leftovers(out) == []
    assert err == f"rejected: {empty}: empty file (0 bytes); allowed: an article as text or HTML\n"
    assert stdout.splitlines()[-1] == (f"added 2, skipped 0 duplicate(s) and 0 near duplicate(s), "
                                       f"rejected 1 (of 3 input(s)); documents in {out}")


def test_title_with_several_files_is_refused(tmp_path, capsys):
    code, _, err = run(["add", str(STORIES / "b_tessel_own_report.txt"),
                        str(STORIES / "d_ostland_curbs.txt"), "--title", "One title", *LICENSE,
                        "--out", str(tmp_path / "docs")], capsys)
    assert code == 2
    assert err == "--title and --url name one article; give them with a single FILE\n"


def test_dry_run_writes_nothing(tmp_path, capsys):
    out = tmp_path / "docs"
    code, stdout, _ = run(["add", str(MERIDIAN_ARTICLE), *LICENSE, "--out", str(out),
                           "--dry-run"], capsys)
    assert code == 0 and not out.exists()
    assert stdout.startswith("would add cmq-")


def test_unwritable_output_is_a_failure_not_a_rejection(tmp_path, capsys):
    out = tmp_path / "not-a-folder"
    out.write_text("a file where the folder should be")
    code, _, err = run(["add", str(MERIDIAN_ARTICLE), *LICENSE, "--out", str(out)], capsys)
    assert code == 1
    assert err.startswith(f"failed: {MERIDIAN_ARTICLE}: cannot write to {out}: ")


def test_json_report(tmp_path, capsys):
    out = tmp_path / "docs"
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code, stdout, _ = run(["add", str(MERIDIAN_ARTICLE), str(empty), *LICENSE, "--out", str(out),
                           "--format", "json"], capsys)
    report = json.loads(stdout)
    assert code == 2 and report["exit"] == 2
    assert (report["added"], report["rejected"], report["duplicates"]) == (1, 1, 0)
    assert [o["status"] for o in report["outcomes"]] == ["added", "rejected"]


def test_real_command_help_names_exit_codes():
    result = subprocess.run([sys.executable, "-m", "communique", "corpus", "add", "--help"],
                            capture_output=True, text=True, check=True)
    assert "2  at least one input was rejected" in result.stdout
    assert "--allow-near-duplicates" in result.stdout
