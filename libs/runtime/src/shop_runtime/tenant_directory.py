"""Which tenants exist, by id and by host: a small replica of tenancy's tenants in every service.

Tenancy publishes its tenants' lifecycle on ``tenancy.events.v1``; each service keeps the few facts
it needs to answer anonymous storefront calls (``X-Tenant-Id`` / ``Host``, see `shop_runtime.auth`)
in one table of its own database, ``tenant_directory``::

    id uuid PRIMARY KEY, slug text, status text, currency text, capture_policy text,
    hosts text[], version bigint, updated_at timestamptz

The table deliberately has **no** ``tenant_id`` column and no row-level security: it is a
directory *of* tenants (one row per tenant, read before any tenant is known), not data that belongs
to one tenant. It holds no personal data.

Wiring, in a service:

* migration (the service's 0001 revision, as owner)::

      from shop_runtime.tenant_directory import create_tenant_directory_tables
      def upgrade() -> None:
          create_runtime_tables(op)
          create_tenant_directory_tables(op)

  and add `tenant_directory_metadata` to the service's ``run_migrations(...)`` metadata.
* consumer worker (role ``consumer``)::

      runner = SqlConsumer(engine, group_id="catalog.tenant_directory", topics=[TENANCY_EVENTS])
      register_tenant_directory(runner)
      await runner.run()

* API: ``create_app(..., tenant_resolver=SqlTenantResolver(engine))``.

Every handler is idempotent and order-safe: a row changes only for an event whose aggregate
version is above the stored one (the consumer's tracking already makes delivery exactly-once; the
version guard also covers a replay from an older position). Events of a tenant the directory has
not seen created are ignored: the directory relies on ``tenancy.events.v1`` keeping every tenant's
``tenant_created`` (retention or compaction of that topic).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final, TypeVar
from uuid import UUID

from shop_contracts import ContractEvent
from shop_contracts.events.tenancy import (
    DomainAdded,
    DomainRemoved,
    StoreConfigChanged,
    TenantCreated,
    TenantDeleted,
    TenantReactivated,
    TenantSuspended,
)
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    Table,
    Text,
    Uuid,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from shop_runtime.auth import normalize_host
from shop_runtime.consumer import InboundMessage, SqlConsumer

__all__ = [
    "ACTIVE",
    "SqlTenantResolver",
    "create_tenant_directory_tables",
    "register_tenant_directory",
    "tenant_directory",
    "tenant_directory_metadata",
]

log = logging.getLogger(__name__)

E = TypeVar("E", bound=ContractEvent)
K = TypeVar("K")
V = TypeVar("V")

ACTIVE: Final = "active"
SUSPENDED: Final = "suspended"
DELETED: Final = "deleted"
DEFAULT_CAPTURE_POLICY: Final = "on_confirmation"

tenant_directory_metadata = MetaData()

tenant_directory = Table(
    "tenant_directory",
    tenant_directory_metadata,
    Column("id", Uuid, primary_key=True, comment="The tenant's id"),
    Column("slug", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("capture_policy", Text, nullable=False),
    Column("hosts", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("version", BigInteger, nullable=False, comment="Aggregate version last applied"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("tenant_directory_hosts_idx", "hosts", postgresql_using="gin"),
    comment="Directory of tenants (replica of tenancy's); not tenant data: no tenant_id, no RLS",
)


def create_tenant_directory_tables(op: object) -> None:
    """Create ``tenant_directory`` (idempotent); ``op`` is Alembic's ``op`` or a sync Connection.

    The application role gets its privileges from the schema's default privileges, as for every
    table the owner creates.
    """
    get_bind = getattr(op, "get_bind", None)
    bind = get_bind() if get_bind is not None else op
    if not isinstance(bind, Connection):
        raise TypeError("expected Alembic's op or a synchronous SQLAlchemy Connection")
    tenant_directory_metadata.create_all(bind, checkfirst=True)


# -- the consumer side ---------------------------------------------------------------------------


def _newer(message: InboundMessage) -> ColumnElement[bool]:
    return tenant_directory.c.version < message.envelope.aggregate_version


async def _apply(conn: AsyncConnection, message: InboundMessage, **values: object) -> None:
    tenant_id = message.envelope.aggregate_id
    result = await conn.execute(
        update(tenant_directory)
        .where(tenant_directory.c.id == tenant_id, _newer(message))
        .values(version=message.envelope.aggregate_version, updated_at=func.now(), **values)
    )
    if result.rowcount == 0:
        log.info(
            "tenant_directory: %s v%s for tenant %s not applied (unknown tenant or older version)",
            message.envelope.event_type,
            message.envelope.aggregate_version,
            tenant_id,
        )


async def _on_created(conn: AsyncConnection, message: InboundMessage) -> None:
    event = _expect(message, TenantCreated)
    hosts = [normalize_host(event.domain)] if event.domain else []
    values = {
        "slug": event.slug,
        "status": ACTIVE,
        "currency": event.currency,
        "capture_policy": event.capture_policy or DEFAULT_CAPTURE_POLICY,
        "hosts": hosts,
        "version": message.envelope.aggregate_version,
    }
    stmt = insert(tenant_directory).values(id=event.tenant_id, **values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[tenant_directory.c.id],
            set_={**values, "updated_at": func.now()},
            where=_newer(message),
        )
    )


async def _on_suspended(conn: AsyncConnection, message: InboundMessage) -> None:
    _expect(message, TenantSuspended)
    await _apply(conn, message, status=SUSPENDED)


async def _on_reactivated(conn: AsyncConnection, message: InboundMessage) -> None:
    _expect(message, TenantReactivated)
    await _apply(conn, message, status=ACTIVE)


async def _on_deleted(conn: AsyncConnection, message: InboundMessage) -> None:
    _expect(message, TenantDeleted)
    # A deleted store's hosts are free again: another tenant may attach them.
    await _apply(conn, message, status=DELETED, hosts=[])


async def _on_domain_added(conn: AsyncConnection, message: InboundMessage) -> None:
    host = normalize_host(_expect(message, DomainAdded).hostname)
    hosts = tenant_directory.c.hosts
    appended = func.array_append(func.array_remove(hosts, literal(host)), literal(host))
    await _apply(conn, message, hosts=appended)


async def _on_domain_removed(conn: AsyncConnection, message: InboundMessage) -> None:
    host = normalize_host(_expect(message, DomainRemoved).hostname)
    await _apply(conn, message, hosts=func.array_remove(tenant_directory.c.hosts, literal(host)))


async def _on_store_config_changed(conn: AsyncConnection, message: InboundMessage) -> None:
    event = _expect(message, StoreConfigChanged)
    await _apply(conn, message, currency=event.currency, capture_policy=event.capture_policy)


def _expect(message: InboundMessage, cls: type[E]) -> E:
    if not isinstance(message.event, cls):
        raise TypeError(f"expected {cls.__name__}, got {type(message.event).__name__}")
    return message.event


def register_tenant_directory(consumer: SqlConsumer) -> None:
    """Add the handlers that keep ``tenant_directory`` up to date to ``consumer``.

    The consumer must read ``tenancy.events.v1`` (`shop_contracts.topics.TENANCY_EVENTS`) and
    connect to the database where the table lives.
    """
    consumer.on("tenancy.tenant_created", _on_created)
    consumer.on("tenancy.tenant_suspended", _on_suspended)
    consumer.on("tenancy.tenant_reactivated", _on_reactivated)
    consumer.on("tenancy.tenant_deleted", _on_deleted)
    consumer.on("tenancy.domain_added", _on_domain_added)
    consumer.on("tenancy.domain_removed", _on_domain_removed)
    consumer.on("tenancy.store_config_changed", _on_store_config_changed)


# -- the resolver --------------------------------------------------------------------------------


class SqlTenantResolver:
    """`shop_runtime.auth.TenantResolver` over ``tenant_directory``, with a short TTL cache.

    ``tenant_for_host`` answers only for an *active* tenant (None otherwise, so the API says 404
    for the host), ``is_active`` is False for unknown, suspended and deleted tenants. Answers are
    cached in-process for ``ttl_seconds`` (at most 5 s: a suspension takes effect within that),
    negative ones included, so a flood of made-up hosts costs one query per host per TTL; the
    cache holds at most ``max_entries`` keys and is emptied when full.

    Subclasses may override `lookup_host` / `lookup_active` (the uncached queries) to read another
    table; tenancy does, to read its own read model and event store.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ttl_seconds: float = 2.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= ttl_seconds <= 5:
            raise ValueError("ttl_seconds must be between 0 and 5")
        self.engine = engine
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._now = clock
        self._hosts: dict[str, tuple[float, UUID | None]] = {}
        self._active: dict[UUID, tuple[float, bool]] = {}

    async def tenant_for_host(self, host: str) -> UUID | None:
        key = normalize_host(host)
        if not key:
            return None
        now = self._now()
        cached = self._hosts.get(key)
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        tenant_id = await self.lookup_host(key)
        self._remember(self._hosts, key, (now, tenant_id))
        return tenant_id

    async def is_active(self, tenant_id: UUID) -> bool:
        now = self._now()
        cached = self._active.get(tenant_id)
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        active = await self.lookup_active(tenant_id)
        self._remember(self._active, tenant_id, (now, active))
        return active

    def invalidate(self) -> None:
        """Forget every cached answer."""
        self._hosts.clear()
        self._active.clear()

    async def lookup_host(self, host: str) -> UUID | None:
        """The active tenant serving the normalised ``host``, uncached."""
        stmt = select(tenant_directory.c.id).where(
            tenant_directory.c.hosts.contains([host]), tenant_directory.c.status == ACTIVE
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(stmt.limit(2))).scalars().all()
        # Tenancy keeps hosts unique; should two rows ever claim one, refuse both rather than guess.
        # asyncpg returns its own UUID subclass, which event stores cannot serialise: convert it.
        return UUID(str(rows[0])) if len(rows) == 1 else None

    async def lookup_active(self, tenant_id: UUID) -> bool:
        """Whether ``tenant_id`` is a known, active tenant, uncached."""
        stmt = select(tenant_directory.c.status).where(tenant_directory.c.id == tenant_id)
        async with self.engine.connect() as conn:
            status = (await conn.execute(stmt)).scalar_one_or_none()
        return status == ACTIVE

    def _remember(self, cache: dict[K, V], key: K, value: V) -> None:
        if len(cache) >= self.max_entries:
            cache.clear()
        cache[key] = value
