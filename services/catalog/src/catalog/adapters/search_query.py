"""Product search queries: parameters in, an OpenSearch request out, a typed result back.

:func:`build_search_query` is pure (unit-tested); :func:`search` runs it. Every request, whatever
the parameters, filters on the tenant and on ``status = published`` and is routed by tenant: the
tenant filter is what keeps stores apart, routing only makes it cheap.

Facet counts are computed over the current result set (all filters applied), so they say how many
results each refinement would leave.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

from opensearchpy.exceptions import NotFoundError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from catalog.adapters.search_index import SearchIndex, products_alias

if TYPE_CHECKING:
    from opensearchpy import AsyncOpenSearch

__all__ = [
    "DEFAULT_PRICE_BOUNDARIES",
    "MAX_PAGE_SIZE",
    "MAX_RESULT_WINDOW",
    "BrandRef",
    "FacetBucket",
    "Facets",
    "IndexFreshness",
    "PageInfo",
    "PriceRangeBucket",
    "SearchItem",
    "SearchParams",
    "SearchResult",
    "SortOrder",
    "build_search_query",
    "search",
    "search_request",
]

MAX_PAGE_SIZE = 100
MAX_RESULT_WINDOW = 10_000
"""OpenSearch's default ``index.max_result_window``: deeper pages need search_after, not paging."""

DEFAULT_PRICE_BOUNDARIES: tuple[Decimal, ...] = tuple(
    Decimal(v) for v in ("10", "25", "50", "100", "250", "500")
)

SortOrder = Literal["relevance", "price_asc", "price_desc", "newest", "name"]

OptionValue = Annotated[
    str, Field(pattern=r"^[^:]+:.+$", max_length=200, description='"<option>:<value>"')
]

_TEXT_FIELDS = [
    "name^3",
    "brand.name.text^2",
    "category.path_names^1.5",
    "description",
    # Every text field in one: a query whose words are spread over name and brand still matches.
    "search_text^0.5",
]

_SOURCE = [
    "product_id",
    "name",
    "slug",
    "brand",
    "price_min_amount",
    "price_max_amount",
    "currency",
    "in_stock",
    "images",
]


class SearchParams(BaseModel):
    """What a storefront may ask of product search. The tenant is never a parameter: it comes
    from the request's host or token and is passed separately."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str | None = Field(default=None, max_length=200, description="Free text, typos tolerated")
    brand_ids: list[UUID] = Field(default_factory=list, max_length=50)
    brands: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=50,
        description="Brand names (brand_ids is the precise filter)",
    )
    category_id: UUID | None = Field(
        default=None, description="Products in this category or below it"
    )
    options: list[OptionValue] = Field(
        default_factory=list,
        max_length=50,
        description="Option values such as Color:red; values of one option are alternatives, "
        "different options must all hold, on the same SKU",
    )
    price_min: Decimal | None = Field(default=None, ge=0)
    price_max: Decimal | None = Field(default=None, ge=0)
    in_stock: bool = Field(default=False, description="Only products with a SKU in stock")
    sort: SortOrder = "relevance"
    page: int = Field(default=1, ge=1)
    size: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)
    facets: bool = True

    @field_validator("q")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value or None

    @model_validator(mode="after")
    def _check_window(self) -> SearchParams:
        if self.page * self.size > MAX_RESULT_WINDOW:
            raise ValueError(
                f"page * size must be at most {MAX_RESULT_WINDOW} (got {self.page} * {self.size});"
                " narrow the search with filters instead of paging this deep"
            )
        if (
            self.price_min is not None
            and self.price_max is not None
            and self.price_min > self.price_max
        ):
            raise ValueError("price_min must not exceed price_max")
        return self


# -- response ------------------------------------------------------------------------------------


class BrandRef(BaseModel):
    id: str | None = None
    name: str


class SearchItem(BaseModel):
    product_id: UUID
    name: str
    slug: str
    brand: BrandRef | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    currency: str | None = None
    in_stock: bool
    image: str | None = None


class FacetBucket(BaseModel):
    value: str
    count: int
    label: str | None = None
    id: str | None = Field(default=None, description="The brand's id (brand facets)")


class PriceRangeBucket(BaseModel):
    min: Decimal | None = Field(default=None, description="Inclusive")
    max: Decimal | None = Field(default=None, description="Exclusive")
    count: int


class Facets(BaseModel):
    brands: list[FacetBucket]
    categories: list[FacetBucket] = Field(description="Leaf category id, labelled with its name")
    options: dict[str, list[FacetBucket]] = Field(description="Option name → its values")
    price_ranges: list[PriceRangeBucket] = Field(description="By the product's lowest price")
    in_stock: int = Field(description="Results with a SKU in stock")


class PageInfo(BaseModel):
    page: int
    size: int
    total_pages: int
    has_next: bool


class IndexFreshness(BaseModel):
    """How current the index is for this tenant."""

    last_event_at: datetime | None = Field(
        default=None, description="occurred_at of the newest event the projector applied"
    )
    projected_at: datetime | None = Field(
        default=None, description="When the projector last wrote for this tenant"
    )


class SearchResult(BaseModel):
    items: list[SearchItem]
    total: int
    page: PageInfo
    facets: Facets | None = None
    index_freshness: IndexFreshness


# -- query ---------------------------------------------------------------------------------------


def _sku_clause(params: SearchParams) -> dict[str, Any] | None:
    """Conditions one SKU must meet together (price, stock, options), or None."""
    conditions: list[dict[str, Any]] = []
    if params.price_min is not None or params.price_max is not None:
        price_range: dict[str, str] = {}
        if params.price_min is not None:
            price_range["gte"] = str(params.price_min)
        if params.price_max is not None:
            price_range["lte"] = str(params.price_max)
        conditions.append({"range": {"skus.price": price_range}})
    if params.in_stock:
        conditions.append({"term": {"skus.in_stock": True}})
    by_option: dict[str, list[str]] = defaultdict(list)
    for option in params.options:
        by_option[option.split(":", 1)[0]].append(option)
    for name in sorted(by_option):
        conditions.append({"terms": {"skus.options": sorted(set(by_option[name]))}})
    if not conditions:
        return None
    return {"nested": {"path": "skus", "query": {"bool": {"filter": conditions}}}}


def _text_query(q: str) -> dict[str, Any]:
    return {
        "bool": {
            "must": [
                {
                    "multi_match": {
                        "query": q,
                        "fields": _TEXT_FIELDS,
                        "type": "best_fields",
                        # AUTO: 0 edits up to 2 letters, 1 up to 5, 2 beyond ("shrit" → "shirt").
                        "fuzziness": "AUTO",
                        "prefix_length": 1,
                        "operator": "and",
                    }
                }
            ],
            "should": [
                {"match_phrase_prefix": {"name": {"query": q, "boost": 4}}},
                # The exact name (case and accents folded) ranks first.
                {"match": {"name.sort": {"query": q, "boost": 8}}},
            ],
        }
    }


def _sort(params: SearchParams) -> list[Any]:
    tie = {"product_id": "asc"}
    match params.sort:
        case "price_asc":
            return [{"price_min": "asc"}, tie]
        case "price_desc":
            return [{"price_max": "desc"}, tie]
        case "newest":
            return [{"published_at": {"order": "desc", "missing": "_last"}}, tie]
        case "name":
            return [{"name.sort": "asc"}, tie]
        case _:
            return ["_score", {"published_at": {"order": "desc", "missing": "_last"}}, tie]


def _price_ranges(boundaries: tuple[Decimal, ...]) -> list[dict[str, str]]:
    ranges: list[dict[str, str]] = []
    lower: Decimal | None = None
    for upper in (*boundaries, None):
        bucket: dict[str, str] = {}
        if lower is not None:
            bucket["from"] = str(lower)
        if upper is not None:
            bucket["to"] = str(upper)
        ranges.append(bucket)
        lower = upper
    return ranges


def _aggregations() -> dict[str, Any]:
    return {
        "brands": {
            "terms": {"field": "brand.name", "size": 50},
            "aggs": {"id": {"terms": {"field": "brand.id", "size": 1}}},
        },
        "categories": {
            "terms": {"field": "category.id", "size": 50},
            "aggs": {"label": {"top_hits": {"size": 1, "_source": ["category.path_names"]}}},
        },
        "options": {"terms": {"field": "option_values", "size": 200}},
        "price_ranges": {
            "range": {"field": "price_min", "ranges": _price_ranges(DEFAULT_PRICE_BOUNDARIES)}
        },
        "in_stock": {"filter": {"term": {"in_stock": True}}},
    }


def build_search_query(tenant_id: UUID | str, params: SearchParams) -> dict[str, Any]:
    """The ``_search`` body for ``params`` within one tenant's published products."""
    filters: list[dict[str, Any]] = [
        {"term": {"tenant_id": str(tenant_id)}},
        {"term": {"status": "published"}},
    ]
    if params.brand_ids:
        filters.append({"terms": {"brand.id": sorted(str(b) for b in params.brand_ids)}})
    if params.brands:
        filters.append({"terms": {"brand.name": sorted(set(params.brands))}})
    if params.category_id is not None:
        filters.append({"term": {"category.path": str(params.category_id)}})
    sku_clause = _sku_clause(params)
    if sku_clause is not None:
        filters.append(sku_clause)

    query: dict[str, Any] = {"bool": {"filter": filters}}
    if params.q is not None:
        text = _text_query(params.q)["bool"]
        query["bool"]["must"] = text["must"]
        query["bool"]["should"] = text["should"]

    body: dict[str, Any] = {
        "query": query,
        "from": (params.page - 1) * params.size,
        "size": params.size,
        "sort": _sort(params),
        "track_total_hits": True,
        "_source": _SOURCE,
    }
    if params.facets:
        body["aggs"] = _aggregations()
    return body


def search_request(
    tenant_id: UUID | str, params: SearchParams, *, prefix: str = "shop_"
) -> dict[str, Any]:
    """Keyword arguments of ``client.search``: the alias, the tenant routing and the body."""
    return {
        "index": products_alias(prefix),
        "routing": str(tenant_id),
        "body": build_search_query(tenant_id, params),
    }


# -- running it ----------------------------------------------------------------------------------


def _item(source: dict[str, Any]) -> SearchItem:
    brand = source.get("brand")
    images = source.get("images") or []
    return SearchItem(
        product_id=source["product_id"],
        name=source["name"],
        slug=source["slug"],
        brand=BrandRef(**brand) if brand else None,
        price_min=source.get("price_min_amount"),
        price_max=source.get("price_max_amount"),
        currency=source.get("currency"),
        in_stock=bool(source.get("in_stock")),
        image=images[0] if images else None,
    )


def _first_key(aggregation: dict[str, Any] | None) -> str | None:
    buckets = (aggregation or {}).get("buckets") or []
    return str(buckets[0]["key"]) if buckets else None


def _facets(aggregations: dict[str, Any]) -> Facets:
    options: dict[str, list[FacetBucket]] = defaultdict(list)
    for bucket in aggregations["options"]["buckets"]:
        name, _, value = str(bucket["key"]).partition(":")
        options[name].append(FacetBucket(value=value, count=bucket["doc_count"]))
    categories: list[FacetBucket] = []
    for bucket in aggregations["categories"]["buckets"]:
        hits = bucket["label"]["hits"]["hits"]
        names = hits[0]["_source"].get("category", {}).get("path_names") if hits else None
        categories.append(
            FacetBucket(
                value=bucket["key"], count=bucket["doc_count"], label=names[-1] if names else None
            )
        )
    return Facets(
        brands=[
            FacetBucket(value=b["key"], count=b["doc_count"], id=_first_key(b.get("id")))
            for b in aggregations["brands"]["buckets"]
        ],
        categories=categories,
        options=dict(options),
        price_ranges=[
            PriceRangeBucket(
                min=None if "from" not in b else Decimal(str(b["from"])),
                max=None if "to" not in b else Decimal(str(b["to"])),
                count=b["doc_count"],
            )
            for b in aggregations["price_ranges"]["buckets"]
        ],
        in_stock=aggregations["in_stock"]["doc_count"],
    )


async def _freshness(client: AsyncOpenSearch, index: SearchIndex, tenant: str) -> IndexFreshness:
    try:
        found = await client.get(index=index.meta_index, id=tenant, routing=tenant)
    except NotFoundError:
        return IndexFreshness()
    source = found["_source"]
    return IndexFreshness(
        last_event_at=source.get("last_event_at"), projected_at=source.get("projected_at")
    )


async def search(
    client: AsyncOpenSearch,
    tenant_id: UUID | str,
    params: SearchParams,
    *,
    prefix: str = "shop_",
) -> SearchResult:
    """Search one tenant's published products."""
    tenant = str(tenant_id)
    index = SearchIndex(client, prefix=prefix)
    response, freshness = await asyncio.gather(
        client.search(**search_request(tenant, params, prefix=prefix)),
        _freshness(client, index, tenant),
    )
    total = int(response["hits"]["total"]["value"])
    total_pages = -(-total // params.size)
    return SearchResult(
        items=[_item(hit["_source"]) for hit in response["hits"]["hits"]],
        total=total,
        page=PageInfo(
            page=params.page,
            size=params.size,
            total_pages=total_pages,
            has_next=params.page < total_pages,
        ),
        facets=_facets(response["aggregations"]) if params.facets else None,
        index_freshness=freshness,
    )
