"""The baseline's lexicons: data files in ``baseline/lexicons/`` read once into typed objects.

Every label a lexicon names (mention types, event types, modalities, stances) is checked against
``schemas/communique.yaml``; the code never spells a label list of its own. A lexicon that names
a label the schema lacks, or that leaves a schema event type without triggers, is refused with a
message naming the file, the entry and the allowed labels.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from communique.schemas.spec import Spec, load_spec

LEXICON_FILES = ("gazetteer.yaml", "mentions.yaml", "cues.yaml", "triggers.tsv")


class LexiconError(ValueError):
    """A lexicon file that is malformed or disagrees with the schema."""


@dataclass(frozen=True, slots=True)
class Entity:
    """A gazetteer entry: canonical name, actor type, optional Wikidata QID."""

    name: str
    type: str
    wikidata: str | None


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """All lexicons, as plain lookups. Phrases are stored in the case they are matched in.

    Compared and hashed by identity, so rules can cache what they compile from one lexicon."""

    # alias (case as written) → entity; capitals (metonyms) → the state entity
    names: Mapping[str, Entity]
    capitals: Mapping[str, Entity]
    demonyms: Mapping[str, Entity]
    places: tuple[str, ...]
    titles: tuple[str, ...]
    title_modifiers: tuple[str, ...]
    group_nouns: tuple[str, ...]
    group_modifiers: tuple[str, ...]
    organization_heads: tuple[str, ...]
    organization_descriptions: tuple[str, ...]
    state_descriptions: tuple[str, ...]
    bare_organizations: tuple[str, ...]
    bare_organization_modifiers: tuple[str, ...]
    state_description_modifiers: tuple[str, ...]
    # pronoun → (default type, antecedent types, words that must follow it or ())
    pronouns: Mapping[str, tuple[str, tuple[str, ...], tuple[str, ...]]]
    quoted_singular: tuple[str, ...]
    joint_determiners: tuple[str, ...]
    joint_nouns: tuple[str, ...]
    quoted_plural: tuple[str, ...]
    bare_groups: tuple[str, ...]
    bare_group_next: frozenset[str]
    coordination_next: frozenset[str]
    not_names: frozenset[str]
    abbreviations: frozenset[str]
    place_prepositions: frozenset[str]
    place_heads: frozenset[str]
    place_nouns: frozenset[str]
    function_words: frozenset[str]
    location_nouns: tuple[str, ...]
    name_connectors: frozenset[str]
    weekdays: tuple[str, ...]
    months: tuple[str, ...]
    time_phrases: tuple[str, ...]
    reporting_verbs: tuple[str, ...]
    source_after: tuple[str, ...]
    nesting: tuple[tuple[str, str], ...]
    complementisers: tuple[str, ...]
    audiences: tuple[str, ...]
    manner: tuple[str, ...]
    passive: tuple[str, ...]
    # verb cue → particles after which it reports nothing
    phrasal: Mapping[str, tuple[str, ...]]
    # modality label → (cues in the clause before, cues just before, cues just after the
    # trigger), in the order the labels are tried
    modality: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]
    # the labels a time argument earlier / later than the document date gives
    past_modality: str
    future_modality: str
    symmetric_events: frozenset[str]
    cancellers: tuple[str, ...]
    nominal_markers: frozenset[str]
    refusal_type: str
    refusal_words: tuple[str, ...]
    control_verbs: tuple[str, ...]
    recipient_prepositions: frozenset[str]
    # stance label → cue phrases
    stance: Mapping[str, tuple[str, ...]]
    # trigger phrase (lower case) → event type
    triggers: Mapping[str, str]
    # label names the extractor needs, read from the schema
    state_type: str
    organization_type: str
    person_type: str
    group_type: str
    location_type: str
    time_type: str
    default_modality: str
    direct_type: str
    actor_role: str
    recipient_role: str
    location_role: str
    time_role: str
    # stance label → the label a negation before its cue turns it into
    negation_flips: Mapping[str, str]
    indirect_type: str
    mixed_type: str


class _Loader(yaml.SafeLoader):
    """YAML without the 1.1 booleans: in a word list, `no`, `on` and `yes` are words."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"),
                              list("tf"))


def _read(name: str) -> str:
    """The text of a shipped lexicon file."""
    return resources.files(__package__).joinpath("lexicons", name).read_text(encoding="utf-8")


def _yaml(name: str) -> Any:
    """A shipped YAML lexicon, parsed without YAML 1.1 booleans."""
    try:
        return yaml.load(_read(name), Loader=_Loader)
    except yaml.YAMLError as e:
        raise LexiconError(f"lexicons/{name}: invalid YAML: {e}") from None


def _check(file: str, where: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed`` (schema labels), else a LexiconError."""
    if value not in allowed:
        raise LexiconError(f"lexicons/{file}: {where}: found {value!r}; allowed: "
                           f"{', '.join(allowed)} (labels of schemas/communique.yaml)")
    return value


def _strings(file: str, where: str, value: Any) -> tuple[str, ...]:
    """``value`` as a tuple of non-empty strings, else a LexiconError."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LexiconError(f"lexicons/{file}: {where}: found {value!r}; allowed: a list of "
                           "non-empty strings")
    return tuple(value)


def parse_triggers(text: str, event_types: tuple[str, ...], file: str = "triggers.tsv"
                   ) -> dict[str, str]:
    """Read the trigger table (``trigger<TAB>event_type`` after a header line)."""
    out: dict[str, str] = {}
    header_seen = False
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if not header_seen:
            if cells != ["trigger", "event_type"]:
                raise LexiconError(f"lexicons/{file}:{lineno}: found header {cells!r}; allowed: "
                                   "['trigger', 'event_type']")
            header_seen = True
            continue
        if len(cells) != 2 or not cells[0].strip():
            raise LexiconError(f"lexicons/{file}:{lineno}: found {line!r}; allowed: a trigger, "
                               "one TAB, an event type")
        trigger, etype = cells[0].strip(), cells[1].strip()
        if trigger != trigger.lower():
            raise LexiconError(f"lexicons/{file}:{lineno}: found {trigger!r}; allowed: lower case")
        _check(file, f"line {lineno}", etype, event_types)
        if trigger in out:
            raise LexiconError(f"lexicons/{file}:{lineno}: found {trigger!r} again (first as "
                               f"{out[trigger]}); allowed: each trigger once")
        out[trigger] = etype
    missing = [t for t in event_types if t not in out.values()]
    if missing:
        raise LexiconError(f"lexicons/{file}: found no trigger for {', '.join(missing)}; allowed: "
                           "every event_type of the schema has at least one trigger")
    return out


KNOWN_KEYS = {
    "gazetteer.yaml": ("states", "organizations", "places"),
    "mentions.yaml": ("titles", "title_modifiers", "group_nouns", "group_modifiers",
                      "organization_heads", "organization_descriptions", "state_descriptions",
                      "state_description_modifiers", "bare_organizations",
                      "bare_organization_modifiers",
                      "pronouns", "bare_groups", "bare_group_next", "coordination_next",
                      "not_names", "time", "abbreviations", "place_heads", "place_nouns",
                      "location_nouns", "place_prepositions", "name_connectors", "function_words",
                      "quoted_pronouns", "joint_groups"),
    "cues.yaml": ("reporting", "modality", "stance", "negation_flips", "symmetric_events",
                  "nominal_markers", "control_verbs", "recipient_prepositions", "cancellers",
                  "refusals"),
}


def _check_keys(file: str, raw: Any) -> None:
    """Refuse a lexicon file that is no mapping or has a key the loader does not know."""
    if not isinstance(raw, dict):
        raise LexiconError(f"lexicons/{file}: found {type(raw).__name__}; allowed: a mapping")
    unknown = [k for k in raw if k not in KNOWN_KEYS[file]]
    if unknown:
        raise LexiconError(f"lexicons/{file}: found key {unknown[0]!r}; allowed: "
                           f"{', '.join(KNOWN_KEYS[file])}")


def build_lexicon(spec: Spec, gazetteer: Any, mentions: Any, cues: Any, triggers_text: str
                  ) -> Lexicon:
    """Check the parsed lexicon files against ``spec`` and assemble a Lexicon."""
    for file, raw in (("gazetteer.yaml", gazetteer), ("mentions.yaml", mentions),
                      ("cues.yaml", cues)):
        _check_keys(file, raw)
    mtypes = spec.label("mention_type").names
    atypes = spec.label("actor_type").names
    modalities = spec.label("modality").names
    stances = spec.label("stance").names
    # The label names the rules need: each must exist in the schema (so a renamed label fails
    # loudly here rather than silently producing nothing).
    state_t, org_t, person_t, group_t = (_check("gazetteer.yaml", "schema label", n, atypes)
                                         for n in ("STATE", "ORGANIZATION", "PERSON", "GROUP"))
    loc_t, time_t = (_check("mentions.yaml", "schema label", n, mtypes)
                     for n in ("LOCATION", "TIME"))
    default_modality = _check("cues.yaml", "schema label", "asserted", modalities)
    direct_t, indirect_t, mixed_t = (
        _check("cues.yaml", "schema label", n, spec.label("attribution_type").names)
        for n in ("direct", "indirect", "mixed"))
    roles = spec.label("argument_role").names
    actor_r, recipient_r, location_r, time_r = (_check("cues.yaml", "schema label", n, roles)
                                                for n in ("actor", "recipient", "location", "time"))

    names: dict[str, Entity] = {}
    capitals: dict[str, Entity] = {}
    demonyms: dict[str, Entity] = {}
    for i, raw in enumerate(gazetteer.get("states", [])):
        ent = Entity(raw["name"], state_t, raw.get("wikidata"))
        for alias in _strings("gazetteer.yaml", f"states[{i}].aliases", raw.get("aliases", [])):
            names.setdefault(alias, ent)
        for cap in raw.get("capitals", []) or []:
            capitals.setdefault(cap, ent)
        for dem in raw.get("demonyms", []) or []:
            demonyms.setdefault(dem, ent)
    for i, raw in enumerate(gazetteer.get("organizations", [])):
        ent = Entity(raw["name"], org_t, raw.get("wikidata"))
        for alias in _strings("gazetteer.yaml", f"organizations[{i}].aliases", raw.get("aliases", [])):
            names.setdefault(alias, ent)

    pronouns = {}
    for p, body in (mentions.get("pronouns") or {}).items():
        ptype = _check("mentions.yaml", f"pronouns.{p}.type", body.get("type"), atypes)
        antecedents = tuple(_check("mentions.yaml", f"pronouns.{p}.antecedents", t, atypes)
                            for t in body.get("antecedents", [ptype]))
        nxt = _strings("mentions.yaml", f"pronouns.{p}.next_words", body.get("next_words", []))
        pronouns[p] = (ptype, antecedents, nxt)
    time = mentions["time"]

    rep = cues["reporting"]
    nesting = []
    for phrase in _strings("cues.yaml", "reporting.nesting", rep.get("nesting", [])):
        if phrase.count("…") != 1:
            raise LexiconError(f"lexicons/cues.yaml: reporting.nesting: found {phrase!r}; "
                               "allowed: a phrase with one '…' where the inner source stands")
        before, after = (s.strip() for s in phrase.split("…"))
        nesting.append((before, after))

    modality: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}
    for label, body in cues["modality"].items():
        _check("cues.yaml", "modality", label, modalities)
        modality[label] = tuple(_strings("cues.yaml", f"modality.{label}.{where}",
                                         body.get(where, []))
                                for where in ("before", "adjacent", "after"))
    past_modality, future_modality = (_check("cues.yaml", "schema label", n, modalities)
                                      for n in ("historical", "future"))
    stance = {_check("cues.yaml", "stance", label, stances):
              _strings("cues.yaml", f"stance.{label}", phrases)
              for label, phrases in cues["stance"].items()}
    flips = {_check("cues.yaml", "negation_flips", k, stances):
             _check("cues.yaml", "negation_flips", v, stances)
             for k, v in (cues.get("negation_flips") or {}).items()}

    return Lexicon(
        names=MappingProxyType(names), capitals=MappingProxyType(capitals),
        demonyms=MappingProxyType(demonyms),
        places=_strings("gazetteer.yaml", "places", gazetteer.get("places", [])),
        titles=_strings("mentions.yaml", "titles", mentions["titles"]),
        title_modifiers=_strings("mentions.yaml", "title_modifiers", mentions["title_modifiers"]),
        group_nouns=_strings("mentions.yaml", "group_nouns", mentions["group_nouns"]),
        group_modifiers=_strings("mentions.yaml", "group_modifiers", mentions["group_modifiers"]),
        organization_heads=_strings("mentions.yaml", "organization_heads",
                                    mentions["organization_heads"]),
        organization_descriptions=_strings("mentions.yaml", "organization_descriptions",
                                           mentions["organization_descriptions"]),
        state_descriptions=_strings("mentions.yaml", "state_descriptions",
                                    mentions["state_descriptions"]),
        bare_organizations=_strings("mentions.yaml", "bare_organizations",
                                    mentions["bare_organizations"]),
        bare_organization_modifiers=_strings("mentions.yaml", "bare_organization_modifiers",
                                             mentions["bare_organization_modifiers"]),
        state_description_modifiers=_strings("mentions.yaml", "state_description_modifiers",
                                             mentions["state_description_modifiers"]),
        pronouns=MappingProxyType(pronouns),
        joint_determiners=_strings("mentions.yaml", "joint_groups.determiners",
                                   mentions["joint_groups"]["determiners"]),
        joint_nouns=_strings("mentions.yaml", "joint_groups.nouns", mentions["joint_groups"]["nouns"]),
        quoted_singular=_strings("mentions.yaml", "quoted_pronouns.singular",
                                 mentions["quoted_pronouns"]["singular"]),
        quoted_plural=_strings("mentions.yaml", "quoted_pronouns.plural",
                               mentions["quoted_pronouns"]["plural"]),
        bare_groups=_strings("mentions.yaml", "bare_groups", mentions["bare_groups"]),
        bare_group_next=frozenset(_strings("mentions.yaml", "bare_group_next",
                                           mentions["bare_group_next"])),
        coordination_next=frozenset(_strings("mentions.yaml", "coordination_next",
                                             mentions["coordination_next"])),
        not_names=frozenset(_strings("mentions.yaml", "not_names", mentions["not_names"])),
        place_heads=frozenset(_strings("mentions.yaml", "place_heads", mentions["place_heads"])),
        place_nouns=frozenset(_strings("mentions.yaml", "place_nouns", mentions["place_nouns"])),
        function_words=frozenset(_strings("mentions.yaml", "function_words",
                                          mentions["function_words"])),
        location_nouns=_strings("mentions.yaml", "location_nouns", mentions["location_nouns"]),
        place_prepositions=frozenset(_strings("mentions.yaml", "place_prepositions",
                                              mentions["place_prepositions"])),
        name_connectors=frozenset(_strings("mentions.yaml", "name_connectors",
                                           mentions["name_connectors"])),
        abbreviations=frozenset(_strings("mentions.yaml", "abbreviations",
                                         mentions["abbreviations"])),
        weekdays=_strings("mentions.yaml", "time.weekdays", time["weekdays"]),
        months=_strings("mentions.yaml", "time.months", time["months"]),
        time_phrases=_strings("mentions.yaml", "time.phrases", time["phrases"]),
        reporting_verbs=_strings("cues.yaml", "reporting.verbs", rep["verbs"]),
        source_after=_strings("cues.yaml", "reporting.source_after", rep["source_after"]),
        nesting=tuple(nesting),
        complementisers=_strings("cues.yaml", "reporting.complementisers", rep["complementisers"]),
        audiences=_strings("cues.yaml", "reporting.audiences", rep["audiences"]),
        manner=_strings("cues.yaml", "reporting.manner", rep["manner"]),
        passive=_strings("cues.yaml", "reporting.passive", rep["passive"]),
        phrasal=MappingProxyType({v: _strings("cues.yaml", f"reporting.phrasal.{v}", ps)
                                  for v, ps in (rep.get("phrasal") or {}).items()}),
        modality=MappingProxyType(modality),
        symmetric_events=frozenset(_check("cues.yaml", "symmetric_events", t,
                                          spec.label("event_type").names)
                                   for t in _strings("cues.yaml", "symmetric_events",
                                                     cues["symmetric_events"])),
        cancellers=_strings("cues.yaml", "cancellers", cues["cancellers"]),
        control_verbs=_strings("cues.yaml", "control_verbs", cues["control_verbs"]),
        refusal_type=_check("cues.yaml", "refusals.type", cues["refusals"]["type"],
                            spec.label("event_type").names),
        refusal_words=_strings("cues.yaml", "refusals.words", cues["refusals"]["words"]),
        nominal_markers=frozenset(_strings("cues.yaml", "nominal_markers", cues["nominal_markers"])),
        recipient_prepositions=frozenset(_strings("cues.yaml", "recipient_prepositions",
                                                  cues["recipient_prepositions"])),
        past_modality=past_modality, future_modality=future_modality,
        stance=MappingProxyType(stance),
        triggers=MappingProxyType(parse_triggers(triggers_text, spec.label("event_type").names)),
        state_type=state_t, organization_type=org_t, person_type=person_t, group_type=group_t,
        location_type=loc_t, time_type=time_t, default_modality=default_modality,
        direct_type=direct_t, indirect_type=indirect_t, mixed_type=mixed_t,
        actor_role=actor_r, recipient_role=recipient_r, location_role=location_r,
        time_role=time_r, negation_flips=MappingProxyType(flips),
    )


@functools.cache
def load_lexicon() -> Lexicon:
    """The lexicons shipped in ``baseline/lexicons/``, checked against the shipped schema."""
    return build_lexicon(load_spec(), _yaml("gazetteer.yaml"), _yaml("mentions.yaml"),
                         _yaml("cues.yaml"), _read("triggers.tsv"))
