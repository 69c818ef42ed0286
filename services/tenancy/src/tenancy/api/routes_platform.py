"""Platform bootstrap: stores are created (and suspended) by the platform operator's secret."""

from __future__ import annotations

from uuid import UUID

import anyio
from fastapi import APIRouter

from tenancy.api.deps import PlatformAdmin, Services
from tenancy.api.models import CreateTenantIn, SuspendTenantIn, TenantCreatedOut, TenantOut
from tenancy.application.platform import create_tenant
from tenancy.domain.tenant import Tenant

router = APIRouter(prefix="/platform", tags=["platform"], dependencies=[PlatformAdmin])


def _tenant_out(tenant: Tenant) -> TenantOut:
    config = tenant.store_config
    return TenantOut(
        tenant_id=tenant.id,
        name=tenant.name,
        slug=tenant.slug,
        status=tenant.status.value,
        currency=config.currency,
        timezone=config.timezone,
        capture_policy=config.capture_policy.value,
        primary_domain=tenant.primary_domain,
        domains=list(tenant.domains),
    )


@router.post("/tenants", status_code=201)
async def post_tenant(body: CreateTenantIn, services: Services) -> TenantCreatedOut:
    """Create a store with its primary domain and its owner (a staff user with role owner)."""
    draft = await create_tenant(
        services.app,
        services.names,
        name=body.name,
        slug=body.slug,
        currency=body.currency,
        timezone=body.timezone,
        capture_policy=body.capture_policy,
        primary_domain=body.primary_domain,
        owner_email=body.owner.email,
        owner_password=body.owner.password,
        owner_display_name=body.owner.display_name,
    )
    return TenantCreatedOut(
        tenant_id=draft.tenant_id,
        slug=draft.tenant.slug,
        primary_domain=draft.tenant.primary_domain,
        owner_user_id=draft.owner.id,
    )


@router.get("/tenants/{tenant_id}")
async def get_tenant(tenant_id: UUID, services: Services) -> TenantOut:
    tenant = await anyio.to_thread.run_sync(services.app.tenant, tenant_id)
    return _tenant_out(tenant)


@router.post("/tenants/{tenant_id}/suspend")
async def suspend_tenant(tenant_id: UUID, body: SuspendTenantIn, services: Services) -> TenantOut:
    await anyio.to_thread.run_sync(services.app.suspend_tenant, tenant_id, body.reason)
    return await get_tenant(tenant_id, services)


@router.post("/tenants/{tenant_id}/reactivate")
async def reactivate_tenant(tenant_id: UUID, services: Services) -> TenantOut:
    await anyio.to_thread.run_sync(services.app.reactivate_tenant, tenant_id)
    return await get_tenant(tenant_id, services)
