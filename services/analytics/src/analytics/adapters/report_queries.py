"""Tenant-scoped report queries on the ClickHouse rollups.

The tenant is always a bound query parameter (``{tenant_id:UUID}``), never text in the SQL, and is
the first column of every rollup's sorting key, so a report reads only its tenant's granules.
Rollups are SummingMergeTree: rows of one key collapse only when parts merge, so every query sums
with GROUP BY and is exact whether or not the merges have run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from clickhouse_connect.driver.client import Client

from analytics.adapters.schema import (
    DEFAULT_DATABASE,
    EVENT_COUNTS_DAILY,
    REVENUE_DAILY,
    validate_database_name,
)
from analytics.domain.reports import EventCount, RevenueDay

__all__ = ["ClickHouseReportQueries"]


class ClickHouseReportQueries:
    """Implements :class:`analytics.application.ports.ReportQueries` on ClickHouse."""

    def __init__(self, client: Client, database: str = DEFAULT_DATABASE) -> None:
        self._client = client
        self._db = validate_database_name(database)

    def revenue_by_day(self, tenant_id: UUID, date_from: date, date_to: date) -> list[RevenueDay]:
        """Per UTC day (inclusive range) and currency, ordered by day then currency."""
        result = self._client.query(
            "SELECT day, currency, sum(orders), sum(units), sum(revenue), sum(refunds), "
            f"sum(refunded) FROM {self._db}.{REVENUE_DAILY} "
            "WHERE tenant_id = {tenant_id:UUID} "
            "AND day >= {date_from:Date} AND day <= {date_to:Date} "
            "GROUP BY day, currency ORDER BY day, currency",
            parameters={"tenant_id": tenant_id, "date_from": date_from, "date_to": date_to},
        )
        return [
            RevenueDay(
                day=row[0],
                currency=row[1],
                orders=int(row[2]),
                units=int(row[3]),
                revenue=row[4],
                refunds=int(row[5]),
                refunded=row[6],
            )
            for row in result.result_rows
        ]

    def event_counts(
        self,
        tenant_id: UUID,
        date_from: date,
        date_to: date,
        event_types: Sequence[str] | None = None,
    ) -> list[EventCount]:
        """Per UTC day (inclusive range) and event type, ordered by day then type; only the given
        types when ``event_types`` is not None."""
        if event_types is not None and not event_types:
            return []
        type_filter = "AND event_type IN {event_types:Array(String)} " if event_types else ""
        parameters: dict[str, object] = {
            "tenant_id": tenant_id,
            "date_from": date_from,
            "date_to": date_to,
        }
        if event_types:
            parameters["event_types"] = list(event_types)
        result = self._client.query(
            f"SELECT day, event_type, sum(events) FROM {self._db}.{EVENT_COUNTS_DAILY} "
            "WHERE tenant_id = {tenant_id:UUID} "
            "AND day >= {date_from:Date} AND day <= {date_to:Date} "
            f"{type_filter}"
            "GROUP BY day, event_type ORDER BY day, event_type",
            parameters=parameters,
        )
        return [
            EventCount(day=row[0], event_type=row[1], count=int(row[2]))
            for row in result.result_rows
        ]
