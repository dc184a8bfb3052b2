"""The Label Studio labeling config, generated from the schema (never written by hand).

How the four layers map onto Label Studio (the same mapping is described for annotators in
GUIDELINES.md, section "Label Studio mapping"):

- a **mention** is a region of the ``mention`` labels (its ``mention_type``); its actor is the
  per-region text ``actor`` (the canonical name; mentions with the same name are one actor, an
  optional `` [id]`` suffix keeps the actor's id) and the per-region text ``wikidata``;
- an **event** is a trigger region of the ``event`` labels (its PLOVER type) with the per-region
  choice ``modality``; each argument is a relation trigger → mention labelled with its role;
- an **attribution** is a cue region of the ``attribution`` labels (direct/indirect/mixed) with
  relations cue → source mention, cue → each ``content`` region, and cue → the enclosing cue
  (``parent``) for nested chains;
- a **position** is an evidence region of the ``position`` labels (its stance) with relations
  evidence → holder mention, evidence → ``target`` region and, optionally, evidence → the cue of
  the attribution that expresses it.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from communique.schemas.spec import Spec, load_spec

TEXT = "text"
# Region tags (``Labels``) and the label set each takes its values from; ``None`` means the tag
# has one fixed value, its own name.
MENTION, EVENT, ATTRIBUTION, CONTENT, POSITION, TARGET = (
    "mention", "event", "attribution", "content", "position", "target")
REGION_TAGS: dict[str, str | None] = {
    MENTION: "mention_type", EVENT: "event_type", ATTRIBUTION: "attribution_type",
    CONTENT: None, POSITION: "stance", TARGET: None,
}
# Per-region controls: the choice of an event's modality, the actor name and QID of a mention.
MODALITY, ACTOR, WIKIDATA = "modality", "actor", "wikidata"
# Relation labels beyond the argument roles; each is named after the record field it fills.
SOURCE, PARENT, HOLDER, ATTRIBUTION_LINK = "source", "parent", "holder", "attribution"
STRUCTURAL_RELATIONS = (SOURCE, CONTENT, PARENT, HOLDER, TARGET, ATTRIBUTION_LINK)
# Keys Label Studio's text editor already uses on its own ("u" unselects a region).
RESERVED_KEYS = frozenset("u")
CONFIG_FILE = "annotation/labeling_config.xml"


@dataclass(frozen=True, slots=True)
class LabelStyle:
    """How one label looks in the editor: background colour (hex), hotkey, hover hint."""

    value: str
    background: str
    hotkey: str | None
    hint: str


def relation_labels(spec: Spec | None = None) -> tuple[str, ...]:
    """Every relation label: the argument roles, then the structural links."""
    spec = spec or load_spec()
    roles = spec.label("argument_role").names
    clash = set(roles) & set(STRUCTURAL_RELATIONS)
    if clash:
        raise ValueError(f"argument roles {sorted(clash)} clash with structural relation labels")
    return roles + STRUCTURAL_RELATIONS


def tag_values(spec: Spec | None = None) -> dict[str, tuple[str, ...]]:
    """The labels each region tag offers."""
    spec = spec or load_spec()
    return {tag: spec.label(ls).names if ls else (tag,) for tag, ls in REGION_TAGS.items()}


def _palette(n: int, hue_from: float, hue_to: float, light: float = 0.62,
             sat: float = 0.62) -> list[str]:
    """``n`` distinct colours (hex) spread over a hue range given in degrees."""
    out = []
    for i in range(n):
        hue = hue_from + (hue_to - hue_from) * (i / max(n - 1, 1))
        lit = light + (0.1 if i % 2 else 0.0)
        r, g, b = colorsys.hls_to_rgb((hue % 360) / 360, lit, sat)
        out.append("#%02x%02x%02x" % (round(r * 255), round(g * 255), round(b * 255)))
    return out


def _hotkeys(spec: Spec) -> dict[tuple[str, str], str]:
    """Digits for mention types (the most frequent action); for the other tags the first free
    letter of the label, events first so that their keys stay mnemonic."""
    keys: dict[tuple[str, str], str] = {}
    values = tag_values(spec)
    for i, value in enumerate(values[MENTION][:10]):
        keys[(MENTION, value)] = str((i + 1) % 10)
    used = set(RESERVED_KEYS)
    for tag in (EVENT, ATTRIBUTION, POSITION, CONTENT, TARGET):
        for value in values[tag]:
            letter = next((c for c in value.lower() if c.isascii() and c.isalpha()
                           and c not in used), None)
            letter = letter or next((c for c in "abcdefghijklmnopqrstuvwxyz" if c not in used), None)
            if letter:
                used.add(letter)
                keys[(tag, value)] = letter
    return keys


def label_styles(spec: Spec | None = None) -> dict[str, list[LabelStyle]]:
    """The look of every label of every region tag."""
    spec = spec or load_spec()
    values = tag_values(spec)
    keys = _hotkeys(spec)
    actor_types = set(spec.actor_types)
    mention_values = values[MENTION]
    actors = [v for v in mention_values if v in actor_types]
    others = [v for v in mention_values if v not in actor_types]
    colour = dict(zip(actors, _palette(len(actors), 200, 290), strict=True))
    colour |= dict(zip(others, _palette(len(others), 80, 130, light=0.55, sat=0.3), strict=True))
    palettes = {
        MENTION: [colour[v] for v in mention_values],
        EVENT: _palette(len(values[EVENT]), 0, 45),
        ATTRIBUTION: _palette(len(values[ATTRIBUTION]), 300, 330),
        CONTENT: ["#e8c8f0"],
        POSITION: _palette(len(values[POSITION]), 150, 180, light=0.5),
        TARGET: ["#b8e6dc"],
    }
    hints = {
        CONTENT: "Attributed material; link the cue to it (cue → content).",
        TARGET: "What a stance is about; link the evidence to it (evidence → target).",
    }
    out: dict[str, list[LabelStyle]] = {}
    for tag, label_set in REGION_TAGS.items():
        defs = spec.label(label_set).definitions if label_set else {}
        out[tag] = [LabelStyle(v, bg, keys.get((tag, v)), defs.get(v) or hints[tag])
                    for v, bg in zip(values[tag], palettes[tag], strict=True)]
    return out


def _attrs(**attrs: object) -> str:
    return " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items() if v is not None)


def labeling_config(spec: Spec | None = None) -> str:
    """The full labeling config XML for the schema (deterministic; ends with a newline)."""
    spec = spec or load_spec()
    styles = label_styles(spec)
    titles = {
        MENTION: "Mentions (actors, places, times)",
        EVENT: "Event triggers (PLOVER)",
        ATTRIBUTION: "Attribution cues",
        CONTENT: "Attributed content",
        POSITION: "Position evidence (stance)",
        TARGET: "Position targets",
    }
    modality = spec.label("modality")
    roles = spec.label("argument_role").definitions
    # Two columns: the article on the left; on the right, kept in view while scrolling, the
    # controls of the selected region and the label palette.
    lines = [
        f"<!-- Generated from schemas/communique.yaml (schema {spec.schema_version}) by "
        "`communique ls config`; do not edit. -->",
        '<View style="display: flex; gap: 16px; align-items: flex-start">',
        '  <View style="flex: 1 1 auto; min-width: 0">',
        '    <Header value="$header" size="5"/>',
        f"    <Text {_attrs(name=TEXT, value='$text', granularity='symbol')}/>",
        "  </View>",
        '  <View style="flex: 0 0 340px; position: sticky; top: 0; max-height: 100vh; '
        'overflow-y: auto">',
    ]
    # Not `required`: Label Studio 1.23 then demands a modality on every region, whatever
    # whenTagName says; `ls pull` reports an event without one instead.
    lines.append(f"    <View {_attrs(visibleWhen='region-selected', whenTagName=EVENT)}>")
    lines.append('      <Header value="Modality of the selected event" size="6"/>')
    lines.append(f"      <Choices {_attrs(name=MODALITY, toName=TEXT, perRegion='true', whenTagName=EVENT, choice='single-radio', showInline='true')}>")
    for value, definition in modality.definitions.items():
        lines.append(f"        <Choice {_attrs(value=value, hint=definition)}/>")
    lines.append("      </Choices>")
    lines.append("    </View>")
    lines.append(f"    <View {_attrs(visibleWhen='region-selected', whenTagName=MENTION)}>")
    lines.append('      <Header value="Actor of the selected mention (same name = same actor)" size="6"/>')
    lines.append(f"      <TextArea {_attrs(name=ACTOR, toName=TEXT, perRegion='true', whenTagName=MENTION, maxSubmissions='1', editable='true', rows='1', placeholder='canonical name, e.g. United States')}/>")
    lines.append('      <Header value="Wikidata QID of that actor, if certain" size="6"/>')
    lines.append(f"      <TextArea {_attrs(name=WIKIDATA, toName=TEXT, perRegion='true', whenTagName=MENTION, maxSubmissions='1', editable='true', rows='1', placeholder='e.g. Q30')}/>")
    lines.append("    </View>")
    for tag, tag_styles in styles.items():
        lines.append(f"    <Header value={quoteattr(titles[tag])} size=\"6\"/>")
        lines.append(f"    <Labels {_attrs(name=tag, toName=TEXT, choice='single', showInline='true')}>")
        for s in tag_styles:
            lines.append(f"      <Label {_attrs(value=s.value, background=s.background, hotkey=s.hotkey, hint=s.hint)}/>")
        lines.append("    </Labels>")
    lines.append("  </View>")
    lines.append("  <Relations>")
    for label in relation_labels(spec):
        lines.append(f"    <Relation {_attrs(value=label, hint=roles.get(label))}/>")
    lines.append("  </Relations>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"
