"""The relay killed with SIGKILL at random moments, and exactly between the Kafka ack and its
position save, again and again: every event still reaches a consumer exactly once, in order."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from uuid import UUID, uuid4

import anyio
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from shop_runtime.consumer import InboundMessage, SqlConsumer
from shop_runtime.testing.counter import CounterApp, counter_registry
from shop_runtime.testing.kafka import KafkaTopics
from shop_runtime.testing.postgres import TestDatabase
from shop_runtime.tracking import runtime_metadata
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

AGGREGATES = 50
EVENTS = 2_000
WRITERS = 4
CYCLES = 10  # relay processes started and killed: half by themselves right after an ack
BATCH = 50
REPO = Path(__file__).resolve().parents[4]


def start_relay(db: TestDatabase, app_name: str, topic: str, crash_log: Path, p: float):  # type: ignore[no-untyped-def]
    """A warm standby relay (imports done); it starts relaying on `go`."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shop_runtime.testing.crash_workers",
            "relay",
            "--schema",
            db.schema,
            "--app",
            app_name,
            "--topic",
            topic,
            "--batch-size",
            str(BATCH),
            "--crash-after-ack-probability",
            str(p),
            "--crash-log",
            str(crash_log),
            "--wait-for-go",
        ],
        cwd=REPO,
        stdin=subprocess.PIPE,
    )


def go(proc: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
    assert proc.stdin is not None
    proc.stdin.write(b"go\n")
    proc.stdin.flush()
    return proc


def write_burst(app: CounterApp, counters: list[tuple[UUID, UUID]], events: int, seed: int) -> None:
    """``events`` increments from 4 threads, each on its own counters (no conflicts)."""

    def writer(index: int) -> None:
        mine = counters[index::WRITERS]
        rng = random.Random(seed * WRITERS + index)
        for _ in range(events // WRITERS):
            tenant, counter_id = rng.choice(mine)
            app.increment(counter_id, tenant, 1)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


async def wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    return proc.poll()


async def test_relay_survives_repeated_kill_9_without_loss_duplication_or_reordering(
    test_database: TestDatabase,
    kafka_topics: KafkaTopics,
    owner_engine: AsyncEngine,
    app_engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    topic = await kafka_topics.create(partitions=3)
    app_name = f"RelayCrash{uuid4().hex[:6]}"
    app = test_database.app(CounterApp, app_name)
    crash_log = tmp_path / "crashes.log"
    crash_log.touch()
    tenants = [uuid4(), uuid4()]
    position_name = f"relay:{topic.name}"

    # -- 1. write 2,000 events in bursts while relays are killed and restarted -------------------
    counters = [
        (tenants[i % 2], app.create_counter(tenants[i % 2], f"c{i}")) for i in range(AGGREGATES)
    ]
    burst = (EVENTS - AGGREGATES) // CYCLES
    rng = random.Random(7)
    random_kills = 0
    standby = start_relay(test_database, app_name, topic.name, crash_log, 1.0)
    for cycle in range(CYCLES):
        writing = asyncio.ensure_future(
            anyio.to_thread.run_sync(write_burst, app, counters, burst, cycle)
        )
        await asyncio.sleep(0.2)  # let a backlog build up
        before = app.recorder.max_tracking_id(position_name) or 0
        crash_after_ack = cycle % 2 == 0
        proc = go(standby)
        # The next relay imports while this one runs: a killed relay is replaced at once.
        standby = start_relay(test_database, app_name, topic.name, crash_log, float(cycle % 2 == 1))
        try:
            if crash_after_ack:
                # It dies by its own hand after its first acknowledged batch, before saving.
                assert await wait_exit(proc, 30) == -signal.SIGKILL
            else:
                # Killed from outside at a random moment once it is relaying.
                for _ in range(3000):
                    if (app.recorder.max_tracking_id(position_name) or 0) > before:
                        break
                    await asyncio.sleep(0.01)
                await asyncio.sleep(rng.uniform(0, 0.25))
                os.kill(proc.pid, signal.SIGKILL)
                assert await wait_exit(proc, 10) == -signal.SIGKILL
                random_kills += 1
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        await writing
    standby.kill()
    standby.wait()
    ack_crashes = crash_log.read_text().splitlines()
    assert len(ack_crashes) == CYCLES // 2
    assert random_kills == CYCLES // 2

    # -- 2. a last relay without crashes catches up, and stops gracefully ------------------------
    proc = go(start_relay(test_database, app_name, topic.name, crash_log, 0.0))
    newest = app.recorder.max_notification_id()
    assert newest is not None
    try:
        for _ in range(600):
            if (app.recorder.max_tracking_id(f"relay:{topic.name}") or 0) >= newest:
                break
            await asyncio.sleep(0.1)
    finally:
        proc.terminate()
    assert proc.wait(timeout=30) == 0
    assert app.recorder.max_tracking_id(f"relay:{topic.name}") == newest

    # -- 3. a consumer records one effect row per delivered event --------------------------------
    table = f"relayed_{uuid4().hex[:8]}"
    async with owner_engine.begin() as conn:
        await conn.run_sync(lambda sync: runtime_metadata.create_all(sync, checkfirst=True))
        await conn.execute(
            text(
                f"CREATE TABLE {table} (seq bigserial PRIMARY KEY, event_id uuid NOT NULL, "
                "aggregate_id uuid NOT NULL, aggregate_version int NOT NULL)"
            )
        )

    async def record(conn: AsyncConnection, message: InboundMessage) -> None:
        await conn.execute(
            text(
                f"INSERT INTO {table} (event_id, aggregate_id, aggregate_version) "
                "VALUES (:e, :a, :v)"
            ),
            {
                "e": message.event_id,
                "a": message.envelope.aggregate_id,
                "v": message.envelope.aggregate_version,
            },
        )

    registry = counter_registry(topic)
    group = f"check-{uuid4().hex[:8]}"
    consumer = SqlConsumer(app_engine, group_id=group, topics=[topic], registry=registry)
    consumer.on(f"{topic.service}.counter_created", record)
    consumer.on(f"{topic.service}.counter_incremented", record)
    end_offsets = await topic_end_offsets(test_database.settings.kafka_servers, topic.name)
    running = asyncio.create_task(consumer.run())
    try:
        for _ in range(900):
            positions = [await consumer.tracked_position(topic.name, p) for p in range(3)]
            if all(
                (pos if pos is not None else -1) + 1 >= end_offsets[p]
                for p, pos in enumerate(positions)
            ):
                break
            await asyncio.sleep(0.1)
    finally:
        consumer.stop()
        await running

    # -- 4. every event exactly once, each aggregate's versions in order without gaps ------------
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(f"SELECT event_id, aggregate_id, aggregate_version FROM {table} ORDER BY seq")
            )
        ).all()
    expected_ids = {
        app.event_id_for(counter_id, version)
        for _, counter_id in counters
        for version in range(1, app.repository.get(counter_id).version + 1)
    }
    assert len(expected_ids) == AGGREGATES + CYCLES * (burst // WRITERS * WRITERS)
    delivered = [row[0] for row in rows]
    assert set(delivered) == expected_ids  # nothing lost
    assert len(delivered) == len(expected_ids)  # nothing applied twice
    versions: dict[UUID, list[int]] = defaultdict(list)
    for _, aggregate_id, version in rows:
        versions[aggregate_id].append(version)
    for aggregate_id, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), aggregate_id  # in order, no gap
    # The crashes after the ack really did re-send batches: the topic holds duplicates.
    assert sum(end_offsets.values()) > len(expected_ids)
    app.close()


async def topic_end_offsets(servers: list[str], topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, group_id=None)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for p in sorted(consumer.partitions_for_topic(topic) or [0, 1, 2])
        ]
        offsets = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {tp.partition: offset for tp, offset in offsets.items()}
