"""Tenant resolution inside tenancy: its own read model for hosts, its event store for status.

Other services resolve tenants from their `shop_runtime.tenant_directory` replica; tenancy is the
source, so it reads the ``tenant_hosts`` claims (written before the tenant is saved) and the
tenant aggregate itself: a store can sign customers in the moment its bootstrap request returned,
without waiting for any projection.
"""

from __future__ import annotations

from uuid import UUID

import anyio
from shop_runtime.tenant_directory import SqlTenantResolver
from sqlalchemy.ext.asyncio import AsyncEngine

from tenancy.adapters.read_models import SqlTenantNames
from tenancy.application.app import TenancyApp

__all__ = ["TenancyTenantResolver"]


class TenancyTenantResolver(SqlTenantResolver):
    def __init__(self, app: TenancyApp, engine: AsyncEngine, *, ttl_seconds: float = 2.0) -> None:
        super().__init__(engine, ttl_seconds=ttl_seconds)
        self.app = app
        self.names = SqlTenantNames(engine)

    async def lookup_host(self, host: str) -> UUID | None:
        tenant_id = await self.names.tenant_for_host(host)
        if tenant_id is None or not await self.lookup_active(tenant_id):
            return None
        return tenant_id

    async def lookup_active(self, tenant_id: UUID) -> bool:
        return await anyio.to_thread.run_sync(self.app.tenant_is_active, tenant_id)
