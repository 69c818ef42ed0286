"""Carts: a customer's selection of SKUs, priced from catalog's latest prices when shown."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from orders.api.deps import CustomerDep, ServicesDep
from orders.api.models import CartItemIn, CartOut, CartQuantityIn

router = APIRouter(tags=["carts"])


@router.post("/carts", status_code=201)
async def create_cart(customer: CustomerDep, services: ServicesDep) -> CartOut:
    view = await services.carts.create(customer.tenant_id, customer.customer_id)
    return CartOut.of(view)


@router.get("/carts/{cart_id}")
async def get_cart(cart_id: UUID, customer: CustomerDep, services: ServicesDep) -> CartOut:
    view = await services.carts.get(customer.tenant_id, customer.customer_id, cart_id)
    return CartOut.of(view)


@router.post("/carts/{cart_id}/items")
async def add_item(
    cart_id: UUID, body: CartItemIn, customer: CustomerDep, services: ServicesDep
) -> CartOut:
    view = await services.carts.add_item(
        customer.tenant_id, customer.customer_id, cart_id, body.sku_id, body.quantity
    )
    return CartOut.of(view)


@router.put("/carts/{cart_id}/items/{sku_id}")
async def set_quantity(
    cart_id: UUID, sku_id: UUID, body: CartQuantityIn, customer: CustomerDep, services: ServicesDep
) -> CartOut:
    view = await services.carts.set_quantity(
        customer.tenant_id, customer.customer_id, cart_id, sku_id, body.quantity
    )
    return CartOut.of(view)


@router.delete("/carts/{cart_id}/items/{sku_id}")
async def remove_item(
    cart_id: UUID, sku_id: UUID, customer: CustomerDep, services: ServicesDep
) -> CartOut:
    view = await services.carts.remove_item(
        customer.tenant_id, customer.customer_id, cart_id, sku_id
    )
    return CartOut.of(view)
