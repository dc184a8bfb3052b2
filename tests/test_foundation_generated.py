"""Generated files are never stale, and the schema really drives them."""

import json
from pathlib import Path

from communique.generated import check_generated, registry
from communique.schemas.json_schema import document_schema
from communique.schemas.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent


def test_no_generated_file_is_stale():
    stale = check_generated(ROOT)
    assert stale == [], f"run `communique schema generate`; stale: {stale}"


def test_registry_covers_the_json_schemas_and_guidelines():
    assert {"schemas/generated/document.schema.json", "schemas/generated/prediction.schema.json",
            "annotation/GUIDELINES.md"} <= set(registry())


def test_labels_come_from_the_schema_file():
    spec = load_spec()
    schema = document_schema(spec)
    enum = schema["$defs"]["event"]["properties"]["type"]["enum"]
    assert enum == list(spec.labels["event_type"].names)
    assert len(enum) == 16 and enum[0] == "AGREE" and enum[-1] == "ASSAULT"
    committed = json.loads((ROOT / "schemas/generated/document.schema.json").read_text())
    assert committed["x-schema-version"] == spec.schema_version


def test_every_label_has_a_one_line_definition():
    for name, labels in load_spec().labels.items():
        for label, definition in labels.definitions.items():
            assert definition.strip() and "\n" not in definition, (name, label)


def test_guidelines_carry_the_generated_tables():
    text = (ROOT / "annotation" / "GUIDELINES.md").read_text(encoding="utf-8")
    for label in load_spec().labels["event_type"].names:
        assert f"| `{label}` |" in text
