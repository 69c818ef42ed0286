"""Each stored tenancy event alone is enough to build its public contract payload.

The relay translates one stored event at a time without loading the aggregate; these tests do the
same and validate against the contract models (which forbid missing or unknown fields). They also
check that no personal data needs to leave the service.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from shop_contracts.events.tenancy import (
    RoleChanged,
    TenantCreated,
    TenantDeleted,
    TenantSuspended,
    UserRegistered,
)
from tenancy.domain.tenant import Tenant
from tenancy.domain.user import User


def translate(e: Any) -> Any:
    kind = type(e).__qualname__
    if kind == "Tenant.Created":
        return TenantCreated(
            tenant_id=e.originator_id,
            name=e.name,
            slug=e.slug,
            currency=e.currency,
            domain=e.primary_domain,
            plan_code=e.plan_code,
        )
    if kind == "Tenant.Suspended":
        return TenantSuspended(
            tenant_id=e.originator_id, reason=e.reason, suspended_by=e.suspended_by
        )
    if kind == "Tenant.Deleted":
        return TenantDeleted(tenant_id=e.originator_id, deleted_by=e.deleted_by)
    if kind == "User.Registered":
        return UserRegistered(user_id=e.originator_id, kind=e.kind, roles=e.roles)
    if kind == "User.RoleChanged":
        return RoleChanged(
            user_id=e.originator_id,
            roles=e.roles,
            previous_roles=e.previous_roles,
            changed_by=e.changed_by,
        )
    return None  # private event


def test_tenant_events_translate_alone():
    owner = uuid4()
    tenant = Tenant.create(
        name="Acme", slug="acme", currency="INR", primary_domain="shop.acme.in", plan_code="pro"
    )
    tenant.add_domain("acme.store")  # private
    tenant.suspend("unpaid", by=owner)
    tenant.reactivate()  # no contract yet
    tenant.delete(by=owner)

    payloads = [p for p in map(translate, tenant.collect_events()) if p is not None]

    created, suspended, deleted = payloads
    assert created == TenantCreated(
        tenant_id=tenant.id,
        name="Acme",
        slug="acme",
        currency="INR",
        domain="shop.acme.in",
        plan_code="pro",
    )
    assert (suspended.reason, suspended.suspended_by) == ("unpaid", owner)
    assert deleted.deleted_by == owner


def test_user_events_translate_alone_without_personal_data(tenant_id: UUID):
    admin = uuid4()
    user = User.register(tenant_id=tenant_id, kind="staff", email="ann@acme.test", roles=["viewer"])
    user.change_roles(["admin"], by=admin)

    registered, changed = (translate(e) for e in user.collect_events())

    assert registered == UserRegistered(user_id=user.id, kind="staff", roles=["viewer"])
    assert changed == RoleChanged(
        user_id=user.id, roles=["admin"], previous_roles=["viewer"], changed_by=admin
    )
    assert "ann@acme.test" not in registered.model_dump_json()
