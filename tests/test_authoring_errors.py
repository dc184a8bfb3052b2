"""Build errors of Communiqué markup: every problem is reported with file:line:column, what was
found and what is allowed (a table of broken variants of one valid file, exact messages); and the
`communique author` commands: exit codes, atomic all-or-nothing writes, byte-identical output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from communique.corpus.authoring import MarkupError, parse, parse_and_lint, render
from communique.schemas.io import dumps_document
from communique.schemas.validate import validate_document

ROOT = Path(__file__).resolve().parent.parent
BASE = """date: 2025-03-01
source: Meridian Wire
license: CC BY 4.0
provenance: synthetic

{text}
[Chile]{m1 STATE} [said]{t1.cue} [it would [meet]{e1} [Peru]{m2 STATE}]{t1.content}.
{relations}
a1 STATE "Chile": m1
a2 STATE "Peru": m2
e1 CONSULT future actor=m1 recipient=m2
t1 indirect source=m1
"""

# (text replaced in BASE, replacement, every issue expected, in file order)
CASES = [
    ('Chile]{m1 STATE} [said]', 'Chile]{m1 STATE} \\q [said]', [
        'x.cmq:7:19: found escape "\\\\q"; allowed: \\[ \\] \\{ \\} \\\\ (write \\\\ for a literal backslash)',
    ]),
    ('[it would', 'it would', [
        "x.cmq:7:70: found ']{…}' with no open '[' before it; allowed: '[' … ']{labels}', or '\\]' for a literal bracket",
        'x.cmq:12:1: attribution t1 has no content: no span is named t1.content; allowed: a span marked in the text as […]{t1.content} (or content=NAME of a marked span)',
    ]),
    ('{t1.content}.', '{t1.content}. }', [
        "x.cmq:7:86: found '}' outside a label; allowed: '\\}' for a literal brace",
    ]),
    ('{t1.content}.', '{t1.content}. {foo}', [
        "x.cmq:7:86: found '{foo}'; allowed: '{#key}' to start a span, '{/key: labels}' to end it, or '\\{' for a literal brace",
    ]),
    ('{m1 STATE}', '{m1 COUNTRY}', [
        'x.cmq:7:12: found mention type "COUNTRY"; allowed: PERSON, ORGANIZATION, STATE, GROUP, LOCATION, TIME',
    ]),
    ('{m2 STATE}', '{m1 STATE}', [
        'x.cmq:7:62: found mention id "m1" again (first at 7:9); allowed: each mention id once',
    ]),
    ('[said]', ']said[', [
        "x.cmq:7:19: found ']' without '{labels}' right after it; allowed: ']{labels}' to close a span opened by '[', or '\\]' for a literal bracket",
        "x.cmq:7:24: found '[' that is never closed; allowed: '[' … ']{labels}', or '\\[' for a literal bracket",
        "x.cmq:7:25: found '{t1.cue}'; allowed: '{#key}' to start a span, '{/key: labels}' to end it, or '\\{' for a literal brace",
        'x.cmq:12:1: attribution t1 has no cue: no span is named t1.cue; allowed: a span marked in the text as […]{t1.cue} (or cue=NAME of a marked span)',
    ]),
    ('source: Meridian Wire', 'publisher: Meridian Wire', [
        "x.cmq:1:1: found no 'source:' header line; allowed: required header keys date, source, license, provenance",
        'x.cmq:2:1: found header line "publisher: Meridian Wire"; allowed: \'KEY: value\' with KEY one of id, title, date, source, url, language, license, provenance, text_sha256, a \'#\' comment, or the line {text} that starts the text',
    ]),
    ('date: 2025-03-01\n', '', [
        "x.cmq:1:1: found no 'date:' header line; allowed: required header keys date, source, license, provenance",
    ]),
    ('{text}', '{txt}', [
        'x.cmq:13:1: found no line {text}; allowed: a header, then a line {text}, the text, and a line {relations}',
    ]),
    ('{relations}', '{relation}', [
        'x.cmq:13:1: found no line {relations} after the text; allowed: the text, then a line {relations} (the relation block may be empty)',
    ]),
    ('e1 CONSULT', 'e1 MEET', [
        'x.cmq:11:4: found "MEET" after the id; allowed: an actor type (PERSON, ORGANIZATION, STATE, GROUP), an event type (AGREE, CONSULT, SUPPORT, CONCEDE, COOPERATE, AID, RETREAT, REQUEST, ACCUSE, REJECT, THREATEN, PROTEST, SANCTION, MOBILIZE, COERCE, ASSAULT), an attribution type (direct, indirect, mixed) or a stance (support, oppose, neutral)',
    ]),
    ('CONSULT future', 'CONSULT planned', [
        'x.cmq:11:12: event e1: found modality "planned"; allowed: asserted, historical, future, hypothetical, negated',
    ]),
    ('t1 indirect source=m1', 't1 indirect', [
        'x.cmq:12:1: attribution t1: missing source=; allowed: source=MENTION_ID, or source=- when the text names nobody',
    ]),
    ('{t1.cue}', '{t1.cu}', [
        'x.cmq:7:26: span name t1.cu is used by no relation line; allowed: names that a relation refers to (by default the event id for a trigger, ID.cue, ID.content, ID.target, ID.evidence, or KEY=NAME on the line)',
        'x.cmq:12:1: attribution t1 has no cue: no span is named t1.cue; allowed: a span marked in the text as […]{t1.cue} (or cue=NAME of a marked span)',
    ]),
    ('{e1}', '{e1; t1.cue}', [
        'x.cmq:12:1: attribution t1: 2 spans are named t1.cue (at 7:26, 7:55); allowed: exactly one cue span',
    ]),
    ('recipient=m2', 'location=m2', [
        'x.cmq:11:28: $.events[0].arguments[1].mention_id: found a STATE mention in role location; allowed: LOCATION mentions',
    ]),
    ('actor=m1', 'actor=m9', [
        'x.cmq:11:19: $.events[0].arguments[0].mention_id: found "m9", which is no id in mentions; allowed: an id of mentions (m1, m2)',
    ]),
    ('provenance: synthetic', 'provenance: synthetic\ntext_sha256: 0000000000000000000000000000000000000000000000000000000000000000', [
        "x.cmq:5:1: found text_sha256 0000000000000000000000000000000000000000000000000000000000000000, but the text between {text} and {relations} hashes to 60b1dc29ee71fd0141e7854180b0f683c5137cb9f86c283e0969c873e71b0a31; allowed: markup that strips to exactly the document's text (delete the text_sha256 line for a new text)",
    ]),
    ('t1 indirect source=m1\n', 't1 indirect source=m1\norder mentions: m1 m1\n', [
        "x.cmq:13:1: found 'order mentions:' that is not a permutation of the marked mentions (missing: m2; unknown or repeated: m1); allowed: every mention id exactly once",
    ]),
    ('[Peru]{m2 STATE}', '{#k1}Peru{/k2: m2 STATE}', [
        "x.cmq:7:55: found '{#k1}' that is never ended; allowed: a matching '{/k1: labels}'",
        "x.cmq:7:64: found '{/k2: …}' but no '{#k2}' is open; allowed: the key of an open '{#key}' (k1)",
    ]),
    ('[Peru]{m2 STATE}', '{#k1}Peru', [
        "x.cmq:7:55: found '{#k1}' that is never ended; allowed: a matching '{/k1: labels}'",
    ]),
    ('source=m1\n', 'source=m1 speaker=m2\n', [
        'x.cmq:12:23: found "speaker=m2" in attribution t1; allowed: key=value with key one of cue, content, source, parent',
    ]),
    ('a2 STATE "Peru": m2', 'a2 STATE Peru: m2', [
        'x.cmq:10:10: actor a2: found "a2 STATE Peru: m2"; allowed: ID TYPE "name" [QID]: MENTION_ID …',
    ]),
    ('date: 2025-03-01', 'date: 2025-02-30', [
        'x.cmq:1:1: $.date: found "2025-02-30"; allowed: a real calendar date YYYY-MM-DD',
    ]),
]


def test_base_markup_builds() -> None:
    doc = parse(BASE, "x.cmq")
    assert doc.text == "Chile said it would meet Peru."
    assert doc.id == "cmq-60b1dc29ee71"
    assert [(m.id, m.text) for m in doc.mentions] == [("m1", "Chile"), ("m2", "Peru")]
    assert doc.events[0].trigger.text == "meet"
    assert [c.text for c in doc.attributions[0].content] == ["it would meet Peru"]
    assert validate_document(doc.to_dict()) == []


@pytest.mark.parametrize(("old", "new", "expected"), CASES)
def test_every_problem_is_reported_with_its_place(old: str, new: str, expected: list[str]) -> None:
    assert old in BASE
    with pytest.raises(MarkupError) as err:
        parse(BASE.replace(old, new, 1), "x.cmq")
    assert [str(i) for i in err.value.issues] == expected


def test_split_content_and_explicit_names() -> None:
    markup = BASE.replace("[it would [meet]{e1} [Peru]{m2 STATE}]{t1.content}.",
                          "“[it would]{q}” [he]{m3 PERSON} added, “[[meet]{e1} [Peru]{m2 STATE}]{q}.”")
    markup = markup.replace("t1 indirect source=m1", "t1 direct source=m1 content=q\n"
                            'a3 PERSON "he": m3')
    doc = parse(markup, "x.cmq")
    assert [c.text for c in doc.attributions[0].content] == ["it would", "meet Peru"]
    assert parse(render(doc)) == doc


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "communique", "author", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_cli_render_then_build_rewrites_the_corpus_file_byte_for_byte(tmp_path: Path) -> None:
    src = ROOT / "corpus" / "documents" / "cmq-22aa667baa49.json"
    markup = tmp_path / "seed.cmq"
    done = _run("render", "cmq-22aa667baa49", "--corpus", str(src.parent), "--out", str(markup),
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    done = _run("build", str(markup), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {out / 'cmq-22aa667baa49.json'}\n"
    assert (out / "cmq-22aa667baa49.json").read_bytes() == src.read_bytes()


def test_cli_build_writes_nothing_when_any_file_is_broken(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.cmq", tmp_path / "bad.cmq"
    good.write_text(BASE, encoding="utf-8")
    bad.write_text(BASE.replace("CONSULT future", "CONSULT planned"), encoding="utf-8")
    out = tmp_path / "out"
    done = _run("build", str(good), str(bad), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"{bad}:11:12: event e1: found modality \"planned\"; allowed: asserted, historical, "
        "future, hypothetical, negated",
        "invalid: 1 problem(s); nothing written"]
    assert not out.exists()
    done = _run("build", str(good), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0
    written = out / "cmq-60b1dc29ee71.json"
    assert written.read_text(encoding="utf-8") == dumps_document(parse(BASE))
    assert json.loads(written.read_text(encoding="utf-8"))["text"] == "Chile said it would meet Peru."


def test_cli_build_rejects_two_files_of_one_document(tmp_path: Path) -> None:
    a, b = tmp_path / "a.cmq", tmp_path / "b.cmq"
    a.write_text(BASE, encoding="utf-8")
    b.write_text(BASE, encoding="utf-8")
    done = _run("build", str(a), str(b), "--check", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (f"{b}:1:1: found document id cmq-60b1dc29ee71, already "
                                           f"built from {a}; allowed: one markup file per document")


def test_cli_render_unknown_document(tmp_path: Path) -> None:
    done = _run("render", "cmq-000000000000", "--corpus", str(ROOT / "corpus" / "documents"),
                cwd=tmp_path)
    assert done.returncode == 1
    assert "no document 'cmq-000000000000'" in done.stderr


LINTED = """date: 2025-03-01
source: S
license: L
provenance: synthetic
{text}
[Chile’s]{m1 STATE} [said]{t1.cue} [that it would go.]{t1.content} “[“Peru”]{m2 LOCATION}” [U.S.]{m3 STATE}
{relations}
a1 STATE "Chile": m1
a2 STATE "United States": m3
t1 indirect source=m1
"""


def test_lint_warns_about_span_extents_at_the_span() -> None:
    doc, warnings = parse_and_lint(LINTED, "l.cmq")
    assert doc.mentions[2].text == "U.S."  # an abbreviation's period is no final punctuation
    assert [str(w) for w in warnings] == [
        "l.cmq:6:11: warning: $.mentions[0]: mention \"Chile’s\" ends with a possessive clitic; "
        "it stays outside the span",
        "l.cmq:6:56: warning: $.attributions[0].content[0]: content \"that it would go.\" ends "
        "with punctuation; sentence-final punctuation stays outside the span",
        "l.cmq:6:56: warning: $.attributions[0].content[0]: content \"that it would go.\"… starts "
        "with 'that'; the complementiser stays outside the content",
        "l.cmq:6:78: warning: $.mentions[1]: mention \"“Peru”\" is enclosed in quotation marks; "
        "the marks stay outside the span",
        "l.cmq:6:78: warning: $.mentions[1]: LOCATION mention m2 \"“Peru”\" fills no event "
        "argument; places and times are marked only as arguments",
    ]
    assert parse_and_lint(BASE, "x.cmq")[1] == []


def test_cli_lint_prints_warnings_and_keeps_exit_code(tmp_path: Path) -> None:
    f = tmp_path / "l.cmq"
    f.write_text(LINTED, encoding="utf-8")
    done = _run("build", str(f), "--check", "--lint", cwd=tmp_path)
    assert done.returncode == 0
    assert len([x for x in done.stderr.splitlines() if ": warning: " in x]) == 5
    done = _run("build", str(f), "--check", cwd=tmp_path)
    assert done.stderr == ""


COREF = """date: 2025-03-01
source: S
license: L
provenance: synthetic
{text}
[[Chile]{m2 STATE}’s government]{m1 STATE} [said]{t1.cue} [[it]{m3 STATE} [opposed]{p1.evidence} [the plan]{p1.target}]{t1.content}.
{relations}
a1 STATE "Chile": m1 m2 m3
t1 indirect source=m1
p1 oppose holder=m3 attribution=t1
"""


def test_lint_warns_about_same_actor_nesting_and_pronoun_holders() -> None:
    _, warnings = parse_and_lint(COREF, "c.cmq")
    assert [str(w) for w in warnings] == [
        "c.cmq:6:10: warning: $.mentions[1]: mention m2 \"Chile\" is nested in m1 \"Chile’s "
        "government\" of the same actor a1; mark it only once",
        "c.cmq:10:11: warning: $.positions[0].holder_id: holder m3 \"it\" is in the content of "
        "t1 and is the same actor as its source m1; the holder is then the source mention",
    ]
    fixed = COREF.replace("[[Chile]{m2 STATE}’s government]{m1 STATE}", "[Chile’s government]{m1 STATE}")
    fixed = fixed.replace("a1 STATE \"Chile\": m1 m2 m3", "a1 STATE \"Chile\": m1 m3")
    fixed = fixed.replace("p1 oppose holder=m3", "p1 oppose holder=m1")
    assert parse_and_lint(fixed, "c.cmq")[1] == []


def test_lint_warns_about_a_file_saved_with_crlf_line_ends() -> None:
    doc, warnings = parse_and_lint(BASE.replace("\n", "\r\n"), "w.cmq")
    assert doc.text == "Chile said it would meet Peru.\r"
    assert [str(w) for w in warnings] == [
        "w.cmq:6:1: warning: the file has CRLF line ends, so the text keeps a CR before every "
        "line break; save it with LF line ends unless the article really has CRs"]


def test_lint_warns_about_places_and_times_outside_events() -> None:
    markup = BASE.replace("[Chile]{m1 STATE} [said]{t1.cue}",
                          "[Chile]{m1 STATE} [said]{t1.cue} on [Friday]{m3 TIME}")
    _, warnings = parse_and_lint(markup, "x.cmq")
    assert [str(w) for w in warnings] == [
        "x.cmq:7:46: warning: $.mentions[1]: TIME mention m3 \"Friday\" fills no event argument; "
        "places and times are marked only as arguments"]
    used = markup.replace("e1 CONSULT future actor=m1 recipient=m2",
                          "e1 CONSULT future actor=m1 recipient=m2 time=m3")
    assert parse_and_lint(used, "x.cmq")[1] == []
