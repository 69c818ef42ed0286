"""Redis cache of the product detail (GET /products/{id}).

Key ``catalog:product:<tenant>:<product>``, JSON value, with a TTL. The projector deletes a
product's key after it commits a change of that product's view, so a reader that misses reads the
new view. A reader that read the old view just before that commit may still store it after the
delete; the TTL bounds how long such a stale entry can live. Redis errors are never fatal: the
read model is the truth, the cache only saves its reads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def product_key(tenant_id: UUID | str, product_id: UUID | str) -> str:
    return f"catalog:product:{tenant_id}:{product_id}"


class ProductCache:
    def __init__(self, redis: Redis[bytes], *, ttl_seconds: int = 300) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds

    async def get(self, tenant_id: UUID, product_id: UUID) -> dict[str, Any] | None:
        try:
            raw = await self.redis.get(product_key(tenant_id, product_id))
        except RedisError as e:
            log.warning("product cache read failed: %r", e)
            return None
        if raw is None:
            return None
        value: dict[str, Any] = json.loads(raw)
        return value

    async def put(self, tenant_id: UUID, product_id: UUID, detail: dict[str, Any]) -> None:
        try:
            await self.redis.set(
                product_key(tenant_id, product_id), json.dumps(detail), ex=self.ttl_seconds
            )
        except RedisError as e:
            log.warning("product cache write failed: %r", e)

    async def invalidate(self, keys: Iterable[tuple[UUID, UUID]]) -> None:
        names = sorted({product_key(t, p) for t, p in keys})
        if not names:
            return
        try:
            await self.redis.delete(*names)
        except RedisError as e:
            # The entry expires with its TTL; the projector must not stall on the cache.
            log.warning("product cache invalidation failed (%d keys): %r", len(names), e)
