"""Aggregate events → public contract events (``catalog.events.v1``), for the relay.

Each stored event is translated alone (the relay does not load aggregates):

=========================  ================================================================
Product.Published v1       ``catalog.product_published`` (full snapshot)
Product.Published v2+      ``catalog.product_updated`` (full snapshot)
Product.Unpublished        ``catalog.product_unpublished``
Product.Archived           ``catalog.product_archived``
Product.PriceChanged       ``catalog.price_changed`` (every one: consumers pricing carts need
                           the current price of a SKU whether or not the product is live)
Product.SkuAdded           ``catalog.sku_created``
everything else            private (None): drafts, options, categories, brands
=========================  ================================================================
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from shop_contracts import ContractEvent
from shop_contracts.events.catalog import (
    PriceChanged,
    ProductArchived,
    ProductPublished,
    ProductUnpublished,
    ProductUpdated,
    PublishedSku,
    SkuCreated,
)
from shop_contracts.money import Money

from catalog.domain.product import Product

__all__ = ["translate"]


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money.of(amount, currency)


def _snapshot(e: Any) -> ProductPublished | ProductUpdated:
    model = ProductPublished if e.version == 1 else ProductUpdated
    return model(
        product_id=e.originator_id,
        product_version=e.version,
        name=e.name,
        slug=e.slug,
        description=e.description,
        category_id=e.category_id,
        category_path=[ref["name"] for ref in e.category_path],
        category_ids=[ref["category_id"] for ref in e.category_path],
        brand=e.brand_name,
        brand_id=e.brand_id,
        tags=e.tags,
        images=e.images,
        skus=[
            PublishedSku(
                sku_id=s["sku_id"],
                sku=s["code"],
                price=Money.of(s["price_amount"], s["currency"]),
                compare_at_price=_money(s["compare_at_amount"], s["currency"]),
                attributes=s["option_values"],
            )
            for s in e.skus
        ],
    )


def translate(event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """The public event of a stored aggregate event, or None for a private one."""
    e: Any = event
    if isinstance(event, Product.Published):  # type: ignore[attr-defined]
        return _snapshot(e)
    if isinstance(event, Product.SkuAdded):  # type: ignore[attr-defined]
        return SkuCreated(
            product_id=e.originator_id,
            sku_id=e.sku_id,
            sku=e.code,
            price=Money.of(e.price_amount, e.currency),
            attributes=e.option_values,
            barcode=e.barcode,
            track_inventory=e.track_inventory,
        )
    if isinstance(event, Product.PriceChanged):  # type: ignore[attr-defined]
        return PriceChanged(
            product_id=e.originator_id,
            sku_id=e.sku_id,
            price=Money.of(e.price_amount, e.currency),
            previous_price=Money.of(e.previous_price_amount, e.currency),
            compare_at_price=_money(e.compare_at_amount, e.currency),
        )
    if isinstance(event, Product.Unpublished):  # type: ignore[attr-defined]
        return ProductUnpublished(product_id=e.originator_id, unpublished_by=e.unpublished_by)
    if isinstance(event, Product.Archived):  # type: ignore[attr-defined]
        return ProductArchived(product_id=e.originator_id, archived_by=e.archived_by)
    return None
