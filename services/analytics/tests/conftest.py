"""Shared test fixtures of the analytics service: envelope factories for the events it stores."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from shop_contracts import Envelope, Money, registry
from shop_contracts.events.clickstream import AddedToCart, PageViewed
from shop_contracts.events.orders import Address, OrderConfirmed, OrderRefunded, ShipmentRequestLine
from shop_contracts.events.tenancy import TenantDeleted

_ADDRESS = Address(
    name="A Shopper", line1="1 Main St", city="Springfield", postal_code="12345", country="US"
)


class Envelopes:
    """Builds valid envelopes of the contract events analytics cares about."""

    def order_confirmed(
        self,
        tenant_id: UUID,
        total: str,
        currency: str,
        quantities: tuple[int, ...] = (1,),
        occurred_at: datetime | None = None,
        event_id: UUID | None = None,
    ) -> Envelope:
        order_id = uuid4()
        event = OrderConfirmed(
            order_id=order_id,
            order_number=f"N-{order_id.hex[:8]}",
            reservation_id=uuid4(),
            payment_id=uuid4(),
            total=Money.of(Decimal(total), currency),
            lines=[ShipmentRequestLine(sku_id=uuid4(), quantity=q) for q in quantities],
            shipping_address=_ADDRESS,
        )
        return registry.envelope_for(
            event,
            tenant_id=tenant_id,
            aggregate_id=order_id,
            aggregate_version=3,
            producer="orders",
            event_id=event_id,
            occurred_at=occurred_at or datetime.now(UTC),
            correlation_id=str(uuid4()),
        )

    def order_refunded(
        self, tenant_id: UUID, amount: str, currency: str, occurred_at: datetime
    ) -> Envelope:
        order_id = uuid4()
        event = OrderRefunded(
            order_id=order_id,
            payment_id=uuid4(),
            amount=Money.of(Decimal(amount), currency),
            reason="returned",
        )
        return registry.envelope_for(
            event,
            tenant_id=tenant_id,
            aggregate_id=order_id,
            aggregate_version=7,
            producer="orders",
            occurred_at=occurred_at,
        )

    def page_viewed(self, tenant_id: UUID, occurred_at: datetime | None = None) -> Envelope:
        session_id = uuid4()
        event = PageViewed(session_id=session_id, page_url="https://shop.example/")
        return registry.envelope_for(
            event,
            tenant_id=tenant_id,
            aggregate_id=session_id,
            aggregate_version=0,
            producer="analytics",
            occurred_at=occurred_at or datetime.now(UTC),
        )

    def added_to_cart(self, tenant_id: UUID, occurred_at: datetime | None = None) -> Envelope:
        session_id = uuid4()
        event = AddedToCart(
            session_id=session_id,
            page_url="https://shop.example/p/1",
            product_id=uuid4(),
            sku_id=uuid4(),
            quantity=2,
        )
        return registry.envelope_for(
            event,
            tenant_id=tenant_id,
            aggregate_id=session_id,
            aggregate_version=0,
            producer="analytics",
            occurred_at=occurred_at or datetime.now(UTC),
        )

    def tenant_deleted(self, tenant_id: UUID) -> Envelope:
        return registry.envelope_for(
            TenantDeleted(tenant_id=tenant_id),
            tenant_id=tenant_id,
            aggregate_id=tenant_id,
            aggregate_version=9,
            producer="tenancy",
        )


@pytest.fixture(scope="session")
def envelopes() -> Envelopes:
    return Envelopes()
