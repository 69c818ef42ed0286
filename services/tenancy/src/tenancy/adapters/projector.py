"""Projects tenancy's own event log into ``tenants``, ``tenant_hosts`` and ``users``."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic
from shop_runtime.projector import Projector
from sqlalchemy import and_, delete, func, literal, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tenancy.adapters.read_models import tenant_hosts, tenants, users
from tenancy.domain.tenant import Tenant, TenantStatus
from tenancy.domain.user import User, UserStatus

__all__ = ["TenancyProjector"]

# Event classes are made by the library from the aggregates' @event methods: mypy cannot see them,
# so events are told apart by their qualified name (the same name their stored topic carries).
_TENANT_STATUS: dict[str, TenantStatus] = {
    "Tenant.Suspended": TenantStatus.SUSPENDED,
    "Tenant.Reactivated": TenantStatus.ACTIVE,
    "Tenant.Deleted": TenantStatus.DELETED,
}
_USER_STATUS: dict[str, UserStatus] = {
    "User.Disabled": UserStatus.DISABLED,
    "User.Enabled": UserStatus.ACTIVE,
}
_TENANT_EVENTS = (
    "Created",
    "Suspended",
    "Reactivated",
    "Deleted",
    "Renamed",
    "StoreConfigChanged",
    "DomainAdded",
    "DomainRemoved",
    "PrimaryDomainChanged",
)
_USER_EVENTS = ("Registered", "RoleChanged", "DisplayNameChanged", "Disabled", "Enabled")


def _topics(aggregate: type[object], names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(get_topic(getattr(aggregate, name)) for name in names)


class TenancyProjector(Projector):
    name = "tenancy.read_models"
    topics: ClassVar[tuple[str, ...]] = _topics(Tenant, _TENANT_EVENTS) + _topics(
        User, _USER_EVENTS
    )

    async def project(self, conn: AsyncConnection, event: DomainEventProtocol[UUID]) -> None:
        kind = type(event).__qualname__
        if kind.startswith("Tenant."):
            await self._tenant(conn, kind, event)
        elif kind.startswith("User."):
            await self._user(conn, kind, event)

    async def _tenant(self, conn: AsyncConnection, kind: str, event: Any) -> None:
        tenant_id = event.originator_id
        version = event.originator_version
        if kind == "Tenant.Created":
            hosts = [event.primary_domain] if event.primary_domain else []
            values = {
                "slug": event.slug,
                "name": event.name,
                "status": TenantStatus.ACTIVE.value,
                "currency": event.currency,
                "timezone": event.timezone,
                "capture_policy": event.capture_policy,
                "primary_domain": event.primary_domain,
                "hosts": hosts,
                "version": version,
            }
            await conn.execute(
                insert(tenants)
                .values(id=tenant_id, **values)
                .on_conflict_do_update(
                    index_elements=[tenants.c.id], set_={**values, "updated_at": func.now()}
                )
            )
            # Claims of an abandoned attempt (a retry with another domain) are released.
            await conn.execute(
                delete(tenant_hosts).where(
                    and_(tenant_hosts.c.tenant == tenant_id, tenant_hosts.c.hostname.not_in(hosts))
                )
            )
            for host in hosts:
                await conn.execute(
                    insert(tenant_hosts)
                    .values(hostname=host, tenant=tenant_id)
                    .on_conflict_do_nothing()
                )
            return
        changes: dict[str, object] = {}
        if kind in _TENANT_STATUS:
            changes["status"] = _TENANT_STATUS[kind].value
            if kind == "Tenant.Deleted":
                changes["hosts"] = []
                await conn.execute(delete(tenant_hosts).where(tenant_hosts.c.tenant == tenant_id))
        elif kind == "Tenant.Renamed":
            changes["name"] = event.name
        elif kind == "Tenant.StoreConfigChanged":
            changes.update(
                currency=event.currency,
                timezone=event.timezone,
                capture_policy=event.capture_policy,
            )
        elif kind == "Tenant.DomainAdded":
            host = literal(event.hostname)
            changes["hosts"] = func.array_append(func.array_remove(tenants.c.hosts, host), host)
            await conn.execute(
                insert(tenant_hosts)
                .values(hostname=event.hostname, tenant=tenant_id)
                .on_conflict_do_nothing()
            )
        elif kind == "Tenant.DomainRemoved":
            changes["hosts"] = func.array_remove(tenants.c.hosts, literal(event.hostname))
            await conn.execute(
                delete(tenant_hosts).where(
                    tenant_hosts.c.hostname == event.hostname, tenant_hosts.c.tenant == tenant_id
                )
            )
        elif kind == "Tenant.PrimaryDomainChanged":
            changes["primary_domain"] = event.hostname
        if changes:
            await conn.execute(
                update(tenants)
                .where(tenants.c.id == tenant_id)
                .values(version=version, updated_at=func.now(), **changes)
            )

    async def _user(self, conn: AsyncConnection, kind: str, event: Any) -> None:
        user_id = event.originator_id
        version = event.originator_version
        if kind == "User.Registered":
            await conn.execute(
                insert(users)
                .values(
                    tenant_id=event.tenant_id,
                    user_id=user_id,
                    email=event.email,
                    kind=event.kind,
                    roles=list(event.roles),
                    status=UserStatus.ACTIVE.value,
                    display_name=event.display_name,
                    version=version,
                    created_at=event.timestamp,
                )
                .on_conflict_do_nothing()
            )
            return
        changes: dict[str, object] = {}
        if kind == "User.RoleChanged":
            changes["roles"] = list(event.roles)
        elif kind == "User.DisplayNameChanged":
            changes["display_name"] = event.display_name
        elif kind in _USER_STATUS:
            changes["status"] = _USER_STATUS[kind].value
        if changes:
            await conn.execute(
                update(users)
                .where(users.c.tenant_id == event.tenant_id, users.c.user_id == user_id)
                .values(version=version, **changes)
            )
