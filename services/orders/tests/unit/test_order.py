"""The order's state machine, its status history, and the checkout saga it orchestrates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from orders.domain.checkout import OrderLine, OrderTotals
from orders.domain.errors import (
    CurrencyMismatch,
    IllegalTransition,
    InvalidOrder,
    InvalidReason,
    UnexpectedReference,
)
from orders.domain.order import (
    TRANSITIONS,
    CancelReason,
    Cause,
    CauseKind,
    CheckoutStep,
    Order,
    OrderStatus,
    Outcome,
    Trigger,
    shipment_id_for,
)
from shop_contracts.events.orders import (
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    PaymentRequested,
)
from shop_contracts.ids import derived_id
from shop_contracts.money import Money

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOLD_UNTIL = T0 + timedelta(minutes=30)
ADDRESS = {
    "name": "Asha Rao",
    "line1": "12 MG Road",
    "city": "Bengaluru",
    "postal_code": "560001",
    "country": "IN",
    "phone": "9876543210",
}
SKU_A, SKU_B = uuid4(), uuid4()


def eur(amount: str | int) -> Money:
    return Money.of(amount, "EUR")


def lines() -> list[OrderLine]:
    # two lines share SKU_A: they are shipped (and reserved) as one quantity
    return [
        OrderLine(SKU_A, uuid4(), "Green tea", 2, eur("4.50")),
        OrderLine(SKU_B, uuid4(), "Teapot", 1, eur("20.00")),
        OrderLine(SKU_A, uuid4(), "Green tea", 1, eur("4.50")),
    ]


def place(tenant_id: UUID, customer_id: UUID, **overrides) -> Order:
    order_lines = overrides.pop("lines", lines())
    kwargs = {
        "tenant_id": tenant_id,
        "order_id": uuid4(),
        "order_number": "1001",
        "customer_id": customer_id,
        "currency": "EUR",
        "lines": order_lines,
        "totals": OrderTotals.of(order_lines, "EUR", shipping=eur("5.00")),
        "shipping_address": ADDRESS,
        "placed_at": T0,
    } | overrides
    return Order.place(**kwargs)


def inventory(event: str) -> Cause:
    return Cause.event(f"inventory.{event}", uuid4())


def payments(event: str) -> Cause:
    return Cause.event(f"payments.{event}", uuid4())


def shipping(event: str) -> Cause:
    return Cause.event(f"shipping.{event}", uuid4())


def reserve(order: Order, at: datetime = T0) -> Outcome:
    return order.mark_stock_reserved(
        order.reservation_id, HOLD_UNTIL, inventory("stock_reserved"), at=at
    )


def authorize(order: Order) -> Outcome:
    return order.mark_payment_authorized(order.payment_id, payments("payment_authorized"), at=T0)


def ship(order: Order, shipment_id: UUID | None = None) -> Outcome:
    return order.mark_shipped(
        shipment_id or shipment_id_for(order.id),
        shipping("shipment_shipped"),
        carrier="delhivery",
        tracking_number="AWB123",
        shipped_at=T0 + timedelta(days=1),
    )


def deliver(order: Order) -> Outcome:
    return order.mark_delivered(
        shipment_id_for(order.id),
        shipping("shipment_delivered"),
        delivered_at=T0 + timedelta(days=2),
    )


# -- placing --------------------------------------------------------------------------------------


def test_placed_order_is_pending_with_its_saga_ids(tenant_id, customer_id) -> None:
    order = place(tenant_id, customer_id)

    assert order.status is OrderStatus.PENDING
    assert order.checkout_step is CheckoutStep.RESERVING_STOCK
    assert order.reservation_id == derived_id(order.id, "reservation")
    assert order.payment_id == derived_id(order.id, "payment")
    assert order.totals.subtotal == eur("33.50")
    assert order.total == eur("38.50")
    [entry] = order.history
    assert (entry.from_status, entry.to_status, entry.at) == (None, OrderStatus.PENDING, T0)
    assert entry.cause == Cause(CauseKind.CUSTOMER, str(customer_id))


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"lines": []}, InvalidOrder),
        ({"order_number": " "}, InvalidOrder),
        ({"shipping_address": ADDRESS | {"country": "india"}}, InvalidOrder),
        ({"shipping_address": {"name": "Asha"}}, InvalidOrder),
        ({"placed_at": datetime(2026, 3, 1, 12, 0)}, InvalidOrder),
        ({"currency": "USD"}, CurrencyMismatch),
        (
            {"totals": OrderTotals(eur(1), eur(0), eur(0), eur(0), eur(1))},
            InvalidOrder,
        ),
    ],
)
def test_an_order_that_could_not_be_published_is_refused(
    tenant_id, customer_id, overrides, error
) -> None:
    with pytest.raises(error) as exc:
        place(tenant_id, customer_id, **overrides)
    assert exc.value.status == 422


# -- the happy path -------------------------------------------------------------------------------


def test_happy_path_records_every_step_with_its_cause(tenant_id, customer_id, recorded) -> None:
    order = place(tenant_id, customer_id)
    stock_reserved, authorized = inventory("stock_reserved"), payments("payment_authorized")
    shipped, failed = shipping("shipment_shipped"), shipping("delivery_failed")
    delivered = shipping("shipment_delivered")
    shipment = shipment_id_for(order.id)

    assert (
        order.mark_stock_reserved(
            order.reservation_id, HOLD_UNTIL, stock_reserved, at=T0 + timedelta(seconds=1)
        )
        is Outcome.APPLIED
    )
    assert order.checkout_step is CheckoutStep.AUTHORIZING_PAYMENT
    assert (
        order.mark_payment_authorized(order.payment_id, authorized, at=T0 + timedelta(seconds=2))
        is Outcome.APPLIED
    )
    assert order.checkout_step is CheckoutStep.COMPLETED
    assert (
        order.mark_shipped(
            shipment,
            shipped,
            carrier="delhivery",
            tracking_number="AWB1",
            shipped_at=T0 + timedelta(1),
        )
        is Outcome.APPLIED
    )
    assert (
        order.record_delivery_failure(
            shipment, 1, "customer_unavailable", failed, failed_at=T0 + timedelta(2)
        )
        is Outcome.APPLIED
    )
    assert (
        order.mark_delivered(shipment, delivered, delivered_at=T0 + timedelta(3)) is Outcome.APPLIED
    )

    assert order.status is OrderStatus.DELIVERED
    assert recorded(order) == [
        "Placed",
        "PaymentRequested",
        "Confirmed",
        "Shipped",
        "DeliveryAttemptFailed",
        "Delivered",
    ]
    S = OrderStatus
    assert [(h.from_status, h.to_status, h.cause, h.reason) for h in order.history] == [
        (None, S.PENDING, Cause.customer(customer_id), None),
        (S.PENDING, S.AWAITING_PAYMENT, stock_reserved, None),
        (S.AWAITING_PAYMENT, S.CONFIRMED, authorized, None),
        (S.CONFIRMED, S.SHIPPED, shipped, None),
        (S.SHIPPED, S.SHIPPED, failed, "customer_unavailable"),
        (S.SHIPPED, S.DELIVERED, delivered, None),
    ]
    assert [h.at for h in order.history] == [
        T0,
        T0 + timedelta(seconds=1),
        T0 + timedelta(seconds=2),
        T0 + timedelta(1),
        T0 + timedelta(2),
        T0 + timedelta(3),
    ]
    assert (order.carrier, order.tracking_number, order.failed_delivery_attempts) == (
        "delhivery",
        "AWB1",
        (1,),
    )


def test_stock_reserved_requests_payment_with_a_deadline(tenant_id, customer_id, given) -> None:
    order = place(tenant_id, customer_id)
    given(order)

    order.mark_stock_reserved(
        order.reservation_id,
        HOLD_UNTIL,
        inventory("stock_reserved"),
        at=T0,
        payment_timeout=timedelta(minutes=10),
    )

    [requested] = order.pending_events
    assert requested.payment_id == order.payment_id
    assert (requested.amount, requested.currency) == (Decimal("38.50"), "EUR")
    assert requested.customer_id == customer_id
    assert order.payment_due_at == T0 + timedelta(minutes=10)
    assert order.reservation_expires_at == HOLD_UNTIL


def test_confirmation_ships_each_sku_once_with_summed_quantities(
    tenant_id, customer_id, given
) -> None:
    order = place(tenant_id, customer_id)
    reserve(order)
    given(order)

    authorize(order)

    [confirmed] = order.pending_events
    assert sorted((ln["sku_id"], ln["quantity"]) for ln in confirmed.lines) == sorted(
        [(SKU_A, 3), (SKU_B, 1)]
    )


# -- the transition table -------------------------------------------------------------------------


def order_in(status: OrderStatus, tenant_id: UUID, customer_id: UUID) -> Order:
    """An order brought to ``status`` through legal steps only."""
    order = place(tenant_id, customer_id)
    S = OrderStatus
    if status is S.PENDING:
        return order
    reserve(order)
    if status is S.AWAITING_PAYMENT:
        return order
    if status is S.CANCELLED:
        order.cancel(CancelReason.PAYMENT_TIMEOUT, Cause.system("sweeper"), at=T0)
        return order
    authorize(order)
    if status is S.CONFIRMED:
        return order
    ship(order)
    if status is S.SHIPPED:
        return order
    if status is S.RETURNED:
        order.mark_returned(shipment_id_for(order.id), "rto", shipping("shipment_returned"))
        return order
    deliver(order)
    if status is S.DELIVERED:
        return order
    order.mark_refunded(uuid4(), eur("38.50"), "goodwill", payments("payment_refunded"))
    assert status is S.REFUNDED
    return order


def fire(order: Order, trigger: Trigger) -> Outcome:
    """Run the command of ``trigger`` with arguments a fresh message would carry."""
    shipment = shipment_id_for(order.id)
    match trigger:
        case Trigger.STOCK_RESERVED:
            return reserve(order)
        case Trigger.PAYMENT_AUTHORIZED:
            return authorize(order)
        case Trigger.CANCEL:
            return order.cancel(CancelReason.CUSTOMER_REQUEST, Cause.customer(order.customer_id))
        case Trigger.SHIP:
            return ship(order, uuid4())
        case Trigger.DELIVERY_FAILED:
            return order.record_delivery_failure(shipment, 7, "address", shipping("ndr"))
        case Trigger.DELIVER:
            return deliver(order)
        case Trigger.RETURN_TO_ORIGIN:
            return order.mark_returned(shipment, "rto", shipping("shipment_returned"))
        case Trigger.REFUND:
            return order.mark_refunded(uuid4(), eur(1), "goodwill", payments("payment_refunded"))
    raise AssertionError(trigger)


def _no_op_outcome(trigger: Trigger, status: OrderStatus) -> Outcome | None:
    """The documented answer of a command the table does not allow, when it is not an error:
    a redelivery of a step already taken, or a late success for a cancelled order."""
    S, T = OrderStatus, Trigger
    if trigger is T.STOCK_RESERVED and status is not S.PENDING:
        return Outcome.DUPLICATE  # the order's one reservation was already reported
    if trigger is T.PAYMENT_AUTHORIZED and status in {
        S.CONFIRMED,
        S.SHIPPED,
        S.DELIVERED,
        S.RETURNED,
        S.REFUNDED,
    }:
        return Outcome.DUPLICATE
    if trigger is T.DELIVER and status in {S.DELIVERED, S.REFUNDED}:
        return Outcome.DUPLICATE
    if trigger is T.RETURN_TO_ORIGIN and status is S.RETURNED:
        return Outcome.DUPLICATE
    if status is S.CANCELLED:
        return Outcome.IGNORED if trigger is T.CANCEL else Outcome.REJECTED_LATE
    return None


ILLEGAL = [
    (trigger, status)
    for trigger in Trigger
    for status in OrderStatus
    if not any(t.trigger is trigger and t.source is status for t in TRANSITIONS)
]


@pytest.mark.parametrize(("trigger", "status"), ILLEGAL, ids=lambda v: v.value)
def test_every_step_outside_the_table_changes_nothing(
    tenant_id, customer_id, given, trigger, status
) -> None:
    order = order_in(status, tenant_id, customer_id)
    given(order)

    expected = _no_op_outcome(trigger, status)
    if expected is None:
        with pytest.raises(IllegalTransition) as exc:
            fire(order, trigger)
        assert (exc.value.status, exc.value.code) == (409, "illegal_transition")
    else:
        assert fire(order, trigger) is expected

    assert order.status is status
    assert order.pending_events == []


def test_the_table_reaches_every_status() -> None:
    assert {t.target for t in TRANSITIONS} | {OrderStatus.PENDING} == set(OrderStatus)


@pytest.mark.parametrize(
    ("status", "reason", "allowed"),
    [
        (OrderStatus.PENDING, CancelReason.OUT_OF_STOCK, True),
        (OrderStatus.PENDING, CancelReason.PAYMENT_FAILED, False),
        (OrderStatus.PENDING, CancelReason.PAYMENT_TIMEOUT, False),
        (OrderStatus.AWAITING_PAYMENT, CancelReason.OUT_OF_STOCK, False),
        (OrderStatus.AWAITING_PAYMENT, CancelReason.RESERVATION_EXPIRED, True),
        (OrderStatus.CONFIRMED, CancelReason.CUSTOMER_REQUEST, False),
        (OrderStatus.CONFIRMED, CancelReason.PAYMENT_TIMEOUT, False),
        (OrderStatus.SHIPPED, CancelReason.STAFF_CANCELLED, False),
    ],
)
def test_cancel_reasons_depend_on_the_status(
    tenant_id, customer_id, status, reason, allowed
) -> None:
    order = order_in(status, tenant_id, customer_id)
    cause = Cause.staff(uuid4()) if reason is CancelReason.STAFF_CANCELLED else Cause.system("x")
    if allowed:
        assert order.cancel(reason, cause) is Outcome.APPLIED
        assert order.status is OrderStatus.CANCELLED
    else:
        with pytest.raises(IllegalTransition):
            order.cancel(reason, cause)
        assert order.status is status


def test_unknown_cancel_reason_is_invalid(tenant_id, customer_id) -> None:
    with pytest.raises(InvalidReason) as exc:
        place(tenant_id, customer_id).cancel("bored", Cause.system("x"))
    assert exc.value.status == 422


def test_only_staff_cancel_a_confirmed_order(tenant_id, customer_id, given) -> None:
    order = order_in(OrderStatus.CONFIRMED, tenant_id, customer_id)
    given(order)
    with pytest.raises(IllegalTransition):
        order.cancel(CancelReason.STAFF_CANCELLED, Cause.customer(customer_id))
    staff = uuid4()

    assert order.cancel(CancelReason.STAFF_CANCELLED, Cause.staff(staff)) is Outcome.APPLIED

    [cancelled] = order.pending_events
    assert (cancelled.reason, cancelled.cancelled_by) == ("staff_cancelled", staff)
    assert cancelled.payment_id == order.payment_id  # payments voids or refunds it
    assert order.history[-1].cause == Cause(CauseKind.STAFF, str(staff))


# -- redelivered and late messages ----------------------------------------------------------------


def test_redelivered_saga_messages_are_no_ops(tenant_id, customer_id, given) -> None:
    order = order_in(OrderStatus.CONFIRMED, tenant_id, customer_id)
    given(order)

    assert reserve(order) is Outcome.DUPLICATE
    assert authorize(order) is Outcome.DUPLICATE
    assert order.pending_events == []
    assert len(order.history) == 3


def test_redelivered_shipping_messages_are_no_ops(tenant_id, customer_id, given) -> None:
    order = order_in(OrderStatus.SHIPPED, tenant_id, customer_id)
    shipment = shipment_id_for(order.id)
    order.record_delivery_failure(shipment, 1, "door_locked", shipping("ndr"))
    given(order)

    assert ship(order) is Outcome.DUPLICATE
    assert order.record_delivery_failure(shipment, 1, "door_locked", shipping("ndr")) is (
        Outcome.DUPLICATE
    )
    assert order.pending_events == []


def test_out_of_stock_cancels_without_a_payment_to_void(tenant_id, customer_id, given) -> None:
    order = place(tenant_id, customer_id)
    given(order)
    shortage = {"sku_id": SKU_A, "requested": 3, "available": 1}

    outcome = order.mark_reservation_failed(
        order.reservation_id, inventory("reservation_failed"), shortages=[shortage], at=T0
    )

    assert outcome is Outcome.APPLIED
    assert order.status is OrderStatus.CANCELLED
    assert order.checkout_step is CheckoutStep.ABORTED
    [cancelled] = order.pending_events
    assert (cancelled.reason, cancelled.payment_id, cancelled.cancelled_by) == (
        "out_of_stock",
        None,
        None,
    )
    assert cancelled.reservation_id == order.reservation_id
    assert order.shortages == (shortage,)
    given(order)
    assert (
        order.mark_reservation_failed(order.reservation_id, inventory("reservation_failed"))
        is Outcome.DUPLICATE
    )


def test_late_stock_reserved_after_a_cancel_is_reported_for_compensation(
    tenant_id, customer_id, given
) -> None:
    order = place(tenant_id, customer_id)
    order.cancel(CancelReason.CUSTOMER_REQUEST, Cause.customer(customer_id))
    given(order)

    assert reserve(order) is Outcome.REJECTED_LATE

    assert order.status is OrderStatus.CANCELLED
    assert order.pending_events == []


def test_late_payment_authorization_after_a_timeout_is_reported(
    tenant_id, customer_id, given
) -> None:
    order = order_in(OrderStatus.AWAITING_PAYMENT, tenant_id, customer_id)
    order.cancel(CancelReason.PAYMENT_TIMEOUT, Cause.system("payment_timeout_sweeper"))
    given(order)

    assert authorize(order) is Outcome.REJECTED_LATE
    # a failure for the same timed-out payment needs nothing more
    assert order.mark_payment_failed(order.payment_id, payments("payment_failed")) is (
        Outcome.IGNORED
    )
    assert order.pending_events == []
    assert order.cancellation_reason is CancelReason.PAYMENT_TIMEOUT


def test_payment_failure_cancels_and_names_the_payment(tenant_id, customer_id, given) -> None:
    order = order_in(OrderStatus.AWAITING_PAYMENT, tenant_id, customer_id)
    given(order)

    assert order.mark_payment_failed(order.payment_id, payments("payment_failed")) is (
        Outcome.APPLIED
    )
    assert order.mark_payment_failed(order.payment_id, payments("payment_failed")) is (
        Outcome.DUPLICATE
    )

    [cancelled] = order.pending_events
    assert (cancelled.reason, cancelled.payment_id) == ("payment_failed", order.payment_id)


def test_messages_for_another_orders_reservation_or_payment_are_refused(
    tenant_id, customer_id
) -> None:
    order = place(tenant_id, customer_id)
    with pytest.raises(UnexpectedReference) as exc:
        order.mark_stock_reserved(uuid4(), HOLD_UNTIL, inventory("stock_reserved"))
    assert exc.value.status == 409
    reserve(order)
    with pytest.raises(UnexpectedReference):
        order.mark_payment_authorized(uuid4(), payments("payment_authorized"))


# -- timeouts -------------------------------------------------------------------------------------


def test_payment_timeout_is_decided_from_the_recorded_deadline(tenant_id, customer_id) -> None:
    order = place(tenant_id, customer_id)
    assert order.timed_out(T0 + timedelta(days=1)) is None  # pending: no deadline yet
    order.mark_stock_reserved(
        order.reservation_id,
        HOLD_UNTIL,
        inventory("stock_reserved"),
        at=T0,
        payment_timeout=timedelta(minutes=15),
    )

    assert order.timed_out(T0 + timedelta(minutes=14)) is None
    assert order.timed_out(T0 + timedelta(minutes=15)) is CancelReason.PAYMENT_TIMEOUT

    order.cancel(order.timed_out(T0 + timedelta(minutes=20)), Cause.system("sweeper"))
    assert order.status is OrderStatus.CANCELLED
    assert order.timed_out(T0 + timedelta(days=1)) is None


def test_reservation_expiring_first_is_the_reason(tenant_id, customer_id) -> None:
    order = place(tenant_id, customer_id)
    order.mark_stock_reserved(
        order.reservation_id,
        T0 + timedelta(minutes=5),
        inventory("stock_reserved"),
        at=T0,
        payment_timeout=timedelta(minutes=15),
    )
    assert order.timed_out(T0 + timedelta(minutes=4)) is None
    assert order.timed_out(T0 + timedelta(minutes=20)) is CancelReason.RESERVATION_EXPIRED


def test_a_confirmed_order_never_times_out(tenant_id, customer_id) -> None:
    order = order_in(OrderStatus.CONFIRMED, tenant_id, customer_id)
    assert order.timed_out(T0 + timedelta(days=30)) is None


# -- after delivery -------------------------------------------------------------------------------


def test_return_to_origin_after_failed_attempts_then_refund(
    tenant_id, customer_id, given, recorded
) -> None:
    order = order_in(OrderStatus.SHIPPED, tenant_id, customer_id)
    shipment = shipment_id_for(order.id)
    given(order)

    for attempt in (1, 2, 3):
        order.record_delivery_failure(shipment, attempt, "customer_unavailable", shipping("ndr"))
    assert order.status is OrderStatus.SHIPPED
    order.mark_returned(shipment, "rto", shipping("shipment_returned"))
    refund = uuid4()
    assert order.mark_refunded(refund, eur("38.50"), "rto", payments("refunded")) is (
        Outcome.APPLIED
    )
    assert order.mark_refunded(refund, eur("38.50"), "rto", payments("refunded")) is (
        Outcome.DUPLICATE
    )

    assert recorded(order) == ["DeliveryAttemptFailed"] * 3 + ["Returned", "Refunded"]
    assert order.status is OrderStatus.REFUNDED
    assert order.refunded == eur("38.50")


def test_partial_refunds_add_up(tenant_id, customer_id) -> None:
    order = order_in(OrderStatus.DELIVERED, tenant_id, customer_id)
    order.mark_refunded(uuid4(), eur("10.00"), "damaged item", payments("refunded"))
    order.mark_refunded(uuid4(), eur("5.00"), "late", payments("refunded"))
    assert order.refunded == eur("15.00")
    with pytest.raises(CurrencyMismatch):
        order.mark_refunded(uuid4(), Money.of(1, "USD"), "x", payments("refunded"))


# -- storage and the relay ------------------------------------------------------------------------


def test_the_whole_lifecycle_survives_storage(tenant_id, customer_id, reload) -> None:
    order = order_in(OrderStatus.DELIVERED, tenant_id, customer_id)
    order.mark_refunded(uuid4(), eur("38.50"), "goodwill", payments("refunded"))

    loaded = reload(order)

    assert loaded.status is OrderStatus.REFUNDED
    assert loaded.history == order.history
    assert loaded.lines == order.lines
    assert loaded.totals == order.totals
    assert loaded.shipping_address == order.shipping_address
    assert loaded.refunded == eur("38.50")
    assert loaded.tenant_id == tenant_id
    assert reserve(loaded) is Outcome.DUPLICATE


def test_each_stored_event_is_enough_for_its_public_contract(
    tenant_id, customer_id, event_store
) -> None:
    """The relay translates each stored event alone: no aggregate is loaded to fill a field."""
    delivered = order_in(OrderStatus.DELIVERED, tenant_id, customer_id)
    delivered.mark_refunded(uuid4(), eur("10.00"), "goodwill", payments("refunded"))
    cancelled = order_in(OrderStatus.AWAITING_PAYMENT, tenant_id, customer_id)
    cancelled.mark_payment_failed(cancelled.payment_id, payments("payment_failed"))
    event_store.save(delivered, cancelled)
    ev = {
        type(e).__name__: e
        for order in (delivered, cancelled)
        for e in event_store.events.get(order.id)
    }

    def money(e):
        return Money.of(e.amount, e.currency)

    placed = ev["Placed"]
    OrderPlaced(
        order_id=placed.order_id,
        order_number=placed.order_number,
        customer_id=placed.customer_id,
        currency=placed.currency,
        lines=[
            {
                **{k: ln[k] for k in ("sku_id", "product_id", "product_name", "quantity")},
                "unit_price": Money.of(ln["unit_price"], placed.currency),
                "line_total": Money.of(ln["line_total"], placed.currency),
            }
            for ln in placed.lines
        ],
        totals={
            k: Money.of(getattr(placed, k), placed.currency)
            for k in ("subtotal", "discount", "tax", "shipping", "total")
        },
        shipping_address=placed.shipping_address,
        billing_address=placed.billing_address,
    )
    e = ev["PaymentRequested"]
    PaymentRequested(
        order_id=e.originator_id,
        payment_id=e.payment_id,
        customer_id=e.customer_id,
        amount=money(e),
    )
    e = ev["Confirmed"]
    OrderConfirmed(
        order_id=e.originator_id,
        order_number=e.order_number,
        reservation_id=e.reservation_id,
        payment_id=e.payment_id,
        total=money(e),
        lines=e.lines,
        shipping_address=e.shipping_address,
    )
    e = ev["Cancelled"]
    OrderCancelled(
        order_id=e.originator_id,
        reason=e.reason,
        reservation_id=e.reservation_id,
        payment_id=e.payment_id,
        cancelled_by=e.cancelled_by,
    )
    e = ev["Shipped"]
    OrderShipped(
        order_id=e.originator_id,
        shipment_id=e.shipment_id,
        carrier=e.carrier,
        tracking_number=e.tracking_number,
    )
    e = ev["Delivered"]
    OrderDelivered(order_id=e.originator_id, shipment_id=e.shipment_id, delivered_at=e.at)
    e = ev["Refunded"]
    OrderRefunded(
        order_id=e.originator_id, payment_id=e.payment_id, amount=money(e), reason=e.reason
    )
    assert all(e.tenant_id == tenant_id for e in ev.values())
