"""The platform's bootstrap of a store: claim its names, then save it with its owner."""

from __future__ import annotations

from typing import Any

import anyio

from tenancy.application.app import TenancyApp, TenantDraft
from tenancy.application.ports import TenantNames

__all__ = ["create_tenant"]


async def create_tenant(app: TenancyApp, names: TenantNames, **fields: Any) -> TenantDraft:
    """Validate (422), claim the slug and hosts across tenants (409), then save (409 if the tenant
    already exists).

    Safe to retry: the tenant id is derived from the slug, so the claim succeeds again for the
    same tenant, and the event store refuses a second tenant with that id. A crash between the
    claim and the save leaves a claim that the retry reuses.
    """
    draft = await anyio.to_thread.run_sync(lambda: app.draft_tenant(**fields))
    await names.claim(draft.tenant_id, draft.tenant.slug, draft.hosts)
    return await anyio.to_thread.run_sync(app.create_tenant, draft)
