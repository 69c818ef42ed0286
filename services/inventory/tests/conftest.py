"""Shared fixtures of inventory's tests: contract messages of the checkout saga, as inventory
receives them (``saga.order_placed(...)``, ``saga.inbound(...)``)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from shop_contracts import ContractEvent, registry
from shop_contracts.events.orders import (
    Address,
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderPlaced,
    OrderTotals,
    ShipmentRequestLine,
)
from shop_contracts.ids import derived_id
from shop_contracts.money import Money
from shop_contracts.topics import ORDERS_EVENTS
from shop_runtime.consumer import InboundMessage

ADDRESS = Address(name="A B", line1="1 Road", city="Pune", postal_code="411001", country="IN")


def order_placed(order_id: UUID, lines: list[tuple[UUID, int]]) -> OrderPlaced:
    price = Money.of(Decimal("10.00"), "INR")
    order_lines = [
        OrderLine(
            sku_id=sku,
            product_id=uuid4(),
            product_name="Thing",
            quantity=qty,
            unit_price=price,
            line_total=price * qty,
        )
        for sku, qty in lines
    ]
    subtotal = Money.total((ln.line_total for ln in order_lines), "INR")
    zero = Money.zero("INR")
    return OrderPlaced(
        order_id=order_id,
        order_number="1001",
        customer_id=uuid4(),
        currency="INR",
        lines=order_lines,
        totals=OrderTotals(
            subtotal=subtotal, discount=zero, tax=zero, shipping=zero, total=subtotal
        ),
        shipping_address=ADDRESS,
    )


def order_confirmed(order_id: UUID, lines: list[tuple[UUID, int]]) -> OrderConfirmed:
    return OrderConfirmed(
        order_id=order_id,
        order_number="1001",
        reservation_id=derived_id(order_id, "reservation"),
        payment_id=derived_id(order_id, "payment"),
        total=Money.of(Decimal("10.00"), "INR"),
        lines=[ShipmentRequestLine(sku_id=s, quantity=q) for s, q in lines],
        shipping_address=ADDRESS,
    )


def order_cancelled(order_id: UUID, reason: str = "payment_failed") -> OrderCancelled:
    return OrderCancelled(
        order_id=order_id, reason=reason, reservation_id=derived_id(order_id, "reservation")
    )


def inbound(
    event: ContractEvent,
    *,
    tenant_id: UUID,
    aggregate_id: UUID,
    offset: int,
    event_id: UUID | None = None,
    partition: int = 0,
) -> InboundMessage:
    envelope = registry.envelope_for(
        event,
        tenant_id=tenant_id,
        aggregate_id=aggregate_id,
        aggregate_version=1,
        producer="orders",
        event_id=event_id or uuid4(),
        occurred_at=datetime.now(UTC),
    )
    return InboundMessage(
        envelope=envelope,
        event=event,
        topic=ORDERS_EVENTS.name,
        partition=partition,
        offset=offset,
        key=envelope.kafka_key(),
    )


@pytest.fixture(scope="session")
def saga() -> SimpleNamespace:
    return SimpleNamespace(
        order_placed=order_placed,
        order_confirmed=order_confirmed,
        order_cancelled=order_cancelled,
        inbound=inbound,
    )
