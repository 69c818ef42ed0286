"""Commit → consumer latency at a steady 2,000 events/s, against raw produce → consume.

Two arms run in alternating segments (relay, raw, relay, raw, ...), so a change in machine load
hits both; the writing side is a child process, the relay and the consumers run in this one:

* **relay**: a writer process commits Counter events to a fresh event store at a paced rate, through
  `ServiceApplication.save`; single-event commits cannot reach 2,000/s with the default recorder
  (ARCHITECTURE §10: 400-900/s), so each transaction saves ``EVENTS_PER_TXN`` events (new counters,
  each ``Created`` + ``Incremented``) every ``EVENTS_PER_TXN / RATE`` seconds. The real `Relay`
  (library defaults) runs all along, and a real `ConsumerRunner` (the consumer-group loop, envelope
  decoding, contract decoding, per-batch offset commits) with an effect that only records the
  receive time. Latency = receive wall clock - the wall clock taken when ``save`` returned (the
  commit). The event's own ``occurred_at`` is taken before the save; latency from it is in the
  details.
* **raw**: a bare `AIOKafkaProducer` (the relay's settings) sends records of the same shape (an
  envelope of the same contract: same key, value and header sizes) at the same rate and batch
  size, and a bare `AIOKafkaConsumer` (the runner's settings) records the receive time. Latency =
  receive - the wall clock just before ``send``.

The consumer side deliberately does no database work: a `SqlConsumer` saves one transaction per
record (position, processed id, effect), which is its own cost, not the bus's. The first
``WARMUP_S`` of every segment is not counted (the relay backs off to 150 ms polls while the other
arm runs, and needs a moment to notice the writer again).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import multiprocessing
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any
from uuid import UUID, uuid4

import anyio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from shop_contracts import Topic
from shop_runtime.consumer import ConsumerRunner, InboundMessage, Outcome
from shop_runtime.relay import Relay
from shop_runtime.testing.counter import (
    Counter,
    CounterApp,
    CounterCreated,
    CounterIncremented,
    counter_registry,
    translate,
)
from shop_runtime.testing.postgres import shop_test_settings

from bench.context import BenchContext
from bench.registry import Goal, Metric, register
from bench.stats import percentile

RATE = 2_000  # events/s
EVENTS_PER_TXN = 20  # 10 counters x (Created + Incremented) per transaction: 100 commits/s
SEGMENTS_PER_ARM = 4
SEGMENT_S = 5.0
WARMUP_S = 0.5
DRAIN_TIMEOUT_S = 15.0
LINGER_MS = 5  # the relay's default, for the raw producer too

Key = tuple[UUID, int]  # (aggregate id, aggregate version): one event


@dataclass
class Samples:
    """Send/commit stamps and receive stamps of one arm, keyed by event."""

    sent: dict[Key, float] = field(default_factory=dict)
    occurred: dict[Key, float] = field(default_factory=dict)
    received: dict[Key, float] = field(default_factory=dict)
    counted: set[Key] = field(default_factory=set)
    offered_rates: list[float] = field(default_factory=list)
    notification_ids: dict[Key, int] = field(default_factory=dict)

    def latencies_ms(self, stamps: dict[Key, float]) -> list[float]:
        return [
            (self.received[k] - stamps[k]) * 1000
            for k in self.counted
            if k in self.received and k in stamps
        ]

    def missing(self) -> int:
        return sum(1 for k in self.sent if k not in self.received)


class TimingRelay(Relay):
    """The real relay, noting when each batch was acknowledged (its only hook, no change)."""

    acks: list[tuple[int, float]]

    def after_ack(self, last_id: int) -> None:
        self.acks.append((last_id, time.time()))

    def acked_at(self, notification_id: int) -> float | None:
        index = bisect.bisect_left(self.acks, (notification_id, 0.0))
        return self.acks[index][1] if index < len(self.acks) else None


class TimingConsumer(ConsumerRunner[Callable[[InboundMessage], None]]):
    """The real consumer-group loop with an effect that only records when a message arrived."""

    async def tracked_position(self, topic: str, partition: int) -> int | None:
        return None  # a fresh group: start from the beginning of the new topic

    async def apply(
        self, message: InboundMessage, handler: Callable[[InboundMessage], None]
    ) -> Outcome:
        handler(message)
        return "applied"

    async def track_only(self, topic: str, partition: int, offset: int) -> None:
        return None


# -- the writer process ----------------------------------------------------------------------------
# The writer runs in a process of its own: in one process with the relay and the consumers, its
# thread and the event loop hand the GIL to each other at every database round trip, and the
# writer then managed only 700-1,200 events/s of the 2,000 asked. A separate writer is also the
# real shape: requests commit in the API, the relay and the consumer run elsewhere.

# aggregate id, version, commit/send wall clock, counted, notification id (0 for raw records)
Stamp = tuple[str, int, float, bool, int]


def _ticks(seconds: float) -> tuple[float, int]:
    interval = EVENTS_PER_TXN / RATE
    return interval, int(seconds / interval)


def paced_writes(app: CounterApp, tenant_id: UUID, seconds: float) -> tuple[list[Stamp], float]:
    """Commit ``EVENTS_PER_TXN`` events every ``EVENTS_PER_TXN / RATE`` s for ``seconds``."""
    interval, ticks = _ticks(seconds)
    stamps: list[Stamp] = []
    started = time.perf_counter()
    for tick in range(ticks):
        delay = started + tick * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        counters = []
        for _ in range(EVENTS_PER_TXN // 2):
            counter = Counter(tenant_id=tenant_id, name="latency")
            counter.increment(1)
            counters.append(counter)
        recordings = app.save(*counters)
        committed = time.time()
        warm = tick * interval >= WARMUP_S
        stamps.extend(
            (
                str(r.domain_event.originator_id),
                r.domain_event.originator_version,
                committed,
                warm,
                r.notification.id,
            )
            for r in recordings
        )
    return stamps, ticks * EVENTS_PER_TXN / (time.perf_counter() - started)


def raw_records(
    topic: Topic, count: int
) -> list[tuple[Key, bytes, bytes, list[tuple[str, bytes]]]]:
    """Envelopes like the relay's (same contracts and fields), two events per aggregate."""
    registry = counter_registry(topic)
    tenant_id = uuid4()
    records = []
    for _ in range(count // 2):
        aggregate_id = uuid4()
        contracts = (
            CounterCreated(counter_id=aggregate_id, name="latency"),
            CounterIncremented(counter_id=aggregate_id, by=1),
        )
        for version, contract in enumerate(contracts, start=1):
            envelope = registry.envelope_for(
                contract,
                tenant_id=tenant_id,
                aggregate_id=aggregate_id,
                aggregate_version=version,
                producer="bench",
                event_id=uuid4(),
                occurred_at=datetime.now(UTC),
            )
            records.append(
                (
                    (aggregate_id, version),
                    envelope.kafka_key(),
                    envelope.to_bytes(),
                    envelope.kafka_headers(),
                )
            )
    return records


async def paced_sends(producer: Any, topic: Topic, seconds: float) -> tuple[list[Stamp], float]:
    interval, ticks = _ticks(seconds)
    records = raw_records(topic, ticks * EVENTS_PER_TXN)  # built before the clock starts
    stamps: list[Stamp] = []
    started = time.perf_counter()
    for tick in range(ticks):
        delay = started + tick * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent = time.time()
        warm = tick * interval >= WARMUP_S
        for (aggregate_id, version), kafka_key, value, headers in records[
            tick * EVENTS_PER_TXN : (tick + 1) * EVENTS_PER_TXN
        ]:
            await producer.send(topic.name, value=value, key=kafka_key, headers=headers)
            stamps.append((str(aggregate_id), version, sent, warm, 0))
    await producer.flush()
    return stamps, ticks * EVENTS_PER_TXN / (time.perf_counter() - started)


def writer_main(conn: Connection, schema: str, app_name: str, raw_topic: str) -> None:
    """The writer process: answers ``(arm, seconds)`` with the stamps of what it wrote."""
    asyncio.run(_writer(conn, schema, app_name, Topic(raw_topic)))


async def _writer(conn: Connection, schema: str, app_name: str, raw_topic: Topic) -> None:
    settings = shop_test_settings()
    app = CounterApp(settings, name=app_name, schema=schema)
    tenant_id = uuid4()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_servers,
        client_id="bench-raw",
        enable_idempotence=True,
        acks="all",
        linger_ms=LINGER_MS,
        max_batch_size=256 * 1024,
    )
    try:
        await producer.start()
        conn.send("ready")
        while (command := conn.recv()) is not None:
            arm, seconds = command
            if arm == "relay":
                conn.send(await asyncio.to_thread(paced_writes, app, tenant_id, seconds))
            else:
                conn.send(await paced_sends(producer, raw_topic, seconds))
    finally:
        await producer.stop()
        app.close()


class Writer:
    """The parent's handle on the writer process."""

    def __init__(self, schema: str, app_name: str, raw_topic: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=writer_main, args=(child, schema, app_name, raw_topic), daemon=True
        )

    async def start(self) -> None:
        self.process.start()
        ready = await anyio.to_thread.run_sync(self.conn.recv)
        assert ready == "ready"

    async def write(self, arm: str, seconds: float, samples: Samples) -> None:
        self.conn.send((arm, seconds))
        stamps, offered = await anyio.to_thread.run_sync(self.conn.recv)
        for aggregate_id, version, stamp, counted, notification_id in stamps:
            key = (UUID(aggregate_id), version)
            samples.sent[key] = stamp
            if notification_id:
                samples.notification_ids[key] = notification_id
            if counted:
                samples.counted.add(key)
        samples.offered_rates.append(offered)

    async def close(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            await anyio.to_thread.run_sync(self.process.join, 10)
        if self.process.is_alive():
            self.process.terminate()  # our own child, by its handle
            await anyio.to_thread.run_sync(self.process.join, 5)


# -- the consumers (this process) ------------------------------------------------------------------


async def raw_consume(consumer: Any, samples: Samples, stop: asyncio.Event) -> None:
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=200, max_records=500)
        now = time.time()
        for records in batches.values():
            for record in records:
                headers = dict(record.headers or ())
                key = (UUID(record.key.decode()), int(headers["aggregate_version"]))
                samples.received[key] = now


async def drain(samples: Samples, ctx: BenchContext, arm: str) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while samples.missing() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if samples.missing():
        ctx.log(f"commit_latency: {arm}: {samples.missing()} events not received in time")


@register("commit_latency", "commit -> consumer latency at 2,000 events/s vs raw aiokafka")
async def run(ctx: BenchContext) -> list[Metric]:
    segment_s = ctx.scaled(SEGMENT_S, minimum=WARMUP_S + 1)
    db = ctx.database()
    app_name = f"BenchLatency{secrets.token_hex(3)}"
    app = db.app(CounterApp, app_name)
    relay_topic = await ctx.topic("benchlat")
    raw_topic = await ctx.topic("benchlatraw")
    relay_samples, raw_samples = Samples(), Samples()

    def record_arrival(message: InboundMessage) -> None:
        envelope = message.envelope
        key = (envelope.aggregate_id, envelope.aggregate_version)
        relay_samples.received[key] = time.time()
        relay_samples.occurred[key] = envelope.occurred_at.timestamp()

    registry = counter_registry(relay_topic)
    relay = TimingRelay(app, topic=relay_topic, translate=translate, registry=registry)
    relay.acks = []
    assert relay.linger_ms == LINGER_MS
    runner = TimingConsumer(
        group_id=f"bench-{secrets.token_hex(4)}",
        topics=[relay_topic],
        settings=ctx.settings,
        registry=registry,
    )
    for event_type in ("counter_created", "counter_incremented"):
        runner.on(f"{relay_topic.service}.{event_type}", record_arrival)
    consumer = AIOKafkaConsumer(
        raw_topic.name,
        bootstrap_servers=ctx.settings.kafka_servers,
        group_id=f"bench-raw-{secrets.token_hex(4)}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        session_timeout_ms=runner.session_timeout_ms,
        heartbeat_interval_ms=runner.heartbeat_interval_ms,
    )
    writer = Writer(db.schema, app_name, raw_topic.name)
    stop_raw = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        await writer.start()
        await consumer.start()
        tasks = [
            asyncio.create_task(relay.run()),
            asyncio.create_task(runner.run()),
            asyncio.create_task(raw_consume(consumer, raw_samples, stop_raw)),
        ]
        # Warm-up, not counted: both paths deliver before the clock starts (group joins done).
        warm_relay, warm_raw = Samples(), Samples()
        await writer.write("relay", 0.3, warm_relay)
        await writer.write("raw", 0.3, warm_raw)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            any(k not in relay_samples.received for k in warm_relay.sent)
            or any(k not in raw_samples.received for k in warm_raw.sent)
        ):
            await asyncio.sleep(0.05)
        relay_samples.received.clear()
        relay_samples.occurred.clear()
        raw_samples.received.clear()
        ctx.log("commit_latency: consumers ready; measuring")

        for segment in range(SEGMENTS_PER_ARM * 2):
            arm = "relay" if segment % 2 == 0 else "raw"
            samples = relay_samples if arm == "relay" else raw_samples
            await writer.write(arm, segment_s, samples)
            await drain(samples, ctx, arm)
            ctx.log(
                f"commit_latency: segment {segment + 1}/{SEGMENTS_PER_ARM * 2} {arm}: "
                f"offered {samples.offered_rates[-1]:,.0f} events/s"
            )
    finally:
        stop_raw.set()
        relay.stop()
        runner.stop()
        for task in tasks:
            with contextlib.suppress(Exception):
                await task
        await consumer.stop()
        await writer.close()
        app.close()

    relay_ms = relay_samples.latencies_ms(relay_samples.sent)
    occurred_ms = relay_samples.latencies_ms(relay_samples.occurred)
    raw_ms = raw_samples.latencies_ms(raw_samples.sent)
    # The relay leg alone: commit -> the relay's batch acknowledged by Kafka.
    acked_ms = []
    for key in relay_samples.counted:
        acked = relay.acked_at(relay_samples.notification_ids.get(key, 0))
        if acked is not None and key in relay_samples.sent:
            acked_ms.append((acked - relay_samples.sent[key]) * 1000)
    offered = statistics.mean(relay_samples.offered_rates)
    offered_raw = statistics.mean(raw_samples.offered_rates)
    measured_s = SEGMENTS_PER_ARM * (segment_s - WARMUP_S)
    notes = (
        f"{len(relay_ms)} events (raw: {len(raw_ms)}) over {measured_s:.0f} s per arm "
        f"({SEGMENTS_PER_ARM} alternating segments of {segment_s:.0f} s, the first {WARMUP_S} s of "
        f"each not counted); writer process: {EVENTS_PER_TXN} events per transaction at "
        f"{RATE // EVENTS_PER_TXN} commits/s (single-event commits cannot reach {RATE}/s), "
        f"achieved {offered:,.0f} events/s; relay + ConsumerRunner in one process; baseline = raw "
        f"AIOKafkaProducer (writer process) -> AIOKafkaConsumer at {offered_raw:,.0f} events/s, "
        "same producer settings, record shape and batching"
    )
    details: dict[str, Any] = {
        "relay_samples": len(relay_ms),
        "raw_samples": len(raw_ms),
        "relay_missing": relay_samples.missing(),
        "raw_missing": raw_samples.missing(),
        "offered_events_per_s_relay": [round(r) for r in relay_samples.offered_rates],
        "offered_events_per_s_raw": [round(r) for r in raw_samples.offered_rates],
        "relay_ms_p50_p90_p99_max": [round(percentile(relay_ms, q), 2) for q in (50, 90, 99, 100)],
        "raw_ms_p50_p90_p99_max": [round(percentile(raw_ms, q), 2) for q in (50, 90, 99, 100)],
        "commit_to_relay_ack_ms_p50_p99": [round(percentile(acked_ms, q), 2) for q in (50, 99)],
        "relay_batches": len(relay.acks),
        "relay_from_occurred_at_ms_p50_p99": [
            round(percentile(occurred_ms, q), 2) for q in (50, 99)
        ],
    }
    return [
        Metric(
            name="commit_to_consumer_p50",
            value=percentile(relay_ms, 50),
            unit="ms",
            baseline=percentile(raw_ms, 50),
            goal=Goal(max_value=15),
            notes=notes,
            details=details,
        ),
        Metric(
            name="commit_to_consumer_p99",
            value=percentile(relay_ms, 99),
            unit="ms",
            baseline=percentile(raw_ms, 99),
            goal=Goal(max_value=50),
            notes="same run as commit_to_consumer_p50 (details there)",
        ),
    ]
