"""Read-model tables of the orders database (SQLAlchemy Core) and the queries over them.

Every table with a ``tenant_id`` has row-level security enabled and forced (see the 0001
migration): the application role sees and writes only the rows of the tenant set for the
transaction (`shop_runtime.db.tenant_transaction`).

* ``orders`` / ``order_status_history``: the order list and history, written by
  `orders.adapters.projector.OrderProjector` from the service's own event log.
* ``sku_prices``: what catalog last published about each SKU (name, price, for sale or not),
  written by the ``orders-catalog`` consumer of ``catalog.events.v1``; read at checkout.
* ``order_numbers``: the per-tenant order number sequence.
* ``checkout_deadlines``: when each order waiting in the checkout saga times out, for the
  sweeper. It holds no tenant column on purpose: the sweeper looks across tenants (RLS would
  show it nothing) and the row carries only an order id and a time; the order itself, loaded
  from the event store, is what the sweeper acts on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

import orjson
from shop_contracts.money import Money
from shop_runtime.aggregate import DomainError
from shop_runtime.db import tenant_transaction
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    and_,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from orders.application.ports import (
    AdminOrderFilter,
    OrderPage,
    OrderSummary,
    SkuPrice,
)

__all__ = [
    "RLS_TABLES",
    "InvalidCursor",
    "SqlOrderNumbers",
    "SqlOrderQueries",
    "SqlPriceBook",
    "checkout_deadlines",
    "metadata",
    "order_numbers",
    "order_status_history",
    "orders",
    "sku_prices",
]

metadata = MetaData()

AMOUNT = Numeric(19, 4)

orders = Table(
    "orders",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("order_id", Uuid, nullable=False),
    Column("order_number", Text, nullable=False),
    Column("customer_id", Uuid, nullable=False),
    Column("status", Text, nullable=False),
    Column("cancel_reason", Text, nullable=True),
    Column("total", AMOUNT, nullable=False),
    Column("currency", Text, nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "order_id", name="orders_pkey"),
    Index("ix_orders_customer_placed", "tenant_id", "customer_id", "placed_at", "order_id"),
    Index("ix_orders_placed", "tenant_id", "placed_at", "order_id"),
    Index("ix_orders_status_placed", "tenant_id", "status", "placed_at", "order_id"),
)

order_status_history = Table(
    "order_status_history",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("order_id", Uuid, nullable=False),
    Column("seq", Integer, nullable=False),  # the aggregate version of the change
    Column("from_status", Text, nullable=True),
    Column("to_status", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("cause_kind", Text, nullable=False),
    Column("cause_ref", Text, nullable=True),
    Column("reason", Text, nullable=True),
    PrimaryKeyConstraint("tenant_id", "order_id", "seq", name="order_status_history_pkey"),
)

sku_prices = Table(
    "sku_prices",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("sku_id", Uuid, nullable=False),
    Column("product_id", Uuid, nullable=False),
    Column("product_name", Text, nullable=False),
    Column("price_amount", AMOUNT, nullable=False),
    Column("currency", Text, nullable=False),
    Column("purchasable", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "sku_id", name="sku_prices_pkey"),
    Index("ix_sku_prices_product", "tenant_id", "product_id"),
)

order_numbers = Table(
    "order_numbers",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("next_value", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", name="order_numbers_pkey"),
)

checkout_deadlines = Table(
    "checkout_deadlines",
    metadata,
    Column("order_id", Uuid, nullable=False),
    Column("kind", Text, nullable=False),  # reservation | payment
    Column("due_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("order_id", name="checkout_deadlines_pkey"),
    Index("ix_checkout_deadlines_due", "due_at"),
)

RLS_TABLES = ("orders", "order_status_history", "sku_prices", "order_numbers")


class InvalidCursor(DomainError):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_cursor"


# -- prices ----------------------------------------------------------------------------------------


class SqlPriceBook:
    """`PriceBook` over ``sku_prices``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def lookup(self, tenant_id: UUID, sku_ids: Iterable[UUID]) -> Mapping[UUID, SkuPrice]:
        wanted = list(dict.fromkeys(sku_ids))
        if not wanted:
            return {}
        async with tenant_transaction(self.engine, tenant_id) as conn:
            rows = await conn.execute(select(sku_prices).where(sku_prices.c.sku_id.in_(wanted)))
            # asyncpg returns its own UUID type: make them plain UUIDs before they reach the
            # domain (the event store's transcoder knows only uuid.UUID).
            return {
                UUID(str(row.sku_id)): SkuPrice(
                    sku_id=UUID(str(row.sku_id)),
                    product_id=UUID(str(row.product_id)),
                    product_name=row.product_name,
                    price=Money.of(row.price_amount, row.currency),
                    purchasable=row.purchasable,
                )
                for row in rows
            }


# -- order numbers ---------------------------------------------------------------------------------

_NEXT_NUMBER = text(
    "INSERT INTO order_numbers (tenant_id, next_value) VALUES (:tenant_id, 2) "
    "ON CONFLICT (tenant_id) DO UPDATE SET next_value = order_numbers.next_value + 1 "
    "RETURNING next_value - 1"
)
ORDER_NUMBER_BASE = 1000


class SqlOrderNumbers:
    """`OrderNumbers` over ``order_numbers``: one row per tenant, bumped in its own short
    transaction (the row lock is held only for that). A number taken by a checkout that then
    fails is not given back: numbers are unique and increasing, not gapless."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def next_number(self, tenant_id: UUID) -> str:
        async with tenant_transaction(self.engine, tenant_id) as conn:
            value = (await conn.execute(_NEXT_NUMBER, {"tenant_id": tenant_id})).scalar_one()
        return str(ORDER_NUMBER_BASE + int(value))


# -- orders ----------------------------------------------------------------------------------------


def encode_cursor(placed_at: datetime, order_id: UUID) -> str:
    raw = orjson.dumps([placed_at.isoformat(), str(order_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        placed_at, order_id = orjson.loads(raw)
        moment = datetime.fromisoformat(placed_at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, UUID(order_id)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidCursor("the cursor is not one this service gave out") from None


class SqlOrderQueries:
    """`OrderQueries` over ``orders`` (newest first, keyset pagination)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def list_orders(
        self,
        tenant_id: UUID,
        filters: AdminOrderFilter,
        *,
        cursor: str | None,
        limit: int,
    ) -> OrderPage:
        c = orders.c
        query = select(orders)
        if filters.customer_id is not None:
            query = query.where(c.customer_id == filters.customer_id)
        if filters.status is not None:
            query = query.where(c.status == filters.status)
        if filters.placed_from is not None:
            query = query.where(c.placed_at >= filters.placed_from)
        if filters.placed_to is not None:
            query = query.where(c.placed_at < filters.placed_to)
        if cursor is not None:
            placed_at, order_id = decode_cursor(cursor)
            query = query.where(
                or_(c.placed_at < placed_at, and_(c.placed_at == placed_at, c.order_id < order_id))
            )
        query = query.order_by(c.placed_at.desc(), c.order_id.desc()).limit(limit + 1)
        async with tenant_transaction(self.engine, tenant_id) as conn:
            rows = list(await conn.execute(query))
        items = [
            OrderSummary(
                order_id=UUID(str(row.order_id)),
                order_number=row.order_number,
                customer_id=UUID(str(row.customer_id)),
                status=row.status,
                cancel_reason=row.cancel_reason,
                total=Money.of(Decimal(row.total), row.currency),
                placed_at=row.placed_at,
                updated_at=row.updated_at,
            )
            for row in rows[:limit]
        ]
        next_cursor = (
            encode_cursor(items[-1].placed_at, items[-1].order_id) if len(rows) > limit else None
        )
        return OrderPage(items=items, next_cursor=next_cursor)
