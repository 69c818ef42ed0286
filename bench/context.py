"""Resources a benchmark borrows from the local stack, all removed when the run ends."""

from __future__ import annotations

import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from shop_contracts import Topic
from shop_runtime.settings import ServiceSettings
from shop_runtime.testing.kafka import KafkaTopics, random_service_name
from shop_runtime.testing.postgres import TestDatabase, shop_test_settings

__all__ = ["BenchContext"]


@dataclass
class BenchContext:
    """Settings, a scale factor, and lazily created resources.

    * `database`: one private schema in ``shop_test`` (like the integration tests), dropped at the
      end; each benchmark makes its own tables in it.
    * `topic`: a new uniquely named topic (3 partitions, no DLQ), deleted at the end: the broker
      does not auto-create topics, and a benchmark must not write to a service's real topic.

    ``scale`` multiplies event counts and durations (``--scale 0.2`` for a quick smoke run; the
    numbers are then noisier and are not the ones to publish).
    """

    scale: float = 1.0
    settings: ServiceSettings = field(default_factory=shop_test_settings)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _database: TestDatabase | None = None
    _topics: KafkaTopics | None = None
    _started: float = field(default_factory=time.monotonic)

    def scaled(self, n: float, *, minimum: float = 1) -> float:
        return max(minimum, n * self.scale)

    def log(self, message: str) -> None:
        """Progress on stderr (stdout carries the table)."""
        print(f"[bench {time.monotonic() - self._started:6.1f}s] {message}", file=sys.stderr)

    def database(self) -> TestDatabase:
        if self._database is None:
            db = TestDatabase.create(self.settings, prefix="bench")
            self._database = db

            async def drop() -> None:
                await db.dispose()
                db.drop()

            self._stack.push_async_callback(drop)
        return self._database

    async def topic(self, prefix: str = "bench") -> Topic:
        if self._topics is None:
            topics = KafkaTopics(self.settings.kafka_servers)
            self._topics = topics
            self._stack.push_async_callback(topics.close)
        return await self._topics.create(
            service=random_service_name(prefix), partitions=3, with_dlq=False
        )

    async def aclose(self) -> None:
        await self._stack.aclose()
