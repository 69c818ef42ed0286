"""The provider worker: follows the payments notification log and makes the provider calls.

Like a projector it has its own position (row ``payments.provider_calls`` in
``projection_tracking``), reads only the *Requested events, and for each one runs
`ProviderCaller.process` (call the provider, record the answer as a command). The position is
saved after each event's answer is recorded, so a crash replays at most the event in progress:
its transaction is then either answered already (skipped) or still pending (the provider is asked
again with the same idempotency key: one effect).

The call runs outside any database transaction. A failure (database or event store down) is
retried with backoff on the same event; the worker never skips an event it could not finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import ClassVar

import anyio
from eventsourcing.utils import get_topic
from shop_runtime.tracking import advance_projection, projection_position
from sqlalchemy.ext.asyncio import AsyncEngine

from payments.application.app import PaymentsApp
from payments.application.provider_calls import REQUESTED_EVENT_TYPES, ProviderCaller

__all__ = ["ProviderWorker"]

log = logging.getLogger(__name__)


class ProviderWorker:
    name: ClassVar[str] = "payments.provider_calls"

    def __init__(
        self,
        app: PaymentsApp,
        engine: AsyncEngine,
        caller: ProviderCaller,
        *,
        batch_size: int = 100,
        idle_min: float = 0.005,
        idle_max: float = 0.15,
        backoff_max: float = 5.0,
    ) -> None:
        self.app = app
        self.engine = engine
        self.caller = caller
        self.batch_size = batch_size
        self.idle_min = idle_min
        self.idle_max = idle_max
        self.backoff_max = backoff_max
        self.topics = [get_topic(cls) for cls in REQUESTED_EVENT_TYPES]
        self._position: int | None = None
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Work until `stop` is called (or the task is cancelled)."""
        self._stopping.clear()
        idle = self.idle_min
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                done = await self.run_once()
                backoff = 0.1
            except Exception:
                log.warning("provider worker: batch failed; retrying", exc_info=True)
                self._position = None  # re-read the saved position
                await self._wait(backoff)
                backoff = min(backoff * 2, self.backoff_max)
                continue
            if done:
                idle = self.idle_min
                continue
            await self._wait(idle)
            idle = min(idle * 2, self.idle_max)

    async def run_once(self) -> int:
        """Handle the requested operations after the saved position; how many were handled."""
        position = await self.position()
        notifications = await anyio.to_thread.run_sync(
            lambda: self.app.recorder.select_notifications(
                start=position,
                limit=self.batch_size,
                topics=self.topics,
                inclusive_of_start=False,
            )
        )
        for notification in notifications:
            event = self.app.mapper.to_domain_event(notification)
            await anyio.to_thread.run_sync(self.caller.process, event)
            async with self.engine.begin() as conn:
                await advance_projection(conn, self.name, notification.id)
            self._position = notification.id
            if self._stopping.is_set():
                break
        return len(notifications)

    async def position(self) -> int:
        if self._position is None:
            async with self.engine.connect() as conn:
                self._position = await projection_position(conn, self.name) or 0
        return self._position

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
