"""Read-model projectors: the service's own notification log → Postgres tables (SQLAlchemy async).

A `Projector` follows the event store of its own service (not Kafka): it reads the notifications
after its tracked position, decodes each into the aggregate event, and calls `Projector.project`
with an `AsyncConnection` for each, all in one transaction that also advances its row in
``projection_tracking``. The view rows and the position commit together, so a crash replays at most
an uncommitted batch and a restart resumes exactly after the last committed one.

Row-level security: the projector connects as the application role, which is subject to the forced
tenant policy of every read-model table. It writes rows of many tenants in one transaction, so
before each event it sets ``app.tenant_id`` (transaction-local ``set_config``) to the event's
``tenant_id``; an event without a tenant runs with no tenant, and can then write only non-tenant
tables.

Two instances of the same projector are safe, not useful: the tracking upsert accepts only a higher
position, so the second to commit a batch rolls back and re-reads its position.

Subclass and run it in the service's projector entrypoint::

    class OrderList(Projector):
        name = "orders.order_list"
        topics = (get_topic(Order.Placed), get_topic(Order.Cancelled))   # optional filter

        async def project(self, conn, event):
            match event:
                case Order.Placed(): await conn.execute(insert(order_list).values(...))

    await OrderList(app, engine).run()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

import anyio
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shop_runtime.db import TENANT_SETTING
from shop_runtime.eventstore import ServiceApplication
from shop_runtime.tracking import advance_projection, projection_position

__all__ = ["Projector"]

log = logging.getLogger(__name__)

PROJECTED = Counter(
    "shop_projector_events_total",
    "Notifications a projector committed, by projection.",
    labelnames=("projection",),
)
PROJECTOR_POSITION = Gauge(
    "shop_projector_position",
    "Last notification id a projection committed.",
    labelnames=("projection",),
)


class _LostRace(Exception):
    """Another instance committed this batch first: roll back ours."""


class Projector(ABC):
    """Base of a read-model projection following the service's own notification log."""

    name: ClassVar[str] = ""
    """Stable name of the projection: the key of its row in ``projection_tracking``."""
    topics: ClassVar[Sequence[str]] = ()
    """Event class topics to read (``eventsourcing.utils.get_topic``); empty: every event."""

    def __init__(
        self,
        app: ServiceApplication,
        engine: AsyncEngine,
        *,
        name: str | None = None,
        batch_size: int = 500,
        idle_min: float = 0.005,
        idle_max: float = 0.15,
    ) -> None:
        self.app = app
        self.engine = engine
        self.projection = name or self.name or type(self).__name__
        self.batch_size = batch_size
        self.idle_min = idle_min
        self.idle_max = idle_max
        self._position: int | None = None
        self._stopping = asyncio.Event()

    @abstractmethod
    async def project(self, conn: AsyncConnection, event: DomainEventProtocol[UUID]) -> None:
        """Apply one event to the view tables through ``conn`` (tenant already set)."""

    # -- lifecycle ---------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> None:
        """Project until `stop` is called."""
        idle = self.idle_min
        while not self.stopping:
            if await self.run_once():
                idle = self.idle_min
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=idle)
            idle = min(idle * 2, self.idle_max)

    async def run_once(self) -> int:
        """Project one batch; returns how many notifications it committed (0: nothing new)."""
        position = await self.position()
        notifications: Sequence[Notification] = await anyio.to_thread.run_sync(
            self._select, position
        )
        if not notifications:
            return 0
        last_id = notifications[-1].id
        try:
            async with self.engine.begin() as conn:
                tenant: Any = object()  # sentinel: differs from every tenant, None included
                for notification in notifications:
                    event = self.app.mapper.to_domain_event(notification)
                    event_tenant = getattr(event, "tenant_id", None)
                    if event_tenant != tenant:
                        await conn.execute(
                            text("SELECT set_config(:name, :value, true)"),
                            {
                                "name": TENANT_SETTING,
                                "value": "" if event_tenant is None else str(event_tenant),
                            },
                        )
                        tenant = event_tenant
                    await self.project(conn, event)
                if not await advance_projection(conn, self.projection, last_id):
                    raise _LostRace
        except _LostRace:
            log.warning(
                "projection %s: batch ending %s already committed", self.projection, last_id
            )
            self._position = None
            return 0
        self._position = last_id
        PROJECTED.labels(self.projection).inc(len(notifications))
        PROJECTOR_POSITION.labels(self.projection).set(last_id)
        return len(notifications)

    async def position(self) -> int:
        """The last notification id committed (0 before the first batch)."""
        if self._position is None:
            async with self.engine.connect() as conn:
                self._position = await projection_position(conn, self.projection) or 0
        return self._position

    def _select(self, position: int) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(
            start=position,
            limit=self.batch_size,
            topics=list(self.topics),
            inclusive_of_start=False,
        )
