"""The checkout timeout sweeper: cancels orders whose checkout deadline passed.

Every ``SWEEPER_INTERVAL_SECONDS`` it reads the due rows of ``checkout_deadlines`` (kept by the
projector: a pending order must be answered by inventory within ``RESERVATION_TIMEOUT_SECONDS``,
an order awaiting its payment by ``payment_due_at`` or the reservation's expiry, whichever comes
first) and asks the application to sweep each order. The order, loaded fresh from its events,
decides (`Order.timed_out`); the cancellation goes through the retrying command path, so a
payment authorization that lands at the same moment either wins (the order is confirmed, the
sweep finds nothing to do) or loses (the order is cancelled and the late authorization is
compensated). Several sweepers are safe: the second one finds the order already cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from uuid import UUID

import anyio
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from orders.adapters.read_models import checkout_deadlines
from orders.application.app import OrdersApp

__all__ = ["TimeoutSweeper"]

log = logging.getLogger(__name__)


class TimeoutSweeper:
    def __init__(
        self, app: OrdersApp, engine: AsyncEngine, *, interval: float, batch_size: int = 200
    ) -> None:
        self.app = app
        self.engine = engine
        self.interval = interval
        self.batch_size = batch_size
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Sweep until stopped; a database outage is logged and retried at the next tick."""
        self._stopping.clear()
        while not self._stopping.is_set():
            try:
                await self.sweep_once()
            except Exception:
                log.warning("checkout sweep failed; retrying next tick", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)

    async def sweep_once(self, now: datetime | None = None) -> dict[UUID, str]:
        """Sweep the orders due at ``now``; returns what happened to each."""
        now = now or datetime.now(UTC)
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(checkout_deadlines.c.order_id)
                .where(checkout_deadlines.c.due_at <= now)
                .order_by(checkout_deadlines.c.due_at)
                .limit(self.batch_size)
            )
            due = [row.order_id for row in rows]
        results: dict[UUID, str] = {}
        for order_id in due:
            try:
                results[order_id] = await anyio.to_thread.run_sync(
                    self.app.sweep_order, order_id, now
                )
            except Exception:
                log.exception("sweeping order %s failed", order_id)
                continue
            if results[order_id] == "done":
                # The projector removes the row when the order moves on; this covers a row it
                # has not caught up with yet, so that the sweeper does not look at it each tick.
                async with self.engine.begin() as conn:
                    await conn.execute(
                        delete(checkout_deadlines).where(checkout_deadlines.c.order_id == order_id)
                    )
        return results
