"""Storefront reads: product detail (Redis-cached), published product list, search.

The tenant is the token's, else the anonymous caller's ``X-Tenant-Id`` / ``Host``. Only published
products are visible: an unpublished, archived, unknown or other tenant's product is a 404.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from shop_runtime.auth import CurrentTenant
from shop_runtime.errors import ProblemError

from catalog.api.deps import Components

router = APIRouter(tags=["storefront"])


@router.get("/products/{product_id}")
async def get_product(product_id: UUID, tenant: CurrentTenant, c: Components) -> dict[str, Any]:
    detail = await c.require_queries().product_detail(tenant, product_id)
    if detail is None:
        raise ProblemError(404, "not_found", detail=f"Product {product_id} not found")
    return detail


@router.get("/products")
async def list_products(
    tenant: CurrentTenant,
    c: Components,
    category_id: UUID | None = None,
    brand_id: UUID | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    page = await c.require_queries().list_products(
        tenant, category_id=category_id, brand_id=brand_id, cursor=cursor, limit=limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/search")
async def search_products(
    tenant: CurrentTenant,
    c: Components,
    q: Annotated[str | None, Query(max_length=200)] = None,
    brand_id: Annotated[list[str] | None, Query(max_length=50)] = None,
    brand: Annotated[list[str] | None, Query(max_length=50)] = None,
    category_id: str | None = None,
    option: Annotated[list[str] | None, Query(max_length=50)] = None,
    price_min: str | None = None,
    price_max: str | None = None,
    in_stock: str | None = None,
    sort: str | None = None,
    page: str | None = None,
    size: str | None = None,
) -> dict[str, Any]:
    """Full-text product search with facets, always within the caller's tenant."""
    given: dict[str, Any] = {
        "q": q,
        "brand_ids": brand_id,
        "brands": brand,
        "category_id": category_id,
        "options": option,
        "price_min": price_min,
        "price_max": price_max,
        "in_stock": in_stock,
        "sort": sort,
        "page": page,
        "size": size,
    }
    try:
        return await c.require_queries().search(
            tenant, {k: v for k, v in given.items() if v is not None}
        )
    except ValidationError as e:
        raise RequestValidationError(
            [{**err, "loc": ("query", *err["loc"])} for err in e.errors(include_input=False)]
        ) from None
