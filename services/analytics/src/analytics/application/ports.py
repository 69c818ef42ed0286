"""What the application needs from the analytics store. ClickHouse implements these in
``analytics.adapters``; unit tests use in-memory fakes.

The methods are synchronous (clickhouse-connect is): the application calls them from a worker
thread so the event loop never blocks on the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol
from uuid import UUID

from shop_contracts import Envelope

from analytics.domain.reports import EventCount, RevenueDay

__all__ = ["EventsSink", "InsertOutcome", "ReportQueries"]


@dataclass(frozen=True, slots=True)
class InsertOutcome:
    """What one :meth:`EventsSink.insert_events` call did with its envelopes."""

    inserted: int = 0
    """New events written (each feeds the rollups exactly once)."""
    duplicates: int = 0
    """Envelopes whose (tenant_id, event_id) was already stored or repeated within the batch."""
    dropped_deleted_tenant: int = 0
    """Envelopes of a tenant that was deleted: late events must not bring its data back."""


class EventsSink(Protocol):
    """Writes events to the store, each (tenant_id, event_id) exactly once."""

    def insert_events(self, envelopes: Sequence[Envelope]) -> InsertOutcome:
        """Store the envelopes that are not stored yet. Idempotent: the same envelopes again, in
        the same or another batch, change nothing."""
        ...

    def delete_tenant(self, tenant_id: UUID) -> None:
        """Erase every row of the tenant and refuse its events from now on. Idempotent."""
        ...


class ReportQueries(Protocol):
    """Tenant-scoped reads of the rollups. Every method filters on exactly one tenant."""

    def revenue_by_day(
        self, tenant_id: UUID, date_from: date, date_to: date
    ) -> list[RevenueDay]: ...

    def event_counts(
        self,
        tenant_id: UUID,
        date_from: date,
        date_to: date,
        event_types: Sequence[str] | None = None,
    ) -> list[EventCount]: ...


class ClickstreamPublisher(Protocol):
    """Where accepted clicks go (Kafka in production); returns once they are durable."""

    async def send(self, envelopes: Sequence[Envelope]) -> None: ...
