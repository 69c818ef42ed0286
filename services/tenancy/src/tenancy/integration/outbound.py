"""Tenancy's aggregate events → public contract events (``tenancy.events.v1``), for the relay.

Each stored event alone is enough: the relay translates without loading aggregates. Everything not
listed is private (logins, password changes, refresh tokens, renames, plans, primary-domain
switches). No personal data leaves: e-mails and names stay in tenancy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from shop_contracts import ContractEvent
from shop_contracts.events.tenancy import (
    DomainAdded,
    DomainRemoved,
    RoleChanged,
    StoreConfigChanged,
    TenantCreated,
    TenantDeleted,
    TenantReactivated,
    TenantSuspended,
    UserRegistered,
)

__all__ = ["translate"]


def _created(e: Any) -> ContractEvent:
    return TenantCreated(
        tenant_id=e.originator_id,
        name=e.name,
        slug=e.slug,
        currency=e.currency,
        domain=e.primary_domain,
        plan_code=e.plan_code,
        timezone=e.timezone,
        capture_policy=e.capture_policy,
    )


# Keyed by the event class's qualified name: the library makes these classes from the aggregates'
# @event methods (checked against the aggregates by the unit tests).
_TRANSLATIONS: dict[str, Callable[[Any], ContractEvent]] = {
    "Tenant.Created": _created,
    "Tenant.Suspended": lambda e: TenantSuspended(
        tenant_id=e.originator_id, reason=e.reason, suspended_by=e.suspended_by
    ),
    "Tenant.Reactivated": lambda e: TenantReactivated(
        tenant_id=e.originator_id, reactivated_by=e.reactivated_by
    ),
    "Tenant.Deleted": lambda e: TenantDeleted(tenant_id=e.originator_id, deleted_by=e.deleted_by),
    "Tenant.DomainAdded": lambda e: DomainAdded(tenant_id=e.originator_id, hostname=e.hostname),
    "Tenant.DomainRemoved": lambda e: DomainRemoved(tenant_id=e.originator_id, hostname=e.hostname),
    "Tenant.StoreConfigChanged": lambda e: StoreConfigChanged(
        tenant_id=e.originator_id,
        currency=e.currency,
        timezone=e.timezone,
        capture_policy=e.capture_policy,
    ),
    "User.Registered": lambda e: UserRegistered(
        user_id=e.originator_id, kind=e.kind, roles=e.roles
    ),
    "User.RoleChanged": lambda e: RoleChanged(
        user_id=e.originator_id,
        roles=e.roles,
        previous_roles=e.previous_roles,
        changed_by=e.changed_by,
    ),
}


def translate(event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """The public form of ``event``, or None for a private event."""
    convert = _TRANSLATIONS.get(type(event).__qualname__)
    return convert(event) if convert is not None else None
