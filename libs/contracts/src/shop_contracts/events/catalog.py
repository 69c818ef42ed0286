"""Public events of the catalog service (products, SKUs, prices) on ``catalog.events.v1``.

The aggregate of every event here is the product. Product events carry a full snapshot of the
published product so that a consumer (the search projector) can replace its copy without having seen
the earlier events.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from shop_contracts.contract_models import ContractEvent, ContractValue
from shop_contracts.ids import ProductId, SkuId, UserId
from shop_contracts.money import Money
from shop_contracts.registry import contract
from shop_contracts.topics import CATALOG_EVENTS

__all__ = [
    "PriceChanged",
    "ProductArchived",
    "ProductPublished",
    "ProductUnpublished",
    "ProductUpdated",
    "PublishedSku",
    "SkuCreated",
]


class PublishedSku(ContractValue):
    """One purchasable variant of a published product."""

    sku_id: SkuId
    sku: str = Field(min_length=1, description="The merchant's SKU code")
    price: Money
    compare_at_price: Money | None = Field(default=None, description="Former / list price")
    attributes: dict[str, str] = Field(
        default_factory=dict, description='Option values, e.g. {"color": "red", "size": "M"}'
    )


class _ProductSnapshot(ContractEvent):
    product_id: ProductId
    product_version: int = Field(ge=1, description="Published version number of the product")
    name: str = Field(min_length=1)
    slug: str = Field(min_length=1)
    description: str | None = None
    category_id: UUID | None = Field(default=None, description="Leaf category id")
    category_path: list[str] = Field(
        default_factory=list, description="Category names from the root to the leaf"
    )
    brand: str | None = None
    brand_id: UUID | None = Field(default=None, description="Id of the brand named by `brand`")
    category_ids: list[UUID] = Field(
        default_factory=list,
        description="Category ids from the root to the leaf (the ids of `category_path`)",
    )
    tags: list[str] = Field(default_factory=list)
    images: list[str] = Field(default_factory=list, description="Image URLs, primary first")
    skus: list[PublishedSku] = Field(min_length=1)


@contract("catalog.product_published", version=1, topic=CATALOG_EVENTS)
class ProductPublished(_ProductSnapshot):
    """A product became visible in the store (its first published version). Published by catalog."""


@contract("catalog.product_updated", version=1, topic=CATALOG_EVENTS)
class ProductUpdated(_ProductSnapshot):
    """A new version of an already published product was published; the payload is the complete
    product as it now appears. Published by catalog."""


@contract("catalog.product_archived", version=1, topic=CATALOG_EVENTS)
class ProductArchived(ContractEvent):
    """A product was withdrawn from sale and from search. Published by catalog."""

    product_id: ProductId
    archived_by: UserId | None = None


@contract("catalog.product_unpublished", version=1, topic=CATALOG_EVENTS)
class ProductUnpublished(ContractEvent):
    """A published product was taken off the store (it is a draft again and may be published
    later as a new version): it must disappear from search and storefront. Published by catalog."""

    product_id: ProductId
    unpublished_by: UserId | None = None


@contract("catalog.price_changed", version=1, topic=CATALOG_EVENTS)
class PriceChanged(ContractEvent):
    """The price of one SKU changed. Published by catalog; aggregate = the product."""

    product_id: ProductId
    sku_id: SkuId
    price: Money
    previous_price: Money
    compare_at_price: Money | None = None


@contract("catalog.sku_created", version=1, topic=CATALOG_EVENTS)
class SkuCreated(ContractEvent):
    """A variant (SKU) was added to a product; inventory starts tracking it. Published by catalog;
    aggregate = the product."""

    product_id: ProductId
    sku_id: SkuId
    sku: str = Field(min_length=1, description="The merchant's SKU code")
    price: Money
    attributes: dict[str, str] = Field(default_factory=dict)
    barcode: str | None = None
    track_inventory: bool = True
