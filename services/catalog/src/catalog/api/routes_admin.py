"""Writes of the catalog (permission ``catalog.manage``): categories, brands, products, SKUs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import anyio
from fastapi import APIRouter
from shop_runtime.auth import CurrentTenant

from catalog.api.deps import Components, Manager
from catalog.api.models import BrandIn, CategoryIn, CategoryMoveIn, PriceIn, ProductIn, SkuIn
from catalog.application.app import OptionSpec
from catalog.domain.category import Category
from catalog.domain.product import KEEP, Product

router = APIRouter(tags=["catalog admin"])


def _principal_id(principal: Manager) -> UUID | None:
    try:
        return UUID(principal.subject)
    except ValueError:
        return None


def _category_out(category: Category) -> dict[str, Any]:
    return {
        "category_id": str(category.id),
        "name": category.name,
        "slug": category.slug,
        "parent_id": str(category.parent_id) if category.parent_id else None,
        "path": [
            {"category_id": str(ref.category_id), "name": ref.name, "slug": ref.slug}
            for ref in category.path
        ],
    }


def _product_out(product: Product) -> dict[str, Any]:
    return {
        "product_id": str(product.id),
        "slug": product.slug,
        "status": product.status.value,
        "published_version": product.published_version,
        "has_unpublished_changes": product.has_unpublished_changes,
    }


@router.post("/categories", status_code=201)
async def create_category(
    body: CategoryIn, principal: Manager, tenant: CurrentTenant, c: Components
) -> dict[str, Any]:
    category = await anyio.to_thread.run_sync(
        lambda: c.require_app().create_category(
            tenant,
            name=body.name,
            slug=body.slug,
            description=body.description,
            parent_id=body.parent_id,
        )
    )
    return _category_out(category)


@router.post("/categories/{category_id}/move")
async def move_category(
    category_id: UUID,
    body: CategoryMoveIn,
    principal: Manager,
    tenant: CurrentTenant,
    c: Components,
) -> dict[str, Any]:
    category = await anyio.to_thread.run_sync(
        lambda: c.require_app().move_category(tenant, category_id, body.parent_id)
    )
    return _category_out(category)


@router.post("/brands", status_code=201)
async def create_brand(
    body: BrandIn, principal: Manager, tenant: CurrentTenant, c: Components
) -> dict[str, Any]:
    brand = await anyio.to_thread.run_sync(
        lambda: c.require_app().create_brand(
            tenant, name=body.name, slug=body.slug, description=body.description
        )
    )
    return {"brand_id": str(brand.id), "name": brand.name, "slug": brand.slug}


@router.post("/products", status_code=201)
async def create_product(
    body: ProductIn, principal: Manager, tenant: CurrentTenant, c: Components
) -> dict[str, Any]:
    product = await anyio.to_thread.run_sync(
        lambda: c.require_app().create_product(
            tenant,
            name=body.name,
            slug=body.slug,
            description=body.description,
            brand_id=body.brand_id,
            category_id=body.category_id,
            options=[OptionSpec(o.name, o.values) for o in body.options],
            tags=body.tags,
            images=body.images,
            created_by=_principal_id(principal),
        )
    )
    return _product_out(product)


@router.post("/products/{product_id}/skus", status_code=201)
async def add_sku(
    product_id: UUID, body: SkuIn, principal: Manager, tenant: CurrentTenant, c: Components
) -> dict[str, Any]:
    sku_id = await anyio.to_thread.run_sync(
        lambda: c.require_app().add_sku(
            tenant,
            product_id,
            code=body.code,
            price=body.price,
            compare_at_price=body.compare_at_price,
            option_values=body.option_values,
            barcode=body.barcode,
            track_inventory=body.track_inventory,
        )
    )
    return {"sku_id": str(sku_id), "product_id": str(product_id)}


@router.post("/products/{product_id}/skus/{sku_id}/price")
async def change_price(
    product_id: UUID,
    sku_id: UUID,
    body: PriceIn,
    principal: Manager,
    tenant: CurrentTenant,
    c: Components,
) -> dict[str, Any]:
    compare_at = body.compare_at_price if "compare_at_price" in body.model_fields_set else KEEP
    product = await anyio.to_thread.run_sync(
        lambda: c.require_app().change_price(
            tenant, product_id, sku_id, price=body.price, compare_at_price=compare_at
        )
    )
    sku = product.sku(sku_id)
    return {
        "product_id": str(product_id),
        "sku_id": str(sku_id),
        "price": sku.price.model_dump(mode="json"),
        "compare_at_price": (
            sku.compare_at_price.model_dump(mode="json") if sku.compare_at_price else None
        ),
    }


async def _lifecycle(
    action: str, product_id: UUID, principal: Manager, tenant: UUID, c: Components
) -> dict[str, Any]:
    by = _principal_id(principal)
    app = c.require_app()
    command = {"publish": app.publish, "unpublish": app.unpublish, "archive": app.archive}[action]
    product = await anyio.to_thread.run_sync(lambda: command(tenant, product_id, by=by))
    return _product_out(product)


@router.post("/products/{product_id}/publish")
async def publish(
    product_id: UUID, principal: Manager, tenant: CurrentTenant, c: Components
) -> dict[str, Any]:
    return await _lifecycle("publish", product_id, principal, tenant, c)


@router.post("/products/{product_id}/unpublish")
async def unpublish(
    product_id: UUID, principal: Manager, tenant: CurrentTenant, c: Components
) -> dict[str, Any]:
    return await _lifecycle("unpublish", product_id, principal, tenant, c)


@router.post("/products/{product_id}/archive")
async def archive(
    product_id: UUID, principal: Manager, tenant: CurrentTenant, c: Components
) -> dict[str, Any]:
    return await _lifecycle("archive", product_id, principal, tenant, c)
