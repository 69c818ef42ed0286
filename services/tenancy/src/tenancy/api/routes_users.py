"""Accounts of a store: customers sign up; staff with ``users.manage`` add colleagues."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import anyio
from fastapi import APIRouter, Query
from shop_runtime.auth import CurrentTenant, Principal, require_permission

from tenancy.api.deps import Services
from tenancy.api.models import (
    CreateStaffIn,
    RegisterCustomerIn,
    UserCreatedOut,
    UserListOut,
    UserOut,
)

router = APIRouter(tags=["users"])

UsersManager = Annotated[Principal, require_permission("users.manage")]


@router.post("/customers", status_code=201)
async def register_customer(
    body: RegisterCustomerIn, tenant_id: CurrentTenant, services: Services
) -> UserCreatedOut:
    """Sign up as a customer of the store named by ``X-Tenant-Id`` or ``Host``; 409 if taken."""
    user_id = await anyio.to_thread.run_sync(
        lambda: services.app.register_customer(
            tenant_id, email=body.email, password=body.password, display_name=body.display_name
        )
    )
    return UserCreatedOut(user_id=user_id)


@router.post("/users", status_code=201)
async def create_staff(
    body: CreateStaffIn, principal: UsersManager, tenant_id: CurrentTenant, services: Services
) -> UserCreatedOut:
    """Add a staff member to the caller's store (permission ``users.manage``)."""
    platform = principal.kind == "platform"  # acts on the tenant named in X-Tenant-Id
    user_id = await anyio.to_thread.run_sync(
        lambda: services.app.register_staff(
            tenant_id,
            actor_id=None if platform else UUID(principal.subject),
            actor_roles={"owner"} if platform else principal.roles,
            email=body.email,
            password=body.password,
            roles=body.roles,
            display_name=body.display_name,
        )
    )
    return UserCreatedOut(user_id=user_id)


@router.get("/users")
async def list_users(
    principal: UsersManager,
    services: Services,
    tenant_id: CurrentTenant,
    kind: Literal["staff", "customer"] | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> UserListOut:
    """The store's accounts by e-mail (read model: may lag a write by a moment)."""
    page = await services.users.list_users(tenant_id, kind=kind, cursor=cursor, limit=limit)
    return UserListOut(
        items=[
            UserOut(
                user_id=u.user_id,
                email=u.email,
                kind=u.kind,
                roles=u.roles,
                status=u.status,
                display_name=u.display_name,
            )
            for u in page.items
        ],
        next_cursor=page.next_cursor,
    )
