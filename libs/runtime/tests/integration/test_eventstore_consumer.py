"""Event-store sink through Kafka: effects exactly once across duplicates and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from uuid import UUID, uuid4, uuid5

import pytest
from aiokafka import AIOKafkaProducer
from eventsourcing.application import AggregateNotFoundError
from shop_contracts import Envelope, Registry, Topic
from shop_runtime.consumer import EventStoreConsumer, InboundMessage
from shop_runtime.testing.counter import Counter, CounterApp, CounterIncremented, counter_registry
from shop_runtime.testing.kafka import KafkaTopics
from shop_runtime.testing.postgres import TestDatabase

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def increments(
    registry: Registry, topic: Topic, tenant: UUID, counter_id: UUID, count: int, start: int = 2
) -> list[Envelope]:
    return [
        registry.envelope_for(
            CounterIncremented(counter_id=counter_id, by=1),
            tenant_id=tenant,
            aggregate_id=counter_id,
            aggregate_version=start + i,
            producer=topic.service,
            correlation_id="flow-1",
            event_id=uuid4(),
        )
        for i in range(count)
    ]


async def produce(servers: Sequence[str], topic: Topic, envelopes: Iterable[Envelope]) -> None:
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


def mirror_of(app: CounterApp):  # type: ignore[no-untyped-def]
    def handle(message: InboundMessage) -> list[Counter]:
        assert isinstance(message.event, CounterIncremented)
        mirror_id = uuid5(message.event.counter_id, "mirror")
        try:
            mirror: Counter = app.repository.get(mirror_id)
        except AggregateNotFoundError:
            mirror = Counter(tenant_id=message.tenant_id, name="mirror", id=mirror_id)
        mirror.increment(message.event.by)
        return [mirror]

    return handle


async def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(predicate):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def test_duplicates_redeliveries_and_restarts_apply_once(
    test_database: TestDatabase, kafka_topics: KafkaTopics
) -> None:
    topic = await kafka_topics.create(partitions=2)
    registry = counter_registry(topic)
    servers = test_database.settings.kafka_servers
    app = test_database.app(CounterApp)
    tenant = uuid4()
    upstream = [uuid4(), uuid4()]
    group = f"mirror-{uuid4().hex[:8]}"
    batches = {u: increments(registry, topic, tenant, u, 10) for u in upstream}
    # Each counter's events, then the first three of each re-sent (same event ids, new offsets).
    await produce(servers, topic, [e for u in upstream for e in batches[u]])
    await produce(servers, topic, [e for u in upstream for e in batches[u][:3]])

    def mirrored(expected: int) -> bool:
        try:
            return all(app.counter(uuid5(u, "mirror"), tenant).value == expected for u in upstream)
        except Exception:
            return False

    def make_runner() -> EventStoreConsumer:
        runner = EventStoreConsumer(app, group_id=group, topics=[topic], registry=registry)
        runner.on(f"{topic.service}.counter_incremented", mirror_of(app))
        return runner

    runner = make_runner()
    task = asyncio.create_task(runner.run())
    try:
        await wait_for(lambda: mirrored(10))

        async def positions() -> int:
            tracked = [await runner.tracked_position(topic.name, p) for p in range(2)]
            return sum(-1 if t is None else t for t in tracked)

        # Every record, the six duplicates included, is tracked: offsets sum to 26 - 2.
        for _ in range(100):
            if await positions() == 24:
                break
            await asyncio.sleep(0.1)
        assert await positions() == 24
    finally:
        runner.stop()
        await task
    assert mirrored(10)

    # A restarted consumer of the same group resumes after its tracked position.
    await produce(
        servers, topic, [e for u in upstream for e in increments(registry, topic, tenant, u, 1, 12)]
    )
    runner = make_runner()
    task = asyncio.create_task(runner.run())
    try:
        await wait_for(lambda: mirrored(11))
        await asyncio.sleep(0.5)
    finally:
        runner.stop()
        await task
    assert mirrored(11)

    mirror = app.counter(uuid5(upstream[0], "mirror"), tenant)
    stored = list(app.events.get(mirror.id))
    assert [e.originator_version for e in stored] == list(range(1, 13))
    assert {getattr(e, "correlation_id", None) for e in stored} == {"flow-1"}
    sent_ids = {str(e.event_id) for e in batches[upstream[0]]}
    assert {getattr(e, "causation_id", None) for e in stored[1:11]} == sent_ids
    app.close()
