"""The checkout saga's reactions to other services' events.

Each policy is a synchronous function (the saga consumer runs it in a worker thread) that loads
the order the event is about, calls the matching command and returns the changed orders,
unsaved: the `EventStoreConsumer` saves their events together with its tracking record and the
message's id, so a redelivered message changes nothing.

What the order's command answers (`Outcome`) decides what else happens:

* ``APPLIED``: saved (the relay publishes the public events that follow);
* ``DUPLICATE`` / ``IGNORED``: nothing to save;
* ``REJECTED_LATE``: a success (stock reserved, payment authorized) arrived after the order was
  cancelled. The ``orders.order_cancelled`` already published asked inventory to release and
  payments to void, but it may have reached them *before* the reservation or authorization
  existed. The order therefore records a ``CompensationRequested``, which the relay publishes as
  another ``orders.order_cancelled``: inventory and payments now see a cancellation that comes
  after what they did, and release / void it. A late shipment is only logged (an alert: stock
  left the warehouse for a cancelled order).

An event about an order this service does not know (another tenant's, or none) and an event the
state machine refuses are logged and skipped: retrying cannot make them valid, and a poison
message must not hold up the partition.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from shop_contracts.events.inventory import ReservationFailed, ReservationReleased, StockReserved
from shop_contracts.events.payments import PaymentAuthorized, PaymentFailed, PaymentRefunded
from shop_contracts.events.shipping import (
    DeliveryFailed,
    ShipmentDelivered,
    ShipmentReturned,
    ShipmentShipped,
)
from shop_runtime.aggregate import NotFound

from orders.application.app import OrdersApp
from orders.domain.errors import OrdersError
from orders.domain.order import CancelReason, Cause, Order, OrderStatus, Outcome

__all__ = [
    "EventMeta",
    "on_delivery_failed",
    "on_payment_authorized",
    "on_payment_failed",
    "on_payment_refunded",
    "on_reservation_failed",
    "on_reservation_released",
    "on_shipment_delivered",
    "on_shipment_returned",
    "on_shipment_shipped",
    "on_stock_reserved",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EventMeta:
    """What a policy needs of the envelope: whose event it is and which one (for the history)."""

    tenant_id: UUID
    event_type: str
    event_id: UUID

    @property
    def cause(self) -> Cause:
        return Cause.event(self.event_type, self.event_id)


def _react(
    app: OrdersApp, meta: EventMeta, order_id: UUID, command: Callable[[Order], Outcome]
) -> list[Order]:
    try:
        order = app.order(meta.tenant_id, order_id)
    except NotFound:
        log.warning(
            "%s %s: order %s unknown here; skipped", meta.event_type, meta.event_id, order_id
        )
        return []
    try:
        outcome = command(order)
    except OrdersError as e:
        log.error(
            "%s %s refused by order %s (%s): %s; skipped",
            meta.event_type,
            meta.event_id,
            order_id,
            e.code,
            e,
        )
        return []
    if outcome is Outcome.APPLIED:
        return [order]
    if outcome is Outcome.REJECTED_LATE:
        return _compensate(order, meta)
    log.info("%s %s: order %s %s", meta.event_type, meta.event_id, order_id, outcome.value)
    return []


def _compensate(order: Order, meta: EventMeta) -> list[Order]:
    what = {
        "inventory.stock_reserved": "reservation",
        "payments.payment_authorized": "payment",
    }.get(meta.event_type)
    if what is None:
        log.error(
            "ALERT %s %s arrived for cancelled order %s: nothing to undo automatically",
            meta.event_type,
            meta.event_id,
            order.id,
        )
        return []
    log.warning(
        "%s %s arrived after order %s was cancelled: asking again to undo the %s",
        meta.event_type,
        meta.event_id,
        order.id,
        what,
    )
    if order.request_compensation(what, meta.cause) is Outcome.APPLIED:
        return [order]
    return []


# -- inventory ------------------------------------------------------------------------------------


def on_stock_reserved(app: OrdersApp, meta: EventMeta, event: StockReserved) -> list[Order]:
    """pending → awaiting_payment, and ``orders.payment_requested`` (with the payment token)."""
    return _react(
        app,
        meta,
        event.order_id,
        lambda order: order.mark_stock_reserved(
            event.reservation_id,
            event.expires_at,
            meta.cause,
            payment_timeout=app.payment_timeout,
        ),
    )


def on_reservation_failed(app: OrdersApp, meta: EventMeta, event: ReservationFailed) -> list[Order]:
    """→ cancelled(out_of_stock), with the shortages for the customer."""
    return _react(
        app,
        meta,
        event.order_id,
        lambda order: order.mark_reservation_failed(
            event.reservation_id,
            meta.cause,
            shortages=[s.model_dump(mode="json") for s in event.shortages],
        ),
    )


def on_reservation_released(
    app: OrdersApp, meta: EventMeta, event: ReservationReleased
) -> list[Order]:
    """Inventory let the reservation expire: an order still waiting for its payment is cancelled
    (reservation_expired). A release answering our own cancellation changes nothing."""

    def command(order: Order) -> Outcome:
        if order.status is OrderStatus.AWAITING_PAYMENT:
            return order.cancel(CancelReason.RESERVATION_EXPIRED, meta.cause)
        if order.status not in (OrderStatus.CANCELLED, OrderStatus.PENDING):
            log.error(
                "ALERT reservation of order %s released (%s) while the order is %s",
                order.id,
                event.reason,
                order.status.value,
            )
        return Outcome.IGNORED

    return _react(app, meta, event.order_id, command)


# -- payments -------------------------------------------------------------------------------------


def on_payment_authorized(app: OrdersApp, meta: EventMeta, event: PaymentAuthorized) -> list[Order]:
    """awaiting_payment → confirmed (``orders.order_confirmed``)."""
    return _react(
        app,
        meta,
        event.order_id,
        lambda order: order.mark_payment_authorized(event.payment_id, meta.cause),
    )


def on_payment_failed(app: OrdersApp, meta: EventMeta, event: PaymentFailed) -> list[Order]:
    """→ cancelled(payment_failed) (``orders.order_cancelled``: inventory releases)."""
    return _react(
        app,
        meta,
        event.order_id,
        lambda order: order.mark_payment_failed(event.payment_id, meta.cause),
    )


def on_payment_refunded(app: OrdersApp, meta: EventMeta, event: PaymentRefunded) -> list[Order]:
    """Money went back: → refunded (``orders.order_refunded``)."""
    return _react(
        app,
        meta,
        event.order_id,
        lambda order: order.mark_refunded(
            event.refund_id, event.amount, event.reason or "refund", meta.cause
        ),
    )


# -- shipping -------------------------------------------------------------------------------------


def on_shipment_shipped(app: OrdersApp, meta: EventMeta, event: ShipmentShipped) -> list[Order]:
    return _react(
        app,
        meta,
        event.order_id,
        lambda order: order.mark_shipped(
            event.shipment_id,
            meta.cause,
            carrier=event.carrier,
            tracking_number=event.tracking_number,
            shipped_at=event.shipped_at,
        ),
    )


def on_delivery_failed(app: OrdersApp, meta: EventMeta, event: DeliveryFailed) -> list[Order]:
    return _react(
        app,
        meta,
        event.order_id,
        lambda order: order.record_delivery_failure(
            event.shipment_id,
            event.attempt,
            event.reason_code,
            meta.cause,
            failed_at=event.failed_at,
        ),
    )


def on_shipment_delivered(app: OrdersApp, meta: EventMeta, event: ShipmentDelivered) -> list[Order]:
    return _react(
        app,
        meta,
        event.order_id,
        lambda order: order.mark_delivered(
            event.shipment_id, meta.cause, delivered_at=event.delivered_at
        ),
    )


def on_shipment_returned(app: OrdersApp, meta: EventMeta, event: ShipmentReturned) -> list[Order]:
    return _react(
        app,
        meta,
        event.order_id,
        lambda order: order.mark_returned(
            event.shipment_id, event.reason, meta.cause, returned_at=event.returned_at
        ),
    )
