"""What the use cases need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol
from uuid import UUID

__all__ = ["AccessTokenSigner", "TenantNames", "UserPage", "UserQueries", "UserRow"]


class AccessTokenSigner(Protocol):
    """Signs access tokens (`shop_runtime.auth.TokenIssuer` is one)."""

    def issue(
        self,
        *,
        subject: str,
        tenant_id: UUID | None,
        kind: Literal["staff", "customer", "platform"] = "staff",
        roles: Sequence[str] = (),
        permissions: Sequence[str] = (),
        ttl: timedelta | None = None,
    ) -> str: ...


class TenantNames(Protocol):
    """Slugs and hostnames are unique across tenants: claimed before a tenant (or domain) is saved.

    ``claim`` is insert-or-fail on unique indexes: it raises `SlugTaken` / `DomainTaken` when
    another tenant holds a name, and succeeds again for the same tenant (a retried request).
    """

    async def claim(self, tenant_id: UUID, slug: str, hosts: Sequence[str]) -> None: ...

    async def tenant_for_host(self, host: str) -> UUID | None: ...


@dataclass(frozen=True, slots=True)
class UserRow:
    user_id: UUID
    email: str
    kind: str
    roles: list[str]
    status: str
    display_name: str | None


@dataclass(frozen=True, slots=True)
class UserPage:
    items: list[UserRow]
    next_cursor: str | None


class UserQueries(Protocol):
    async def list_users(
        self, tenant_id: UUID, *, kind: str | None, cursor: str | None, limit: int
    ) -> UserPage: ...
