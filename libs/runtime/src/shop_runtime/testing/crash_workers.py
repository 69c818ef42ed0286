"""Relay and consumer processes for the crash tests, killed with SIGKILL by the tests (or by
themselves, at the exact moment a test wants: after the Kafka ack and before the relay saves its
position; after a consumer saved its effects and before it commits the offset).

    python -m shop_runtime.testing.crash_workers relay --schema S --app NAME --topic T \\
        [--crash-after-ack-probability 0.3] [--crash-log FILE]
    python -m shop_runtime.testing.crash_workers consumer --schema S --topic T --group G \\
        --table EFFECTS [--crash-after-effects N] [--poison EVENT_ID]

SIGTERM stops either one gracefully. ``--wait-for-go`` makes a relay a warm standby: it imports
everything and connects, then waits for a line on stdin, so a test can replace a killed relay at
once. The crash hooks exist only here, in test code: production classes expose the hook methods
(`Relay.after_ack`, `ConsumerRunner.after_effects`) and do nothing in them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
from pathlib import Path

from shop_contracts import Topic
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shop_runtime.consumer import InboundMessage, SqlConsumer
from shop_runtime.relay import Relay
from shop_runtime.testing.counter import CounterApp, counter_registry, translate
from shop_runtime.testing.postgres import TestDatabase, shop_test_settings


def _die(crash_log: str | None, line: str) -> None:
    if crash_log:
        with Path(crash_log).open("a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
    os.kill(os.getpid(), signal.SIGKILL)


class CrashingRelay(Relay):
    def __init__(self, *args: object, probability: float, crash_log: str | None, **kw: object):
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.probability = probability
        self.crash_log = crash_log

    def after_ack(self, last_id: int) -> None:
        if self.probability and random.random() < self.probability:
            _die(self.crash_log, f"after-ack {last_id}")


class CrashingConsumer(SqlConsumer):
    def __init__(self, *args: object, crash_after: int, crash_log: str | None, **kw: object):
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.crash_after = crash_after
        self.crash_log = crash_log
        self.applied = 0

    def after_effects(self, topic: str, partition: int, offset: int) -> None:
        self.applied += 1
        if self.crash_after and self.applied >= self.crash_after:
            _die(self.crash_log, f"after-effects {topic}:{partition}:{offset}")


def _install_sigterm(stop: object) -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop)  # type: ignore[arg-type]


async def run_relay(args: argparse.Namespace) -> None:
    db = TestDatabase(settings=shop_test_settings(), schema=args.schema)
    app = CounterApp(db.settings, name=args.app, schema=args.schema)
    topic = Topic(args.topic)
    relay = CrashingRelay(
        app,
        topic=topic,
        translate=translate,
        registry=counter_registry(topic),
        batch_size=args.batch_size,
        probability=args.crash_after_ack_probability,
        crash_log=args.crash_log,
    )
    _install_sigterm(relay.stop)
    try:
        if args.wait_for_go:
            # Warm standby: connected to Postgres and Kafka, waiting for the test's signal.
            # (The position is read after the signal, as a freshly started relay would.)
            await relay._ensure_producer()
            if not await asyncio.to_thread(sys.stdin.readline):
                return  # stdin closed: the test no longer needs this standby
        await relay.run()
    finally:
        app.close()


async def run_consumer(args: argparse.Namespace) -> None:
    db = TestDatabase(settings=shop_test_settings(), schema=args.schema)
    engine = db.engine(pool_size=2)
    topic = Topic(args.topic)
    table = args.table
    poison = args.poison

    async def record_effect(conn: AsyncConnection, message: InboundMessage) -> None:
        if poison and str(message.event_id) == poison:
            raise RuntimeError(f"poison pill {message.event_id}")
        await conn.execute(
            text(
                f"INSERT INTO {table} (event_id, tenant_id, aggregate_id, aggregate_version, "
                "topic, partition, kafka_offset) VALUES (:e, :t, :a, :v, :topic, :p, :o)"
            ),
            {
                "e": message.event_id,
                "t": message.tenant_id,
                "a": message.envelope.aggregate_id,
                "v": message.envelope.aggregate_version,
                "topic": message.topic,
                "p": message.partition,
                "o": message.offset,
            },
        )

    runner = CrashingConsumer(
        engine,
        group_id=args.group,
        topics=[topic],
        registry=counter_registry(topic),
        max_attempts=args.max_attempts,
        backoff_base=0.05,
        crash_after=args.crash_after_effects,
        crash_log=args.crash_log,
    )
    runner.on(f"{topic.service}.counter_created", record_effect)
    runner.on(f"{topic.service}.counter_incremented", record_effect)
    _install_sigterm(runner.stop)
    try:
        await runner.run()
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m shop_runtime.testing.crash_workers")
    sub = parser.add_subparsers(dest="worker", required=True)
    relay = sub.add_parser("relay")
    relay.add_argument("--schema", required=True)
    relay.add_argument("--app", required=True)
    relay.add_argument("--topic", required=True)
    relay.add_argument("--batch-size", type=int, default=200)
    relay.add_argument("--crash-after-ack-probability", type=float, default=0.0)
    relay.add_argument("--crash-log")
    relay.add_argument(
        "--wait-for-go",
        action="store_true",
        help="import everything, then wait for a line on stdin before starting (a warm standby)",
    )
    consumer = sub.add_parser("consumer")
    consumer.add_argument("--schema", required=True)
    consumer.add_argument("--topic", required=True)
    consumer.add_argument("--group", required=True)
    consumer.add_argument("--table", required=True)
    consumer.add_argument("--poison")
    consumer.add_argument("--max-attempts", type=int, default=3)
    consumer.add_argument("--crash-after-effects", type=int, default=0)
    consumer.add_argument("--crash-log")
    args = parser.parse_args()
    asyncio.run(run_relay(args) if args.worker == "relay" else run_consumer(args))


if __name__ == "__main__":
    main()
