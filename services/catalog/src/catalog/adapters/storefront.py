"""`StorefrontQueries` on the read models, the Redis cache and OpenSearch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import NotFoundError as OpenSearchNotFound
from opensearchpy.exceptions import TransportError
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog.adapters.product_cache import ProductCache
from catalog.adapters.read_models import list_published_products, product_detail
from catalog.adapters.search_index import SearchIndex
from catalog.adapters.search_query import SearchParams, search
from catalog.application.errors import SearchUnavailable
from catalog.application.queries import ProductPage


class Storefront:
    """Product detail (cache first), product list (read model), search (OpenSearch)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        cache: ProductCache | None = None,
        search_index: SearchIndex | None = None,
    ) -> None:
        self.engine = engine
        self.cache = cache
        self.search_index = search_index

    async def product_detail(self, tenant_id: UUID, product_id: UUID) -> dict[str, Any] | None:
        if self.cache is not None:
            cached = await self.cache.get(tenant_id, product_id)
            if cached is not None:
                return cached
        detail = await product_detail(self.engine, tenant_id, product_id)
        if detail is not None and self.cache is not None:
            await self.cache.put(tenant_id, product_id, detail)
        return detail

    async def list_products(
        self,
        tenant_id: UUID,
        *,
        category_id: UUID | None,
        brand_id: UUID | None,
        cursor: str | None,
        limit: int,
    ) -> ProductPage:
        return await list_published_products(
            self.engine,
            tenant_id,
            category_id=category_id,
            brand_id=brand_id,
            cursor=cursor,
            limit=limit,
        )

    async def search(self, tenant_id: UUID, params: Mapping[str, Any]) -> dict[str, Any]:
        parsed = SearchParams(**params)
        if self.search_index is None:
            raise SearchUnavailable("Search is not available.")
        try:
            result = await search(
                self.search_index.client, tenant_id, parsed, prefix=self.search_index.prefix
            )
        except OpenSearchNotFound:
            raise SearchUnavailable("The search index is not ready.") from None
        except (OpenSearchConnectionError, TransportError) as e:
            raise SearchUnavailable("Search is not available.") from e
        body = result.model_dump(mode="json")
        info = body.pop("page")
        return {
            "items": body["items"],
            "total": body["total"],
            "facets": body["facets"],
            "page": info["page"],
            "size": info["size"],
            "total_pages": info["total_pages"],
            "has_next": info["has_next"],
            "index_freshness": body["index_freshness"],
        }
