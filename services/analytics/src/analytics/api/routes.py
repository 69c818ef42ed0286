"""Analytics HTTP API: clickstream ingestion and the caller's tenant's reports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from shop_runtime.api_models import ResponseModel
from shop_runtime.auth import CurrentTenant, OptionalPrincipal, Principal, require_permission
from shop_runtime.context import current

from analytics.application.clickstream import ClickstreamBatch, to_envelopes

router = APIRouter()


class Accepted(ResponseModel):
    accepted: int


class RevenueRow(ResponseModel):
    day: date
    currency: str
    orders: int
    units: int
    revenue: Decimal


class RevenueReport(ResponseModel):
    items: list[RevenueRow]


@router.post("/clickstream", status_code=202)
async def ingest_clickstream(
    batch: ClickstreamBatch,
    request: Request,
    tenant_id: CurrentTenant,
    principal: OptionalPrincipal,
) -> Accepted:
    """Accept a batch of storefront clicks; 202 once Kafka has them (durable, not yet queryable)."""
    customer_id = None
    if principal is not None and principal.kind == "customer":
        customer_id = UUID(principal.subject)
    ctx = current()
    envelopes = to_envelopes(
        batch,
        tenant_id,
        received_at=datetime.now(UTC),
        customer_id=customer_id,
        correlation_id=ctx.correlation_id,
        traceparent=ctx.traceparent,
    )
    await request.app.state.clickstream.send(envelopes)
    return Accepted(accepted=len(envelopes))


@router.get("/reports/revenue")
async def revenue_report(
    request: Request,
    # The permission first: an anonymous caller gets 401, not a tenant lookup.
    _: Annotated[Principal, require_permission("analytics.view")],
    tenant_id: CurrentTenant,
    date_from: Annotated[date, Query(alias="from")],
    date_to: Annotated[date, Query(alias="to")],
) -> RevenueReport:
    """Confirmed orders, units and revenue per UTC day and currency, for the caller's tenant."""
    rows = await request.app.state.reports.revenue_by_day(tenant_id, date_from, date_to)
    return RevenueReport(
        items=[
            RevenueRow(
                day=r.day, currency=r.currency, orders=r.orders, units=r.units, revenue=r.revenue
            )
            for r in rows
        ]
    )
