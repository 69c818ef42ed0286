"""Read-side database access: async engines and tenant-scoped transactions.

Row-level security on every read-model table keys on the `app.tenant_id` setting. It is set with
`set_config(..., true)`, i.e. local to the transaction, so a pooled connection never carries one
tenant's identity into the next checkout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shop_runtime.settings import ServiceSettings

TENANT_SETTING = "app.tenant_id"


def create_engine(
    settings: ServiceSettings, *, owner: bool = False, pool_size: int | None = None
) -> AsyncEngine:
    """Engine for the service's database as the application role (or the owner, for migrations)."""
    size = pool_size or settings.postgres_pool_size
    return create_async_engine(
        settings.sqlalchemy_url(owner=owner),
        pool_size=size,
        max_overflow=0,
        pool_pre_ping=True,
    )


@asynccontextmanager
async def tenant_transaction(
    engine: AsyncEngine, tenant_id: UUID
) -> AsyncIterator[AsyncConnection]:
    """One transaction in which RLS sees exactly `tenant_id`'s rows."""
    async with engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": TENANT_SETTING, "value": str(tenant_id)},
        )
        yield conn


@asynccontextmanager
async def system_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction with no tenant: RLS shows no tenant rows. For tracking and runtime tables."""
    async with engine.begin() as conn:
        yield conn
