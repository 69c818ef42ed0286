"""Report rows and report ranges: the values the analytics reports speak in. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = [
    "MAX_REPORT_DAYS",
    "EventCount",
    "InvalidReportRangeError",
    "ReportRange",
    "RevenueDay",
]

MAX_REPORT_DAYS = 366
"""Longest range one report call may cover: bounds the work one request can ask of the store."""


class InvalidReportRangeError(ValueError):
    """A report range that ends before it starts, or spans more than :data:`MAX_REPORT_DAYS`."""

    status = 422
    code = "invalid_report_range"


@dataclass(frozen=True, slots=True)
class ReportRange:
    """An inclusive range of UTC calendar days."""

    date_from: date
    date_to: date

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise InvalidReportRangeError("date_to is before date_from")
        if (self.date_to - self.date_from).days + 1 > MAX_REPORT_DAYS:
            raise InvalidReportRangeError(f"a report covers at most {MAX_REPORT_DAYS} days")


@dataclass(frozen=True, slots=True)
class RevenueDay:
    """Confirmed orders of one UTC day in one currency.

    ``revenue`` is the sum of the confirmed orders' totals (gross: discounts already deducted,
    tax and shipping included); ``refunded`` is what was refunded on that day, whatever day the
    refunded order was confirmed. Currencies are never added together.
    """

    day: date
    currency: str
    orders: int
    units: int
    revenue: Decimal
    refunds: int
    refunded: Decimal


@dataclass(frozen=True, slots=True)
class EventCount:
    """How many events of one type a tenant had on one UTC day."""

    day: date
    event_type: str
    count: int
