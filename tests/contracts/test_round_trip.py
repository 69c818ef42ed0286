"""Every registered event survives the trip producer → Kafka record → consumer unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import jsonschema
import orjson
import pytest
from shop_contracts import Envelope, registry, schemas
from shop_contracts.registry import ContractSpec

SPECS = registry.all()


def _envelope(event: Any) -> Envelope:
    return registry.envelope_for(
        event,
        tenant_id=uuid4(),
        aggregate_id=uuid4(),
        aggregate_version=7,
        producer="test",
        correlation_id=str(uuid4()),
        causation_id=str(uuid4()),
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )


def test_every_event_of_the_architecture_is_registered() -> None:
    expected = {
        "tenancy.tenant_created", "tenancy.tenant_suspended", "tenancy.tenant_deleted",
        "tenancy.user_registered", "tenancy.role_changed",
        "catalog.product_published", "catalog.product_updated", "catalog.product_archived",
        "catalog.price_changed", "catalog.sku_created",
        "inventory.stock_adjusted", "inventory.stock_reserved", "inventory.reservation_failed",
        "inventory.reservation_released", "inventory.reservation_committed", "inventory.low_stock",
        "orders.order_placed", "orders.order_confirmed", "orders.order_cancelled",
        "orders.order_shipped", "orders.order_delivered", "orders.order_refunded",
        "orders.payment_requested",
        "payments.payment_authorized", "payments.payment_failed", "payments.payment_captured",
        "payments.payment_voided", "payments.payment_refunded",
        "shipping.shipment_created", "shipping.shipment_shipped", "shipping.shipment_delivered",
        "shipping.delivery_failed", "shipping.shipment_returned",
        "analytics.page_viewed", "analytics.product_viewed", "analytics.added_to_cart",
        "analytics.searched",
    }  # fmt: skip
    assert expected <= {spec.event_type for spec in SPECS}


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.schema_name)
def test_round_trip_through_bytes(spec: ContractSpec, make_example: Callable[..., Any]) -> None:
    event = make_example(spec.model)
    envelope = _envelope(event)
    assert (envelope.event_type, envelope.event_version) == spec.key

    received = Envelope.from_bytes(envelope.to_bytes())

    assert received == envelope
    assert registry.decode(received) == event


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.schema_name)
def test_round_trip_through_kafka_record(
    spec: ContractSpec, make_example: Callable[..., Any]
) -> None:
    event = make_example(spec.model)
    envelope = _envelope(event)

    received = Envelope.from_kafka(envelope.to_bytes(), envelope.kafka_headers())

    assert received == envelope
    assert registry.decode(received) == event
    assert envelope.kafka_key() == str(envelope.aggregate_id).encode()


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.schema_name)
def test_payload_on_the_wire_has_no_floats(
    spec: ContractSpec, make_example: Callable[..., Any]
) -> None:
    def floats(node: Any) -> list[float]:
        if isinstance(node, float):
            return [node]
        if isinstance(node, dict):
            return [f for value in node.values() for f in floats(value)]
        if isinstance(node, list):
            return [f for value in node for f in floats(value)]
        return []

    wire = orjson.loads(_envelope(make_example(spec.model)).to_bytes())
    assert floats(wire) == []


def test_envelope_for_uses_given_ids_and_time(make_example: Callable[..., Any]) -> None:
    spec = registry.all()[0]
    event_id, at = uuid4(), datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    envelope = registry.envelope_for(
        make_example(spec.model),
        tenant_id=uuid4(),
        aggregate_id=uuid4(),
        aggregate_version=1,
        producer="test",
        event_id=event_id,
        occurred_at=at,
    )
    assert envelope.event_id == event_id
    assert envelope.occurred_at == at


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.schema_name)
def test_wire_payload_matches_the_committed_json_schema(
    spec: ContractSpec, make_example: Callable[..., Any]
) -> None:
    # What producers put on the wire is what the published schema (for other languages) describes.
    committed = schemas.SCHEMA_DIR / f"{spec.schema_name}.json"
    validator = jsonschema.Draft202012Validator(json.loads(committed.read_text(encoding="utf-8")))
    envelope_validator = jsonschema.Draft202012Validator(
        json.loads((schemas.SCHEMA_DIR / schemas.ENVELOPE_SCHEMA_FILE).read_text(encoding="utf-8"))
    )
    wire = orjson.loads(_envelope(make_example(spec.model)).to_bytes())

    envelope_validator.validate(wire)
    validator.validate(wire["payload"])
