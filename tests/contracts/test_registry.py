from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError
from shop_contracts import ContractEvent, ContractValue, Registry, registry
from shop_contracts.events.orders import OrderPlaced
from shop_contracts.registry import DuplicateContractError, UnknownEventTypeError
from shop_contracts.topics import ORDERS_EVENTS, Topic

WIDGETS = Topic("widgets.events.v1")


class Part(ContractValue):
    part_id: str


class WidgetBuilt(ContractEvent):
    """A widget was built. Published by the test suite."""

    widget_id: str
    parts: list[Part]


def _envelope(reg: Registry, event: ContractEvent) -> Any:
    return reg.envelope_for(
        event, tenant_id=uuid4(), aggregate_id=uuid4(), aggregate_version=1, producer="widgets"
    )


def test_lookup_by_wire_name_and_version() -> None:
    reg = Registry()
    reg.contract("widgets.widget_built", version=1, topic=WIDGETS)(WidgetBuilt)
    assert reg.model_for("widgets.widget_built", 1) is WidgetBuilt
    assert reg.spec_for(WidgetBuilt).topic == WIDGETS
    assert reg.find("widgets.widget_built", 2) is None
    with pytest.raises(UnknownEventTypeError):
        reg.model_for("widgets.widget_built", 2)
    assert [spec.model for spec in reg.all()] == [WidgetBuilt]


def test_duplicate_registration_is_refused() -> None:
    reg = Registry()
    reg.register("widgets.widget_built", 1, WIDGETS, WidgetBuilt)

    class Other(ContractEvent):
        """Another model under the same name."""

    with pytest.raises(DuplicateContractError):
        reg.register("widgets.widget_built", 1, WIDGETS, Other)
    with pytest.raises(DuplicateContractError):
        reg.register("widgets.widget_rebuilt", 1, WIDGETS, WidgetBuilt)
    reg.register("widgets.widget_built", 2, WIDGETS, Other)  # a new version is a new contract


def test_the_default_registry_refuses_to_redefine_a_platform_event() -> None:
    with pytest.raises(DuplicateContractError):

        @registry.contract("orders.order_placed", version=1, topic=ORDERS_EVENTS)
        class Impostor(ContractEvent):
            """Not the real one."""


@pytest.mark.parametrize(
    ("event_type", "topic"),
    [
        ("widgets.WidgetBuilt", WIDGETS),  # not snake_case
        ("shop.widgets.widget_built", WIDGETS),  # a Python-path-like name
        ("gadgets.widget_built", WIDGETS),  # prefix is not the topic's service
        ("widgets.widget_built", WIDGETS.dlq),  # events are not registered on a DLQ
    ],
)
def test_registration_checks_names_and_topics(event_type: str, topic: Topic) -> None:
    with pytest.raises(ValueError):
        Registry().register(event_type, 1, topic, WidgetBuilt)


def test_producing_side_models_forbid_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="extra"):
        WidgetBuilt.model_validate({"widget_id": "w", "parts": [], "colour": "red"})
    with pytest.raises(ValidationError, match="extra"):
        WidgetBuilt.model_validate({"widget_id": "w", "parts": [{"part_id": "p", "x": 1}]})


def test_decode_ignores_unknown_fields_at_every_level() -> None:
    reg = Registry()
    reg.register("widgets.widget_built", 1, WIDGETS, WidgetBuilt)
    event = WidgetBuilt(widget_id="w", parts=[Part(part_id="p")])
    envelope = _envelope(reg, event)
    newer_payload = {
        **envelope.payload,
        "colour": "red",
        "parts": [{"part_id": "p", "weight_grams": 12}],
    }

    decoded = reg.decode(envelope.model_copy(update={"payload": newer_payload}))

    assert decoded == event


def test_decode_still_validates_known_fields() -> None:
    reg = Registry()
    reg.register("widgets.widget_built", 1, WIDGETS, WidgetBuilt)
    envelope = _envelope(reg, WidgetBuilt(widget_id="w", parts=[]))
    with pytest.raises(ValidationError):
        reg.decode(envelope.model_copy(update={"payload": {"parts": []}}))


def test_decode_of_an_unregistered_type_raises() -> None:
    reg = Registry()
    reg.register("widgets.widget_built", 1, WIDGETS, WidgetBuilt)
    envelope = _envelope(reg, WidgetBuilt(widget_id="w", parts=[]))
    with pytest.raises(UnknownEventTypeError):
        Registry().decode(envelope)


def test_envelope_for_an_unregistered_model_raises() -> None:
    with pytest.raises(UnknownEventTypeError):
        _envelope(Registry(), WidgetBuilt(widget_id="w", parts=[]))


def test_platform_decode_ignores_unknown_fields(make_example: Callable[..., Any]) -> None:
    order = make_example(OrderPlaced)
    envelope = _envelope(registry, order)
    payload = dict(envelope.payload)
    payload["gift_wrap"] = True
    payload["lines"] = [{**line, "engraving": "A.L."} for line in payload["lines"]]
    payload["totals"] = {**payload["totals"], "tax": {**payload["totals"]["tax"], "rate": "19"}}

    assert registry.decode(envelope.model_copy(update={"payload": payload})) == order
    with pytest.raises(ValidationError):
        OrderPlaced.model_validate(payload)


def test_order_placed_money_must_add_up(make_example: Callable[..., Any]) -> None:
    order = make_example(OrderPlaced).model_dump()
    order["totals"]["total"]["amount"] = "1.00"
    with pytest.raises(ValidationError, match="total"):
        OrderPlaced.model_validate(order)
    order = make_example(OrderPlaced).model_dump()
    order["currency"] = "USD"
    with pytest.raises(ValidationError, match="USD"):
        OrderPlaced.model_validate(order)


def test_envelope_for_accepts_uuid_correlation_and_causation_ids() -> None:
    reg = Registry()
    reg.register("widgets.widget_built", 1, WIDGETS, WidgetBuilt)
    cause = uuid4()
    envelope = reg.envelope_for(
        WidgetBuilt(widget_id="w", parts=[]),
        tenant_id=uuid4(),
        aggregate_id=uuid4(),
        aggregate_version=1,
        producer="widgets",
        correlation_id=cause,
        causation_id=cause,
    )
    assert envelope.correlation_id == envelope.causation_id == str(cause)
