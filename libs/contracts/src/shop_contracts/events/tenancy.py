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
    "DomainAdded",
    "DomainRemoved",
    "RoleChanged",
    "StoreConfigChanged",
    "TenantCreated",
    "TenantDeleted",
    "TenantReactivated",
    "TenantSuspended",
    "UserRegistered",
]

UserKind = Literal["staff", "customer"]
CapturePolicy = Literal["on_confirmation", "on_shipment"]


@contract("tenancy.tenant_created", version=1, topic=TENANCY_EVENTS)
class TenantCreated(ContractEvent):
    """A new store (tenant) was created. Published by tenancy; aggregate = the tenant."""

    tenant_id: TenantId
    name: str = Field(min_length=1)
    slug: str = Field(min_length=1, description="URL-friendly unique identifier")
    currency: CurrencyCode = Field(description="The store's default currency")
    domain: str | None = Field(default=None, description="Primary domain, if one is set")
    plan_code: str | None = Field(default=None, description="Subscription plan, e.g. starter")
    timezone: str | None = Field(
        default=None, description="IANA time zone of the store, e.g. Asia/Kolkata"
    )
    capture_policy: CapturePolicy | None = Field(
        default=None,
        description="When payments capture an authorised payment (on_confirmation if absent)",
    )


@contract("tenancy.tenant_suspended", version=1, topic=TENANCY_EVENTS)
class TenantSuspended(ContractEvent):
    """A store was suspended (e.g. unpaid subscription): it keeps its data but stops trading.
    Published by tenancy."""

    tenant_id: TenantId
    reason: str = Field(min_length=1)
    suspended_by: UserId | None = Field(default=None, description="None when automatic")


@contract("tenancy.tenant_reactivated", version=1, topic=TENANCY_EVENTS)
class TenantReactivated(ContractEvent):
    """A suspended store trades again. Published by tenancy; aggregate = the tenant."""

    tenant_id: TenantId
    reactivated_by: UserId | None = Field(default=None, description="None when automatic")


@contract("tenancy.domain_added", version=1, topic=TENANCY_EVENTS)
class DomainAdded(ContractEvent):
    """A custom domain now serves the store: storefront calls on that host belong to the tenant.
    Published by tenancy; aggregate = the tenant."""

    tenant_id: TenantId
    hostname: str = Field(min_length=1, description="Lowercase ASCII (IDNA) host name")


@contract("tenancy.domain_removed", version=1, topic=TENANCY_EVENTS)
class DomainRemoved(ContractEvent):
    """A custom domain no longer serves the store. Published by tenancy; aggregate = the tenant."""

    tenant_id: TenantId
    hostname: str = Field(min_length=1, description="Lowercase ASCII (IDNA) host name")


@contract("tenancy.store_config_changed", version=1, topic=TENANCY_EVENTS)
class StoreConfigChanged(ContractEvent):
    """The store's configuration changed; the payload is the complete new configuration.
    Published by tenancy; aggregate = the tenant."""

    tenant_id: TenantId
    currency: CurrencyCode = Field(description="The store's default currency")
    timezone: str = Field(min_length=1, description="IANA time zone, e.g. Asia/Kolkata")
    capture_policy: CapturePolicy = Field(description="When payments capture an authorised payment")


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
