"""Tenant-scoped analytics reports, and a tenant's erasure from the analytics store.

Every method takes the caller's tenant (from its token, never from a request body) and reads or
deletes that tenant's rows only. Days are UTC calendar days; ranges are inclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

import anyio.to_thread

from analytics.application.ports import EventsSink, ReportQueries
from analytics.domain.reports import EventCount, ReportRange, RevenueDay

__all__ = ["AnalyticsReports"]


class AnalyticsReports:
    """The read side of the analytics service; the store is synchronous, so calls run in a
    worker thread."""

    def __init__(self, queries: ReportQueries, sink: EventsSink) -> None:
        self._queries = queries
        self._sink = sink

    async def revenue_by_day(
        self, tenant_id: UUID, date_from: date, date_to: date
    ) -> list[RevenueDay]:
        """Confirmed orders, units, revenue and refunds per day and currency, for one tenant.

        Raises :class:`~analytics.domain.reports.InvalidReportRangeError` (422) for a range that
        ends before it starts or is longer than a year.
        """
        span = ReportRange(date_from, date_to)
        return await anyio.to_thread.run_sync(
            self._queries.revenue_by_day, tenant_id, span.date_from, span.date_to
        )

    async def event_counts(
        self,
        tenant_id: UUID,
        date_from: date,
        date_to: date,
        event_types: Sequence[str] | None = None,
    ) -> list[EventCount]:
        """Number of events per day and type for one tenant (all types, or ``event_types``):
        clickstream funnels (``analytics.page_viewed`` → ``analytics.product_viewed`` →
        ``analytics.added_to_cart`` → ``orders.order_confirmed``) and business activity alike."""
        span = ReportRange(date_from, date_to)
        types = list(event_types) if event_types is not None else None
        return await anyio.to_thread.run_sync(
            self._queries.event_counts, tenant_id, span.date_from, span.date_to, types
        )

    async def delete_tenant(self, tenant_id: UUID) -> None:
        """Erase the tenant's analytics rows (events and rollups) and refuse its later events.
        Idempotent. The projector does the same on ``tenancy.tenant_deleted``."""
        await anyio.to_thread.run_sync(self._sink.delete_tenant, tenant_id)
