"""The order list, status history and checkout deadlines, projected from the service's own
event log (`shop_runtime.projector.Projector`: rows and position commit together)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from shop_runtime.eventstore import ServiceApplication
from shop_runtime.projector import Projector
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orders.adapters.read_models import checkout_deadlines, order_status_history, orders
from orders.domain.order import Order

# The event classes are made by the @event decorators at class creation: invisible to mypy.
_Order: Any = Order

__all__ = ["OrderProjector"]

_STATUS_EVENTS = (
    _Order.PaymentRequested,
    _Order.Confirmed,
    _Order.Cancelled,
    _Order.Shipped,
    _Order.DeliveryAttemptFailed,
    _Order.Delivered,
    _Order.Returned,
    _Order.Refunded,
)


class OrderProjector(Projector):
    name = "orders.order_list"

    def __init__(
        self,
        app: ServiceApplication,
        engine: AsyncEngine,
        *,
        reservation_timeout: timedelta,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, engine, **kwargs)
        self.reservation_timeout = reservation_timeout

    async def project(self, conn: AsyncConnection, event: DomainEventProtocol[UUID]) -> None:
        e: Any = event
        if isinstance(event, _Order.Placed):
            await self._placed(conn, e)
        elif isinstance(event, _STATUS_EVENTS):
            await self._status_changed(conn, e)

    async def _placed(self, conn: AsyncConnection, e: Any) -> None:
        await conn.execute(
            insert(orders)
            .values(
                tenant_id=e.tenant_id,
                order_id=e.originator_id,
                order_number=e.order_number,
                customer_id=e.customer_id,
                status="pending",
                cancel_reason=None,
                total=e.total,
                currency=e.currency,
                item_count=sum(int(ln["quantity"]) for ln in e.lines),
                placed_at=e.placed_at,
                updated_at=e.placed_at,
            )
            .on_conflict_do_nothing()
        )
        await self._history(conn, e, None, "pending", e.placed_at, None)
        await self._deadline(
            conn, e.originator_id, "reservation", e.placed_at + self.reservation_timeout
        )

    async def _status_changed(self, conn: AsyncConnection, e: Any) -> None:
        order_id = e.originator_id
        previous = (
            await conn.execute(
                select(orders.c.status).where(
                    orders.c.tenant_id == e.tenant_id, orders.c.order_id == order_id
                )
            )
        ).scalar_one_or_none()
        values: dict[str, Any] = {"status": e.status, "updated_at": e.at}
        if isinstance(e, _Order.Cancelled):
            values["cancel_reason"] = e.reason
        await conn.execute(
            update(orders)
            .where(orders.c.tenant_id == e.tenant_id, orders.c.order_id == order_id)
            .values(**values)
        )
        await self._history(conn, e, previous, e.status, e.at, getattr(e, "reason", None))
        if isinstance(e, _Order.PaymentRequested):
            due = min(e.payment_due_at, e.reservation_expires_at)
            await self._deadline(conn, order_id, "payment", due)
        else:
            await conn.execute(
                delete(checkout_deadlines).where(checkout_deadlines.c.order_id == order_id)
            )

    @staticmethod
    async def _history(
        conn: AsyncConnection,
        e: Any,
        from_status: str | None,
        to_status: str,
        at: datetime,
        reason: str | None,
    ) -> None:
        await conn.execute(
            insert(order_status_history)
            .values(
                tenant_id=e.tenant_id,
                order_id=e.originator_id,
                seq=e.originator_version,
                from_status=from_status,
                to_status=to_status,
                at=at,
                cause_kind=e.cause_kind,
                cause_ref=e.cause_ref,
                reason=reason,
            )
            .on_conflict_do_nothing()
        )

    @staticmethod
    async def _deadline(conn: AsyncConnection, order_id: UUID, kind: str, due: datetime) -> None:
        stmt = insert(checkout_deadlines).values(order_id=order_id, kind=kind, due_at=due)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[checkout_deadlines.c.order_id],
                set_={"kind": stmt.excluded.kind, "due_at": stmt.excluded.due_at},
            )
        )
