"""The checkout saga end to end on the in-memory store: checkout through the application, the
other services' answers delivered as contract envelopes through the real `EventStoreConsumer`
path (tracking + processed ids), and what the relay would publish read back through
`orders.integration.outbound.translate`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from orders.application.app import OrdersApp
from orders.application.ports import SkuPrice
from orders.application.shopping import Carts, Checkout, CheckoutRequest
from orders.config import OrdersSettings
from orders.domain.errors import CardDataRefused, EmptyCart, PriceUnavailable
from orders.domain.order import (
    CancelReason,
    Cause,
    Order,
    OrderStatus,
    payment_id_for,
    reservation_id_for,
)
from orders.integration.inbound import saga_consumer
from orders.integration.outbound import translate
from shop_contracts import ContractEvent, registry
from shop_contracts.events.inventory import ReservationFailed, ReservationReleased, StockReserved
from shop_contracts.events.payments import PaymentAuthorized, PaymentFailed
from shop_contracts.events.shipping import (
    DeliveryFailed,
    ShipmentDelivered,
    ShipmentReturned,
    ShipmentShipped,
)
from shop_contracts.money import Money
from shop_runtime.aggregate import NotFound
from shop_runtime.consumer import EventStoreConsumer, InboundMessage

from .conftest import FakeCartStore, FakeOrderNumbers, FakePriceBook

ADDRESS = {
    "name": "Asha Rao",
    "line1": "12 MG Road",
    "city": "Bengaluru",
    "postal_code": "560001",
    "country": "IN",
}
NOW = datetime.now(UTC)


class Saga:
    """The orders service in memory, and the bus around it."""

    def __init__(self, tenant_id: UUID, customer_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.customer_id = customer_id
        self.app = OrdersApp.in_memory(
            OrdersSettings(payment_timeout_seconds=900, reservation_timeout_seconds=600)
        )
        self.prices = FakePriceBook()
        self.carts = Carts(FakeCartStore(), self.prices)
        self.numbers = FakeOrderNumbers()
        self.checkout = Checkout(self.app, self.carts, self.prices, self.numbers)
        self.consumer: EventStoreConsumer = saga_consumer(self.app)
        self.offsets: Iterator[int] = iter(range(10_000))
        self.sku = uuid4()
        self.prices.publish(
            tenant_id,
            SkuPrice(self.sku, uuid4(), "Green tea", Money.of("4.50", "EUR"), purchasable=True),
        )
        self.seen = 0

    async def place(self, quantity: int = 2, token: str = "tok_approve") -> Order:
        cart = await self.carts.create(self.tenant_id, self.customer_id)
        await self.carts.add_item(
            self.tenant_id, self.customer_id, cart.cart_id, self.sku, quantity
        )
        return await self.checkout.place(self.request(cart.cart_id, token=token))

    def request(self, cart_id: UUID, **overrides: Any) -> CheckoutRequest:
        values: dict[str, Any] = {
            "tenant_id": self.tenant_id,
            "customer_id": self.customer_id,
            "order_id": uuid4(),
            "cart_id": cart_id,
            "shipping_address": ADDRESS,
            "payment_token": "tok_approve",
        } | {("payment_token" if k == "token" else k): v for k, v in overrides.items()}
        return CheckoutRequest(**values)

    def envelope(self, event: ContractEvent, aggregate_id: UUID, event_id: UUID | None = None):
        return registry.envelope_for(
            event,
            tenant_id=self.tenant_id,
            aggregate_id=aggregate_id,
            aggregate_version=1,
            producer=registry.spec_for(event).event_type.split(".")[0],
            event_id=event_id or uuid4(),
        )

    async def deliver(self, event: ContractEvent, *, event_id: UUID | None = None, envelope=None):
        """Deliver like the consumer runner does; returns its outcome."""
        envelope = envelope or self.envelope(event, getattr(event, "order_id"), event_id)
        message = InboundMessage(
            envelope=envelope,
            event=registry.decode(envelope),
            topic=registry.spec_for(event).topic.name,
            partition=0,
            offset=next(self.offsets),
            key=None,
        )
        handler = self.consumer._handlers[envelope.event_type]
        return await self.consumer.apply(message, handler)

    def order(self, order: Order) -> Order:
        return self.app.order(self.tenant_id, order.id)

    def published(self) -> list[ContractEvent]:
        """The public events recorded since the last call (what the relay would send)."""
        out = []
        for n in self.app.recorder.select_notifications(
            start=self.seen, limit=1000, inclusive_of_start=False
        ):
            self.seen = n.id
            contract = translate(self.app.mapper.to_domain_event(n))
            if contract is not None:
                out.append(contract)
        return out

    def types(self) -> list[str]:
        return [registry.spec_for(e).event_type for e in self.published()]

    # the other services' answers
    def reserved(self, order: Order) -> StockReserved:
        return StockReserved(
            reservation_id=reservation_id_for(order.id),
            order_id=order.id,
            lines=[{"sku_id": self.sku, "warehouse_id": uuid4(), "quantity": 2}],
            expires_at=datetime.now(UTC) + timedelta(minutes=30),
        )

    def authorized(self, order: Order) -> PaymentAuthorized:
        return PaymentAuthorized(
            payment_id=payment_id_for(order.id),
            order_id=order.id,
            amount=order.total,
            provider="sandbox",
        )

    def declined(self, order: Order) -> PaymentFailed:
        return PaymentFailed(
            payment_id=payment_id_for(order.id),
            order_id=order.id,
            amount=order.total,
            failure_code="declined",
        )


@pytest.fixture
def saga(tenant_id: UUID, customer_id: UUID) -> Saga:
    return Saga(tenant_id, customer_id)


async def test_happy_path_from_checkout_to_delivery(saga: Saga) -> None:
    order = await saga.place(quantity=2)
    assert order.status is OrderStatus.PENDING
    assert order.order_number == "1001"
    assert order.total == Money.of("9.00", "EUR")
    [placed] = saga.published()
    assert registry.spec_for(placed).event_type == "orders.order_placed"
    assert placed.lines[0].quantity == 2  # type: ignore[attr-defined]

    assert await saga.deliver(saga.reserved(order)) == "applied"
    assert saga.order(order).status is OrderStatus.AWAITING_PAYMENT
    [requested] = saga.published()
    assert registry.spec_for(requested).event_type == "orders.payment_requested"
    assert requested.payment_token == "tok_approve"  # type: ignore[attr-defined]
    assert requested.amount == Money.of("9.00", "EUR")  # type: ignore[attr-defined]

    assert await saga.deliver(saga.authorized(order)) == "applied"
    assert saga.order(order).status is OrderStatus.CONFIRMED
    assert saga.types() == ["orders.order_confirmed"]

    shipment_id = uuid4()
    shipped = ShipmentShipped(
        shipment_id=shipment_id,
        order_id=order.id,
        carrier="sandbox",
        tracking_number="TRK1",
        shipped_at=NOW,
    )
    await saga.deliver(shipped)
    failed = DeliveryFailed(
        shipment_id=shipment_id,
        order_id=order.id,
        attempt=1,
        reason_code="customer_unavailable",
        failed_at=NOW,
    )
    await saga.deliver(failed)
    current = saga.order(order)
    assert current.status is OrderStatus.SHIPPED
    assert current.failed_delivery_attempts == (1,)
    await saga.deliver(
        ShipmentDelivered(shipment_id=shipment_id, order_id=order.id, delivered_at=NOW)
    )
    final = saga.order(order)
    assert final.status is OrderStatus.DELIVERED
    assert saga.types() == ["orders.order_shipped", "orders.order_delivered"]
    assert [h.to_status.value for h in final.history] == [
        "pending",
        "awaiting_payment",
        "confirmed",
        "shipped",
        "shipped",
        "delivered",
    ]
    assert final.history[1].cause.ref.startswith("inventory.stock_reserved:")


async def test_out_of_stock_cancels_without_a_payment(saga: Saga) -> None:
    order = await saga.place()
    saga.published()
    failed = ReservationFailed(
        reservation_id=reservation_id_for(order.id),
        order_id=order.id,
        reason="out_of_stock",
        shortages=[{"sku_id": saga.sku, "requested": 2, "available": 1}],
    )
    assert await saga.deliver(failed) == "applied"
    current = saga.order(order)
    assert current.status is OrderStatus.CANCELLED
    assert current.cancellation_reason.value == "out_of_stock"
    [cancelled] = saga.published()
    assert cancelled.reason == "out_of_stock"  # type: ignore[attr-defined]
    assert cancelled.payment_id is None  # type: ignore[attr-defined]


async def test_declined_payment_cancels_and_releases(saga: Saga) -> None:
    order = await saga.place()
    await saga.deliver(saga.reserved(order))
    saga.published()
    assert await saga.deliver(saga.declined(order)) == "applied"
    assert saga.order(order).cancellation_reason.value == "payment_failed"
    [cancelled] = saga.published()
    assert cancelled.reservation_id == reservation_id_for(order.id)  # type: ignore[attr-defined]
    assert cancelled.payment_id == payment_id_for(order.id)  # type: ignore[attr-defined]


async def test_duplicates_change_nothing(saga: Saga) -> None:
    order = await saga.place()
    saga.published()
    event = saga.reserved(order)
    envelope = saga.envelope(event, order.id)
    assert await saga.deliver(event, envelope=envelope) == "applied"
    # the same envelope again (relay re-sent it under a new offset): the processed id refuses it
    assert await saga.deliver(event, envelope=envelope) == "duplicate"
    # the same fact under a new event id (the producer published it twice): the order ignores it
    assert await saga.deliver(event) == "applied"
    assert saga.types() == ["orders.payment_requested"]
    assert saga.order(order).version == 2


async def test_stock_reserved_after_cancellation_is_released_again(saga: Saga) -> None:
    order = await saga.place()
    saga.published()
    saga.app.cancel_order(
        saga.tenant_id, order.id, CancelReason.CUSTOMER_REQUEST, Cause.customer(saga.customer_id)
    )
    first = saga.published()
    assert [c.reason for c in first] == ["customer_request"]  # type: ignore[attr-defined]
    # inventory reserved before it saw the cancellation: orders asks again, after the fact
    assert await saga.deliver(saga.reserved(order)) == "applied"
    [again] = saga.published()
    assert registry.spec_for(again).event_type == "orders.order_cancelled"
    assert again.reservation_id == reservation_id_for(order.id)  # type: ignore[attr-defined]
    assert saga.order(order).status is OrderStatus.CANCELLED
    # asking once is enough
    await saga.deliver(saga.reserved(order))
    assert saga.published() == []


async def test_payment_authorized_after_timeout_is_voided_again(saga: Saga) -> None:
    order = await saga.place()
    await saga.deliver(saga.reserved(order))
    saga.published()
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert saga.app.sweep_order(order.id, later) == "cancelled:payment_timeout"
    [timeout] = saga.published()
    assert timeout.reason == "payment_timeout"  # type: ignore[attr-defined]
    await saga.deliver(saga.authorized(order))
    [again] = saga.published()
    assert again.payment_id == payment_id_for(order.id)  # type: ignore[attr-defined]
    assert saga.order(order).status is OrderStatus.CANCELLED
    # a late decline of a cancelled order is simply ignored
    await saga.deliver(saga.declined(order))
    assert saga.published() == []


async def test_sweeper_cancels_pending_orders_inventory_never_answered(saga: Saga) -> None:
    order = await saga.place()
    assert saga.app.sweep_order(order.id, datetime.now(UTC) + timedelta(minutes=1)) == "waiting"
    result = saga.app.sweep_order(order.id, datetime.now(UTC) + timedelta(minutes=11))
    assert result == "cancelled:reservation_timeout"
    assert saga.app.sweep_order(order.id) == "done"
    assert saga.app.sweep_order(uuid4()) == "done"


async def test_reservation_expiry_cancels_an_order_waiting_for_payment(saga: Saga) -> None:
    order = await saga.place()
    await saga.deliver(saga.reserved(order))
    released = ReservationReleased(
        reservation_id=reservation_id_for(order.id),
        order_id=order.id,
        reason="expired",
        lines=[{"sku_id": saga.sku, "warehouse_id": uuid4(), "quantity": 2}],
    )
    await saga.deliver(released)
    assert saga.order(order).cancellation_reason.value == "reservation_expired"


async def test_returned_shipment(saga: Saga) -> None:
    order = await saga.place()
    await saga.deliver(saga.reserved(order))
    await saga.deliver(saga.authorized(order))
    shipment_id = uuid4()
    await saga.deliver(
        ShipmentShipped(
            shipment_id=shipment_id,
            order_id=order.id,
            carrier="sandbox",
            tracking_number="T",
            shipped_at=NOW,
        )
    )
    await saga.deliver(
        ShipmentReturned(
            shipment_id=shipment_id,
            order_id=order.id,
            lines=[{"sku_id": saga.sku, "quantity": 2}],
            reason="rto",
            returned_at=NOW,
        )
    )
    assert saga.order(order).status is OrderStatus.RETURNED


async def test_events_for_unknown_or_foreign_orders_are_skipped(saga: Saga) -> None:
    other = Saga(uuid4(), uuid4())
    foreign = await other.place()
    # tenant A's consumer receives an event naming tenant B's order id under tenant A
    assert await saga.deliver(saga.reserved(foreign)) == "applied"  # tracked, nothing changed
    assert other.order(foreign).status is OrderStatus.PENDING
    assert saga.published() == []


async def test_checkout_refuses_empty_unknown_unpurchasable_and_card_numbers(saga: Saga) -> None:
    cart = await saga.carts.create(saga.tenant_id, saga.customer_id)
    with pytest.raises(EmptyCart):
        await saga.checkout.place(saga.request(cart.cart_id))
    with pytest.raises(PriceUnavailable):
        await saga.carts.add_item(saga.tenant_id, saga.customer_id, cart.cart_id, uuid4(), 1)
    await saga.carts.add_item(saga.tenant_id, saga.customer_id, cart.cart_id, saga.sku, 1)
    for token in ("4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004"):
        with pytest.raises(CardDataRefused):
            await saga.checkout.place(saga.request(cart.cart_id, token=token))
    archived = saga.prices.skus[(saga.tenant_id, saga.sku)]
    saga.prices.publish(
        saga.tenant_id,
        SkuPrice(archived.sku_id, archived.product_id, "Green tea", archived.price, False),
    )
    view = await saga.carts.get(saga.tenant_id, saga.customer_id, cart.cart_id)
    assert view.lines[0].unit_price is None
    with pytest.raises(PriceUnavailable):
        await saga.checkout.place(saga.request(cart.cart_id))
    assert saga.numbers.taken == {}  # no number was spent on a refused checkout


async def test_a_retried_checkout_returns_the_same_order(saga: Saga) -> None:
    cart = await saga.carts.create(saga.tenant_id, saga.customer_id)
    await saga.carts.add_item(saga.tenant_id, saga.customer_id, cart.cart_id, saga.sku, 3)
    request = saga.request(cart.cart_id)
    first = await saga.checkout.place(request)
    again = await saga.checkout.place(request)  # the cart is gone by now
    assert again.id == first.id and again.order_number == first.order_number
    assert saga.numbers.taken[saga.tenant_id] == 1001
    assert first.total.amount == Decimal("13.50")


async def test_carts_belong_to_their_customer(saga: Saga) -> None:
    cart = await saga.carts.create(saga.tenant_id, saga.customer_id)
    with pytest.raises(NotFound):
        await saga.carts.get(saga.tenant_id, uuid4(), cart.cart_id)
    with pytest.raises(NotFound):
        await saga.carts.get(uuid4(), saga.customer_id, cart.cart_id)
    with pytest.raises(NotFound):
        await saga.checkout.place(saga.request(cart.cart_id, customer_id=uuid4()))
