"""Fixtures of the shipping domain tests: a shipment factory, the sandbox carrier, a clock of
tracking updates, and an in-memory event store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from shipping.domain.carrier import ShipmentLine
from shipping.domain.sandbox import SandboxCarrier
from shipping.domain.shipment import Shipment
from shipping.domain.tracking import TrackingCode, TrackingUpdate

TENANT_ID = UUID("00000000-0000-4000-8000-0000000000bb")
ADDRESS = {
    "name": "Asha Rao",
    "line1": "12 MG Road",
    "line2": None,
    "city": "Bengaluru",
    "state": "KA",
    "postal_code": "560001",
    "country": "IN",
    "phone": "+91 90000 00000",
}
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def carrier() -> SandboxCarrier:
    return SandboxCarrier()


@pytest.fixture
def new_shipment() -> Callable[..., Shipment]:
    def make(order_id: UUID | None = None) -> Shipment:
        return Shipment.create(
            tenant_id=TENANT_ID,
            order_id=order_id or uuid4(),
            lines=[ShipmentLine(sku_id=uuid4(), quantity=2), ShipmentLine(uuid4(), 1)],
            address=ADDRESS,
        )

    return make


@pytest.fixture
def labelled(new_shipment, carrier) -> Shipment:
    shipment = new_shipment()
    shipment.record_label(carrier.create_label(shipment.label_request()))
    return shipment


@pytest.fixture
def scan() -> Callable[..., TrackingUpdate]:
    """A tracking update; each call is one hour after the previous unless ``hours`` is given."""
    ticks = count(1)

    def make(
        code: TrackingCode,
        *,
        hours: int | None = None,
        event_id: str | None = None,
        reason_code: str | None = None,
    ) -> TrackingUpdate:
        tick = next(ticks)
        return TrackingUpdate(
            carrier_event_id=event_id or f"evt-{tick}",
            code=code,
            occurred_at=T0 + timedelta(hours=tick if hours is None else hours),
            location="Bengaluru hub",
            reason_code=reason_code,
        )

    return make


@pytest.fixture
def app() -> Application:
    """An in-memory event store that runs the real transcoder."""
    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
