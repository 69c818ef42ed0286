"""Read-model tables of the catalog (every row has ``tenant_id``; RLS forced by the migration)
and the queries the API runs on them.

* ``products``: one row per product; ``detail`` is the published product as GET /products/{id}
  returns it (the last published snapshot with live prices), NULL before the first publication.
* ``categories``, ``brands``: the tree and the brands, for listings and descendant walks.
* ``unique_keys``: per-tenant unique slugs and SKU codes (see `catalog.application.ports`).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from shop_runtime.db import tenant_transaction
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog.application.errors import InvalidCursor
from catalog.application.queries import ProductPage

__all__ = [
    "ProductPage",
    "brands",
    "categories",
    "decode_cursor",
    "encode_cursor",
    "list_published_products",
    "metadata",
    "product_detail",
    "products",
    "unique_keys",
]

metadata = MetaData()

products = Table(
    "products",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("product_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("brand_id", Uuid),
    Column("category_id", Uuid),
    Column("category_ids", ARRAY(Uuid), nullable=False, server_default="{}"),
    Column("published_version", Integer, nullable=False, server_default="0"),
    Column("published_at", DateTime(timezone=True)),
    Column("price_min", Numeric),
    Column("currency", Text),
    Column("detail", JSONB),
    Column("aggregate_version", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "product_id"),
    Index("products_published_idx", "tenant_id", "status", "published_at", "product_id"),
    Index("products_category_ids_idx", "category_ids", postgresql_using="gin"),
    Index("products_brand_idx", "tenant_id", "brand_id"),
)

categories = Table(
    "categories",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("category_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False),
    Column("parent_id", Uuid),
    Column("path_ids", ARRAY(Uuid), nullable=False, comment="Root → this category"),
    Column("path", JSONB, nullable=False, comment="[{category_id, name, slug}] root → this"),
    Column("aggregate_version", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", "category_id"),
    Index("categories_path_ids_idx", "path_ids", postgresql_using="gin"),
)

brands = Table(
    "brands",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("brand_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False),
    Column("aggregate_version", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", "brand_id"),
)

unique_keys = Table(
    "unique_keys",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("kind", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("owner_id", Uuid, nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant_id", "kind", "key", name="unique_keys_tenant_kind_key"),
)


# -- queries -------------------------------------------------------------------------------------


async def product_detail(
    engine: AsyncEngine, tenant_id: UUID, product_id: UUID
) -> dict[str, Any] | None:
    """The published product's detail, or None (unknown, another tenant's, not published)."""
    stmt = select(products.c.detail).where(
        products.c.product_id == product_id,
        products.c.status == "published",
        products.c.detail.is_not(None),
    )
    async with tenant_transaction(engine, tenant_id) as conn:
        detail = (await conn.execute(stmt)).scalar_one_or_none()
    return dict(detail) if detail is not None else None


def encode_cursor(published_at: datetime, product_id: UUID) -> str:
    raw = json.dumps([published_at.isoformat(), str(product_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, product_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(at), UUID(product_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as e:
        raise InvalidCursor("The cursor is not valid.") from e


def _summary(detail: dict[str, Any]) -> dict[str, Any]:
    skus = detail.get("skus") or []
    cheapest = min(skus, key=lambda s: float(s["price"]["amount"]), default=None)
    images = detail.get("images") or []
    return {
        "product_id": detail["product_id"],
        "name": detail["name"],
        "slug": detail["slug"],
        "brand": detail.get("brand"),
        "category": detail.get("category"),
        "price_from": cheapest["price"] if cheapest else None,
        "image": images[0] if images else None,
    }


async def list_published_products(
    engine: AsyncEngine,
    tenant_id: UUID,
    *,
    category_id: UUID | None = None,
    brand_id: UUID | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> ProductPage:
    """Published products, newest publication first; ``category_id`` includes subcategories."""
    conditions = [products.c.status == "published", products.c.detail.is_not(None)]
    if category_id is not None:
        conditions.append(products.c.category_ids.contains([category_id]))
    if brand_id is not None:
        conditions.append(products.c.brand_id == brand_id)
    if cursor is not None:
        at, last_id = decode_cursor(cursor)
        conditions.append(
            or_(
                products.c.published_at < at,
                and_(products.c.published_at == at, products.c.product_id < last_id),
            )
        )
    stmt = (
        select(products.c.detail, products.c.published_at, products.c.product_id)
        .where(*conditions)
        .order_by(products.c.published_at.desc(), products.c.product_id.desc())
        .limit(limit + 1)
    )
    async with tenant_transaction(engine, tenant_id) as conn:
        rows = (await conn.execute(stmt)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].published_at, rows[-1].product_id) if more else None
    return ProductPage(items=[_summary(dict(r.detail)) for r in rows], next_cursor=next_cursor)
