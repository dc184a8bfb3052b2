"""The baseline's rules, one component at a time, on hand-written sentences with exact spans."""

from __future__ import annotations

import pytest

from communique.baseline.actors import cluster_mentions
from communique.baseline.attributions import find_attributions
from communique.baseline.events import find_events
from communique.baseline.lexicon import load_lexicon
from communique.baseline.mentions import find_mentions
from communique.baseline.positions import find_positions
from communique.baseline.predict import predict_text
from communique.baseline.text import find_phrases, quotations, sentences

LEX = load_lexicon()


def spans(text, found):
    return [(text[f.start:f.end], f.type) for f in found]


def analyse(text):
    found = find_mentions(text, LEX)
    found, clusters = cluster_mentions(text, found, LEX)
    attrs = find_attributions(text, found, LEX)
    return found, clusters, attrs


@pytest.mark.parametrize("text, expected", [
    ("Talks ended. The U.S. team left.", ["Talks ended.", "The U.S. team left."]),
    ('"We came. We talked," Mr. Vela said. He left.',
     ['"We came. We talked," Mr. Vela said.', "He left."]),
    ("GENEVA, March 3 (Meridian Wire) - Envoys met. Then they left.",
     ["Envoys met.", "Then they left."]),
    ("First line.\n\nSecond line", ["First line.", "Second line"]),
])
def test_sentences(text, expected):
    assert [text[b.start:b.end] for b in sentences(text, LEX.abbreviations)] == expected


def test_quotations_and_phrases():
    text = 'He said “A, B” and "C".'
    assert [text[q.start:q.end] for q in quotations(text)] == ["A, B", "C"]
    other = "The talks, the Talks-like talk"
    assert [other[s:e] for s, e in find_phrases(other, ["talks"])] == ["talks"]


@pytest.mark.parametrize("text, expected", [
    # gazetteer states (with "The"), capitals acting as states, a nested demonym in a group
    ("The United States and Moscow agreed.",
     [("The United States and Moscow", "GROUP"), ("The United States", "STATE"), ("Moscow", "STATE")]),
    ("U.S. diplomats arrived.", [("U.S. diplomats", "GROUP"), ("U.S.", "STATE")]),
    # a capital after a place preposition is a place; times drop their preposition
    ("They met in Moscow on Thursday.", [("They", "GROUP"), ("Moscow", "LOCATION"), ("Thursday", "TIME")]),
    ("The talks in February failed.", [("February", "TIME")]),
    # a title is part of the name mention; nested names inside a description
    ("Foreign Minister Anna Vela spoke.", [("Foreign Minister Anna Vela", "PERSON")]),
    ("Russia's ambassador to the United States spoke.",
     [("Russia's ambassador to the United States", "PERSON"), ("Russia", "STATE"),
      ("the United States", "STATE")]),
    # organisations by head word, IGOs from the gazetteer, a description of an organisation
    ("The Ruritanian Foreign Ministry and NATO spoke, and the ministry agreed.",
     [("The Ruritanian Foreign Ministry", "ORGANIZATION"), ("NATO", "ORGANIZATION"),
      ("the ministry", "ORGANIZATION")]),
    # anonymous sources; pronouns outside quotes only
    ('Officials said "he is wrong" and he left.', [("Officials", "GROUP"), ("he", "PERSON")]),
])
def test_mentions(text, expected):
    assert spans(text, find_mentions(text, LEX)) == expected


@pytest.mark.parametrize("text, group", [
    ("Mexico, Indonesia and Turkey abstained.", "Mexico, Indonesia and Turkey"),
    ("Egypt and Turkey, which back opposing sides, both welcomed the deal.", "Egypt and Turkey"),
])
def test_coordinations_that_act_are_groups(text, group):
    assert (group, "GROUP") in spans(text, find_mentions(text, LEX))


@pytest.mark.parametrize("text, mention", [
    ("The Tromsø daily Finnmark Tidende quoted him.", ("The Tromsø daily Finnmark Tidende", "ORGANIZATION")),
    ("Local police said two men died.", ("Local police", "ORGANIZATION")),
])
def test_described_organisations(text, mention):
    assert mention in spans(text, find_mentions(text, LEX))


def test_regression_general_assembly_is_no_general():
    text = "The U.N. General Assembly adopted a resolution."
    assert spans(text, find_mentions(text, LEX)) == [("The U.N. General Assembly", "ORGANIZATION")]


def test_dateline_is_not_annotated():
    text = "BRUSSELS, Jan. 20 (Meridian Wire) - China protested."
    assert spans(text, find_mentions(text, LEX)) == [("China", "STATE")]


def test_actors_alias_surname_title_pronoun():
    text = ("Foreign Minister Anna Vela met Russia's envoy. Moscow said Vela left. "
            "The foreign minister said she was tired.")
    found, clusters, _ = analyse(text)
    got = sorted((c.name, c.type, tuple(text[found[m].start:found[m].end] for m in c.members),
                  c.wikidata) for c in clusters)
    assert got == [
        ("Foreign Minister Anna Vela", "PERSON",
         ("Foreign Minister Anna Vela", "Vela", "The foreign minister", "she"), None),
        ("Russia", "STATE", ("Russia", "Moscow"), "Q159"),
        ("Russia's envoy", "PERSON", ("Russia's envoy",), None),
    ]


def test_actors_apposition():
    text = "Iran's ambassador to the United Nations, Hamid Rostami, said he was ready."
    found, clusters, _ = analyse(text)
    person = [c for c in clusters if c.type == "PERSON"]
    assert [[text[found[m].start:found[m].end] for m in c.members] for c in person] == [
        ["Iran's ambassador to the United Nations", "Hamid Rostami", "he"]]


def attr_rows(text, found, attrs):
    return [(a.type, text[found[a.source].start:found[a.source].end] if a.source is not None else None,
             text[a.cue[0]:a.cue[1]], [text[s:e] for s, e in a.content], a.parent) for a in attrs]


@pytest.mark.parametrize("text, expected", [
    ("Foreign Minister Anna Vela said that the talks had failed.",
     [("indirect", "Foreign Minister Anna Vela", "said", ["the talks had failed"], None)]),
    ('"We are ready," Vela said, "but not yet."',
     [("direct", "Vela", "said", ["We are ready", "but not yet"], None)]),
    ('"We are ready," said Anna Vela.',
     [("direct", "Anna Vela", "said", ["We are ready"], None)]),
    ("The talks had failed, the ministry said.",
     [("indirect", "the ministry", "said", ["The talks had failed"], None)]),
    ("According to the ministry, the talks had failed.",
     [("indirect", "the ministry", "According to", ["the talks had failed"], None)]),
    ("Nordwave cited Anna Vela as saying that the talks had failed.",
     [("indirect", "Nordwave", "cited", ["the talks had failed"], None),
      ("indirect", "Anna Vela", "as saying", ["the talks had failed"], 0)]),
    ('China said in a statement that it would "never give in" to pressure.',
     [("mixed", "China", "said", ['it would "never give in" to pressure'], None)]),
    # a closing report carries the one it closes (guidelines §4), with the same content
    ("Peru's envoy said that the deal was dead, the news agency Nordwave reported.",
     [("indirect", "Peru's envoy", "said", ["the deal was dead"], 1),
      ("indirect", "the news agency Nordwave", "reported", ["the deal was dead"], None)]),
    # a passive cue: the mediator after "by" carries the sentence's other report
    ("A spokesman, quoted by a state-run newspaper, said the talks had failed.",
     [("indirect", "a state-run newspaper", "quoted", ["the talks had failed"], None),
      ("indirect", "A spokesman", "said", ["the talks had failed"], 0)]),
    # "according to a statement issued by X": X is the source
    ("According to a statement issued by the ministry, the border will stay closed.",
     [("indirect", "the ministry", "According to", ["the border will stay closed"], None)]),
    # no report: a negated or nominal verb, "what it called"
    ("Peru did not say whether the talks had failed.", []),
    ("Chile rejected what it called blackmail by Bolivia.", []),
    ("Russia told reporters that the deal was dead.",
     [("indirect", "Russia", "told", ["the deal was dead"], None)]),
])
def test_attributions(text, expected):
    found, _, attrs = analyse(text)
    assert attr_rows(text, found, attrs) == expected


def test_quote_continues_in_next_sentence():
    text = '"We are ready," Vela said. "We will not wait."'
    found, _, attrs = analyse(text)
    assert attr_rows(text, found, attrs) == [
        ("direct", "Vela", "said", ["We are ready", "We will not wait"], None)]


def event_rows(text, found, events):
    return [(e.type, text[e.trigger[0]:e.trigger[1]], e.modality,
             [(r, text[found[m].start:found[m].end]) for r, m in e.arguments]) for e in events]


@pytest.mark.parametrize("text, expected", [
    # a collective keeps its place complement (guidelines §1: "Officials in Pristina")
    ("Ukrainian negotiators met Turkish officials in Ankara on Monday.",
     [("CONSULT", "met", "asserted", [("actor", "Ukrainian negotiators"),
                                      ("recipient", "Turkish officials in Ankara"), ("time", "Monday")])]),
    ("Ukrainian negotiators met in Ankara on Monday.",
     [("CONSULT", "met", "asserted", [("actor", "Ukrainian negotiators"), ("location", "Ankara"),
                                      ("time", "Monday")])]),
    ("Ethiopia expelled two Eritrean diplomats last year.",
     [("SANCTION", "expelled", "historical", [("actor", "Ethiopia"), ("recipient", "two Eritrean diplomats"),
                                              ("time", "last year")])]),
    ("Japan will impose sanctions.", [("SANCTION", "sanctions", "future", [("actor", "Japan")])]),
    ("Egypt did not attack.", [("ASSAULT", "attack", "negated", [("actor", "Egypt")])]),
    ("Brazil could withdraw.", [("RETREAT", "withdraw", "hypothetical", [("actor", "Brazil")])]),
    # "talks between X and Y"
    ("The talks between Kenya and Uganda ended.",
     [("CONSULT", "talks", "asserted", [("actor", "Kenya"), ("recipient", "Uganda")])]),
    # a place premodifying an event noun is its location (guidelines §3)
    ("Egypt will attend the Kampala round.",
     [("CONSULT", "round", "future", [("actor", "Egypt"), ("location", "Kampala")])]),
    # a refusal is an asserted REJECT (guidelines §3)
    ("Bolivia will never renounce the claim.",
     [("REJECT", "renounce", "asserted", [("actor", "Bolivia")])]),
    # a reporting verb is a cue, never a trigger
    ("Canada said nothing.", []),
])
def test_events(text, expected):
    found, _, attrs = analyse(text)
    events = find_events(text, found, LEX, exclude=tuple(a.cue for a in attrs))
    assert event_rows(text, found, events) == expected


@pytest.mark.parametrize("text, expected", [
    ("The European Union welcomed the decision.",
     [("The European Union", "support", "welcomed", "the decision", False)]),
    ("Hungary did not support the plan, officials said.",
     [("Hungary", "oppose", "support", "the plan", True)]),
    # a reported stance is the source's, not the pronoun's in the reported clause
    ("China said it was concerned about the new tariffs on steel.",
     [("China", "oppose", "concerned about", "the new tariffs on steel", True)]),
    # a coordinated verb or participle shares the clause's subject
    ("Japan praised the deal in a statement and urged restraint.",
     [("Japan", "support", "praised", "the deal in a statement", False),
      ("Japan", "support", "urged", "restraint", False)]),
    # "urged X not to Y" opposes Y (guidelines §5)
    ("Kenya urged both governments not to rush the process.",
     [("Kenya", "oppose", "urged", "rush the process", False)]),
    # without a report the holder is the head of the subject's apposition
    ("The bloc's envoy, Karim Salem, welcomed the vote.",
     [("The bloc's envoy", "support", "welcomed", "the vote", False)]),
    # the object may stand before the holder
    ("The crash followed sabotage, a charge Chile denies.",
     [("Chile", "oppose", "denies", "a charge", False)]),
    ("Peru, which signed the deal, welcomed the vote.",
     [("Peru", "support", "welcomed", "the vote", False)]),
])
def test_positions(text, expected):
    found, _, attrs = analyse(text)
    got = [(text[found[p.holder].start:found[p.holder].end], p.stance,
            text[p.evidence[0]:p.evidence[1]], text[p.target[0]:p.target[1]],
            p.attribution is not None) for p in find_positions(text, found, attrs, LEX)]
    assert got == expected


def test_places_and_times_only_as_event_arguments():
    text = "Nobody spoke in Geneva on Friday. Chile signed the treaty in Lima in March."
    pred = predict_text("d", text).to_dict()
    assert [(m["text"], m["type"]) for m in pred["mentions"]] == [
        ("Chile", "STATE"), ("Lima", "LOCATION"), ("March", "TIME")]


def clusters_of(text):
    found, clusters, _ = analyse(text)
    return sorted(tuple(text[found[m].start:found[m].end] for m in c.members) for c in clusters)


def test_demonyms_and_joint_collectives_cluster():
    text = ("Kenya and Uganda agreed on Monday. Kenyan officials said both sides would meet. "
            "The two countries also signed a pact.")
    assert clusters_of(text) == [
        ("Kenya", "Kenyan"), ("Kenya and Uganda",), ("Kenyan officials",),
        ("Uganda",), ("both sides", "The two countries")]


def test_quoted_first_person_joins_speaker_and_institution():
    from communique.baseline.actors import add_quoted_pronouns
    from communique.baseline.text import quotations

    text = '"We will not wait, and I said so," said Peru\'s Foreign Minister Anna Vela.'
    found, clusters, attrs = analyse(text)
    found, clusters = add_quoted_pronouns(text, found, clusters, attrs, quotations(text), LEX)
    got = sorted((c.type, tuple(text[found[m].start:found[m].end] for m in c.members))
                 for c in clusters)
    assert got == [("PERSON", ("Peru's Foreign Minister Anna Vela", "I")),
                   ("STATE", ("Peru", "We"))]


@pytest.mark.parametrize("text, expected", [
    # a coordinated verb keeps the first verb's subject
    ("Chile summoned a Bolivian diplomat and demanded an explanation.",
     [("PROTEST", "summoned", "asserted", [("actor", "Chile"), ("recipient", "a Bolivian diplomat")]),
      ("REQUEST", "demanded", "asserted", [("actor", "Chile")])]),
    # a purpose clause is the subject's; after a control verb, the object's
    ("Kuwait summoned Iraq's envoy to protest.",
     [("PROTEST", "summoned", "asserted", [("actor", "Kuwait"), ("recipient", "Iraq's envoy")]),
      ("PROTEST", "protest", "hypothetical", [("actor", "Kuwait")])]),
    ("Kenya urged Uganda to withdraw.",
     [("REQUEST", "urged", "asserted", [("actor", "Kenya"), ("recipient", "Uganda")]),
      ("RETREAT", "withdraw", "hypothetical", [("actor", "Uganda")])]),
    # passive: actor after "by", recipient the subject
    ("Ukrainian troops were attacked by Russian forces on Monday.",
     [("ASSAULT", "attacked", "asserted", [("actor", "Russian forces"),
                                          ("recipient", "Ukrainian troops"), ("time", "Monday")])]),
    # a symmetric event between coordinated parties
    ("Kenya and Uganda agreed on a truce.",
     [("AGREE", "agreed", "asserted", [("actor", "Kenya"), ("recipient", "Uganda")]),
      ("AGREE", "truce", "asserted", [("actor", "Kenya"), ("recipient", "Uganda")])]),
    # cancelled by what follows: "asked not to be named" requests nothing
    ("An official, who asked not to be named, left.", []),
])
def test_event_participants(text, expected):
    found, _, attrs = analyse(text)
    events = find_events(text, found, LEX, exclude=tuple(a.cue for a in attrs))
    assert event_rows(text, found, events) == expected


@pytest.mark.parametrize("text, date, modality", [
    ("Peru met Chile in March.", "2025-06-01", "historical"),
    ("Peru will meet Chile in March.", "2025-01-10", "future"),
    ("Peru met Chile in 2019.", "2025-06-01", "historical"),
    ("Peru met Chile on Monday.", "2025-06-01", "asserted"),
])
def test_event_time_dated_against_the_document(text, date, modality):
    found, _, attrs = analyse(text)
    events = find_events(text, found, LEX, date=date)
    assert [e.modality for e in events] == [modality]


@pytest.mark.parametrize("spans, expected", [
    ([(0, 10), (0, 4), (6, 10)], {0}),               # two names nested in a description
    ([(0, 4), (2, 8), (3, 6)], {0, 1}),              # crossing spans both stay; (3, 6) is inside (2, 8)
    ([(0, 4), (0, 4)], {0, 1}),                      # equal spans are not nested in each other
    ([(5, 9), (0, 3)], {0, 1}),
])
def test_top_level(spans, expected):
    from communique.baseline.mentions import Found, top_level

    assert top_level([Found(s, e, "STATE", "name") for s, e in spans]) == expected


def test_apposition_source_is_its_head():
    text = "A spokesman for the ministry, Gao Jian, said the talks had failed."
    found, _, attrs = analyse(text)
    assert attr_rows(text, found, attrs) == [
        ("indirect", "A spokesman for the ministry", "said", ["the talks had failed"], None)]


def test_definite_description_joins_the_last_person_with_that_office():
    text = ("A ministry official, Youssef Benjelloun, spoke first. A diplomat left. "
            "The official said the talks had failed.")
    # the institution inside the description is a mention of its own (guidelines §1)
    assert clusters_of(text) == [("A diplomat",),
                                 ("A ministry official", "Youssef Benjelloun", "The official"),
                                 ("ministry",)]


def test_regression_quotation_of_only_spaces_gives_no_empty_content():
    """Found by the property test: 'said “ ”' produced a content span [7, 7)."""
    text = "said \u201c \u201d"
    found, _, attrs = analyse(text)
    assert all(e > s for a in attrs for s, e in a.content)


def test_unqualified_government_is_the_dateline_state():
    text = "NEW DELHI, March 3 (Meridian Wire) - China protested. The government rejected it."
    assert ("India", ("The government",)) in [
        (c.name, tuple(text[m.start:m.end] for m in (analyse(text)[0][k] for k in c.members)))
        for c in analyse(text)[1]]


def test_regression_apposition_head_is_an_actor():
    """'On Monday, Chile welcomed …': the mention before the comma is a date, not the holder."""
    from communique.baseline.predict import predict_text

    text = "Talks ended on Monday, Chile welcomed the deal."
    pred = predict_text("d", text).to_dict()
    holders = {m["id"]: m["text"] for m in pred["mentions"]}
    assert [holders[p["holder_id"]] for p in pred["positions"]] == ["Chile"]


@pytest.mark.parametrize("text, modality", [
    ("The council will discuss the deployment.", "asserted"),   # the plan is the discussion's
    ("Both sides agreed on the next round.", "future"),
    ("Peru did not meet Chile.", "negated"),
    ("Peru, which did not sign, met Chile.", "asserted"),      # a neighbour's negation
])
def test_event_modality_scope(text, modality):
    found, _, attrs = analyse(text)
    events = [e for e in find_events(text, found, LEX, exclude=tuple(a.cue for a in attrs))
              if text[e.trigger[0]:e.trigger[1]] in ("deployment", "round", "meet", "met")]
    assert [e.modality for e in events] == [modality]


def test_acronym_joins_the_organisation_it_abbreviates():
    text = ("India's Border Security Force said the men crossed at night. "
            "The BSF denied any wrongdoing.")
    assert ("India's Border Security Force", "The BSF") in clusters_of(text)
