"""Carts in Redis: one key per (tenant, cart id) holding the cart's JSON, with an expiry that
every write refreshes (``CART_TTL_SECONDS``, 7 days by default).

A cart is not a record that must survive everything: losing one costs a shopper their
selection, never an order or money (ARCHITECTURE §5), so Redis is its only copy.

The value records the owner (``customer_id``); `orders.application.shopping.Carts` answers 404
to anyone else. The tenant is part of the key, so another tenant's cart id simply does not exist.
Changes are compare-and-set (``WATCH``/``MULTI``): two concurrent "add" calls on one cart both
count instead of one overwriting the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import orjson
from redis.asyncio import Redis
from redis.exceptions import WatchError

from orders.application.ports import CartRecord
from orders.domain.cart import Cart

__all__ = ["RedisCartStore"]


class RedisCartStore:
    """`CartStore` on Redis."""

    def __init__(
        self,
        redis: Redis[bytes],
        *,
        ttl_seconds: int,
        max_line_quantity: int,
        max_lines: int,
        prefix: str = "orders:cart",
    ) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        self.max_line_quantity = max_line_quantity
        self.max_lines = max_lines
        self.prefix = prefix

    def key(self, tenant_id: UUID, cart_id: UUID) -> str:
        return f"{self.prefix}:{tenant_id}:{cart_id}"

    def _encode(self, record: CartRecord) -> bytes:
        return orjson.dumps(
            {
                "cart_id": str(record.cart_id),
                "tenant_id": str(record.tenant_id),
                "customer_id": str(record.customer_id),
                "cart": record.cart.to_dict(),
            }
        )

    def _decode(self, raw: Any) -> CartRecord:
        data = orjson.loads(raw)
        return CartRecord(
            cart_id=UUID(data["cart_id"]),
            tenant_id=UUID(data["tenant_id"]),
            customer_id=UUID(data["customer_id"]),
            cart=Cart.from_dict(
                data["cart"],
                max_line_quantity=self.max_line_quantity,
                max_lines=self.max_lines,
            ),
        )

    async def create(self, tenant_id: UUID, customer_id: UUID) -> CartRecord:
        record = CartRecord(
            cart_id=uuid4(),
            tenant_id=tenant_id,
            customer_id=customer_id,
            cart=Cart(max_line_quantity=self.max_line_quantity, max_lines=self.max_lines),
        )
        await self.redis.set(
            self.key(tenant_id, record.cart_id), self._encode(record), ex=self.ttl_seconds, nx=True
        )
        return record

    async def get(self, tenant_id: UUID, cart_id: UUID) -> CartRecord | None:
        raw = await self.redis.get(self.key(tenant_id, cart_id))
        if raw is None:
            return None
        record = self._decode(raw)
        return record if record.tenant_id == tenant_id else None

    async def update(
        self, tenant_id: UUID, cart_id: UUID, change: Callable[[Cart], Cart]
    ) -> CartRecord | None:
        key = self.key(tenant_id, cart_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        return None
                    record = self._decode(raw)
                    changed = CartRecord(
                        cart_id=record.cart_id,
                        tenant_id=record.tenant_id,
                        customer_id=record.customer_id,
                        cart=change(record.cart),  # a domain error leaves the cart untouched
                    )
                    pipe.multi()
                    pipe.set(key, self._encode(changed), ex=self.ttl_seconds)
                    await pipe.execute()
                    return changed
                except WatchError:
                    continue  # someone else changed it in between: re-read and re-apply

    async def delete(self, tenant_id: UUID, cart_id: UUID) -> None:
        await self.redis.delete(self.key(tenant_id, cart_id))
