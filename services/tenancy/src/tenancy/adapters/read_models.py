"""Read models of tenancy (Postgres, SQLAlchemy Core) and their queries.

* ``tenants`` and ``tenant_hosts``: the platform's directory of stores. They have no
  ``tenant_id`` column and no row-level security on purpose: a host or slug is looked up *before*
  any tenant is known, and uniqueness must hold across tenants. They hold no personal data.
  A row is first written by the claim of a bootstrap request (status ``pending``: unique indexes on
  ``slug`` and ``hostname`` make the claim insert-or-409), then completed by the projector.
* ``users``: one row per account, tenant data, RLS forced (see `shop_runtime.rls`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from uuid import UUID

from shop_runtime.db import tenant_transaction
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from tenancy.application.errors import DomainTaken, SlugTaken
from tenancy.application.ports import UserPage, UserRow

__all__ = [
    "SqlTenantNames",
    "SqlUserQueries",
    "metadata",
    "tenant_hosts",
    "tenants",
    "users",
]

metadata = MetaData()

tenants = Table(
    "tenants",
    metadata,
    Column("id", Uuid, primary_key=True, comment="The tenant's id (a directory: no tenant_id)"),
    Column("slug", Text, nullable=False, unique=True),
    Column("name", Text, nullable=True),
    Column("status", Text, nullable=False, comment="pending | active | suspended | deleted"),
    Column("currency", Text, nullable=True),
    Column("timezone", Text, nullable=True),
    Column("capture_policy", Text, nullable=True),
    Column("primary_domain", Text, nullable=True),
    Column("hosts", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("version", BigInteger, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

tenant_hosts = Table(
    "tenant_hosts",
    metadata,
    Column("hostname", Text, primary_key=True),
    Column("tenant", Uuid, ForeignKey("tenants.id"), nullable=False, index=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

users = Table(
    "users",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("email", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("roles", ARRAY(Text), nullable=False),
    Column("status", Text, nullable=False),
    Column("display_name", Text, nullable=True),
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "user_id", name="users_pkey"),
    UniqueConstraint("tenant_id", "email", name="users_tenant_email_key"),
)


class SqlTenantNames:
    """`TenantNames` on ``tenants`` / ``tenant_hosts``: claims are insert-or-409."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def claim(self, tenant_id: UUID, slug: str, hosts: Sequence[str]) -> None:
        # One transaction: a host taken by another tenant rolls back the slug claim too.
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(tenants)
                .values(id=tenant_id, slug=slug, status="pending")
                .on_conflict_do_nothing()
            )
            holder = await conn.scalar(select(tenants.c.id).where(tenants.c.slug == slug))
            if holder != tenant_id:
                raise SlugTaken("a store with this slug already exists")
            for host in hosts:
                await conn.execute(
                    insert(tenant_hosts)
                    .values(hostname=host, tenant=tenant_id)
                    .on_conflict_do_nothing()
                )
                owner = await conn.scalar(
                    select(tenant_hosts.c.tenant).where(tenant_hosts.c.hostname == host)
                )
                if owner != tenant_id:
                    raise DomainTaken(f"{host} is already the domain of another store")

    async def tenant_for_host(self, host: str) -> UUID | None:
        async with self.engine.connect() as conn:
            found = await conn.scalar(
                select(tenant_hosts.c.tenant).where(tenant_hosts.c.hostname == host)
            )
        # asyncpg's own UUID subclass would not serialise into events: hand out a plain UUID.
        return None if found is None else UUID(str(found))


def _encode_cursor(email: str) -> str:
    return base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


class SqlUserQueries:
    """`UserQueries` on ``users`` (RLS: each query runs with its tenant set)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def list_users(
        self, tenant_id: UUID, *, kind: str | None, cursor: str | None, limit: int
    ) -> UserPage:
        stmt = select(users).order_by(users.c.email).limit(limit + 1)
        if kind is not None:
            stmt = stmt.where(users.c.kind == kind)
        if cursor:
            after = _decode_cursor(cursor)
            if after is not None:
                stmt = stmt.where(users.c.email > after)
        async with tenant_transaction(self.engine, tenant_id) as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        items = [
            UserRow(
                user_id=UUID(str(r["user_id"])),
                email=r["email"],
                kind=r["kind"],
                roles=list(r["roles"]),
                status=r["status"],
                display_name=r["display_name"],
            )
            for r in rows[:limit]
        ]
        next_cursor = _encode_cursor(items[-1].email) if len(rows) > limit else None
        return UserPage(items=items, next_cursor=next_cursor)
