"""The committed schemas match the models, and the compatibility check tells breaking from safe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from shop_contracts import asyncapi, schemas
from shop_contracts.contract_models import ContractEvent, ContractValue, Quantity
from shop_contracts.money import Money
from shop_contracts.registry import Registry
from shop_contracts.schemas import REGENERATE_HINT, compatibility_problems, event_schema
from shop_contracts.topics import Topic

WIDGETS = Topic("widgets.events.v1")

# -- snapshot --------------------------------------------------------------------------------------


def test_committed_schemas_are_up_to_date() -> None:
    committed = {p.name: p.read_text(encoding="utf-8") for p in schemas.SCHEMA_DIR.glob("*.json")}
    assert committed == schemas.generated_files(), REGENERATE_HINT
    assert schemas.check() == []


def test_committed_asyncapi_document_is_up_to_date() -> None:
    assert asyncapi.check() == [], REGENERATE_HINT


def test_asyncapi_lists_every_topic_and_every_event() -> None:
    document = json.loads(asyncapi.ASYNCAPI_FILE.read_text(encoding="utf-8"))
    from shop_contracts import registry
    from shop_contracts.topics import all_topic_names

    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == set(all_topic_names())
    messages = document["components"]["messages"]
    assert {m["name"] for m in messages.values()} == {s.event_type for s in registry.all()}
    for message in messages.values():
        payload_ref = message["payload"]["allOf"][1]["properties"]["payload"]["$ref"]
        assert (asyncapi.ASYNCAPI_FILE.parent / payload_ref).is_file()


def test_generation_is_deterministic() -> None:
    assert schemas.generated_files() == schemas.generated_files()
    for text in schemas.generated_files().values():
        assert text.endswith("}\n")
        assert (
            json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            == text
        )


def test_published_schemas_let_consumers_accept_new_fields() -> None:
    for name, text in schemas.generated_files().items():
        assert '"additionalProperties": false' not in text, name


# -- compatibility on schemas generated from real models -------------------------------------------


class Line(ContractValue):
    sku_id: str
    quantity: Quantity


class V1(ContractEvent):
    """Version under test."""

    order_id: str
    total: Money
    lines: list[Line]
    note: str | None = None


def _schema(model: type[ContractEvent], name: str = "widgets.widget_built") -> dict[str, Any]:
    reg = Registry()
    return event_schema(reg.register(name, 1, WIDGETS, model))


def test_identical_schemas_are_compatible() -> None:
    assert compatibility_problems(_schema(V1), _schema(V1)) == []


def test_new_optional_field_is_compatible() -> None:
    class V2(V1):
        """Adds an optional field."""

        gift_wrap: bool = False
        coupon: str | None = None

    assert compatibility_problems(_schema(V1), _schema(V2)) == []


def test_removed_required_field_is_caught() -> None:
    class V2(ContractEvent):
        """Drops order_id."""

        total: Money
        lines: list[Line]
        note: str | None = None

    problems = compatibility_problems(_schema(V1), _schema(V2))
    assert any(p.startswith("order_id:") and "removed" in p for p in problems), problems


def test_removed_optional_field_is_caught() -> None:
    class V2(ContractEvent):
        """Drops note."""

        order_id: str
        total: Money
        lines: list[Line]

    problems = compatibility_problems(_schema(V1), _schema(V2))
    assert any(p.startswith("note:") and "removed" in p for p in problems), problems


def test_renamed_field_is_caught_as_removed_plus_added() -> None:
    class V2(ContractEvent):
        """Renames order_id to order_ref."""

        order_ref: str
        total: Money
        lines: list[Line]
        note: str | None = None

    problems = compatibility_problems(_schema(V1), _schema(V2))
    assert any(p.startswith("order_id:") and "removed" in p for p in problems), problems
    assert any(p.startswith("order_ref:") and "new required" in p for p in problems), problems


def test_type_change_is_caught() -> None:
    class V2(ContractEvent):
        """order_id becomes an int."""

        order_id: int
        total: Money
        lines: list[Line]
        note: str | None = None

    problems = compatibility_problems(_schema(V1), _schema(V2))
    assert problems == ["order_id: type changed from string to integer"]


def test_type_change_inside_nested_array_items_is_caught() -> None:
    class Line2(ContractValue):
        sku_id: str
        quantity: str

    class V2(ContractEvent):
        """lines[].quantity becomes a string."""

        order_id: str
        total: Money
        lines: list[Line2]
        note: str | None = None

    problems = compatibility_problems(_schema(V1), _schema(V2))
    assert any(p.startswith("lines[].quantity: type changed") for p in problems), problems


def test_new_required_field_is_caught() -> None:
    class V2(V1):
        """Adds a required field."""

        customer_id: str

    assert compatibility_problems(_schema(V1), _schema(V2)) == ["customer_id: new required field"]


def test_optional_becoming_required_and_nullability_are_caught() -> None:
    class V2(ContractEvent):
        """note becomes required and non-null."""

        order_id: str
        total: Money
        lines: list[Line]
        note: str

    problems = compatibility_problems(_schema(V1), _schema(V2))
    assert "note: optional field became required" in problems
    assert "note: may no longer be null" in problems


def test_change_inside_a_referenced_definition_is_caught() -> None:
    old = _schema(V1)
    new = json.loads(json.dumps(old))
    new["$defs"]["Money"]["properties"]["amount"]["type"] = "number"
    problems = compatibility_problems(old, new)
    assert any(p.startswith("total.amount: type changed") for p in problems), problems


def test_topic_change_is_caught() -> None:
    old = _schema(V1)
    new = {**old, "x-topic": "widgets.events.v2"}
    assert compatibility_problems(old, new) == [
        "(topic): moved from 'widgets.events.v1' to 'widgets.events.v2'"
    ]


# -- compatibility on synthetic schemas ------------------------------------------------------------


def _obj(properties: dict[str, Any], required: list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, **extra}


def test_synthetic_optional_anyof_refs_and_defs() -> None:
    old = _obj(
        {"address": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]}},
        [],
        **{"$defs": {"Address": _obj({"city": {"type": "string"}}, ["city"])}},
    )
    renamed = json.loads(json.dumps(old))
    renamed["$defs"]["Address"] = _obj({"town": {"type": "string"}}, ["town"])
    not_nullable = json.loads(json.dumps(old))
    not_nullable["properties"]["address"] = {"$ref": "#/$defs/Address"}
    with_optional = json.loads(json.dumps(old))
    with_optional["$defs"]["Address"]["properties"]["zip"] = {"type": "string"}

    assert compatibility_problems(old, old) == []
    assert compatibility_problems(old, with_optional) == []
    assert sorted(compatibility_problems(old, renamed)) == [
        "address.city: required field removed (or renamed)",
        "address.town: new required field",
    ]
    assert compatibility_problems(old, not_nullable) == ["address: may no longer be null"]


def test_synthetic_type_lists_enums_maps_and_recursion() -> None:
    node = {"$ref": "#/$defs/Node"}
    old = _obj(
        {
            "root": node,
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "count": {"type": ["integer", "null"]},
        },
        ["root"],
        **{
            "$defs": {
                "Node": _obj(
                    {"children": {"type": "array", "items": node}, "kind": {"enum": ["a", "b"]}},
                    ["children", "kind"],
                )
            }
        },
    )
    new = json.loads(json.dumps(old))
    new["$defs"]["Node"]["properties"]["kind"]["enum"] = ["a"]
    new["properties"]["tags"]["additionalProperties"] = {"type": "integer"}
    new["properties"]["count"] = {"type": "integer"}

    assert compatibility_problems(old, old) == []
    assert sorted(compatibility_problems(old, new)) == [
        "count: may no longer be null",
        "root.kind: enum values removed: ['b']",
        "tags{*}: type changed from string to integer",
    ]


def test_annotation_changes_are_compatible() -> None:
    old = _obj({"a": {"type": "string", "title": "A", "description": "old"}}, ["a"])
    new = _obj(
        {"a": {"type": "string", "title": "Aa", "description": "new", "default": "x"}}, ["a"]
    )
    assert compatibility_problems(old, new) == []


# -- check and generate on a folder ----------------------------------------------------------------


class WidgetBuilt(ContractEvent):
    """A widget was built."""

    widget_id: str


class WidgetSold(ContractEvent):
    """A widget was sold."""

    widget_id: str


def _registry(*models: tuple[str, type[ContractEvent]]) -> Registry:
    reg = Registry()
    for name, model in models:
        reg.register(name, 1, WIDGETS, model)
    return reg


BUILT = ("widgets.widget_built", WidgetBuilt)
SOLD = ("widgets.widget_sold", WidgetSold)


def test_removed_event_type_is_caught(tmp_path: Path) -> None:
    assert schemas.generate(tmp_path, _registry(BUILT, SOLD)) == []
    problems = schemas.check(tmp_path, _registry(BUILT))
    assert "widgets.widget_sold.v1: event type removed" in problems
    assert schemas.generate(tmp_path, _registry(BUILT)) != []  # refused
    assert (tmp_path / "widgets.widget_sold.v1.json").exists()


def test_new_event_type_is_compatible_but_must_be_generated(tmp_path: Path) -> None:
    schemas.generate(tmp_path, _registry(BUILT))
    problems = schemas.check(tmp_path, _registry(BUILT, SOLD))
    assert problems == [f"widgets.widget_sold.v1.json: missing; {REGENERATE_HINT}"]
    assert schemas.generate(tmp_path, _registry(BUILT, SOLD)) == []
    assert schemas.check(tmp_path, _registry(BUILT, SOLD)) == []


def test_stale_schema_fails_check_with_a_hint(tmp_path: Path) -> None:
    class WidgetBuiltV1b(ContractEvent):
        """A widget was built (now with an optional colour)."""

        widget_id: str
        colour: str | None = None

    schemas.generate(tmp_path, _registry(BUILT))
    problems = schemas.check(tmp_path, _registry(("widgets.widget_built", WidgetBuiltV1b)))
    assert problems == [
        f"widgets.widget_built.v1.json: stale (differs from the models); {REGENERATE_HINT}"
    ]


def test_generate_refuses_a_breaking_change_unless_allowed(tmp_path: Path) -> None:
    class Breaking(ContractEvent):
        """widget_id renamed."""

        widget_ref: str

    schemas.generate(tmp_path, _registry(BUILT))
    before = (tmp_path / "widgets.widget_built.v1.json").read_text()
    breaking = _registry(("widgets.widget_built", Breaking))

    problems = schemas.generate(tmp_path, breaking)

    assert "widgets.widget_built.v1: widget_id: required field removed (or renamed)" in problems
    assert (tmp_path / "widgets.widget_built.v1.json").read_text() == before
    assert schemas.generate(tmp_path, breaking, allow_breaking=True) == []
    assert schemas.check(tmp_path, breaking) == []


def test_check_against_a_baseline_catches_a_regenerated_breaking_change(tmp_path: Path) -> None:
    class Breaking(ContractEvent):
        """widget_id became an int, and the schema was regenerated."""

        widget_id: int

    schemas.generate(tmp_path, _registry(BUILT))
    baseline = {p.name: p.read_text() for p in tmp_path.glob("*.json")}
    breaking = _registry(("widgets.widget_built", Breaking))
    schemas.generate(tmp_path, breaking, allow_breaking=True)

    assert schemas.check(tmp_path, breaking) == []
    assert schemas.check(tmp_path, breaking, baseline=baseline) == [
        "widgets.widget_built.v1: widget_id: type changed from string to integer"
    ]


@pytest.mark.parametrize("command", [["check"], ["--dir", "{tmp}", "check"]])
def test_schemas_cli_exit_codes(command: list[str], tmp_path: Path) -> None:
    argv = [part.format(tmp=tmp_path) for part in command]
    expected = 0 if "--dir" not in argv else 1  # an empty folder is missing every schema
    assert schemas.main(argv) == expected
