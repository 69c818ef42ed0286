"""The ``sku_prices`` read model, fed by catalog's public events (consumer group
``orders-catalog`` on ``catalog.events.v1``, a `SqlConsumer`: effects and position commit in one
transaction, with ``app.tenant_id`` set to the event's tenant).

* ``catalog.product_published`` / ``catalog.product_updated`` (a snapshot of the published
  product): every SKU of the snapshot is upserted as purchasable with its price and the product's
  name; SKUs of the product that the snapshot no longer lists stop being purchasable.
* ``catalog.price_changed``: the SKU's price, if the SKU is known (a SKU of a never-published
  product stays unknown: it is not for sale).
* ``catalog.product_archived`` (and ``catalog.product_unpublished`` when catalog publishes one):
  every SKU of the product stops being purchasable.

Catalog keys its events by product id, so one product's events arrive in order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shop_contracts.events.catalog import (
    PriceChanged,
    ProductPublished,
    ProductUpdated,
)
from shop_runtime.consumer import InboundMessage, SqlConsumer
from sqlalchemy import and_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orders.adapters.read_models import sku_prices

__all__ = ["CATALOG_GROUP", "register_catalog_handlers"]

CATALOG_GROUP = "orders-catalog"


def _now() -> datetime:
    return datetime.now(UTC)


async def on_product_snapshot(conn: AsyncConnection, message: InboundMessage) -> None:
    event = message.event
    assert isinstance(event, ProductPublished | ProductUpdated)
    now = _now()
    rows = [
        {
            "tenant_id": message.tenant_id,
            "sku_id": sku.sku_id,
            "product_id": event.product_id,
            "product_name": event.name,
            "price_amount": sku.price.amount,
            "currency": sku.price.currency,
            "purchasable": True,
            "updated_at": now,
        }
        for sku in event.skus
    ]
    stmt = insert(sku_prices).values(rows)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[sku_prices.c.tenant_id, sku_prices.c.sku_id],
            set_={
                "product_id": stmt.excluded.product_id,
                "product_name": stmt.excluded.product_name,
                "price_amount": stmt.excluded.price_amount,
                "currency": stmt.excluded.currency,
                "purchasable": True,
                "updated_at": stmt.excluded.updated_at,
            },
        )
    )
    listed = [sku.sku_id for sku in event.skus]
    await conn.execute(
        update(sku_prices)
        .where(
            and_(
                sku_prices.c.product_id == event.product_id,
                sku_prices.c.sku_id.not_in(listed),
            )
        )
        .values(purchasable=False, updated_at=now)
    )


async def on_price_changed(conn: AsyncConnection, message: InboundMessage) -> None:
    event = message.event
    assert isinstance(event, PriceChanged)
    await conn.execute(
        update(sku_prices)
        .where(sku_prices.c.sku_id == event.sku_id)
        .values(price_amount=event.price.amount, currency=event.price.currency, updated_at=_now())
    )


async def on_product_withdrawn(conn: AsyncConnection, message: InboundMessage) -> None:
    product_id: Any = getattr(message.event, "product_id", None)
    if product_id is None:
        return
    await conn.execute(
        update(sku_prices)
        .where(sku_prices.c.product_id == product_id)
        .values(purchasable=False, updated_at=_now())
    )


def register_catalog_handlers(consumer: SqlConsumer) -> SqlConsumer:
    consumer.on("catalog.product_published", on_product_snapshot)
    consumer.on("catalog.product_updated", on_product_snapshot)
    consumer.on("catalog.price_changed", on_price_changed)
    consumer.on("catalog.product_archived", on_product_withdrawn)
    # Registered ahead of the contract: the runner skips a type the registry does not know yet.
    consumer.on("catalog.product_unpublished", on_product_withdrawn)
    return consumer
