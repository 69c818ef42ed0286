"""Relay throughput: outbox → Kafka with the real `Relay`, against a raw producer.

Setup: a fresh event store (the Counter test application) pre-filled with N public events over
many aggregates (one ``Created`` and nine ``Incremented`` each, many tenants). Each round then
runs both, in alternating order:

* **relay**: a new `Relay` (library defaults: batches of 1000, idempotent producer, ``acks=all``,
  ``linger_ms=5``) on a new topic, so its position starts at 0; timed from ``run()`` until the
  saved position reaches the last notification id, i.e. every event acknowledged and the position
  saved.
* **raw**: a bare `AIOKafkaProducer` with the relay's producer settings producing the very records
  the relay produces (same key, value and header bytes, translated beforehand), all sent and then
  all awaited, timed from ``start()`` until every record is acknowledged.

Both timings include the producer's start (connection, metadata, idempotent producer id), so the
two are comparable; with tens of thousands of events it is a few percent of either.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Sequence
from typing import Any
from uuid import uuid4

import anyio
from aiokafka import AIOKafkaProducer
from shop_runtime.relay import OutboundRecord, Relay
from shop_runtime.testing.counter import Counter, CounterApp, counter_registry, translate

from bench.context import BenchContext
from bench.registry import Goal, Metric, register
from bench.stats import median

EVENTS = 30_000
EVENTS_PER_AGGREGATE = 10
TENANTS = 20
ROUNDS = 3
# Aggregates per prefill transaction: the prefill is setup, not measured.
PREFILL_CHUNK = 100


def prefill(app: CounterApp, events: int) -> int:
    """Save ``events`` events over ``events / EVENTS_PER_AGGREGATE`` counters; the last id."""
    tenants = [uuid4() for _ in range(TENANTS)]
    aggregates = events // EVENTS_PER_AGGREGATE
    chunk: list[Counter] = []
    for i in range(aggregates):
        counter = Counter(tenant_id=tenants[i % TENANTS], name=f"counter-{i}")
        for _ in range(EVENTS_PER_AGGREGATE - 1):
            counter.increment(1)
        chunk.append(counter)
        if len(chunk) == PREFILL_CHUNK:
            app.save(*chunk)
            chunk = []
    if chunk:
        app.save(*chunk)
    last = app.recorder.max_notification_id()
    assert last is not None
    return last


def producer_for(servers: Sequence[str]) -> Any:
    # The same settings as `Relay._ensure_producer`.
    return AIOKafkaProducer(
        bootstrap_servers=list(servers),
        client_id="bench-raw",
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        compression_type=None,
        max_batch_size=256 * 1024,
        request_timeout_ms=30_000,
    )


async def time_relay(ctx: BenchContext, app: CounterApp, last_id: int) -> float:
    topic = await ctx.topic("benchrelay")
    relay = Relay(
        app,
        topic=topic,
        translate=translate,
        registry=counter_registry(topic),
        producer_name="bench",
    )
    started = time.perf_counter()
    task = asyncio.create_task(relay.run())
    try:
        while await relay.position() < last_id:
            if task.done():
                task.result()  # raises what stopped the relay
                raise RuntimeError("relay stopped before publishing every event")
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - started
    finally:
        relay.stop()
        await task
    return elapsed


async def time_raw(ctx: BenchContext, records: Sequence[OutboundRecord]) -> float:
    topic = await ctx.topic("benchraw")
    producer = producer_for(ctx.settings.kafka_servers)
    started = time.perf_counter()
    await producer.start()
    try:
        futures = [
            await producer.send(topic.name, value=r.value, key=r.key, headers=r.headers)
            for r in records
        ]
        await asyncio.gather(*futures)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
    return elapsed


@register("relay_throughput", "outbox -> Kafka with the real Relay vs a raw AIOKafkaProducer")
async def run(ctx: BenchContext) -> list[Metric]:
    events = int(ctx.scaled(EVENTS, minimum=2_000))
    db = ctx.database()
    app = db.app(CounterApp, f"BenchRelay{secrets.token_hex(3)}")
    try:
        ctx.log(f"relay_throughput: pre-filling {events} events")
        last_id = await anyio.to_thread.run_sync(prefill, app, events)
        # The raw producer's records: exactly what the relay produces (same bytes).
        template_topic = await ctx.topic("benchrelay")
        translator = Relay(
            app,
            topic=template_topic,
            translate=translate,
            registry=counter_registry(template_topic),
        )
        notifications = await anyio.to_thread.run_sync(
            lambda: app.recorder.select_notifications(start=0, limit=events + 1)
        )
        records = translator.translate_notifications(notifications)
        payload_bytes = sum(len(r.value) for r in records)

        relay_rates: list[float] = []
        raw_rates: list[float] = []
        for round_no in range(ROUNDS):
            # Alternate which one goes first, so a drift in machine load hits both alike.
            order = ("raw", "relay") if round_no % 2 == 0 else ("relay", "raw")
            for arm in order:
                if arm == "relay":
                    elapsed = await time_relay(ctx, app, last_id)
                    relay_rates.append(len(records) / elapsed)
                else:
                    elapsed = await time_raw(ctx, records)
                    raw_rates.append(len(records) / elapsed)
                ctx.log(
                    f"relay_throughput: round {round_no + 1}/{ROUNDS} {arm}: "
                    f"{len(records) / elapsed:,.0f} events/s"
                )
    finally:
        app.close()

    relay_rate, raw_rate = median(relay_rates), median(raw_rates)
    return [
        Metric(
            name="relay_throughput",
            value=relay_rate,
            unit="events/s",
            baseline=raw_rate,
            goal=Goal(min_ratio=0.6, min_value=20_000),
            notes=(
                f"{len(records)} events ({payload_bytes / len(records):.0f} B values, "
                f"{events // EVENTS_PER_AGGREGATE} aggregates, {TENANTS} tenants), 3 partitions; "
                f"median of {ROUNDS} interleaved rounds; baseline = raw AIOKafkaProducer, same "
                "settings and bytes, all sent then all awaited"
            ),
            details={
                "events": len(records),
                "relay_events_per_s": [round(r) for r in relay_rates],
                "raw_events_per_s": [round(r) for r in raw_rates],
            },
        )
    ]
