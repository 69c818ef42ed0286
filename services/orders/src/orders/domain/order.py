"""Order: the customer's order, its status history and the checkout saga that drives it.

The checkout is orchestrated here (ARCHITECTURE §6): the order records which step it is in,
the ids of the reservation and payment it waits for (both derived from the order id) and the
deadlines a sweeper checks (`Order.timed_out`). Each reaction to another service's event is a
command that returns an `Outcome`, so a redelivered message is harmless and a late one is
reported instead of failing.

Happy path: pending → awaiting_payment (stock reserved) → confirmed (payment authorized) →
shipped (⟲ failed delivery attempts) → delivered. Cancelled from pending or awaiting_payment
(out of stock, payment failed or timed out, reservation expired, customer or staff), from
confirmed by staff only. Returned (to origin, or by the customer) from shipped or delivered.
Refunded from delivered, returned or cancelled.

Every legal step is one row of `TRANSITIONS`; anything else raises `IllegalTransition` (409).
Every step appends a `StatusChange` to ``history`` with who or what caused it (`Cause`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import event
from pydantic import ValidationError
from shop_contracts.events.orders import Address
from shop_contracts.ids import derived_id
from shop_contracts.money import Money
from shop_runtime.aggregate import TenantAggregate

from orders.domain.checkout import OrderLine, OrderTotals
from orders.domain.errors import (
    CardDataRefused,
    CurrencyMismatch,
    IllegalTransition,
    InvalidOrder,
    InvalidReason,
    UnexpectedReference,
)

__all__ = [
    "DEFAULT_PAYMENT_TIMEOUT",
    "TRANSITIONS",
    "CancelReason",
    "Cause",
    "CauseKind",
    "CheckoutStep",
    "Order",
    "OrderStatus",
    "Outcome",
    "StatusChange",
    "Transition",
    "Trigger",
    "payment_id_for",
    "reservation_id_for",
    "shipment_id_for",
    "valid_payment_token",
]

DEFAULT_PAYMENT_TIMEOUT: Final = timedelta(minutes=15)


def reservation_id_for(order_id: UUID) -> UUID:
    return derived_id(order_id, "reservation")


def payment_id_for(order_id: UUID) -> UUID:
    return derived_id(order_id, "payment")


def shipment_id_for(order_id: UUID) -> UUID:
    return derived_id(order_id, "shipment")


class OrderStatus(StrEnum):
    PENDING = "pending"
    """Placed; waiting for inventory to reserve the stock."""
    AWAITING_PAYMENT = "awaiting_payment"
    """Stock reserved; payment requested, waiting for its authorization."""
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RETURNED = "returned"
    """Came back to the warehouse (return to origin after failed deliveries, or a customer
    return). Not "cancelled": the sale happened and the stock was committed; inventory
    restocks from shipping's event and the money goes back through a refund."""
    CANCELLED = "cancelled"
    """Stopped before shipping; the reservation is released, a payment authorization voided."""
    REFUNDED = "refunded"


class Trigger(StrEnum):
    """What moves an order: the name of a row of the transition table."""

    STOCK_RESERVED = "stock_reserved"
    PAYMENT_AUTHORIZED = "payment_authorized"
    CANCEL = "cancel"
    SHIP = "ship"
    DELIVERY_FAILED = "delivery_failed"
    DELIVER = "deliver"
    RETURN_TO_ORIGIN = "return_to_origin"
    REFUND = "refund"


class CancelReason(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_TIMEOUT = "payment_timeout"
    RESERVATION_EXPIRED = "reservation_expired"
    RESERVATION_TIMEOUT = "reservation_timeout"
    """Inventory did not answer the order (neither reserved nor refused) in time."""
    CUSTOMER_REQUEST = "customer_request"
    STAFF_CANCELLED = "staff_cancelled"


class CauseKind(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"
    EVENT = "event"


@dataclass(frozen=True, slots=True)
class Cause:
    """Who or what made a status change: a customer or staff user (``ref`` = user id), the
    system (``ref`` = e.g. ``"payment_timeout_sweeper"``) or another service's event (``ref`` =
    ``"<event_type>:<event_id>"``)."""

    kind: CauseKind
    ref: str | None = None

    @classmethod
    def customer(cls, user_id: UUID) -> Cause:
        return cls(CauseKind.CUSTOMER, str(user_id))

    @classmethod
    def staff(cls, user_id: UUID) -> Cause:
        return cls(CauseKind.STAFF, str(user_id))

    @classmethod
    def system(cls, ref: str) -> Cause:
        return cls(CauseKind.SYSTEM, ref)

    @classmethod
    def event(cls, event_type: str, event_id: UUID | str) -> Cause:
        return cls(CauseKind.EVENT, f"{event_type}:{event_id}")

    @property
    def user_id(self) -> UUID | None:
        """The acting user, for a customer or staff cause."""
        if self.kind in (CauseKind.CUSTOMER, CauseKind.STAFF) and self.ref:
            return UUID(self.ref)
        return None


class Outcome(StrEnum):
    """What a command that a message may repeat did."""

    APPLIED = "applied"
    """State changed and events were recorded: save the order."""
    DUPLICATE = "duplicate"
    """Already applied (redelivery): nothing recorded."""
    IGNORED = "ignored"
    """Nothing to do: the order already ended otherwise (e.g. a payment failure for an order
    cancelled by the customer). Nothing recorded, nothing to compensate."""
    REJECTED_LATE = "rejected_late"
    """A success arrived after the order was cancelled (stock reserved, payment authorized,
    shipment shipped): nothing recorded; the caller must compensate (release, void) or alert.
    The cancellation event already asked for the release/void it knew of; this catches what
    it could not know of."""


class CheckoutStep(StrEnum):
    RESERVING_STOCK = "reserving_stock"
    AUTHORIZING_PAYMENT = "authorizing_payment"
    COMPLETED = "completed"
    ABORTED = "aborted"


@dataclass(frozen=True, slots=True)
class Transition:
    trigger: Trigger
    source: OrderStatus
    target: OrderStatus
    reasons: frozenset[str] = frozenset()
    """For a cancel: the reasons allowed from ``source``."""


_S = OrderStatus
_T = Trigger
_R = CancelReason

TRANSITIONS: Final[tuple[Transition, ...]] = (
    Transition(_T.STOCK_RESERVED, _S.PENDING, _S.AWAITING_PAYMENT),
    Transition(_T.PAYMENT_AUTHORIZED, _S.AWAITING_PAYMENT, _S.CONFIRMED),
    Transition(
        _T.CANCEL,
        _S.PENDING,
        _S.CANCELLED,
        frozenset(
            {_R.OUT_OF_STOCK, _R.RESERVATION_TIMEOUT, _R.CUSTOMER_REQUEST, _R.STAFF_CANCELLED}
        ),
    ),
    Transition(
        _T.CANCEL,
        _S.AWAITING_PAYMENT,
        _S.CANCELLED,
        frozenset(
            {
                _R.PAYMENT_FAILED,
                _R.PAYMENT_TIMEOUT,
                _R.RESERVATION_EXPIRED,
                _R.CUSTOMER_REQUEST,
                _R.STAFF_CANCELLED,
            }
        ),
    ),
    # After payment only staff may cancel (a refund follows through payments).
    Transition(_T.CANCEL, _S.CONFIRMED, _S.CANCELLED, frozenset({_R.STAFF_CANCELLED})),
    Transition(_T.SHIP, _S.CONFIRMED, _S.SHIPPED),
    # NDR: the order stays shipped; each failed attempt is recorded.
    Transition(_T.DELIVERY_FAILED, _S.SHIPPED, _S.SHIPPED),
    Transition(_T.DELIVER, _S.SHIPPED, _S.DELIVERED),
    Transition(_T.RETURN_TO_ORIGIN, _S.SHIPPED, _S.RETURNED),
    Transition(_T.RETURN_TO_ORIGIN, _S.DELIVERED, _S.RETURNED),
    Transition(_T.REFUND, _S.DELIVERED, _S.REFUNDED),
    Transition(_T.REFUND, _S.RETURNED, _S.REFUNDED),
    Transition(_T.REFUND, _S.CANCELLED, _S.REFUNDED),
    Transition(_T.REFUND, _S.REFUNDED, _S.REFUNDED),  # a further partial refund
)
"""The order's state machine: every legal (trigger, from-status) pair and where it leads."""

_TABLE: Final[Mapping[tuple[Trigger, OrderStatus], Transition]] = {
    (t.trigger, t.source): t for t in TRANSITIONS
}


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An entry of the status history (the seeds' ``order_status_history``)."""

    from_status: OrderStatus | None
    to_status: OrderStatus
    at: datetime
    cause: Cause
    reason: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise InvalidOrder(f"{name} must be timezone-aware")
    return moment


_PAYMENT_TOKEN = re.compile(r"^[\x21-\x7e]{1,255}$")
_CARD_NUMBER = re.compile(r"\d{12,19}")


def valid_payment_token(token: str | None) -> str | None:
    """A provider token (``tok_...``) is kept to ask payments for the authorization later; a card
    number is refused outright so that no primary account number ever lands in the event store."""
    if token is None:
        return None
    if _CARD_NUMBER.search(re.sub(r"[\s-]", "", token)):
        raise CardDataRefused("payment_token must be a provider token, never card data")
    if not _PAYMENT_TOKEN.match(token):
        raise InvalidOrder("payment_token must be 1-255 visible ASCII characters")
    return token


def _address(address: Mapping[str, Any], name: str) -> dict[str, Any]:
    # Validated with the contract's Address so that the relay can always publish the order:
    # an address the wire would refuse is refused here, at checkout, with a 422.
    try:
        return Address.model_validate(dict(address)).model_dump(mode="json")
    except ValidationError as exc:
        raise InvalidOrder(f"invalid {name}: {exc.errors(include_url=False)}") from None


class Order(TenantAggregate):
    """Events (each carries what its public contract needs, so the relay translates it alone;
    every status change carries ``status`` (the new one), ``at``, ``cause_kind``, ``cause_ref``):

    * ``Placed(order_id, order_number, customer_id, currency, lines, subtotal, discount, tax,
      shipping, total, shipping_address, billing_address, placed_at, reservation_id,
      payment_id)``
      → ``orders.order_placed``
    * ``PaymentRequested(reservation_id, reservation_expires_at, payment_id, payment_due_at,
      customer_id, amount, currency)`` (stock reserved) → ``orders.payment_requested``
    * ``Confirmed(order_number, reservation_id, payment_id, amount, currency, lines,
      shipping_address)`` → ``orders.order_confirmed``
    * ``Cancelled(reason, reservation_id, payment_id, cancelled_by, shortages)``
      → ``orders.order_cancelled``
    * ``Shipped(shipment_id, carrier, tracking_number)`` → ``orders.order_shipped``
    * ``DeliveryAttemptFailed(shipment_id, attempt, reason)`` (private)
    * ``Delivered(shipment_id)`` → ``orders.order_delivered`` (delivered_at = ``at``)
    * ``Returned(shipment_id, reason)`` (private for now)
    * ``Refunded(refund_id, payment_id, amount, currency, reason)`` → ``orders.order_refunded``
    * ``CompensationRequested(what, reason, reservation_id, payment_id)`` (a success arrived
      after the cancellation) → ``orders.order_cancelled`` again

    ``Placed`` and ``PaymentRequested`` also carry ``payment_token`` (the provider's token, for
    ``orders.payment_requested``).
    """

    @staticmethod
    def create_id(order_id: UUID) -> UUID:
        """The application chooses the order id (it derives the other saga ids from it)."""
        return order_id

    # -- creation ---------------------------------------------------------------------------------

    @classmethod
    def place(
        cls,
        *,
        tenant_id: UUID,
        order_id: UUID,
        order_number: str,
        customer_id: UUID,
        currency: str,
        lines: Iterable[OrderLine],
        totals: OrderTotals,
        shipping_address: Mapping[str, Any],
        placed_at: datetime,
        billing_address: Mapping[str, Any] | None = None,
        payment_token: str | None = None,
    ) -> Order:
        """Place an order (status pending). ``order_number`` is the tenant's next number,
        assigned by the application. ``payment_token`` is the payment provider's token, passed
        on to payments with the payment request. Raises `InvalidOrder` / `CurrencyMismatch` /
        `CardDataRefused` (422)."""
        line_list = list(lines)
        if not line_list:
            raise InvalidOrder("an order needs at least one line")
        if not order_number.strip():
            raise InvalidOrder("an order needs an order number")
        if totals.currency != currency or any(
            ln.unit_price.currency != currency for ln in line_list
        ):
            raise CurrencyMismatch(f"every amount of the order must be in {currency}")
        if totals.subtotal != Money.total((ln.line_total for ln in line_list), currency):
            raise InvalidOrder("the subtotal must equal the sum of the line totals")
        shipping = _address(shipping_address, "shipping address")
        token = valid_payment_token(payment_token)
        return cls(
            tenant_id=tenant_id,
            order_number=order_number.strip(),
            customer_id=customer_id,
            currency=currency,
            lines=[
                {
                    "sku_id": ln.sku_id,
                    "product_id": ln.product_id,
                    "product_name": ln.product_name,
                    "quantity": ln.quantity,
                    "unit_price": ln.unit_price.amount,
                    "line_total": ln.line_total.amount,
                }
                for ln in line_list
            ],
            subtotal=totals.subtotal.amount,
            discount=totals.discount.amount,
            tax=totals.tax.amount,
            shipping=totals.shipping.amount,
            total=totals.total.amount,
            shipping_address=shipping,
            billing_address=(
                None if billing_address is None else _address(billing_address, "billing address")
            ),
            placed_at=_aware(placed_at, "placed_at"),
            reservation_id=reservation_id_for(order_id),
            payment_id=payment_id_for(order_id),
            cause_kind=CauseKind.CUSTOMER.value,
            cause_ref=str(customer_id),
            order_id=order_id,
            payment_token=token,
        )

    @event("Placed")
    def __init__(
        self,
        tenant_id: UUID,
        order_id: UUID,
        order_number: str,
        customer_id: UUID,
        currency: str,
        lines: list[dict[str, Any]],
        subtotal: Any,
        discount: Any,
        tax: Any,
        shipping: Any,
        total: Any,
        shipping_address: dict[str, Any],
        billing_address: dict[str, Any] | None,
        placed_at: datetime,
        reservation_id: UUID,
        payment_id: UUID,
        cause_kind: str,
        cause_ref: str | None,
        payment_token: str | None = None,
    ) -> None:
        self.order_number = order_number
        self.payment_token = payment_token
        self.customer_id = customer_id
        self.currency = currency
        self.lines = tuple(
            OrderLine(
                sku_id=d["sku_id"],
                product_id=d["product_id"],
                product_name=d["product_name"],
                quantity=d["quantity"],
                unit_price=Money.of(d["unit_price"], currency),
            )
            for d in lines
        )
        self.totals = OrderTotals(
            subtotal=Money.of(subtotal, currency),
            discount=Money.of(discount, currency),
            tax=Money.of(tax, currency),
            shipping=Money.of(shipping, currency),
            total=Money.of(total, currency),
        )
        self.shipping_address = dict(shipping_address)
        self.billing_address = dict(billing_address) if billing_address else None
        self.placed_at = placed_at
        self.status = OrderStatus.PENDING
        self.history: list[StatusChange] = [
            StatusChange(
                None, OrderStatus.PENDING, placed_at, Cause(CauseKind(cause_kind), cause_ref)
            )
        ]
        # checkout saga
        self.reservation_id = reservation_id
        self.payment_id = payment_id
        self.stock_reserved = False
        self.reservation_expires_at: datetime | None = None
        self.payment_requested = False
        self.payment_due_at: datetime | None = None
        self.payment_authorized = False
        self.cancellation_reason: CancelReason | None = None
        self.shortages: tuple[dict[str, Any], ...] = ()
        # fulfilment
        self.shipment_id: UUID | None = None
        self.carrier: str | None = None
        self.tracking_number: str | None = None
        self.failed_delivery_attempts: tuple[int, ...] = ()
        self.delivered_at: datetime | None = None
        self.returned_at: datetime | None = None
        self.refund_ids: tuple[UUID, ...] = ()
        self.refunded: Money = Money.zero(currency)
        self.compensations: tuple[str, ...] = ()

    # -- queries ----------------------------------------------------------------------------------

    @property
    def total(self) -> Money:
        return self.totals.total

    @property
    def is_cancelled(self) -> bool:
        return self.cancellation_reason is not None

    @property
    def checkout_step(self) -> CheckoutStep:
        """Where the checkout saga stands."""
        if self.status is OrderStatus.PENDING:
            return CheckoutStep.RESERVING_STOCK
        if self.status is OrderStatus.AWAITING_PAYMENT:
            return CheckoutStep.AUTHORIZING_PAYMENT
        if self.is_cancelled and not self.payment_authorized:
            return CheckoutStep.ABORTED
        return CheckoutStep.COMPLETED

    def reservation_due_at(self, reservation_timeout: timedelta) -> datetime:
        """When a pending order stops waiting for inventory's answer."""
        return self.placed_at + reservation_timeout

    def timed_out(
        self, now: datetime, *, reservation_timeout: timedelta | None = None
    ) -> CancelReason | None:
        """The reason to cancel the order at ``now`` if a checkout deadline passed, else None.

        A pending order has a deadline only when ``reservation_timeout`` is given: inventory must
        answer the order within it (``reservation_timeout``). An order waiting for its payment
        has the payment's (``payment_due_at``) and the reservation's expiry; the earlier one that
        passed wins.
        """
        if self.status is OrderStatus.PENDING and reservation_timeout is not None:
            due = self.reservation_due_at(reservation_timeout)
            return CancelReason.RESERVATION_TIMEOUT if now >= due else None
        if self.status is not OrderStatus.AWAITING_PAYMENT:
            return None
        deadlines = [
            (self.payment_due_at, CancelReason.PAYMENT_TIMEOUT),
            (self.reservation_expires_at, CancelReason.RESERVATION_EXPIRED),
        ]
        passed = [(due, reason) for due, reason in deadlines if due is not None and now >= due]
        return min(passed, key=lambda item: item[0])[1] if passed else None

    @staticmethod
    def allowed(trigger: Trigger, status: OrderStatus) -> Transition | None:
        return _TABLE.get((trigger, status))

    # -- checkout saga (reactions to inventory and payments) --------------------------------------

    def mark_stock_reserved(
        self,
        reservation_id: UUID,
        expires_at: datetime,
        cause: Cause,
        *,
        at: datetime | None = None,
        payment_timeout: timedelta = DEFAULT_PAYMENT_TIMEOUT,
    ) -> Outcome:
        """Inventory holds the stock: ask payments to authorize the total (``PaymentRequested``)
        and wait until ``at + payment_timeout``."""
        self._expect(reservation_id, self.reservation_id, "reservation")
        if self.stock_reserved:
            return Outcome.DUPLICATE
        if self.is_cancelled:
            return Outcome.REJECTED_LATE
        transition = self._transition(Trigger.STOCK_RESERVED)
        at = at or _now()
        self._payment_requested(
            status=transition.target.value,
            reservation_id=reservation_id,
            reservation_expires_at=_aware(expires_at, "expires_at"),
            payment_id=self.payment_id,
            payment_due_at=at + payment_timeout,
            customer_id=self.customer_id,
            amount=self.total.amount,
            currency=self.currency,
            at=at,
            cause_kind=cause.kind.value,
            cause_ref=cause.ref,
            payment_token=self.payment_token,
        )
        return Outcome.APPLIED

    def mark_reservation_failed(
        self,
        reservation_id: UUID,
        cause: Cause,
        *,
        shortages: Iterable[Mapping[str, Any]] = (),
        at: datetime | None = None,
    ) -> Outcome:
        """Inventory could not hold the stock: cancel with reason ``out_of_stock``.
        ``shortages`` are ``{sku_id, requested, available}`` (shown to the customer)."""
        self._expect(reservation_id, self.reservation_id, "reservation")
        if self.is_cancelled:
            return self._already_cancelled(CancelReason.OUT_OF_STOCK)
        return self._cancel(
            CancelReason.OUT_OF_STOCK,
            cause,
            at,
            shortages=[
                {"sku_id": s["sku_id"], "requested": s["requested"], "available": s["available"]}
                for s in shortages
            ],
        )

    def mark_payment_authorized(
        self, payment_id: UUID, cause: Cause, *, at: datetime | None = None
    ) -> Outcome:
        """Payments authorized the total: the order is confirmed (``Confirmed``: inventory
        commits, shipping ships, payments captures)."""
        self._expect(payment_id, self.payment_id, "payment")
        if self.payment_authorized:
            return Outcome.DUPLICATE
        if self.is_cancelled:
            return Outcome.REJECTED_LATE
        transition = self._transition(Trigger.PAYMENT_AUTHORIZED)
        quantities: dict[UUID, int] = {}
        for line in self.lines:
            quantities[line.sku_id] = quantities.get(line.sku_id, 0) + line.quantity
        self._confirmed(
            status=transition.target.value,
            order_number=self.order_number,
            reservation_id=self.reservation_id,
            payment_id=payment_id,
            amount=self.total.amount,
            currency=self.currency,
            lines=[{"sku_id": sku, "quantity": q} for sku, q in quantities.items()],
            shipping_address=self.shipping_address,
            at=at or _now(),
            cause_kind=cause.kind.value,
            cause_ref=cause.ref,
        )
        return Outcome.APPLIED

    def mark_payment_failed(
        self, payment_id: UUID, cause: Cause, *, at: datetime | None = None
    ) -> Outcome:
        """Payments could not authorize: cancel with reason ``payment_failed``."""
        self._expect(payment_id, self.payment_id, "payment")
        if self.is_cancelled:
            return self._already_cancelled(CancelReason.PAYMENT_FAILED)
        if self.payment_authorized:
            raise IllegalTransition("payment failed for an order whose payment was authorized")
        return self._cancel(CancelReason.PAYMENT_FAILED, cause, at)

    def cancel(
        self, reason: CancelReason | str, cause: Cause, *, at: datetime | None = None
    ) -> Outcome:
        """Cancel for ``reason`` (a customer's request, staff, or a timeout found by
        `timed_out`). ``staff_cancelled`` needs a staff cause and is the only way to cancel a
        confirmed order. Cancelling a cancelled order changes nothing."""
        try:
            reason = CancelReason(reason)
        except ValueError:
            allowed = ", ".join(r.value for r in CancelReason)
            raise InvalidReason(f"unknown cancel reason {reason!r}; one of {allowed}") from None
        if self.is_cancelled:
            return self._already_cancelled(reason)
        return self._cancel(reason, cause, at)

    def request_compensation(
        self, what: str, cause: Cause, *, at: datetime | None = None
    ) -> Outcome:
        """Ask again for the release of a reservation (``what="reservation"``) or the void of a
        payment (``"payment"``) that succeeded after the order was cancelled (a REJECTED_LATE
        outcome). Recorded once per kind; the relay publishes it as another
        ``orders.order_cancelled``, so the service that now holds the stock or the authorization
        sees a cancellation that comes after it, whatever the order of the first messages."""
        if what not in ("reservation", "payment"):
            raise InvalidOrder(f"nothing to compensate called {what!r}")
        if not self.is_cancelled or self.cancellation_reason is None:
            raise IllegalTransition("only a cancelled order compensates late successes")
        if what in self.compensations:
            return Outcome.DUPLICATE
        self._compensation_requested(
            what=what,
            reason=self.cancellation_reason.value,
            reservation_id=self.reservation_id,
            payment_id=self.payment_id if (what == "payment" or self.payment_requested) else None,
            at=at or _now(),
            cause_kind=cause.kind.value,
            cause_ref=cause.ref,
        )
        return Outcome.APPLIED

    # -- fulfilment (reactions to shipping and payments) ------------------------------------------

    def mark_shipped(
        self,
        shipment_id: UUID,
        cause: Cause,
        *,
        carrier: str | None = None,
        tracking_number: str | None = None,
        shipped_at: datetime | None = None,
    ) -> Outcome:
        if self.shipment_id == shipment_id:
            return Outcome.DUPLICATE
        if self.is_cancelled:
            return Outcome.REJECTED_LATE
        transition = self._transition(Trigger.SHIP)
        self._shipped(
            status=transition.target.value,
            shipment_id=shipment_id,
            carrier=carrier,
            tracking_number=tracking_number,
            at=shipped_at or _now(),
            cause_kind=cause.kind.value,
            cause_ref=cause.ref,
        )
        return Outcome.APPLIED

    def record_delivery_failure(
        self,
        shipment_id: UUID,
        attempt: int,
        reason_code: str,
        cause: Cause,
        *,
        failed_at: datetime | None = None,
    ) -> Outcome:
        """A delivery attempt failed (NDR): the order stays shipped, the attempt is recorded."""
        if attempt in self.failed_delivery_attempts:
            return Outcome.DUPLICATE
        if self.is_cancelled:
            return Outcome.REJECTED_LATE
        transition = self._transition(Trigger.DELIVERY_FAILED)
        self._delivery_attempt_failed(
            status=transition.target.value,
            shipment_id=shipment_id,
            attempt=attempt,
            reason=reason_code,
            at=failed_at or _now(),
            cause_kind=cause.kind.value,
            cause_ref=cause.ref,
        )
        return Outcome.APPLIED

    def mark_delivered(
        self, shipment_id: UUID, cause: Cause, *, delivered_at: datetime | None = None
    ) -> Outcome:
        if self.delivered_at is not None:
            return Outcome.DUPLICATE
        if self.is_cancelled:
            return Outcome.REJECTED_LATE
        transition = self._transition(Trigger.DELIVER)
        self._delivered(
            status=transition.target.value,
            shipment_id=shipment_id,
            at=delivered_at or _now(),
            cause_kind=cause.kind.value,
            cause_ref=cause.ref,
        )
        return Outcome.APPLIED

    def mark_returned(
        self,
        shipment_id: UUID,
        reason: str,
        cause: Cause,
        *,
        returned_at: datetime | None = None,
    ) -> Outcome:
        """The shipment came back (``rto`` after failed deliveries, ``customer_return``)."""
        if self.returned_at is not None:
            return Outcome.DUPLICATE
        if self.is_cancelled:
            return Outcome.REJECTED_LATE
        transition = self._transition(Trigger.RETURN_TO_ORIGIN)
        self._returned(
            status=transition.target.value,
            shipment_id=shipment_id,
            reason=reason,
            at=returned_at or _now(),
            cause_kind=cause.kind.value,
            cause_ref=cause.ref,
        )
        return Outcome.APPLIED

    def mark_refunded(
        self,
        refund_id: UUID,
        amount: Money,
        reason: str,
        cause: Cause,
        *,
        at: datetime | None = None,
    ) -> Outcome:
        """Money went back to the customer (after payments' refund). Each refund id counts once;
        a further refund of a refunded order is recorded too (partial refunds)."""
        if refund_id in self.refund_ids:
            return Outcome.DUPLICATE
        if amount.currency != self.currency:
            raise CurrencyMismatch(f"refund in {amount.currency}, order in {self.currency}")
        transition = self._transition(Trigger.REFUND)
        self._refunded(
            status=transition.target.value,
            refund_id=refund_id,
            payment_id=self.payment_id,
            amount=amount.amount,
            currency=amount.currency,
            reason=reason,
            at=at or _now(),
            cause_kind=cause.kind.value,
            cause_ref=cause.ref,
        )
        return Outcome.APPLIED

    # -- decisions --------------------------------------------------------------------------------

    def _transition(self, trigger: Trigger, reason: CancelReason | None = None) -> Transition:
        transition = _TABLE.get((trigger, self.status))
        if transition is None:
            raise IllegalTransition(
                f"order {self.order_number}: cannot {trigger.value} when {self.status.value}"
            )
        if reason is not None and reason.value not in transition.reasons:
            raise IllegalTransition(
                f"order {self.order_number}: cannot cancel for {reason.value} when "
                f"{self.status.value}"
            )
        return transition

    def _already_cancelled(self, reason: CancelReason) -> Outcome:
        return Outcome.DUPLICATE if self.cancellation_reason is reason else Outcome.IGNORED

    def _cancel(
        self,
        reason: CancelReason,
        cause: Cause,
        at: datetime | None,
        shortages: list[dict[str, Any]] | None = None,
    ) -> Outcome:
        transition = self._transition(Trigger.CANCEL, reason)
        if reason is CancelReason.STAFF_CANCELLED and cause.kind is not CauseKind.STAFF:
            raise IllegalTransition("only staff can cancel with reason staff_cancelled")
        self._cancelled(
            status=transition.target.value,
            reason=reason.value,
            reservation_id=self.reservation_id,
            # None when no payment was requested: payments has nothing to void
            payment_id=self.payment_id if self.payment_requested else None,
            cancelled_by=cause.user_id,
            shortages=shortages or [],
            at=at or _now(),
            cause_kind=cause.kind.value,
            cause_ref=cause.ref,
        )
        return Outcome.APPLIED

    @staticmethod
    def _expect(given: UUID, expected: UUID, what: str) -> None:
        if given != expected:
            raise UnexpectedReference(f"{what} {given} is not this order's ({expected})")

    # -- events -----------------------------------------------------------------------------------
    # Event methods only apply state (the new status is in the event, not looked up in the
    # table), so an old event replays the same even after the rules change.

    def _record(
        self, status: str, at: datetime, cause_kind: str, cause_ref: str | None, reason: str | None
    ) -> None:
        new_status = OrderStatus(status)
        cause = Cause(CauseKind(cause_kind), cause_ref)
        self.history.append(StatusChange(self.status, new_status, at, cause, reason))
        self.status = new_status

    @event("PaymentRequested")
    def _payment_requested(
        self,
        status: str,
        reservation_id: UUID,
        reservation_expires_at: datetime,
        payment_id: UUID,
        payment_due_at: datetime,
        customer_id: UUID,
        amount: Any,
        currency: str,
        at: datetime,
        cause_kind: str,
        cause_ref: str | None,
        payment_token: str | None = None,
    ) -> None:
        self._record(status, at, cause_kind, cause_ref, None)
        self.stock_reserved = True
        self.reservation_expires_at = reservation_expires_at
        self.payment_requested = True
        self.payment_due_at = payment_due_at

    @event("CompensationRequested")
    def _compensation_requested(
        self,
        what: str,
        reason: str,
        reservation_id: UUID,
        payment_id: UUID | None,
        at: datetime,
        cause_kind: str,
        cause_ref: str | None,
    ) -> None:
        # Not a status change: the order stays cancelled and its history is unchanged.
        self.compensations = (*self.compensations, what)

    @event("Confirmed")
    def _confirmed(
        self,
        status: str,
        order_number: str,
        reservation_id: UUID,
        payment_id: UUID,
        amount: Any,
        currency: str,
        lines: list[dict[str, Any]],
        shipping_address: dict[str, Any],
        at: datetime,
        cause_kind: str,
        cause_ref: str | None,
    ) -> None:
        self._record(status, at, cause_kind, cause_ref, None)
        self.payment_authorized = True

    @event("Cancelled")
    def _cancelled(
        self,
        status: str,
        reason: str,
        reservation_id: UUID,
        payment_id: UUID | None,
        cancelled_by: UUID | None,
        shortages: list[dict[str, Any]],
        at: datetime,
        cause_kind: str,
        cause_ref: str | None,
    ) -> None:
        self._record(status, at, cause_kind, cause_ref, reason)
        self.cancellation_reason = CancelReason(reason)
        self.shortages = tuple(dict(s) for s in shortages)

    @event("Shipped")
    def _shipped(
        self,
        status: str,
        shipment_id: UUID,
        carrier: str | None,
        tracking_number: str | None,
        at: datetime,
        cause_kind: str,
        cause_ref: str | None,
    ) -> None:
        self._record(status, at, cause_kind, cause_ref, None)
        self.shipment_id = shipment_id
        self.carrier = carrier
        self.tracking_number = tracking_number

    @event("DeliveryAttemptFailed")
    def _delivery_attempt_failed(
        self,
        status: str,
        shipment_id: UUID,
        attempt: int,
        reason: str,
        at: datetime,
        cause_kind: str,
        cause_ref: str | None,
    ) -> None:
        self._record(status, at, cause_kind, cause_ref, reason)
        self.failed_delivery_attempts = (*self.failed_delivery_attempts, attempt)

    @event("Delivered")
    def _delivered(
        self, status: str, shipment_id: UUID, at: datetime, cause_kind: str, cause_ref: str | None
    ) -> None:
        self._record(status, at, cause_kind, cause_ref, None)
        self.delivered_at = at

    @event("Returned")
    def _returned(
        self,
        status: str,
        shipment_id: UUID,
        reason: str,
        at: datetime,
        cause_kind: str,
        cause_ref: str | None,
    ) -> None:
        self._record(status, at, cause_kind, cause_ref, reason)
        self.returned_at = at

    @event("Refunded")
    def _refunded(
        self,
        status: str,
        refund_id: UUID,
        payment_id: UUID,
        amount: Any,
        currency: str,
        reason: str,
        at: datetime,
        cause_kind: str,
        cause_ref: str | None,
    ) -> None:
        self._record(status, at, cause_kind, cause_ref, reason)
        self.refund_ids = (*self.refund_ids, refund_id)
        self.refunded = self.refunded + Money.of(amount, currency)
