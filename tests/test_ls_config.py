"""The labeling config: generated from the schema, committed, accepted by Label Studio itself."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from communique.annotation.ls_config import (ACTOR, MODALITY, REGION_TAGS, RESERVED_KEYS,
                                             WIKIDATA, labeling_config, relation_labels)
from communique.generated import check_generated, registry
from communique.schemas.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "annotation" / "labeling_config.xml"


def test_committed_config_is_the_generated_one():
    assert "annotation/labeling_config.xml" in registry()
    assert "annotation/labeling_config.xml" not in check_generated(ROOT)
    assert CONFIG.read_text(encoding="utf-8") == labeling_config()


def test_ls_config_command_prints_it():
    out = subprocess.run([sys.executable, "-m", "communique", "ls", "config"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert out == labeling_config()


def test_every_label_of_the_schema_is_in_the_config_with_a_hint():
    spec = load_spec()
    root = ET.fromstring(labeling_config())
    for tag, label_set in REGION_TAGS.items():
        labels = root.find(f".//Labels[@name='{tag}']")
        values = [x.get("value") for x in labels.findall("Label")]
        assert values == (list(spec.label(label_set).names) if label_set else [tag])
        assert all(x.get("hint") for x in labels.findall("Label"))
    choices = root.find(f".//Choices[@name='{MODALITY}']")
    assert [c.get("value") for c in choices] == list(spec.label("modality").names)
    assert choices.get("perRegion") == "true" and choices.get("whenTagName") == "event"
    for name in (ACTOR, WIKIDATA):
        area = root.find(f".//TextArea[@name='{name}']")
        assert area.get("perRegion") == "true" and area.get("whenTagName") == "mention"
    rels = [r.get("value") for r in root.find(".//Relations")]
    assert rels == list(relation_labels(spec))
    assert rels[:4] == list(spec.label("argument_role").names)


def test_hotkeys_are_unique_and_avoid_the_editor_keys():
    root = ET.fromstring(labeling_config())
    keys = [x.get("hotkey") for x in root.iter("Label") if x.get("hotkey")]
    assert len(keys) == len(set(keys)) == len(list(root.iter("Label"))) == 30
    assert not set(keys) & RESERVED_KEYS
    mention_keys = [x.get("hotkey") for x in root.find(".//Labels[@name='mention']")]
    assert mention_keys == ["1", "2", "3", "4", "5", "6"]


def test_relation_labels_never_clash_with_roles(monkeypatch):
    spec = load_spec()
    roles = dict(spec.label("argument_role").definitions)
    roles["source"] = "clash"
    from dataclasses import replace
    from types import MappingProxyType

    bad = replace(spec, labels=MappingProxyType(
        {**spec.labels, "argument_role": replace(spec.label("argument_role"),
                                                 definitions=MappingProxyType(roles))}))
    with pytest.raises(ValueError, match=r"argument roles \['source'\] clash"):
        relation_labels(bad)


def test_label_studio_accepts_the_config(ls_server, ls_project_title):
    ls = ls_server.client()
    project = ls.projects.create(title=ls_project_title, label_config=labeling_config())
    got = ls.projects.get(project.id)
    assert got.label_config.strip() == labeling_config().strip()
    # The validation endpoint itself: ours passes, a broken one is refused with its reason.
    ls.projects.validate_label_config(project.id, label_config=labeling_config())
    from label_studio_sdk.core.api_error import ApiError

    broken = labeling_config().replace('toName="text"', 'toName="txt"', 1)
    with pytest.raises(ApiError) as err:
        ls.projects.validate_label_config(project.id, label_config=broken)
    assert err.value.status_code == 400
    assert "txt" in str(err.value.body)
