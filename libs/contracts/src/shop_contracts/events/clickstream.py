"""Storefront clickstream on ``analytics.clickstream.v1``.

Browsers send these in batches over HTTP to the analytics service, which publishes them. They have
no aggregate: the envelope's ``aggregate_id`` is the session id (so a session's clicks stay in order
on one partition) and ``aggregate_version`` is 0.
"""

from __future__ import annotations

from pydantic import Field

from shop_contracts.contract_models import ContractEvent, NonNegativeInt, Quantity
from shop_contracts.ids import CustomerId, ProductId, SessionId, SkuId
from shop_contracts.money import Money
from shop_contracts.registry import contract
from shop_contracts.topics import ANALYTICS_CLICKSTREAM

__all__ = ["AddedToCart", "PageViewed", "ProductViewed", "Searched"]


class _Click(ContractEvent):
    session_id: SessionId
    customer_id: CustomerId | None = Field(default=None, description="None when anonymous")
    page_url: str = Field(min_length=1)


@contract("analytics.page_viewed", version=1, topic=ANALYTICS_CLICKSTREAM)
class PageViewed(_Click):
    """A storefront page was viewed. Published by analytics (clickstream ingestion)."""

    page_title: str | None = None
    referrer: str | None = None


@contract("analytics.product_viewed", version=1, topic=ANALYTICS_CLICKSTREAM)
class ProductViewed(_Click):
    """A product page was viewed. Published by analytics (clickstream ingestion)."""

    product_id: ProductId
    sku_id: SkuId | None = None


@contract("analytics.added_to_cart", version=1, topic=ANALYTICS_CLICKSTREAM)
class AddedToCart(_Click):
    """A shopper added units of a SKU to their cart. Published by analytics (clickstream
    ingestion)."""

    product_id: ProductId
    sku_id: SkuId
    quantity: Quantity
    unit_price: Money | None = Field(default=None, description="Price shown to the shopper")


@contract("analytics.searched", version=1, topic=ANALYTICS_CLICKSTREAM)
class Searched(_Click):
    """A shopper ran a storefront search. Published by analytics (clickstream ingestion)."""

    query: str
    results_count: NonNegativeInt
    filters: dict[str, str] = Field(default_factory=dict, description="Facet filters applied")
