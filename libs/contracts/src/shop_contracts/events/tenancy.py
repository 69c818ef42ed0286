"""Public events of the tenancy service (tenants, users, roles) on ``tenancy.events.v1``.

Personal data (e-mail, names, phone numbers) is deliberately absent: every consumer copies what it
reads into its own stores, and a customer's erasure must not have to chase it there. A consumer that
needs contact details asks tenancy for them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shop_contracts.contract_models import ContractEvent
from shop_contracts.ids import TenantId, UserId
from shop_contracts.money import CurrencyCode
from shop_contracts.registry import contract
from shop_contracts.topics import TENANCY_EVENTS

__all__ = [
    "RoleChanged",
    "TenantCreated",
    "TenantDeleted",
    "TenantSuspended",
    "UserRegistered",
]

UserKind = Literal["staff", "customer"]


@contract("tenancy.tenant_created", version=1, topic=TENANCY_EVENTS)
class TenantCreated(ContractEvent):
    """A new store (tenant) was created. Published by tenancy; aggregate = the tenant."""

    tenant_id: TenantId
    name: str = Field(min_length=1)
    slug: str = Field(min_length=1, description="URL-friendly unique identifier")
    currency: CurrencyCode = Field(description="The store's default currency")
    domain: str | None = Field(default=None, description="Primary domain, if one is set")
    plan_code: str | None = Field(default=None, description="Subscription plan, e.g. starter")


@contract("tenancy.tenant_suspended", version=1, topic=TENANCY_EVENTS)
class TenantSuspended(ContractEvent):
    """A store was suspended (e.g. unpaid subscription): it keeps its data but stops trading.
    Published by tenancy."""

    tenant_id: TenantId
    reason: str = Field(min_length=1)
    suspended_by: UserId | None = Field(default=None, description="None when automatic")


@contract("tenancy.tenant_deleted", version=1, topic=TENANCY_EVENTS)
class TenantDeleted(ContractEvent):
    """A store was deleted: every service erases the tenant's data (read models, search documents,
    analytics rows, caches). Published by tenancy."""

    tenant_id: TenantId
    deleted_by: UserId | None = Field(default=None, description="None when automatic")


@contract("tenancy.user_registered", version=1, topic=TENANCY_EVENTS)
class UserRegistered(ContractEvent):
    """A staff member or a customer got an account in a store. Published by tenancy;
    aggregate = the user."""

    user_id: UserId
    kind: UserKind
    roles: list[str] = Field(default_factory=list, description="Role codes, e.g. admin, viewer")


@contract("tenancy.role_changed", version=1, topic=TENANCY_EVENTS)
class RoleChanged(ContractEvent):
    """A user's roles in a store changed; ``roles`` is the complete new set. Published by tenancy;
    aggregate = the user."""

    user_id: UserId
    roles: list[str] = Field(description="Role codes after the change")
    previous_roles: list[str] = Field(description="Role codes before the change")
    changed_by: UserId | None = None
