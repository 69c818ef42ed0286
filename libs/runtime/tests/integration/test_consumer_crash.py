"""SQL-sink consumer killed between its effects and the offset commit; poison messages → DLQ."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from shop_contracts import Envelope
from shop_runtime.testing.counter import CounterIncremented, counter_registry
from shop_runtime.testing.kafka import KafkaTopics
from shop_runtime.testing.postgres import TestDatabase
from shop_runtime.tracking import runtime_metadata
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

EVENTS = 30
POISON_INDEX = 9
CRASH_AFTER = 5
REPO = Path(__file__).resolve().parents[4]


async def create_effects_table(owner: AsyncEngine, table: str) -> None:
    async with owner.begin() as conn:
        await conn.run_sync(lambda sync: runtime_metadata.create_all(sync, checkfirst=True))
        # Deliberately no unique constraint: a double effect must show up as a second row.
        await conn.execute(
            text(
                f"CREATE TABLE {table} (seq bigserial PRIMARY KEY, event_id uuid NOT NULL, "
                "tenant_id uuid NOT NULL, aggregate_id uuid NOT NULL, aggregate_version int "
                "NOT NULL, topic text NOT NULL, partition int NOT NULL, kafka_offset bigint "
                "NOT NULL)"
            )
        )


def start_consumer(db: TestDatabase, topic: str, group: str, table: str, *extra: str):  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shop_runtime.testing.crash_workers",
            "consumer",
            "--schema",
            db.schema,
            "--topic",
            topic,
            "--group",
            group,
            "--table",
            table,
            *extra,
        ],
        cwd=REPO,
    )


async def wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int:
    deadline = asyncio.get_running_loop().time() + timeout
    while proc.poll() is None:
        if asyncio.get_running_loop().time() > deadline:
            proc.kill()
            raise AssertionError("worker did not exit in time")
        await asyncio.sleep(0.05)
    return proc.returncode


async def tracked(engine: AsyncEngine, group: str, topic: str) -> int | None:
    async with engine.connect() as conn:
        return await conn.scalar(
            text(
                'SELECT "offset" FROM consumer_tracking '
                "WHERE consumer = :c AND topic = :t AND partition = 0"
            ),
            {"c": group, "t": topic},
        )


async def test_kill_between_effects_and_commit_then_restart_gives_no_double_effect(
    test_database: TestDatabase,
    kafka_topics: KafkaTopics,
    owner_engine: AsyncEngine,
    app_engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    topic = await kafka_topics.create(partitions=1)
    registry = counter_registry(topic)
    servers = test_database.settings.kafka_servers
    table = f"effects_{uuid4().hex[:8]}"
    group = f"crash-{uuid4().hex[:8]}"
    await create_effects_table(owner_engine, table)

    tenant, counter_id = uuid4(), uuid4()
    envelopes: list[Envelope] = [
        registry.envelope_for(
            CounterIncremented(counter_id=counter_id, by=1),
            tenant_id=tenant,
            aggregate_id=counter_id,
            aggregate_version=i + 2,
            producer=topic.service,
            event_id=uuid4(),
        )
        for i in range(EVENTS)
    ]
    poison = envelopes[POISON_INDEX]
    unknown = envelopes[0].model_copy(
        update={"event_type": f"{topic.service}.something_new", "event_id": uuid4()}
    )
    # Then: event 3 re-sent under a new offset (what a relay crash produces), an event type this
    # consumer does not handle (skipped, tracked), and a record that is not an envelope (DLQ).
    records = [*envelopes, envelopes[3], unknown]
    producer = AIOKafkaProducer(bootstrap_servers=servers, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for envelope in records:
            await producer.send_and_wait(
                topic.name,
                value=envelope.to_bytes(),
                key=envelope.kafka_key(),
                headers=envelope.kafka_headers(),
            )
        await producer.send_and_wait(topic.name, value=b"not an envelope", key=b"garbage")
    finally:
        await producer.stop()
    last_offset = len(records)

    crash_log = tmp_path / "crashes.log"
    proc = start_consumer(
        test_database,
        topic.name,
        group,
        table,
        "--crash-after-effects",
        str(CRASH_AFTER),
        "--crash-log",
        str(crash_log),
        "--poison",
        str(poison.event_id),
    )
    assert await wait_exit(proc, 60) == -9
    assert crash_log.read_text().splitlines() == [f"after-effects {topic.name}:0:{CRASH_AFTER - 1}"]

    # The effects of the first five committed; Kafka never heard about them.
    assert await tracked(app_engine, group, topic.name) == CRASH_AFTER - 1
    probe = AIOKafkaConsumer(bootstrap_servers=servers, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        committed = await probe.committed(TopicPartition(topic.name, 0))
    finally:
        await probe.stop()
    assert committed is None or committed < CRASH_AFTER

    proc = start_consumer(test_database, topic.name, group, table, "--poison", str(poison.event_id))
    try:
        for _ in range(600):
            if await tracked(app_engine, group, topic.name) == last_offset:
                break
            await asyncio.sleep(0.1)
        assert await tracked(app_engine, group, topic.name) == last_offset
    finally:
        proc.terminate()
    assert await wait_exit(proc, 30) == 0  # SIGTERM: graceful stop

    async with owner_engine.connect() as conn:
        counts = dict(
            (
                await conn.execute(
                    text(f"SELECT event_id, count(*) FROM {table} GROUP BY event_id")
                )
            ).all()
        )
    expected = {e.event_id for e in envelopes} - {poison.event_id}
    assert set(counts) == expected  # everything but the poison, including what followed it
    assert set(counts.values()) == {1}  # exactly once, despite the crash and the re-sent event

    dead = await read_all(servers, topic.dlq.name, expected=2)
    assert len(dead) == 2
    record, garbage = dead
    assert (garbage.key, garbage.value) == (b"garbage", b"not an envelope")
    garbage_headers = {k: v.decode() for k, v in garbage.headers}
    assert garbage_headers["dlq-attempts"] == "1"  # not retried: it can never parse
    assert garbage_headers["dlq-source-offset"] == str(last_offset)
    headers = {k: v.decode() for k, v in record.headers}
    assert record.key == poison.kafka_key()
    assert record.value == poison.to_bytes()
    assert "poison pill" in headers["dlq-error"]
    assert headers["dlq-attempts"] == "3"
    assert headers["dlq-source-topic"] == topic.name
    assert headers["dlq-source-partition"] == "0"
    assert headers["dlq-source-offset"] == str(POISON_INDEX)
    assert UUID(headers["event_id"]) == poison.event_id  # the original headers are kept


async def read_all(servers: list[str], topic: str, *, expected: int) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=servers, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    records = []
    try:
        for _ in range(50):
            batch = await consumer.getmany(timeout_ms=200)
            for items in batch.values():
                records.extend(items)
            if len(records) >= expected:
                # One more poll, to catch anything unexpected beyond the expected count.
                for items in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(items)
                break
    finally:
        await consumer.stop()
    return records
