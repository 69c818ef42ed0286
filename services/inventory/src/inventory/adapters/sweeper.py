"""The expiry sweeper: releases active reservations whose hold ran out (reason ``expired``).

It finds candidates in the read model (`InventoryQueries.due_reservations`, every tenant), then
asks the application to expire each one, which decides again from the event store: a reservation
committed or released since the read model was written is left alone, and a race with a commit or
a cancellation is settled by optimistic concurrency (the loser re-runs and sees the winner's
outcome). Running it in several processes is safe, only wasteful.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import anyio
from prometheus_client import Counter
from shop_runtime import context

from inventory.application.app import InventoryApp
from inventory.application.queries import InventoryQueries

__all__ = ["ExpirySweeper"]

log = logging.getLogger(__name__)

EXPIRED = Counter(
    "inventory_reservations_expired_total", "Reservations the sweeper released as expired."
)


class ExpirySweeper:
    def __init__(
        self,
        app: InventoryApp,
        queries: InventoryQueries,
        *,
        interval: float | None = None,
        batch: int | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.app = app
        self.queries = queries
        self.interval = interval or app.settings.reservation_sweep_interval_seconds
        self.batch = batch or app.settings.reservation_sweep_batch
        self.clock = clock or (lambda: datetime.now(UTC))
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Sweep every ``interval`` seconds until stopped (or cancelled). A failing pass (the
        database is down) is logged and retried on the next tick with a growing pause."""
        self._stopping.clear()
        pause = self.interval
        while not self._stopping.is_set():
            try:
                await self.sweep_once()
                pause = self.interval
            except Exception:
                log.warning("expiry sweep failed; retrying in %.1fs", pause, exc_info=True)
                pause = min(pause * 2, 30.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=pause)

    async def sweep_once(self) -> int:
        """One pass: release what is due now; how many reservations were released."""
        now = self.clock()
        due = await self.queries.due_reservations(now, self.batch)
        released = 0
        for item in due:
            with context.message_context(
                tenant_id=item.tenant_id, correlation_id=f"expiry:{item.reservation_id}"
            ):
                try:
                    done = await anyio.to_thread.run_sync(
                        self.app.expire, item.tenant_id, item.reservation_id, now
                    )
                except Exception:
                    log.exception("could not expire reservation %s", item.reservation_id)
                    continue
            if done:
                released += 1
                EXPIRED.inc()
        return released
