"""Tenant directory: tenancy envelopes on Kafka → ``tenant_directory`` → `SqlTenantResolver`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaProducer
from shop_contracts import ContractEvent, Envelope, Topic, registry
from shop_contracts.events.tenancy import (
    DomainAdded,
    DomainRemoved,
    StoreConfigChanged,
    TenantCreated,
    TenantDeleted,
    TenantReactivated,
    TenantSuspended,
)
from shop_runtime.consumer import SqlConsumer
from shop_runtime.tenant_directory import (
    SqlTenantResolver,
    create_tenant_directory_tables,
    register_tenant_directory,
    tenant_directory,
)
from shop_runtime.testing.kafka import KafkaTopics
from shop_runtime.testing.postgres import TestDatabase
from shop_runtime.tracking import runtime_metadata
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


class TenantStream:
    """Envelopes of one tenant aggregate, with consecutive versions, as tenancy's relay makes."""

    def __init__(self, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.version = 0

    def next(self, event: ContractEvent) -> Envelope:
        self.version += 1
        return registry.envelope_for(
            event,
            tenant_id=self.tenant_id,
            aggregate_id=self.tenant_id,
            aggregate_version=self.version,
            producer="tenancy",
            event_id=uuid4(),
        )


async def produce(servers: Sequence[str], topic: Topic, envelopes: Sequence[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=servers, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(
                topic.name,
                value=envelope.to_bytes(),
                key=envelope.kafka_key(),
                headers=envelope.kafka_headers(),
            )
    finally:
        await producer.stop()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def row(engine: AsyncEngine, tenant_id: UUID) -> dict[str, object] | None:
    async with engine.connect() as conn:
        result = await conn.execute(
            select(tenant_directory).where(tenant_directory.c.id == tenant_id)
        )
        found = result.mappings().first()
    return dict(found) if found is not None else None


async def test_directory_follows_tenancy_events_and_resolves(
    test_database: TestDatabase, kafka_topics: KafkaTopics
) -> None:
    owner = test_database.engine(owner=True, pool_size=1)
    async with owner.begin() as conn:
        await conn.run_sync(lambda c: runtime_metadata.create_all(c, checkfirst=True))
        await conn.run_sync(create_tenant_directory_tables)
    engine = test_database.engine(pool_size=3)
    topic = await kafka_topics.create(partitions=2)
    servers = test_database.settings.kafka_servers

    acme, other = TenantStream(uuid4()), TenantStream(uuid4())
    suffix = uuid4().hex[:8]
    acme_host, new_host = f"shop-{suffix}.acme.test", f"www-{suffix}.acme.test"
    created = acme.next(
        TenantCreated(
            tenant_id=acme.tenant_id,
            name="Acme",
            slug=f"acme-{suffix}",
            currency="INR",
            domain=acme_host,
            capture_policy="on_shipment",
        )
    )
    envelopes = [
        created,
        acme.next(DomainAdded(tenant_id=acme.tenant_id, hostname=new_host)),
        acme.next(
            StoreConfigChanged(
                tenant_id=acme.tenant_id,
                currency="EUR",
                timezone="Europe/Berlin",
                capture_policy="on_confirmation",
            )
        ),
        other.next(
            TenantCreated(
                tenant_id=other.tenant_id, name="Other", slug=f"other-{suffix}", currency="USD"
            )
        ),
        created,  # re-sent by a relay: same event id, new offset
    ]
    await produce(servers, topic, envelopes)

    runner = SqlConsumer(
        engine, group_id=f"dir-{suffix}", topics=[topic], settings=test_database.settings
    )
    register_tenant_directory(runner)
    task = asyncio.create_task(runner.run())
    resolver = SqlTenantResolver(engine, ttl_seconds=0)
    try:

        async def configured() -> bool:
            found = await row(engine, acme.tenant_id)
            return found is not None and found["currency"] == "EUR"

        await eventually(configured)
        acme_row = await row(engine, acme.tenant_id)
        assert acme_row is not None
        assert acme_row["hosts"] == [acme_host, new_host]
        assert acme_row["capture_policy"] == "on_confirmation"
        assert acme_row["slug"] == f"acme-{suffix}"
        assert acme_row["version"] == 3

        assert await resolver.tenant_for_host(acme_host.upper() + ":443") == acme.tenant_id
        assert await resolver.tenant_for_host(new_host) == acme.tenant_id
        assert await resolver.tenant_for_host(f"nowhere-{suffix}.test") is None
        assert await resolver.is_active(acme.tenant_id)
        assert await resolver.is_active(other.tenant_id)
        assert not await resolver.is_active(uuid4())

        # Suspension: inactive, and its hosts no longer resolve; an old event replayed changes
        # nothing; reactivation and domain removal follow.
        suspended = acme.next(TenantSuspended(tenant_id=acme.tenant_id, reason="unpaid"))
        await produce(servers, topic, [suspended])

        async def inactive() -> bool:
            return not await resolver.is_active(acme.tenant_id)

        await eventually(inactive)
        assert await resolver.tenant_for_host(acme_host) is None

        await produce(
            servers,
            topic,
            [
                acme.next(TenantReactivated(tenant_id=acme.tenant_id)),
                acme.next(DomainRemoved(tenant_id=acme.tenant_id, hostname=acme_host)),
                other.next(TenantDeleted(tenant_id=other.tenant_id)),
            ],
        )

        async def settled() -> bool:
            found = await row(engine, other.tenant_id)
            return found is not None and found["status"] == "deleted"

        await eventually(settled)
        assert await resolver.is_active(acme.tenant_id)
        assert await resolver.tenant_for_host(acme_host) is None
        assert await resolver.tenant_for_host(new_host) == acme.tenant_id
        assert not await resolver.is_active(other.tenant_id)
    finally:
        runner.stop()
        await task


async def test_resolver_caches_for_its_ttl(test_database: TestDatabase) -> None:
    owner = test_database.engine(owner=True, pool_size=1)
    async with owner.begin() as conn:
        await conn.run_sync(create_tenant_directory_tables)
        tenant_id = uuid4()
        await conn.execute(
            tenant_directory.insert().values(
                id=tenant_id,
                slug=f"cached-{tenant_id.hex[:8]}",
                status="active",
                currency="USD",
                capture_policy="on_confirmation",
                hosts=[],
                version=1,
            )
        )
    now = [100.0]
    resolver = SqlTenantResolver(test_database.engine(pool_size=1), clock=lambda: now[0])
    assert await resolver.is_active(tenant_id)
    async with owner.begin() as conn:
        await conn.execute(
            tenant_directory.update()
            .where(tenant_directory.c.id == tenant_id)
            .values(status="suspended")
        )
    assert await resolver.is_active(tenant_id)  # cached
    now[0] += 2.5
    assert not await resolver.is_active(tenant_id)
    with pytest.raises(ValueError):
        SqlTenantResolver(test_database.engine(pool_size=1), ttl_seconds=30)
