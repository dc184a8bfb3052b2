"""Communiqué markup: a plain-text authoring format for annotated documents.

A markup file holds a metadata header, the article text with spans marked inline, and a block of
relations (actors, events, attributions, positions). ``render`` turns a canonical document into
markup and ``parse`` turns markup back into the canonical document; ``parse(render(doc)) == doc``
for every valid document. The format is described in ``corpus/AUTHORING.md``.

Offsets in the built document are half-open ``[start, end)`` code points of the text left after
the markup is stripped; error positions are 1-based ``line:column`` in code points of the file.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from communique.schemas.model import (Actor, Argument, Attribution, Document, Event, Mention,
                                      Position, Span, document_id_for, sha256_text)
from communique.schemas.spec import Spec, load_spec
from communique.schemas.validate import validate_document

TEXT_LINE = "{text}"
RELATIONS_LINE = "{relations}"
ESCAPABLE = "[]{}\\"
HEADER_FIELDS = ("id", "title", "date", "source", "url", "language", "license", "provenance",
                 "text_sha256")
REQUIRED_HEADER = ("date", "source", "license", "provenance")
NULLABLE_HEADER = ("title", "url")
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*\Z")
NO_SOURCE = "-"
ORDER_PREFIX = "order mentions:"
# Span fields of each relation layer and the span name each one uses when the line gives none.
SPAN_DEFAULTS = {
    "events": {"trigger": "{id}"},
    "attributions": {"cue": "{id}.cue", "content": "{id}.content"},
    "positions": {"target": "{id}.target", "evidence": "{id}.evidence"},
}
REF_KEYS = {"attributions": ("source", "parent"), "positions": ("holder", "attribution")}
LAYER_NOUN = {"actors": "actor", "events": "event", "attributions": "attribution",
              "positions": "position"}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in a markup file, at a 1-based line and column (code points)."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class MarkupError(Exception):
    """Raised with every issue found in a markup file; ``str()`` lists them one per line."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(map(str, issues)))


def _esc(text: str) -> str:
    return "".join("\\" + c if c in ESCAPABLE else c for c in text)


def strip_markup_escapes(text: str) -> str:
    """Text with markup escapes undone (for plain runs that contain no spans)."""
    return re.sub(r"\\([\[\]{}\\])", r"\1", text)


# --- render ------------------------------------------------------------------------------------


def _header_value(value: str | None) -> str:
    if value is None:
        return "null"
    safe = (value != "" and value == value.strip() and "\n" not in value and "\r" not in value
            and not value.startswith('"') and value != "null")
    return value if safe else json.dumps(value, ensure_ascii=False)


def _span_names(doc: Document) -> tuple[dict[tuple[str, str, str], str], list[tuple[Span, str]]]:
    """Name every span of the relation layers: the default name when it is free, else a fresh
    one (ids may contain dots, so defaults can collide). Returns the names chosen, keyed by
    (layer, id, field), and the (span, name) pairs to mark in the text."""
    names: dict[tuple[str, str, str], str] = {}
    marks: list[tuple[Span, str]] = []
    taken: set[str] = set()
    wanted = [(layer, item.id, fname, fmt.format(id=item.id))
              for layer, fields in SPAN_DEFAULTS.items() for item in getattr(doc, layer)
              for fname, fmt in fields.items()]
    defaults = {w[3] for w in wanted}
    for layer, item_id, fname, default in wanted:
        name, n = default, 1
        while name in taken or (name != default and name in defaults):
            n += 1
            name = f"{default}.{n}"
        taken.add(name)
        names[(layer, item_id, fname)] = name
    for layer, fields in SPAN_DEFAULTS.items():
        for item in getattr(doc, layer):
            for fname in fields:
                value = getattr(item, fname)
                for span in (value if isinstance(value, tuple) else (value,)):
                    marks.append((span, names[(layer, item.id, fname)]))
    return names, marks


def _natural_mention_order(doc: Document) -> list[str]:
    """The mention order that ``parse`` produces without an ``order mentions:`` line."""
    index = {m.id: i for i, m in enumerate(doc.mentions)}
    return [m.id for m in sorted(doc.mentions, key=lambda m: (m.start, -m.end, index[m.id]))]


def render_text(doc: Document, marks: Iterable[tuple[Span, str]] = ()) -> str:
    """The document text with its mentions and the given named spans marked inline: brackets
    where spans nest, ``{#k}``…``{/k: labels}`` for spans that cross a bracketed one."""
    labels: dict[tuple[int, int], list[str]] = {}
    for m in doc.mentions:
        labels.setdefault((m.start, m.end), []).append(f"{m.id} {m.type}")
    for span, name in marks:
        labels.setdefault((span.start, span.end), []).append(name)
    tokens: list[tuple[int, int, int, str]] = []  # (position, phase, order, token)
    stack: list[int] = []
    key = 0
    for (start, end), group in sorted(labels.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        close = "; ".join(group)
        while stack and stack[-1] <= start:
            stack.pop()
        if start == end:
            tokens += [(start, 2, 0, "["), (start, 2, 1, "]{" + close + "}")]
        elif stack and end > stack[-1]:
            key += 1
            tokens += [(start, 1, -end, f"{{#k{key}}}"), (end, 0, -start, f"{{/k{key}: {close}}}")]
        else:
            stack.append(end)
            tokens += [(start, 1, -end, "["), (end, 0, -start, "]{" + close + "}")]
    tokens.sort(key=lambda t: t[:3])
    out, prev = [], 0
    for pos, _, _, token in tokens:
        out += [_esc(doc.text[prev:pos]), token]
        prev = pos
    out.append(_esc(doc.text[prev:]))
    return "".join(out)


def render(doc: Document) -> str:
    """The markup of ``doc``: header, marked text and relations; ``parse`` inverts it."""
    names, marks = _span_names(doc)
    lines = ["# Communiqué markup: build with `communique author build FILE`; "
             "format in corpus/AUTHORING.md"]
    lines += [f"{k}: {_header_value(getattr(doc, k))}" for k in HEADER_FIELDS]
    lines += ["", TEXT_LINE, render_text(doc, marks), RELATIONS_LINE]

    def span_keys(layer: str, item_id: str) -> str:
        return "".join(f" {f}={names[(layer, item_id, f)]}" for f, fmt in SPAN_DEFAULTS[layer].items()
                       if names[(layer, item_id, f)] != fmt.format(id=item_id))

    if doc.actors:
        lines.append("# actors: ID TYPE \"name\" [QID]: MENTION_IDS")
        lines += [f"{a.id} {a.type} {json.dumps(a.name, ensure_ascii=False)}"
                  f"{' ' + a.wikidata if a.wikidata else ''}: {' '.join(a.mention_ids)}"
                  for a in doc.actors]
    if doc.events:
        lines.append("# events: ID TYPE MODALITY role=MENTION_ID …")
        lines += [f"{e.id} {e.type} {e.modality}{span_keys('events', e.id)}"
                  + "".join(f" {a.role}={a.mention_id}" for a in e.arguments) for e in doc.events]
    if doc.attributions:
        lines.append("# attributions: ID TYPE source=MENTION_ID|- [parent=ATTRIBUTION_ID]")
        lines += [f"{t.id} {t.type} source={t.source_id or NO_SOURCE}{span_keys('attributions', t.id)}"
                  + (f" parent={t.parent_id}" if t.parent_id is not None else "")
                  for t in doc.attributions]
    if doc.positions:
        lines.append("# positions: ID STANCE holder=MENTION_ID [attribution=ATTRIBUTION_ID]")
        lines += [f"{p.id} {p.stance} holder={p.holder_id}{span_keys('positions', p.id)}"
                  + (f" attribution={p.attribution_id}" if p.attribution_id is not None else "")
                  for p in doc.positions]
    order = [m.id for m in doc.mentions]
    if order != _natural_mention_order(doc):
        lines.append(f"{ORDER_PREFIX} {' '.join(order)}")
    return "\n".join(lines) + "\n"


# --- parse -------------------------------------------------------------------------------------


@dataclass
class _Marked:
    """A span marked in the text, with where its labels are written in the file."""

    stream: int
    start: int
    end: int
    offset: int


@dataclass
class _State:
    """Everything collected while reading one markup file."""

    path: str
    source: str
    spec: Spec
    line_starts: list[int]
    issues: list[Issue] = field(default_factory=list)
    header: dict[str, tuple[str | None, int]] = field(default_factory=dict)
    mentions: dict[str, tuple[Mention, tuple[int, int], int]] = field(default_factory=dict)
    named: dict[str, list[tuple[Span, int]]] = field(default_factory=dict)
    where: dict[str, int] = field(default_factory=dict)

    def locate(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def add(self, offset: int, message: str) -> None:
        line, col = self.locate(offset)
        self.issues.append(Issue(self.path, line, col, message))

    def at(self, offset: int) -> str:
        line, col = self.locate(offset)
        return f"{line}:{col}"


def _lines(source: str) -> list[tuple[int, str]]:
    """(offset, content) of each line; content keeps a final CR (callers decide)."""
    out, pos = [], 0
    for chunk in source.split("\n"):
        out.append((pos, chunk))
        pos += len(chunk) + 1
    return out


def _read_header(st: _State, lines: list[tuple[int, str]]) -> int | None:
    """Read header lines up to the ``{text}`` line; return that line's index."""
    text_index = next((i for i, (_, raw) in enumerate(lines)
                       if raw.removesuffix("\r") == TEXT_LINE), None)
    if text_index is None:
        end = lines[-1][0] + len(lines[-1][1])
        st.add(end, f"found no line {TEXT_LINE}; allowed: a header, then a line {TEXT_LINE}, the "
                    f"text, and a line {RELATIONS_LINE}")
        return None
    for offset, raw in lines[:text_index]:
        line = raw.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or key not in HEADER_FIELDS:
            st.add(offset, f"found header line {json.dumps(line[:40], ensure_ascii=False)}; allowed: "
                           f"'KEY: value' with KEY one of {', '.join(HEADER_FIELDS)}, a '#' comment, "
                           f"or the line {TEXT_LINE} that starts the text")
            continue
        if key in st.header:
            st.add(offset, f"found a second '{key}:' line (first at line "
                           f"{st.locate(st.header[key][1])[0]}); allowed: each header key once")
            continue
        value = value.strip()
        if value.startswith('"'):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError as e:
                st.add(offset + len(line) - len(line.lstrip()) + len(key) + 2,
                       f"found {key} value {value[:40]}, which is not a JSON string ({e.msg}); "
                       "allowed: a plain value, or a JSON string in double quotes")
                continue
            if not isinstance(parsed, str):
                st.add(offset, f"found {key} value {value[:40]}; allowed: a JSON string")
                continue
            st.header[key] = (parsed, offset)
        elif value == "null":
            if key not in NULLABLE_HEADER:
                st.add(offset, f"found {key}: null; allowed: null only for {', '.join(NULLABLE_HEADER)}")
                continue
            st.header[key] = (None, offset)
        else:
            st.header[key] = (value, offset)
    return text_index


def _parse_labels(st: _State, body: str, offset: int, span: tuple[int, int], stream: int,
                  mention_types: tuple[str, ...]) -> None:
    """Record the labels of one marked span: ``ID TYPE`` for a mention, ``NAME`` for a named
    span, separated by ``;``."""
    if not body.strip():
        st.add(offset, "found a span with no label; allowed: '{ID TYPE}' for a mention or "
                       "'{NAME}' for a named span, several separated by ';'")
        return
    pos = 0
    for index, part in enumerate(body.split(";")):
        here = offset + pos + len(part) - len(part.lstrip())
        pos += len(part) + 1
        words = part.split()
        if not words:
            st.add(here, "found an empty label between ';'; allowed: 'ID TYPE' or 'NAME'")
            continue
        bad = next((w for w in words[:2] if not NAME_RE.match(w)), None)
        if len(words) > 2 or bad is not None:
            st.add(here, f"found label {json.dumps(part.strip(), ensure_ascii=False)}; allowed: "
                         "'ID TYPE' for a mention or 'NAME' for a named span, where ID and NAME "
                         "are letters, digits and . _ : - (starting with a letter or digit)")
            continue
        if len(words) == 1:
            st.named.setdefault(words[0], []).append((Span(*span, ""), here))
            continue
        mid, mtype = words
        if mtype not in mention_types:
            st.add(here + len(part.strip()) - len(mtype),
                   f"found mention type {json.dumps(mtype)}; allowed: {', '.join(mention_types)}")
            continue
        if mid in st.mentions:
            st.add(here, f"found mention id {json.dumps(mid)} again (first at "
                         f"{st.at(st.mentions[mid][2])}); allowed: each mention id once")
            continue
        st.mentions[mid] = (Mention(mid, span[0], span[1], "", mtype), (stream, index), here)


def _read_text(st: _State, begin: int, end: int) -> str:
    """Strip the markup from ``source[begin:end]``, recording spans; return the plain text."""
    src = st.source
    mention_types = st.spec.labels["mention_type"].names
    out: list[str] = []
    size = 0
    stack: list[_Marked] = []
    keyed: dict[str, _Marked] = {}
    stream = 0
    plain = re.compile(r"[^\[\]{}\\]+")
    i = begin
    while i < end:
        run = plain.match(src, i, end)
        if run:
            out.append(run.group())
            size += run.end() - i
            i = run.end()
            continue
        c = src[i]
        if c == "\\":
            nxt = src[i + 1] if i + 1 < end else ""
            if nxt and nxt in ESCAPABLE:
                out.append(nxt)
                size += 1
                i += 2
            else:
                shown = json.dumps("\\" + nxt, ensure_ascii=False)
                st.add(i, f"found escape {shown}; allowed: \\[ \\] \\{{ \\}} \\\\ (write \\\\ for "
                          "a literal backslash)")
                i += 1
            continue
        if c == "[":
            stack.append(_Marked(stream, size, -1, i))
            stream += 1
            i += 1
            continue
        if c == "}":
            st.add(i, "found '}' outside a label; allowed: '\\}' for a literal brace")
            i += 1
            continue
        line_end = src.find("\n", i, end)
        line_end = end if line_end == -1 else line_end
        if c == "]":
            if src[i + 1:i + 2] != "{" or i + 1 >= end:
                st.add(i, "found ']' without '{labels}' right after it; allowed: ']{labels}' to "
                          "close a span opened by '[', or '\\]' for a literal bracket")
                i += 1
                continue
            close = src.find("}", i + 2, line_end)
            if close == -1:
                st.add(i + 1, "found '{' with no '}' on the same line; allowed: ']{labels}' "
                              "closed on its line")
                i = line_end
                continue
            if not stack:
                st.add(i, "found ']{…}' with no open '[' before it; allowed: '[' … ']{labels}', "
                          "or '\\]' for a literal bracket")
            else:
                opened = stack.pop()
                _parse_labels(st, src[i + 2:close], i + 2, (opened.start, size), opened.stream,
                              mention_types)
            i = close + 1
            continue
        # c == "{": a keyed span's start or end
        close = src.find("}", i + 1, line_end)
        if close == -1:
            st.add(i, "found '{' with no '}' on the same line; allowed: '{#key}', '{/key: labels}', "
                      "or '\\{' for a literal brace")
            i = line_end
            continue
        body = src[i + 1:close]
        if body.startswith("#") and NAME_RE.match(body[1:]):
            if body[1:] in keyed:
                st.add(i, f"found '{{{body}}}' while key {body[1:]!r} is still open (from "
                          f"{st.at(keyed[body[1:]].offset)}); allowed: a key not open yet")
            else:
                keyed[body[1:]] = _Marked(stream, size, -1, i)
                stream += 1
        elif body.startswith("/") and ":" in body:
            key, _, labels = body[1:].partition(":")
            opened = keyed.pop(key.strip(), None)
            if opened is None:
                st.add(i, f"found '{{/{key}: …}}' but no '{{#{key.strip()}}}' is open; allowed: "
                          f"the key of an open '{{#key}}' ({', '.join(keyed) or 'none open'})")
            else:
                _parse_labels(st, labels, i + 2 + len(key) + 1, (opened.start, size), opened.stream,
                              mention_types)
        else:
            st.add(i, f"found '{{{body[:30]}}}'; allowed: '{{#key}}' to start a span, '{{/key: "
                      "labels}' to end it, or '\\{' for a literal brace")
        i = close + 1
    for opened in stack:
        st.add(opened.offset, "found '[' that is never closed; allowed: '[' … ']{labels}', or "
                              "'\\[' for a literal bracket")
    for key, opened in keyed.items():
        st.add(opened.offset, f"found '{{#{key}}}' that is never ended; allowed: a matching "
                              f"'{{/{key}: labels}}'")
    return "".join(out)


@dataclass
class _Line:
    """One relation line split into words with their file offsets."""

    offset: int
    words: list[tuple[str, int]]


def _keys(st: _State, line: _Line, first: int, layer: str, allowed: tuple[str, ...],
          repeatable: tuple[str, ...] = ()) -> list[tuple[str, str, int]]:
    """The ``key=value`` words of a line from word ``first`` on; bad ones are reported."""
    seen: dict[str, int] = {}
    out = []
    for word, off in line.words[first:]:
        key, sep, value = word.partition("=")
        if not sep or key not in allowed or not value:
            st.add(off, f"found {json.dumps(word, ensure_ascii=False)} in {LAYER_NOUN[layer]} "
                        f"{line.words[0][0]}; allowed: key=value with key one of {', '.join(allowed)}")
            continue
        if key in seen and key not in repeatable:
            st.add(off, f"found {key}= again in {LAYER_NOUN[layer]} {line.words[0][0]}; allowed: "
                        f"{key}= once")
            continue
        seen[key] = off
        out.append((key, value, off))
    return out


def _span_field(st: _State, layer: str, item_id: str, fname: str, name: str | None, off: int,
                used: set[str]) -> tuple[Span, ...]:
    """The spans a relation's span field refers to (several only for ``content``)."""
    explicit = name is not None
    name = name if explicit else SPAN_DEFAULTS[layer][fname].format(id=item_id)
    found = st.named.get(name)
    noun = LAYER_NOUN[layer]
    if not found:
        how = (f"{fname}={name} names no span" if explicit else
               f"has no {fname}: no span is named {name}")
        st.add(off, f"{noun} {item_id} {how}; allowed: a span marked in the text as "
                    f"[…]{{{name}}} (or {fname}=NAME of a marked span)")
        return ()
    used.add(name)
    if fname != "content" and len(found) > 1:
        st.add(off, f"{noun} {item_id}: {len(found)} spans are named {name} (at "
                    f"{', '.join(st.at(w) for _, w in found)}); allowed: exactly one {fname} span")
        return ()
    return tuple(sorted((s for s, _ in found), key=lambda s: (s.start, s.end)))


def _read_relations(st: _State, lines: list[tuple[int, str]], text: str
                    ) -> tuple[dict[str, list[Any]], list[str] | None, dict[str, int]]:
    """Parse the relation lines into layer items (in file order), the explicit mention order if
    given, and the file offset of every JSON path the validator may report."""
    spec = st.spec
    layer_of: dict[str, str] = {}
    label_sets = {"actors": "actor_type", "events": "event_type",
                  "attributions": "attribution_type", "positions": "stance"}
    for layer, lset in label_sets.items():
        for name in spec.labels[lset].names:
            layer_of[name] = "ambiguous" if name in layer_of else layer
    items: dict[str, list[Any]] = {k: [] for k in label_sets}
    where: dict[str, int] = {}
    used: set[str] = set()
    order: list[str] | None = None
    roles = spec.labels["argument_role"].names
    modalities = spec.labels["modality"].names

    def cut(s: Span) -> Span:
        return Span(s.start, s.end, text[s.start:s.end])

    def read_line(offset: int, raw: str) -> None:
        nonlocal order
        line = raw.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            return
        if line.startswith(ORDER_PREFIX):
            if order is not None:
                st.add(offset, f"found a second '{ORDER_PREFIX}' line; allowed: one")
            order = line[len(ORDER_PREFIX):].split()
            where["order"] = offset
            return
        words = [(m.group(), offset + m.start()) for m in re.finditer(r"\S+", line)]
        if len(words) < 2 or layer_of.get(words[1][0]) in (None, "ambiguous"):
            got = words[1][0] if len(words) > 1 else "nothing"
            st.add(words[min(1, len(words) - 1)][1],
                   f"found {json.dumps(got, ensure_ascii=False)} after the id; allowed: an actor "
                   f"type ({', '.join(spec.labels['actor_type'].names)}), an event type "
                   f"({', '.join(spec.labels['event_type'].names)}), an attribution type "
                   f"({', '.join(spec.labels['attribution_type'].names)}) or a stance "
                   f"({', '.join(spec.labels['stance'].names)})")
            return
        item_id, (label, _) = words[0][0], words[1]
        layer = layer_of[label]
        index = len(items[layer])
        path = f"$.{layer}[{index}]"
        where[path] = offset
        if not NAME_RE.match(item_id):
            st.add(offset, f"found id {json.dumps(item_id, ensure_ascii=False)}; allowed: letters, "
                           "digits and . _ : - starting with a letter or digit")
        rel = _Line(offset, words)
        if layer == "actors":
            m = re.match(r'\s*\S+\s+\S+\s+("(?:[^"\\]|\\.)*")\s*([^\s:]+)?\s*:(.*)\Z', line)
            if not m:
                st.add(words[min(2, len(words) - 1)][1], f"actor {item_id}: found {json.dumps(line[:60], ensure_ascii=False)}; "
                                     'allowed: ID TYPE "name" [QID]: MENTION_ID …')
                return
            name = json.loads(m.group(1))
            mids = [(w.group(), offset + m.start(3) + w.start())
                    for w in re.finditer(r"\S+", m.group(3))]
            for j, (_, off) in enumerate(mids):
                where[f"{path}.mention_ids[{j}]"] = off
            if m.group(2):
                where[f"{path}.wikidata"] = offset + m.start(2)
            items[layer].append(Actor(item_id, name, label, tuple(w for w, _ in mids), m.group(2)))
            return
        if layer == "events":
            if len(words) < 3 or words[2][0] not in modalities:
                got = words[2][0] if len(words) > 2 else "nothing"
                st.add(words[min(2, len(words) - 1)][1],
                       f"event {item_id}: found modality {json.dumps(got, ensure_ascii=False)}; "
                       f"allowed: {', '.join(modalities)}")
                return
            pairs = _keys(st, rel, 3, layer, ("trigger",) + roles, repeatable=roles)
            trig = next(((v, o) for k, v, o in pairs if k == "trigger"), (None, offset))
            spans = _span_field(st, layer, item_id, "trigger", trig[0], trig[1], used)
            args = [(k, v, o) for k, v, o in pairs if k != "trigger"]
            for j, (_, _, off) in enumerate(args):
                where[f"{path}.arguments[{j}]"] = off
            if spans:
                where[f"{path}.trigger"] = st.named[trig[0] or item_id][0][1]
                items[layer].append(Event(item_id, label, cut(spans[0]), words[2][0],
                                          tuple(Argument(k, v) for k, v, _ in args)))
            return
        fields = tuple(SPAN_DEFAULTS[layer]) + REF_KEYS[layer]
        pairs = {k: (v, o) for k, v, o in _keys(st, rel, 2, layer, fields)}
        ref_key = REF_KEYS[layer][0]
        if ref_key not in pairs:
            hint = (f"source=MENTION_ID, or source={NO_SOURCE} when the text names nobody"
                    if layer == "attributions" else "holder=MENTION_ID")
            st.add(offset, f"{LAYER_NOUN[layer]} {item_id}: missing {ref_key}=; allowed: {hint}")
            return
        got: dict[str, tuple[Span, ...]] = {}
        for fname in SPAN_DEFAULTS[layer]:
            value, off = pairs.get(fname, (None, offset))
            got[fname] = _span_field(st, layer, item_id, fname, value, off, used)
            if got[fname]:
                name = value or SPAN_DEFAULTS[layer][fname].format(id=item_id)
                marks = sorted(st.named[name], key=lambda sw: (sw[0].start, sw[0].end))
                if fname == "content":
                    for j, (_, w) in enumerate(marks):
                        where[f"{path}.content[{j}]"] = w
                else:
                    where[f"{path}.{fname}"] = marks[0][1]
        for key in REF_KEYS[layer]:
            if key in pairs:
                where[f"{path}.{key}_id"] = pairs[key][1]
        if not all(got.values()):
            return
        if layer == "attributions":
            source = pairs["source"][0]
            parent = pairs.get("parent", (None, 0))[0]
            items[layer].append(Attribution(item_id, label, None if source == NO_SOURCE else source,
                                            cut(got["cue"][0]), tuple(map(cut, got["content"])),
                                            parent))
        else:
            items[layer].append(Position(item_id, pairs["holder"][0], label, cut(got["target"][0]),
                                         cut(got["evidence"][0]),
                                         pairs.get("attribution", (None, 0))[0]))

    for offset, raw in lines:
        before = len(st.issues)
        read_line(offset, raw)
        if len(st.issues) > before:
            # A rejected line must not make its spans look unused as well.
            words = raw.split()
            used.update(fmt.format(id=words[0]) for fields in SPAN_DEFAULTS.values()
                        for fmt in fields.values())
            used.update(w.partition("=")[2] for w in words[2:] if "=" in w)
    for name, found in st.named.items():
        if name not in used:
            for _, off in found:
                st.add(off, f"span name {name} is used by no relation line; allowed: names that a "
                            "relation refers to (by default the event id for a trigger, ID.cue, "
                            "ID.content, ID.target, ID.evidence, or KEY=NAME on the line)")
    return items, order, where


def _where_for(where: dict[str, int], path: str) -> int | None:
    """The file offset recorded for a JSON path or its nearest recorded ancestor."""
    while path:
        if path in where:
            return where[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def parse(source: str, path: str = "<markup>", spec: Spec | None = None) -> Document:
    """Build the canonical document from markup text; raise MarkupError with every issue."""
    return _parse(source, path, spec)[0]


def parse_and_lint(source: str, path: str = "<markup>", spec: Spec | None = None
                   ) -> tuple[Document, list[Issue]]:
    """Build the document (as ``parse``) and also return style warnings from ``lint``, each
    placed at the span it is about."""
    doc, where, st = _parse(source, path, spec)
    warnings = []
    for json_path, message in lint(doc):
        line, col = st.locate(_where_for(where, json_path) or 0)
        warnings.append(Issue(path, line, col, f"warning: {json_path}: {message}"))
    text_line = next((o for o, raw in _lines(source) if raw.removesuffix("\r") == TEXT_LINE), 0)
    if source.startswith(TEXT_LINE + "\r\n", text_line):
        # An editor that saves CRLF turns every line break of the text into CR LF as well.
        line, col = st.locate(text_line)
        warnings.append(Issue(path, line, col, "warning: the file has CRLF line ends, so the text "
                                               "keeps a CR before every line break; save it with "
                                               "LF line ends unless the article really has CRs"))
    return doc, sorted(warnings, key=lambda i: (i.line, i.column))


def _parse(source: str, path: str, spec: Spec | None) -> tuple[Document, dict[str, int], _State]:
    spec = spec or load_spec()
    lines = _lines(source)
    st = _State(path, source, spec, [o for o, _ in lines])
    text_index = _read_header(st, lines)
    if text_index is None:
        _raise_sorted(st.issues)
    rel_index = next((j for j in range(text_index + 1, len(lines))
                      if lines[j][1].removesuffix("\r") == RELATIONS_LINE), None)
    if rel_index is None:
        st.add(len(source), f"found no line {RELATIONS_LINE} after the text; allowed: the text, "
                            f"then a line {RELATIONS_LINE} (the relation block may be empty)")
        _raise_sorted(st.issues)
    begin = lines[text_index + 1][0]
    end = max(begin, lines[rel_index][0] - 1)
    text = _read_text(st, begin, end)
    st.mentions = {mid: (Mention(m.id, m.start, m.end, text[m.start:m.end], m.type), key, w)
                   for mid, (m, key, w) in st.mentions.items()}
    items, order, where = _read_relations(st, lines[rel_index + 1:], text)

    header = {k: v for k, (v, _) in st.header.items()}
    for key in REQUIRED_HEADER:
        if key not in header:
            st.add(0, f"found no '{key}:' header line; allowed: required header keys "
                      f"{', '.join(REQUIRED_HEADER)}")
    if not unicodedata.is_normalized("NFC", text):
        st.add(begin, "found text that is not NFC-normalised; allowed: NFC text (normalise the "
                      "file, e.g. python -c \"import unicodedata,sys; ...\", before marking it)")
    sha = header.get("text_sha256")
    if sha is not None and sha != sha256_text(text):
        hint = " (the file seems to have CRLF line ends)" if text.endswith("\r") else ""
        st.add(st.header["text_sha256"][1],
               f"found text_sha256 {sha}, but the text between {TEXT_LINE} and {RELATIONS_LINE} "
               f"hashes to {sha256_text(text)}{hint}; allowed: markup that strips to exactly the "
               "document's text (delete the text_sha256 line for a new text)")
    mention_list = [m for m, _, _ in sorted(st.mentions.values(), key=lambda x: x[1])]
    if order is not None:
        have = [m.id for m in mention_list]
        if sorted(order) != sorted(have):
            missing = sorted(set(have) - set(order))
            extra = sorted(set(order) - set(have)) + sorted({x for x in order if order.count(x) > 1})
            st.add(where["order"], f"found '{ORDER_PREFIX}' that is not a permutation of the marked "
                                   f"mentions (missing: {', '.join(missing) or 'none'}; unknown or "
                                   f"repeated: {', '.join(extra) or 'none'}); allowed: every "
                                   "mention id exactly once")
        else:
            by_id = {m.id: m for m in mention_list}
            mention_list = [by_id[x] for x in order]
    if st.issues:
        _raise_sorted(st.issues)
    for i, m in enumerate(mention_list):
        where[f"$.mentions[{i}]"] = st.mentions[m.id][2]
    for key, (_, off) in st.header.items():
        where[f"$.{key}"] = off
    where["$.text"] = begin
    doc = Document(id=header.get("id") or document_id_for(text), title=header.get("title"),
                   date=header["date"], source=header["source"], url=header.get("url"),
                   language=header.get("language") or "en", license=header["license"],
                   provenance=header["provenance"], text=text, text_sha256=sha256_text(text),
                   mentions=tuple(mention_list), actors=tuple(items["actors"]),
                   events=tuple(items["events"]), attributions=tuple(items["attributions"]),
                   positions=tuple(items["positions"]))
    for problem in validate_document(doc.to_dict(), path, spec):
        off = _where_for(where, problem.path)
        st.add(0 if off is None else off, f"{problem.path}: {problem.message}")
    if st.issues:
        _raise_sorted(st.issues)
    return doc, where, st


def _raise_sorted(issues: list[Issue]) -> None:
    raise MarkupError(sorted(issues, key=lambda i: (i.line, i.column)))


# --- lint: the span conventions of annotation/GUIDELINES.md, section 0 ---------------------------

_QUOTES = {"“": "”", '"': '"', "‘": "’"}


def _span_warnings(span: Span, kind: str) -> list[str]:
    # White space at a span's edge is refused by the validator, not linted.
    text, out = span.text, []
    core = text.strip()
    if kind in ("mention", "trigger", "cue", "evidence", "target") and re.search(r"[’']s\Z", core):
        out.append(f"{kind} {json.dumps(text, ensure_ascii=False)} ends with a possessive clitic; "
                   "it stays outside the span")
    last = core.split()[-1] if core.split() else ""
    if core[-1:] in ",;:!?" or (core.endswith(".") and "." not in last[:-1]):
        out.append(f"{kind} {json.dumps(text, ensure_ascii=False)} ends with punctuation; "
                   "sentence-final punctuation stays outside the span")
    if len(core) > 1 and core[0] in _QUOTES and core.endswith(_QUOTES[core[0]]):
        out.append(f"{kind} {json.dumps(text, ensure_ascii=False)} is enclosed in quotation marks; "
                   "the marks stay outside the span")
    if kind == "content" and re.match(r"that\s", core):
        out.append(f"content {json.dumps(text[:30], ensure_ascii=False)}… starts with 'that'; the "
                   "complementiser stays outside the content")
    return out


def lint(doc: Document) -> list[tuple[str, str]]:
    """Style warnings (JSON path, message) for what breaks the guidelines but not the schema:
    span extents (white space at the edges, a possessive clitic, final punctuation, enclosing
    quotation marks, content starting with "that"), a place or time that fills no event
    argument, a mention nested in a mention of the same actor, and a holder that should be the
    attribution's source. They are for review."""
    found: list[tuple[str, str]] = []
    for i, m in enumerate(doc.mentions):
        found += [(f"$.mentions[{i}]", w) for w in _span_warnings(m.span, "mention")]
    for i, e in enumerate(doc.events):
        found += [(f"$.events[{i}].trigger", w) for w in _span_warnings(e.trigger, "trigger")]
    for i, t in enumerate(doc.attributions):
        found += [(f"$.attributions[{i}].cue", w) for w in _span_warnings(t.cue, "cue")]
        for j, c in enumerate(t.content):
            found += [(f"$.attributions[{i}].content[{j}]", w) for w in _span_warnings(c, "content")]
    for i, p in enumerate(doc.positions):
        found += [(f"$.positions[{i}].target", w) for w in _span_warnings(p.target, "target")]
        found += [(f"$.positions[{i}].evidence", w) for w in _span_warnings(p.evidence, "evidence")]
    used = {a.mention_id for e in doc.events for a in e.arguments}
    arguments_only = ("LOCATION", "TIME")
    found += [(f"$.mentions[{i}]", f"{m.type} mention {m.id} {json.dumps(m.text, ensure_ascii=False)} "
                                   "fills no event argument; places and times are marked only as "
                                   "arguments")
              for i, m in enumerate(doc.mentions) if m.type in arguments_only and m.id not in used]
    return found + _coreference_warnings(doc)


def _coreference_warnings(doc: Document) -> list[tuple[str, str]]:
    """Two decisions of the guidelines that need the actor layer: no mention nested in a longer
    mention of the same actor, and a holder that the content refers to by a pronoun of the
    attribution's own source is that source."""
    owner = doc.actor_of_mention()
    index = {m.id: i for i, m in enumerate(doc.mentions)}
    found = []
    for outer in doc.mentions:
        for inner in doc.mentions:
            if (inner.id != outer.id and outer.start <= inner.start and inner.end <= outer.end
                    and (inner.start, inner.end) != (outer.start, outer.end)
                    and owner.get(inner.id) is not None and owner.get(inner.id) == owner.get(outer.id)):
                found.append((f"$.mentions[{index[inner.id]}]",
                              f"mention {inner.id} {json.dumps(inner.text, ensure_ascii=False)} is "
                              f"nested in {outer.id} {json.dumps(outer.text, ensure_ascii=False)} of "
                              f"the same actor {owner[inner.id]}; mark it only once"))
    by_id = {t.id: t for t in doc.attributions}
    mentions = doc.mention_map()
    for i, p in enumerate(doc.positions):
        t = by_id.get(p.attribution_id or "")
        holder = mentions.get(p.holder_id)
        if t is None or t.source_id is None or holder is None or holder.id == t.source_id:
            continue
        inside = any(c.start <= holder.start and holder.end <= c.end for c in t.content)
        if inside and owner.get(holder.id) is not None and owner.get(holder.id) == owner.get(t.source_id):
            found.append((f"$.positions[{i}].holder_id",
                          f"holder {holder.id} {json.dumps(holder.text, ensure_ascii=False)} is in "
                          f"the content of {t.id} and is the same actor as its source "
                          f"{t.source_id}; the holder is then the source mention"))
    return found
