"""Request and response bodies of the tenancy API."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field
from shop_runtime.api_models import ResponseModel, StrictModel

Email = Field(min_length=3, max_length=254)
Password = Field(min_length=1, max_length=1024)
DisplayName = Field(default=None, min_length=1, max_length=255)


class OwnerIn(StrictModel):
    email: str = Email
    password: str = Password
    display_name: str | None = DisplayName


class CreateTenantIn(StrictModel):
    name: str = Field(min_length=1, max_length=255)
    slug: str = Field(min_length=1, max_length=63)
    currency: str = Field(min_length=3, max_length=3)
    primary_domain: str | None = Field(default=None, min_length=1, max_length=253)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    capture_policy: Literal["on_confirmation", "on_shipment"] | None = None
    owner: OwnerIn


class TenantCreatedOut(ResponseModel):
    tenant_id: UUID
    slug: str
    primary_domain: str | None
    owner_user_id: UUID


class SuspendTenantIn(StrictModel):
    reason: str = Field(min_length=1, max_length=500)


class TenantOut(ResponseModel):
    tenant_id: UUID
    name: str
    slug: str
    status: str
    currency: str
    timezone: str
    capture_policy: str
    primary_domain: str | None
    domains: list[str]


class LoginIn(StrictModel):
    email: str = Email
    password: str = Password


class RefreshIn(StrictModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class TokensOut(ResponseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_in: int


class RegisterCustomerIn(StrictModel):
    email: str = Email
    password: str = Password
    display_name: str | None = DisplayName


class CreateStaffIn(StrictModel):
    email: str = Email
    password: str = Password
    roles: list[str] = Field(min_length=1, max_length=20)
    display_name: str | None = DisplayName


class UserCreatedOut(ResponseModel):
    user_id: UUID


class MeOut(ResponseModel):
    user_id: UUID
    tenant_id: UUID
    kind: str
    email: str
    display_name: str | None
    roles: list[str]
    permissions: list[str]


class UserOut(ResponseModel):
    user_id: UUID
    email: str
    kind: str
    roles: list[str]
    status: str
    display_name: str | None


class UserListOut(ResponseModel):
    items: list[UserOut]
    next_cursor: str | None
