"""The orders application: the event store of orders and the commands on them.

Synchronous like the `eventsourcing` library underneath; the API and the workers call it through
a worker thread (``anyio.to_thread.run_sync``). Every command that changes an order goes through
`ServiceApplication.execute` (re-run whole on a version conflict): the saga consumer, the sweeper
and a customer's cancel may all touch one order at the same moment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from shop_runtime.aggregate import NotFound
from shop_runtime.eventstore import ServiceApplication

from orders.config import OrdersSettings
from orders.domain.checkout import CheckoutDraft
from orders.domain.order import CancelReason, Cause, Order, OrderStatus, Outcome

__all__ = ["OrdersApp"]

log = logging.getLogger(__name__)


class OrdersApp(ServiceApplication):
    """Orders and the checkout saga they carry (see `orders.domain.order`)."""

    name = "Orders"
    settings: OrdersSettings

    def __init__(self, settings: OrdersSettings | None = None, **kwargs: Any) -> None:
        super().__init__(settings if settings is not None else OrdersSettings(), **kwargs)

    @property
    def payment_timeout(self) -> timedelta:
        return timedelta(seconds=self.settings.payment_timeout_seconds)

    @property
    def reservation_timeout(self) -> timedelta:
        return timedelta(seconds=self.settings.reservation_timeout_seconds)

    # -- queries -----------------------------------------------------------------------------------

    def order(self, tenant_id: UUID, order_id: UUID) -> Order:
        """The order, fresh from its events; `NotFound` for another tenant's id."""
        return self.get_for_tenant(order_id, tenant_id, Order)

    def find_order(self, tenant_id: UUID, order_id: UUID) -> Order | None:
        try:
            return self.order(tenant_id, order_id)
        except NotFound:
            return None

    # -- commands ----------------------------------------------------------------------------------

    def place_order(
        self,
        *,
        tenant_id: UUID,
        order_id: UUID,
        order_number: str,
        customer_id: UUID,
        draft: CheckoutDraft,
        shipping_address: Mapping[str, Any],
        billing_address: Mapping[str, Any] | None = None,
        payment_token: str | None = None,
        placed_at: datetime | None = None,
    ) -> Order:
        """Place the order ``order_id`` unless it exists (a retried checkout): then return it.

        ``order_id`` is derived from the request's idempotency key, so a retry that got past the
        idempotency record (a crash between the save and the recorded response) meets the order
        it already placed instead of creating a second one.
        """

        def place() -> Order:
            existing = self.find_order(tenant_id, order_id)
            if existing is not None:
                return existing
            order = Order.place(
                tenant_id=tenant_id,
                order_id=order_id,
                order_number=order_number,
                customer_id=customer_id,
                currency=draft.currency,
                lines=draft.lines,
                totals=draft.totals,
                shipping_address=shipping_address,
                billing_address=billing_address,
                payment_token=payment_token,
                placed_at=placed_at or datetime.now(UTC),
            )
            self.save(order)
            return order

        return self.execute(place)

    def cancel_order(
        self, tenant_id: UUID, order_id: UUID, reason: CancelReason, cause: Cause
    ) -> Order:
        """Cancel on a customer's or staff's request. Cancelling a cancelled order changes
        nothing; a step the state machine forbids raises `IllegalTransition` (409)."""

        def cancel() -> Order:
            order = self.order(tenant_id, order_id)
            if order.cancel(reason, cause) is Outcome.APPLIED:
                self.save(order)
            return order

        return self.execute(cancel)

    def sweep_order(self, order_id: UUID, now: datetime | None = None) -> str:
        """Cancel ``order_id`` if a checkout deadline passed. Returns what happened:
        ``cancelled:<reason>``, ``waiting`` (not due yet) or ``done`` (not waiting any more)."""

        def sweep() -> str:
            try:
                order: Any = self.repository.get(order_id)
            except AggregateNotFoundError:
                return "done"
            if not isinstance(order, Order):
                return "done"
            if order.status not in (OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT):
                return "done"
            reason = order.timed_out(
                now or datetime.now(UTC), reservation_timeout=self.reservation_timeout
            )
            if reason is None:
                return "waiting"
            order.cancel(reason, Cause.system("checkout_timeout_sweeper"))
            self.save(order)
            log.info("order %s cancelled: %s", order_id, reason.value)
            return f"cancelled:{reason.value}"

        return self.execute(sweep)
