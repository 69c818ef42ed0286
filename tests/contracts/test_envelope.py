from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import orjson
import pytest
from pydantic import ValidationError
from shop_contracts.envelope import Envelope, EnvelopeHeaderMismatchError


def _fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "event_id": uuid4(),
        "event_type": "orders.order_placed",
        "event_version": 1,
        "tenant_id": uuid4(),
        "aggregate_id": uuid4(),
        "aggregate_version": 1,
        "occurred_at": datetime(2026, 1, 22, 10, 0, tzinfo=UTC),
        "producer": "orders",
        "payload": {"order_id": str(uuid4())},
    }
    return {**fields, **overrides}


def test_naive_occurred_at_is_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Envelope(**_fields(occurred_at=datetime(2026, 1, 22, 10, 0)))
    wire = orjson.loads(Envelope(**_fields()).to_bytes())
    wire["occurred_at"] = "2026-01-22T10:00:00"
    with pytest.raises(ValidationError, match="timezone"):
        Envelope.from_bytes(orjson.dumps(wire))


def test_occurred_at_is_normalised_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    envelope = Envelope(**_fields(occurred_at=datetime(2026, 1, 22, 11, 0, tzinfo=paris)))
    assert envelope.occurred_at.utcoffset() == timedelta(0)
    assert envelope.occurred_at == datetime(2026, 1, 22, 10, 0, tzinfo=UTC)
    assert orjson.loads(envelope.to_bytes())["occurred_at"] == "2026-01-22T10:00:00Z"


def test_envelope_has_exactly_the_documented_fields() -> None:
    assert list(Envelope.model_fields) == [
        "event_id", "event_type", "event_version", "tenant_id", "aggregate_id",
        "aggregate_version", "occurred_at", "correlation_id", "causation_id", "producer",
        "traceparent", "payload",
    ]  # fmt: skip


def test_unknown_envelope_fields_are_ignored() -> None:
    envelope = Envelope(**_fields())
    wire = orjson.loads(envelope.to_bytes())
    wire["added_by_a_newer_producer"] = "x"
    assert Envelope.from_bytes(orjson.dumps(wire)) == envelope


@pytest.mark.parametrize(
    "override",
    [
        {"event_version": 0},
        {"event_type": "orders.OrderPlaced"},
        {"event_type": "shop.orders.events.OrderPlaced"},
        {"producer": ""},
        {"aggregate_version": -1},
    ],
)
def test_invalid_envelopes_are_rejected(override: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Envelope(**_fields(**override))


def test_kafka_headers_mirror_scalar_fields_but_not_the_payload() -> None:
    envelope = Envelope(**_fields(correlation_id="c-1"))
    headers = dict(envelope.kafka_headers())
    assert "payload" not in headers
    assert headers["event_type"] == b"orders.order_placed"
    assert headers["event_version"] == b"1"
    assert headers["tenant_id"] == str(envelope.tenant_id).encode()
    assert headers["correlation_id"] == b"c-1"
    assert "traceparent" not in headers  # None fields have no header
    assert all(isinstance(value, bytes) for value in headers.values())


def test_from_kafka_fills_fields_missing_from_the_value_with_headers() -> None:
    envelope = Envelope(**_fields(traceparent="00-abc-def-01"))
    value = orjson.loads(envelope.to_bytes())
    del value["traceparent"]
    assert Envelope.from_kafka(orjson.dumps(value), envelope.kafka_headers()) == envelope


def test_from_kafka_accepts_equivalent_spellings_in_headers() -> None:
    envelope = Envelope(**_fields())
    headers = [(k, v.upper() if k == "tenant_id" else v) for k, v in envelope.kafka_headers()]
    assert Envelope.from_kafka(envelope.to_bytes(), headers) == envelope


def test_from_kafka_refuses_headers_that_contradict_the_value() -> None:
    envelope = Envelope(**_fields())
    headers = [*envelope.kafka_headers(), ("tenant_id", str(uuid4()).encode())]
    with pytest.raises(EnvelopeHeaderMismatchError, match="tenant_id"):
        Envelope.from_kafka(envelope.to_bytes(), headers)


def test_from_kafka_ignores_unknown_headers() -> None:
    envelope = Envelope(**_fields())
    headers = [*envelope.kafka_headers(), ("dlq_error", b"boom"), ("other", None)]
    assert Envelope.from_kafka(envelope.to_bytes(), headers) == envelope
