"""Carts and checkout: the async use cases the API calls.

They combine the ports (Redis carts, the local price read model, the order number sequence) with
the synchronous `OrdersApp` (run in a worker thread). Prices are never taken from the client nor
stored in the cart: they are looked up in the read model that catalog's events keep, each time a
cart is shown and at checkout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import anyio
from shop_contracts.money import Money
from shop_runtime.aggregate import NotFound

from orders.application.app import OrdersApp
from orders.application.ports import (
    CartRecord,
    CartStore,
    OrderNumbers,
    OrderQueries,
    PriceBook,
    SkuPrice,
)
from orders.domain.cart import Cart
from orders.domain.checkout import PricedSku, checkout
from orders.domain.errors import CurrencyMismatch, EmptyCart, PriceUnavailable
from orders.domain.order import Order, valid_payment_token

__all__ = [
    "CartLineView",
    "CartView",
    "Carts",
    "Checkout",
    "CheckoutRequest",
    "OrdersServices",
]


@dataclass(frozen=True, slots=True)
class CartLineView:
    sku_id: UUID
    product_id: UUID | None
    name: str | None
    quantity: int
    unit_price: Money | None
    """None when the SKU is no longer for sale (archived): checkout would refuse the cart."""

    @property
    def line_total(self) -> Money | None:
        return None if self.unit_price is None else self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class CartView:
    cart_id: UUID
    customer_id: UUID
    lines: tuple[CartLineView, ...]
    currency: str | None

    @property
    def subtotal(self) -> Money | None:
        if self.currency is None:
            return None
        totals = [ln.line_total for ln in self.lines if ln.line_total is not None]
        return Money.total((t for t in totals if t.currency == self.currency), self.currency)


def _not_found(cart_id: UUID) -> NotFound:
    return NotFound(f"cart {cart_id} not found")


class Carts:
    """A customer's carts. Another tenant's or another customer's cart is `NotFound` (404)."""

    def __init__(self, store: CartStore, prices: PriceBook) -> None:
        self.store = store
        self.prices = prices

    async def create(self, tenant_id: UUID, customer_id: UUID) -> CartView:
        record = await self.store.create(tenant_id, customer_id)
        return await self._view(record)

    async def record(self, tenant_id: UUID, customer_id: UUID, cart_id: UUID) -> CartRecord:
        record = await self.store.get(tenant_id, cart_id)
        if record is None or record.customer_id != customer_id:
            raise _not_found(cart_id)
        return record

    async def get(self, tenant_id: UUID, customer_id: UUID, cart_id: UUID) -> CartView:
        return await self._view(await self.record(tenant_id, customer_id, cart_id))

    async def add_item(
        self, tenant_id: UUID, customer_id: UUID, cart_id: UUID, sku_id: UUID, quantity: int
    ) -> CartView:
        await self.record(tenant_id, customer_id, cart_id)
        await self._purchasable(tenant_id, sku_id)
        return await self._change(tenant_id, cart_id, lambda cart: cart.add(sku_id, quantity))

    async def set_quantity(
        self, tenant_id: UUID, customer_id: UUID, cart_id: UUID, sku_id: UUID, quantity: int
    ) -> CartView:
        record = await self.record(tenant_id, customer_id, cart_id)
        if quantity > 0 and record.cart.quantity_of(sku_id) == 0:
            await self._purchasable(tenant_id, sku_id)
        return await self._change(
            tenant_id, cart_id, lambda cart: cart.set_quantity(sku_id, quantity)
        )

    async def remove_item(
        self, tenant_id: UUID, customer_id: UUID, cart_id: UUID, sku_id: UUID
    ) -> CartView:
        await self.record(tenant_id, customer_id, cart_id)
        return await self._change(tenant_id, cart_id, lambda cart: cart.remove(sku_id))

    async def _change(self, tenant_id: UUID, cart_id: UUID, change: Any) -> CartView:
        record = await self.store.update(tenant_id, cart_id, change)
        if record is None:  # expired between the ownership check and the write
            raise _not_found(cart_id)
        return await self._view(record)

    async def _purchasable(self, tenant_id: UUID, sku_id: UUID) -> SkuPrice:
        found = (await self.prices.lookup(tenant_id, [sku_id])).get(sku_id)
        if found is None or not found.purchasable:
            raise PriceUnavailable(f"SKU {sku_id} is not for sale")
        return found

    async def _view(self, record: CartRecord) -> CartView:
        known = await self.prices.lookup(record.tenant_id, [ln.sku_id for ln in record.cart.lines])
        lines = []
        currency: str | None = None
        for line in record.cart.lines:
            sku = known.get(line.sku_id)
            price = sku.price if sku is not None and sku.purchasable else None
            if price is not None and currency is None:
                currency = price.currency
            lines.append(
                CartLineView(
                    sku_id=line.sku_id,
                    product_id=sku.product_id if sku else None,
                    name=sku.product_name if sku else None,
                    quantity=line.quantity,
                    unit_price=price,
                )
            )
        return CartView(record.cart_id, record.customer_id, tuple(lines), currency)


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    tenant_id: UUID
    customer_id: UUID
    order_id: UUID
    cart_id: UUID
    shipping_address: Mapping[str, Any]
    payment_token: str | None
    billing_address: Mapping[str, Any] | None = None


class Checkout:
    """Cart → order (pending). The saga continues asynchronously from ``orders.order_placed``."""

    def __init__(
        self, app: OrdersApp, carts: Carts, prices: PriceBook, numbers: OrderNumbers
    ) -> None:
        self.app = app
        self.carts = carts
        self.prices = prices
        self.numbers = numbers

    async def place(self, request: CheckoutRequest) -> Order:
        """Place the order of ``request.cart_id``; raises `NotFound` for someone else's cart,
        `EmptyCart` / `PriceUnavailable` / `CurrencyMismatch` / `InvalidOrder` (422).

        A retry of the same request (same derived order id) returns the order already placed,
        even if the cart has gone meanwhile, and takes no new order number.
        """
        valid_payment_token(request.payment_token)  # before a number is taken for nothing
        existing = await anyio.to_thread.run_sync(
            self.app.find_order, request.tenant_id, request.order_id
        )
        if existing is not None:
            if existing.customer_id != request.customer_id:
                raise NotFound(f"order {request.order_id} not found")
            return existing
        record = await self.carts.record(request.tenant_id, request.customer_id, request.cart_id)
        cart: Cart = record.cart
        if cart.is_empty:
            raise EmptyCart("the cart is empty")
        known = await self.prices.lookup(request.tenant_id, [ln.sku_id for ln in cart.lines])
        priced: dict[UUID, PricedSku] = {
            sku_id: PricedSku(sku.sku_id, sku.product_id, sku.product_name, sku.price)
            for sku_id, sku in known.items()
            if sku.purchasable
        }
        missing = [ln.sku_id for ln in cart.lines if ln.sku_id not in priced]
        if missing:
            raise PriceUnavailable(f"SKU {missing[0]} is not for sale")
        currencies = {p.unit_price.currency for p in priced.values()}
        if len(currencies) != 1:
            raise CurrencyMismatch("the cart holds SKUs priced in different currencies")
        draft = checkout(cart, priced, currencies.pop())
        # Taken in its own transaction before the order is saved: a failure after this point
        # leaves a gap in the tenant's numbers, never a duplicate.
        number = await self.numbers.next_number(request.tenant_id)
        order = await anyio.to_thread.run_sync(
            lambda: self.app.place_order(
                tenant_id=request.tenant_id,
                order_id=request.order_id,
                order_number=number,
                customer_id=request.customer_id,
                draft=draft,
                shipping_address=request.shipping_address,
                billing_address=request.billing_address,
                payment_token=request.payment_token,
            )
        )
        await self.carts.store.delete(request.tenant_id, request.cart_id)
        return order


@dataclass(frozen=True, slots=True)
class OrdersServices:
    """Everything the API needs, wired by `orders.bootstrap`."""

    app: OrdersApp
    carts: Carts
    checkout: Checkout
    queries: OrderQueries
