"""Inventory's read models (Postgres, row-level security on every tenant table) and their queries.

* ``warehouses``: one row per warehouse;
* ``stock_levels``: one row per stock item (SKU x warehouse) with on hand, reserved, available;
* ``stock_totals``: a view summing ``stock_levels`` per SKU (``security_invoker``, so the caller's
  row-level security applies through it);
* ``reservations``: one row per order's reservation (status, lines, expiry).

Every row carries ``tenant_id`` and a ``version`` (the aggregate version last applied): the
projector only moves a row forward, so replaying an event changes nothing.

The expiry sweeper must find due reservations of *every* tenant, which row-level security forbids
the application role. It calls ``inventory_due_reservations(now, limit)``, a SECURITY DEFINER
function owned by the owner role (the migration gives that role a SELECT policy on
``reservations``): it returns only (tenant_id, reservation_id) of active reservations past their
expiry, nothing else of any row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from shop_runtime.db import tenant_transaction
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory.application.queries import (
    DueReservation,
    ReservationView,
    SkuStockView,
    WarehouseLevel,
)

__all__ = [
    "DUE_FUNCTION",
    "SqlInventoryQueries",
    "metadata",
    "reservations",
    "stock_levels",
    "warehouses",
]

metadata = MetaData()

warehouses = Table(
    "warehouses",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("warehouse_id", Uuid, nullable=False),
    Column("code", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant_id", "warehouse_id", name="warehouses_pkey"),
)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("stock_item_id", Uuid, nullable=False),
    Column("sku_id", Uuid, nullable=False),
    Column("warehouse_id", Uuid, nullable=False),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("available", Integer, nullable=False),
    Column("reorder_point", Integer, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant_id", "stock_item_id", name="stock_levels_pkey"),
    UniqueConstraint("tenant_id", "sku_id", "warehouse_id", name="stock_levels_sku_wh_key"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("reservation_id", Uuid, nullable=False),
    Column("order_id", Uuid, nullable=False),
    Column("status", Text, nullable=False),
    Column("lines", JSONB, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("reason", Text, nullable=True),
    Column("shortages", JSONB, nullable=True),
    Column("version", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant_id", "reservation_id", name="reservations_pkey"),
    UniqueConstraint("tenant_id", "order_id", name="reservations_order_key"),
    Index(
        "reservations_due_idx",
        "expires_at",
        postgresql_where=text("status = 'active'"),
    ),
)

TENANT_TABLES = ("warehouses", "stock_levels", "reservations")

STOCK_TOTALS_VIEW = """
CREATE OR REPLACE VIEW stock_totals WITH (security_invoker = true) AS
SELECT tenant_id, sku_id,
       SUM(on_hand)::bigint AS on_hand,
       SUM(reserved)::bigint AS reserved,
       SUM(available)::bigint AS available,
       COUNT(*)::int AS warehouses
  FROM stock_levels
 GROUP BY tenant_id, sku_id
"""

DUE_FUNCTION = "inventory_due_reservations"


def due_function_statements(app_role: str) -> list[str]:
    """SQL of the sweeper's cross-tenant due list (run by the migration, as the owner)."""
    return [
        # The owner (this function's definer) may read every reservation; the app role still
        # sees only its tenant's rows through the tenant policy.
        "DROP POLICY IF EXISTS owner_reads_all ON reservations",
        "DO $$ BEGIN EXECUTE format("
        "'CREATE POLICY owner_reads_all ON reservations FOR SELECT TO %I USING (true)', "
        "current_user); END $$",
        f"""
        CREATE OR REPLACE FUNCTION {DUE_FUNCTION}(due_at timestamptz, max_rows integer)
        RETURNS TABLE (tenant_id uuid, reservation_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
            SELECT r.tenant_id, r.reservation_id
              FROM reservations r
             WHERE r.status = 'active' AND r.expires_at <= due_at
             ORDER BY r.expires_at
             LIMIT max_rows
        $fn$
        """,
        f"REVOKE ALL ON FUNCTION {DUE_FUNCTION}(timestamptz, integer) FROM PUBLIC",
        f'GRANT EXECUTE ON FUNCTION {DUE_FUNCTION}(timestamptz, integer) TO "{app_role}"',
    ]


class SqlInventoryQueries:
    """`inventory.application.queries.InventoryQueries` on the read models (app role, RLS)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def sku_stock(self, tenant_id: UUID, sku_id: UUID) -> SkuStockView | None:
        stmt = (
            select(
                stock_levels.c.warehouse_id,
                stock_levels.c.on_hand,
                stock_levels.c.reserved,
                stock_levels.c.available,
            )
            .where(stock_levels.c.tenant_id == tenant_id, stock_levels.c.sku_id == sku_id)
            .order_by(stock_levels.c.warehouse_id)
        )
        totals = text(
            "SELECT on_hand, reserved, available FROM stock_totals "
            "WHERE tenant_id = :tenant_id AND sku_id = :sku_id"
        )
        async with tenant_transaction(self.engine, tenant_id) as conn:
            rows = (await conn.execute(stmt)).all()
            total = (await conn.execute(totals, {"tenant_id": tenant_id, "sku_id": sku_id})).first()
        if not rows or total is None:
            return None
        return SkuStockView(
            sku_id=sku_id,
            on_hand=int(total[0]),
            reserved=int(total[1]),
            available=int(total[2]),
            warehouses=tuple(WarehouseLevel(r[0], r[1], r[2], r[3]) for r in rows),
        )

    async def reservation_for_order(
        self, tenant_id: UUID, order_id: UUID
    ) -> ReservationView | None:
        r = reservations.c
        stmt = select(
            r.reservation_id, r.order_id, r.status, r.lines, r.expires_at, r.reason
        ).where(r.tenant_id == tenant_id, r.order_id == order_id)
        async with tenant_transaction(self.engine, tenant_id) as conn:
            row = (await conn.execute(stmt)).first()
        if row is None:
            return None
        lines: list[dict[str, Any]] = list(row[3])
        return ReservationView(row[0], row[1], row[2], lines, row[4], row[5])

    async def due_reservations(self, now: datetime, limit: int) -> list[DueReservation]:
        stmt = text(f"SELECT tenant_id, reservation_id FROM {DUE_FUNCTION}(:due_at, :max_rows)")
        async with self.engine.begin() as conn:
            rows = (await conn.execute(stmt, {"due_at": now, "max_rows": limit})).all()
        return [DueReservation(row[0], row[1]) for row in rows]
