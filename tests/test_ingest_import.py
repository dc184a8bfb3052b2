"""`communique corpus import`: JSON Lines and CSV batches; bad rows are rejected one by one with
their place and reason, and never stop or spoil the good rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import pytest

from communique.schemas.model import document_id_for
from communique.schemas.validate import check_paths

from test_ingest_add import FIX, STORIES, docs_in, leftovers, run

META = {"date": "2026-03-14", "source": "Meridian Press", "license": "CC BY 4.0",
        "provenance": "synthetic"}


def story(name: str) -> str:
    return (STORIES / f"{name}.txt").read_text(encoding="utf-8")


def jsonl(*rows: dict | bytes) -> bytes:
    return b"".join(r if isinstance(r, bytes) else
                    json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_jsonl_batch_good_bad_and_duplicate_rows(tmp_path, capsys, jobs):
    html = (FIX / "meridian_original.html").read_text(encoding="utf-8")
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes(jsonl(
        b'{"text": "caf\xe9 talks", "license": "x"}\n',                       # 1 not UTF-8
        {"text": story("b_tessel_own_report"), **META, "author": "Staff"},    # 2 added
        b'{"text": "unterminated\n',                                           # 3 bad JSON
        b'["a", "list"]\n',                                                    # 4 not an object
        {"text": story("d_ostland_curbs"), **META, "license": None},           # 5 no licence
        {"text": story("d_ostland_curbs"), **META, "date": "yesterday"},       # 6 bad date
        {"text": "x", "html": "<p>x</p>", **META},                             # 7 text and html
        {"text": story("d_ostland_curbs"), **META, "date": 20260314},          # 8 not a string
        b'{"text": "lone \\ud800 surrogate", "license": "x"}\n',               # 9 surrogate
        {"html": html, **META, "title": "Row title wins", "source": None},     # 10 added (HTML)
        {"text": story("b_tessel_own_report"), **META},                        # 11 exact duplicate
        b"\n",                                                                 # 12 blank: ignored
        {"text": story("c_tessel_followup"), **META},                          # 13 added
        {"text": story("a_tessel_deal_republished"), **META},                  # 14 near dup of 10
        {"html": (FIX / "no_article.html").read_text(), **META},               # 15 no article
        {"text": story("d_ostland_curbs"), **META},                            # 16 added
    ))
    out = tmp_path / "docs"
    code, stdout, err = run(["import", str(batch), "--out", str(out), "--jobs", jobs], capsys)
    assert code == 2
    docs = docs_in(out)
    ids = {name: document_id_for(story(name)) for name in
           ("b_tessel_own_report", "c_tessel_followup", "d_ostland_curbs")}
    page = [d for d in docs.values() if d["url"] is not None]
    assert set(docs) == set(ids.values()) | {page[0]["id"]} and len(docs) == 4
    # Row values win over the page's own metadata; the page fills what the row leaves empty.
    assert (page[0]["title"], page[0]["source"], page[0]["date"]) == (
        "Row title wins", "Meridian Press", "2026-03-14")
    assert check_paths([out]).problems == [] and leftovers(out) == []
    b = f"{batch}"
    lines = err.splitlines()
    assert lines[0] == f"warning: {b}: field 'author' not read (first seen at {b}:2)"
    assert lines[1:10] == [
        f"rejected: {b}:1: not valid UTF-8: invalid continuation byte at byte offset 13 of the "
        "file",
        f"rejected: {b}:3: invalid JSON: Unterminated string starting at (column 10)",
        f"rejected: {b}:4: found a JSON list; allowed: an object with a 'text' or 'html' field "
        "and metadata",
        f"rejected: {b}:5: no licence statement: every document must say under what terms its "
        "text is held, because a release may withhold the texts whose licence does not allow "
        "redistribution (their hashes and annotations are kept); give a 'license' column or "
        "--license, e.g. 'CC BY 4.0' or '© Publisher, all rights reserved'",
        f"rejected: {b}:6: date 'yesterday' is not a date; allowed: ISO 8601 YYYY-MM-DD (a "
        "date-time such as 2026-03-14T09:12:00Z is cut to its date)",
        f"rejected: {b}:7: found both of the columns 'text' and 'html'; allowed: exactly one "
        "non-empty",
        f"rejected: {b}:8: column 'date': found int 20260314; allowed: a string",
        f"rejected: {b}:9: column 'text' has a lone surrogate U+D800 at code point 5; allowed: "
        "text (valid Unicode, no NUL)",
        f"skipped (duplicate): {b}:11: the same text is already there as "
        f"{ids['b_tessel_own_report']} ({out / (ids['b_tessel_own_report'] + '.json')})",
    ]
    assert lines[10].startswith(f"skipped (near duplicate): {b}:14: resembles {page[0]['id']} ")
    assert lines[11] == (f"rejected: {b}:15: no article text could be extracted from the HTML "
                         "(trafilatura found nothing); allowed: a page with an article, or the "
                         "article as plain text")
    assert len(lines) == 12
    assert stdout == (f"added 4, skipped 1 duplicate(s) and 1 near duplicate(s), rejected 9 "
                      f"(of 15 input(s)); documents in {out}\n")


def test_options_are_defaults_for_rows(tmp_path, capsys):
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes(jsonl({"text": story("b_tessel_own_report")},
                            {"text": story("d_ostland_curbs"), "source": "Coastal Times",
                             "license": "© Coastal Times"}))
    out = tmp_path / "docs"
    code, _, err = run(["import", str(batch), "--out", str(out), "--date", "2026-03-14",
                        "--source", "Meridian Press", "--license", "CC BY 4.0",
                        "--provenance", "news"], capsys)
    assert code == 0, err
    got = sorted((d["source"], d["license"], d["provenance"]) for d in docs_in(out).values())
    assert got == [("Coastal Times", "© Coastal Times", "news"),
                   ("Meridian Press", "CC BY 4.0", "news")]


def test_csv_batch(tmp_path, capsys):
    header = b"text,title,date,source,url,license,provenance,notes\n"
    multiline = b'"First line, with a comma.\r\nSecond line  with two spaces.",Title one,' \
                b'2026-03-14,Meridian Press,,CC BY 4.0,synthetic,\n'
    latin1 = b'"caf\xe9 quarter talks",,2026-03-14,Meridian Press,,CC BY 4.0,synthetic,\n'
    short = b'"only two values",2026-03-14\n'
    good = ('"' + story("d_ostland_curbs").replace('"', '""') + '",,2026-03-14T10:00:00+01:00,'
            'Meridian Press,https://meridian-press.example/ostland,CC BY 4.0,synthetic,checked\n'
            ).encode()
    batch = tmp_path / "batch.csv"
    batch.write_bytes(header + multiline + latin1 + short + good)
    out = tmp_path / "docs"
    code, stdout, err = run(["import", str(batch), "--out", str(out)], capsys)
    assert code == 2
    docs = sorted(docs_in(out).values(), key=lambda d: d["title"] or "")
    assert [(d["text"], d["title"], d["date"], d["url"]) for d in docs] == [
        (story("d_ostland_curbs"), None, "2026-03-14", "https://meridian-press.example/ostland"),
        ("First line, with a comma.\r\nSecond line  with two spaces.", "Title one",
         "2026-03-14", None)]
    offset = len(header) + len(multiline) + 4  # the é of "café"
    assert err.splitlines() == [
        f"warning: {batch}: column(s) not read: 'notes'",
        f"rejected: {batch}: row 2 (line 4): not valid UTF-8: invalid continuation byte at byte "
        f"offset {offset} of the file",
        f"rejected: {batch}: row 3 (line 5): found 2 values; allowed: 8, one per header column",
    ]
    assert stdout.startswith("added 2, skipped 0 duplicate(s) and 0 near duplicate(s), "
                             "rejected 2 (of 4 input(s))")


def test_csv_misspelt_column_is_named(tmp_path, capsys):
    batch = tmp_path / "batch.csv"
    batch.write_text("text,date,source,licence,provenance\n"
                     "Ministers met in Valdenz on Friday.,2026-03-14,Meridian Press,CC0,news\n",
                     encoding="utf-8")
    code, _, err = run(["import", str(batch), "--out", str(tmp_path / "docs")], capsys)
    assert code == 2
    assert err.splitlines()[0] == (f"warning: {batch}: column(s) not read: 'licence' (did you "
                                   "mean 'license'?)")
    assert "give a 'license' column or --license" in err.splitlines()[1]


def test_unreadable_batch_files(tmp_path, capsys):
    missing = tmp_path / "missing.jsonl"
    code, _, err = run(["import", str(missing), "--out", str(tmp_path / "docs")], capsys)
    assert (code, err) == (2, f"{missing}: cannot read (No such file or directory)\n")
    odd = tmp_path / "batch.xlsx"
    odd.write_bytes(b"PK")
    code, _, err = run(["import", str(odd), "--out", str(tmp_path / "docs")], capsys)
    assert (code, err) == (2, f"{odd}: cannot tell the batch format from the suffix '.xlsx'; "
                              "allowed: .jsonl, .ndjson, .csv, or --batch-format jsonl|csv\n")


def test_json_report_lists_every_row(tmp_path, capsys):
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes(jsonl({"text": story("b_tessel_own_report"), **META},
                            {"text": story("b_tessel_own_report"), **META}))
    code, stdout, _ = run(["import", str(batch), "--out", str(tmp_path / "docs"),
                           "--format", "json"], capsys)
    report = json.loads(stdout)
    assert code == 0
    assert [(o["place"], o["status"]) for o in report["outcomes"]] == [
        (f"{batch}:1", "added"), (f"{batch}:2", "duplicate")]


def test_real_command_is_quiet_under_ci(tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes(jsonl({"text": story("d_ostland_curbs"), **META}))
    result = subprocess.run(
        [sys.executable, "-m", "communique", "corpus", "import", str(batch), "--out",
         str(tmp_path / "docs")], capture_output=True, text=True, env={**os.environ, "CI": "1"})
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.startswith("added 1, skipped 0 duplicate(s)")


def test_byte_order_marks_and_large_html_cells(tmp_path, capsys):
    """Spreadsheet exports start with a BOM; a saved page in a CSV cell passes 128 KiB."""
    page = (FIX / "meridian_original.html").read_text(encoding="utf-8")
    big = page.replace("</body>", "<!--" + "x" * 200_000 + "--></body>")
    batch = tmp_path / "batch.csv"
    cell = '"' + big.replace('"', '""') + '"'
    batch.write_bytes(("\ufeffhtml,license,provenance\n" + cell + ",CC BY 4.0,synthetic\n")
                      .encode("utf-8"))
    out = tmp_path / "docs"
    code, _, err = run(["import", str(batch), "--out", str(out)], capsys)
    assert (code, err) == (0, "")
    assert [d["source"] for d in docs_in(out).values()] == ["Meridian Press"]

    lines = tmp_path / "batch.jsonl"
    lines.write_bytes(b"\xef\xbb\xbf" + jsonl({"text": story("d_ostland_curbs"), **META}))
    code, _, err = run(["import", str(lines), "--out", str(out)], capsys)
    assert (code, err) == (0, "")
    assert len(docs_in(out)) == 2


def test_write_failure_leaves_nothing_half_written(tmp_path, capsys, monkeypatch):
    """The disk fills up while the second document is written: it fails alone (exit 1), no
    temporary file is left, and the rows before and after are complete documents."""
    import communique.schemas.io as io

    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(io.os, "replace", replace)
    batch = tmp_path / "batch.jsonl"
    names = ("b_tessel_own_report", "c_tessel_followup", "d_ostland_curbs")
    batch.write_bytes(jsonl(*({"text": story(n), **META} for n in names)))
    out = tmp_path / "docs"
    code, stdout, err = run(["import", str(batch), "--out", str(out)], capsys)
    assert code == 1
    assert err == (f"failed: {batch}:2: cannot write to {out}: No space left on device\n")
    assert sorted(docs_in(out)) == sorted(document_id_for(story(n)) for n in names[::2])
    assert leftovers(out) == [] and check_paths([out]).problems == []
    assert ", rejected 0, failed 1 (of 3 input(s))" in stdout


def test_progress_bar_on_a_terminal_and_not_under_ci(tmp_path):
    """A person at a terminal sees a progress bar on stderr; CI=true silences it."""
    import fcntl
    import pty
    import struct
    import termios

    batch = tmp_path / "batch.jsonl"
    batch.write_bytes(jsonl({"text": story("d_ostland_curbs"), **META}))
    seen = {}
    for ci in ("", "true"):
        master, slave = pty.openpty()
        # A terminal 100 columns wide (a fresh pty has 0, and tqdm draws nothing in 0 columns).
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = {k: v for k, v in os.environ.items() if k != "CI"}
        if ci:
            env["CI"] = ci
        proc = subprocess.Popen(
            [sys.executable, "-m", "communique", "corpus", "import", str(batch), "--out",
             str(tmp_path / f"docs{ci}")], stdout=subprocess.PIPE, stderr=slave, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the terminal closes when the process ends
                break
            if not data:
                break
            chunks.append(data)
        proc.communicate()
        os.close(master)
        seen[ci] = b"".join(chunks).decode("utf-8", errors="replace")
    assert "batch.jsonl:" in seen[""] and "%" in seen[""]
    assert seen["true"] == ""
