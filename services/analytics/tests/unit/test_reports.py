"""Report ranges and the reports application, with an in-memory fake of the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from analytics.application.ports import InsertOutcome
from analytics.application.reports import AnalyticsReports
from analytics.domain.reports import (
    MAX_REPORT_DAYS,
    EventCount,
    InvalidReportRangeError,
    ReportRange,
    RevenueDay,
)
from shop_contracts import Envelope

TENANT = uuid4()


class FakeQueries:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def revenue_by_day(self, tenant_id: UUID, date_from: date, date_to: date) -> list[RevenueDay]:
        self.calls.append(("revenue", tenant_id, date_from, date_to))
        return [RevenueDay(date_from, "EUR", 1, 2, Decimal("3.00"), 0, Decimal(0))]

    def event_counts(
        self,
        tenant_id: UUID,
        date_from: date,
        date_to: date,
        event_types: Sequence[str] | None = None,
    ) -> list[EventCount]:
        self.calls.append(("counts", tenant_id, date_from, date_to, event_types))
        return []


class FakeSink:
    def __init__(self) -> None:
        self.deleted: list[UUID] = []

    def insert_events(self, envelopes: Sequence[Envelope]) -> InsertOutcome:
        return InsertOutcome(inserted=len(envelopes))

    def delete_tenant(self, tenant_id: UUID) -> None:
        self.deleted.append(tenant_id)


def test_report_ranges_are_inclusive_ordered_and_bounded() -> None:
    assert ReportRange(date(2026, 1, 1), date(2026, 1, 1))
    assert ReportRange(date(2024, 1, 1), date(2024, 12, 31))  # a leap year: 366 days
    with pytest.raises(InvalidReportRangeError):
        ReportRange(date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(InvalidReportRangeError, match=str(MAX_REPORT_DAYS)):
        ReportRange(date(2025, 1, 1), date(2026, 1, 2))
    assert InvalidReportRangeError.status == 422


async def test_reports_pass_the_callers_tenant_and_validate_the_range() -> None:
    queries, sink = FakeQueries(), FakeSink()
    reports = AnalyticsReports(queries, sink)
    rows = await reports.revenue_by_day(TENANT, date(2026, 1, 1), date(2026, 1, 31))
    assert rows[0].revenue == Decimal("3.00")
    await reports.event_counts(TENANT, date(2026, 1, 1), date(2026, 1, 1), ("analytics.searched",))
    assert queries.calls == [
        ("revenue", TENANT, date(2026, 1, 1), date(2026, 1, 31)),
        ("counts", TENANT, date(2026, 1, 1), date(2026, 1, 1), ["analytics.searched"]),
    ]
    with pytest.raises(InvalidReportRangeError):
        await reports.revenue_by_day(TENANT, date(2026, 2, 1), date(2026, 1, 1))
    assert len(queries.calls) == 2  # an invalid range never reaches the store

    await reports.delete_tenant(TENANT)
    assert sink.deleted == [TENANT]
