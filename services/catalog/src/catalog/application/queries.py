"""The storefront's read side, as the API sees it (implemented in ``catalog.adapters``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

__all__ = ["ProductPage", "StorefrontQueries"]


@dataclass(frozen=True, slots=True)
class ProductPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


class StorefrontQueries(Protocol):
    async def product_detail(self, tenant_id: UUID, product_id: UUID) -> dict[str, Any] | None:
        """The published product as GET /products/{id} shows it, or None (not visible)."""

    async def list_products(
        self,
        tenant_id: UUID,
        *,
        category_id: UUID | None,
        brand_id: UUID | None,
        cursor: str | None,
        limit: int,
    ) -> ProductPage:
        """Published products, newest first (raises `InvalidCursor`)."""

    async def search(self, tenant_id: UUID, params: Mapping[str, Any]) -> dict[str, Any]:
        """Search the tenant's published products. ``params`` are validated here (raises
        pydantic's ``ValidationError``) and `SearchUnavailable` when the index cannot answer."""
