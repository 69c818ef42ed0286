"""What the application needs from the outside world, as protocols: the adapters implement them
(Redis carts, the catalog price read model, the order number sequence, the order read model) and
`orders.bootstrap` plugs them in; unit tests plug in the fakes of ``tests/unit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from shop_contracts.money import Money

from orders.domain.cart import Cart

__all__ = [
    "AdminOrderFilter",
    "CartRecord",
    "CartStore",
    "OrderNumbers",
    "OrderPage",
    "OrderQueries",
    "OrderSummary",
    "PriceBook",
    "SkuPrice",
]


@dataclass(frozen=True, slots=True)
class CartRecord:
    """A stored cart: whose it is and what is in it."""

    cart_id: UUID
    tenant_id: UUID
    customer_id: UUID
    cart: Cart


class CartStore(Protocol):
    """Carts by (tenant, cart id), with an expiry refreshed on every write."""

    async def create(self, tenant_id: UUID, customer_id: UUID) -> CartRecord: ...

    async def get(self, tenant_id: UUID, cart_id: UUID) -> CartRecord | None: ...

    async def update(
        self, tenant_id: UUID, cart_id: UUID, change: Callable[[Cart], Cart]
    ) -> CartRecord | None:
        """Apply ``change`` atomically (compare-and-set); None when the cart does not exist."""
        ...

    async def delete(self, tenant_id: UUID, cart_id: UUID) -> None: ...


@dataclass(frozen=True, slots=True)
class SkuPrice:
    """A SKU as the catalog last published it (the local read model of catalog events)."""

    sku_id: UUID
    product_id: UUID
    product_name: str
    price: Money
    purchasable: bool


class PriceBook(Protocol):
    async def lookup(self, tenant_id: UUID, sku_ids: Iterable[UUID]) -> Mapping[UUID, SkuPrice]:
        """The known SKUs among ``sku_ids`` (purchasable or not); unknown ones are absent."""
        ...


class OrderNumbers(Protocol):
    async def next_number(self, tenant_id: UUID) -> str:
        """The tenant's next order number (unique per tenant; gaps are possible)."""
        ...


@dataclass(frozen=True, slots=True)
class OrderSummary:
    order_id: UUID
    order_number: str
    customer_id: UUID
    status: str
    cancel_reason: str | None
    total: Money
    placed_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OrderPage:
    items: Sequence[OrderSummary]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class AdminOrderFilter:
    status: str | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    customer_id: UUID | None = None


class OrderQueries(Protocol):
    async def list_orders(
        self,
        tenant_id: UUID,
        filters: AdminOrderFilter,
        *,
        cursor: str | None,
        limit: int,
    ) -> OrderPage:
        """Orders newest first; ``cursor`` is the ``next_cursor`` of the previous page."""
        ...
