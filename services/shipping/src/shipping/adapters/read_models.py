"""Read-model tables of shipping (written by `ShipmentProjector`) and the queries over them.

Every table has ``tenant_id`` with row-level security enabled and forced (migration 0001): the
queries run in `tenant_transaction`, so a tenant sees only its own rows, and a query without a
tenant sees none.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from shop_runtime.db import tenant_transaction
from shop_runtime.errors import ProblemError
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
    and_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shipping.application.views import (
    NdrActionView,
    NdrCaseView,
    ShipmentPage,
    ShipmentView,
    TrackingEventView,
)

__all__ = [
    "TENANT_TABLES",
    "SqlShipmentQueries",
    "metadata",
    "ndr_cases",
    "shipments",
    "tracking_events",
]

metadata = MetaData()

shipments = Table(
    "shipments",
    metadata,
    Column("shipment_id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("order_id", Uuid, nullable=False),
    Column("status", Text, nullable=False),
    Column("carrier", Text),
    Column("tracking_number", Text),
    Column("tracking_url", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("shipments_tenant_order_idx", "tenant_id", "order_id"),
    Index("shipments_tenant_created_idx", "tenant_id", "created_at", "shipment_id"),
    Index("shipments_tenant_tracking_idx", "tenant_id", "tracking_number"),
)

tracking_events = Table(
    "shipment_tracking_events",
    metadata,
    Column("shipment_id", Uuid, primary_key=True),
    Column("carrier_event_id", Text, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("seq", Integer, nullable=False, comment="Aggregate version: arrival order"),
    Column("code", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("location", Text),
    Column("description", Text),
    Column("reason_code", Text),
    Column("outcome", Text, nullable=False),
)

ndr_cases = Table(
    "shipment_ndr_cases",
    metadata,
    Column("ndr_case_id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("shipment_id", Uuid, nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason_code", Text, nullable=False),
    Column("reason_description", Text),
    Column("attempts", Integer, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("resolution", Text),
    Column("resolved_at", DateTime(timezone=True)),
    Column("actions", JSONB, nullable=False, server_default="[]"),
    Index("shipment_ndr_cases_shipment_idx", "shipment_id", "number"),
)

TENANT_TABLES = (shipments.name, tracking_events.name, ndr_cases.name)

MAX_PAGE = 100


def _encode_cursor(created_at: datetime, shipment_id: UUID) -> str:
    raw = f"{created_at.isoformat()}|{shipment_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, sid = raw.partition("|")
        created_at = datetime.fromisoformat(at)
        if created_at.tzinfo is None:
            raise ValueError("naive")
        return created_at, UUID(sid)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ProblemError(400, "invalid_cursor", detail="The cursor is not valid.") from None


def _action(data: dict[str, Any]) -> NdrActionView:
    reattempt_on = data.get("reattempt_on")
    performed_by = data.get("performed_by")
    return NdrActionView(
        type=data["type"],
        at=datetime.fromisoformat(data["at"]),
        performed_by=UUID(performed_by) if performed_by else None,
        note=data.get("note"),
        reattempt_on=date.fromisoformat(reattempt_on) if reattempt_on else None,
    )


class SqlShipmentQueries:
    """`ShipmentQueries` over the read-model tables."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def list_shipments(
        self,
        tenant_id: UUID,
        *,
        order_id: UUID | None = None,
        status: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> ShipmentPage:
        limit = max(1, min(limit, MAX_PAGE))
        query = select(shipments).where(shipments.c.tenant_id == tenant_id)
        if order_id is not None:
            query = query.where(shipments.c.order_id == order_id)
        if status is not None:
            query = query.where(shipments.c.status == status)
        if cursor:
            at, sid = _decode_cursor(cursor)
            query = query.where(
                or_(
                    shipments.c.created_at < at,
                    and_(shipments.c.created_at == at, shipments.c.shipment_id < sid),
                )
            )
        query = query.order_by(shipments.c.created_at.desc(), shipments.c.shipment_id.desc())
        async with tenant_transaction(self.engine, tenant_id) as conn:
            rows = (await conn.execute(query.limit(limit + 1))).mappings().all()
            page = rows[:limit]
            items = await self._views(conn, page)
        next_cursor = (
            _encode_cursor(page[-1]["created_at"], page[-1]["shipment_id"])
            if len(rows) > limit
            else None
        )
        return ShipmentPage(items=items, next_cursor=next_cursor)

    async def _views(self, conn: AsyncConnection, rows: Sequence[Any]) -> list[ShipmentView]:
        ids = [row["shipment_id"] for row in rows]
        if not ids:
            return []
        events: dict[UUID, list[TrackingEventView]] = {i: [] for i in ids}
        result = await conn.execute(
            select(tracking_events)
            .where(tracking_events.c.shipment_id.in_(ids))
            .order_by(tracking_events.c.shipment_id, tracking_events.c.seq)
        )
        for t in result.mappings():
            events[t["shipment_id"]].append(
                TrackingEventView(
                    event_id=t["carrier_event_id"],
                    code=t["code"],
                    occurred_at=t["occurred_at"],
                    location=t["location"],
                    description=t["description"],
                    reason_code=t["reason_code"],
                    outcome=t["outcome"],
                )
            )
        cases: dict[UUID, list[NdrCaseView]] = {i: [] for i in ids}
        result = await conn.execute(
            select(ndr_cases)
            .where(ndr_cases.c.shipment_id.in_(ids))
            .order_by(ndr_cases.c.shipment_id, ndr_cases.c.number)
        )
        for c in result.mappings():
            cases[c["shipment_id"]].append(
                NdrCaseView(
                    ndr_case_id=c["ndr_case_id"],
                    number=c["number"],
                    status=c["status"],
                    reason_code=c["reason_code"],
                    reason_description=c["reason_description"],
                    attempts=c["attempts"],
                    opened_at=c["opened_at"],
                    resolution=c["resolution"],
                    resolved_at=c["resolved_at"],
                    actions=[_action(a) for a in c["actions"]],
                )
            )
        return [
            ShipmentView(
                shipment_id=row["shipment_id"],
                order_id=row["order_id"],
                status=row["status"],
                carrier=row["carrier"],
                tracking_number=row["tracking_number"],
                tracking_url=row["tracking_url"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
                tracking_events=events[row["shipment_id"]],
                ndr_cases=cases[row["shipment_id"]],
            )
            for row in rows
        ]
