"""A Kafka consumer that feeds batches of envelopes to an idempotent external sink.

Projections into stores outside the service's Postgres (OpenSearch for search, ClickHouse for
analytics) cannot share a transaction with a tracking row. They are made exactly-once in effect
instead: the sink itself is idempotent (deterministic document ids with external versions, or
dedupe by ``event_id``), so the consumer only has to be at-least-once. The order that makes that
true, as in quixstreams' checkpoint: **flush the sink, then commit the offsets**. A crash in between
redelivers a batch the sink has already absorbed, which changes nothing.

Batches matter here: both stores want bulk writes (one columnar insert or one ``_bulk`` call per
poll), which is why this is not a `ConsumerRunner` handler per record.

Failures: a batch whose sink call raises is retried with backoff (a store that is down must not
push good events to the DLQ); after ``max_attempts`` the batch is split into single envelopes and
those that still fail go to ``<topic>.dlq`` with the same headers as `ConsumerRunner` uses. Records
that are not envelopes go to the DLQ at once. Envelopes the sink itself rejects (it returns them)
go to the DLQ too.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer
from shop_contracts import Envelope, Topic

from shop_runtime.consumer import MESSAGES, ConsumerRunner, InboundMessage, Outcome, _Stopping
from shop_runtime.settings import ServiceSettings

__all__ = ["Rejected", "Sink", "SinkConsumer"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rejected:
    """An envelope the sink refused for good (invalid payload): it goes to the DLQ."""

    envelope: Envelope
    error: str


Sink = Callable[[Sequence[Envelope]], Awaitable[Sequence[Rejected]]]


class _SinkRejection(Exception):
    pass


class SinkConsumer(ConsumerRunner[None]):
    """At-least-once batches into an idempotent sink; Kafka's committed offset is the position."""

    def __init__(
        self,
        sink: Sink,
        *,
        group_id: str,
        topics: Sequence[Topic | str],
        settings: ServiceSettings | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(group_id=group_id, topics=topics, settings=settings, **kwargs)
        self.sink = sink

    # The committed offset is the truth for an idempotent sink: nothing to seek, nothing to track.
    async def tracked_position(self, topic: str, partition: int) -> int | None:
        return None

    async def track_only(self, topic: str, partition: int, offset: int) -> None:
        return None

    async def apply(self, message: InboundMessage, handler: None) -> Outcome:  # pragma: no cover
        raise NotImplementedError("SinkConsumer applies batches, not single messages")

    async def run(self) -> None:
        """Consume until `stop` is called."""
        self._stopping.clear()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            client_id=f"{self.group_id}-sink",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=self.heartbeat_interval_ms,
        )
        self._consumer = consumer
        consumer.subscribe(topics=self.topics)
        await consumer.start()
        try:
            while not self.stopping:
                batches = await consumer.getmany(
                    timeout_ms=self.poll_timeout_ms, max_records=self.max_records
                )
                records = [
                    r for tp, rs in batches.items() if tp in consumer.assignment() for r in rs
                ]
                if not records:
                    continue
                try:
                    await self._deliver(records)
                except _Stopping:
                    break
                for tp, rs in batches.items():
                    if rs and tp in consumer.assignment():
                        self._to_commit[tp] = rs[-1].offset + 1
                await self._commit()
        finally:
            await self._commit()
            self._consumer = None
            await consumer.stop()
            await self._close_producer()

    async def _deliver(self, records: Sequence[Any]) -> None:
        pairs: list[tuple[Any, Envelope]] = []
        for record in records:
            try:
                pairs.append((record, Envelope.from_kafka(record.value, record.headers)))
            except Exception as e:  # not an envelope: retrying cannot help
                await self._dead_letter(record, e, attempts=1)
        if not pairs:
            return
        if await self._try_batch(pairs):
            return
        # The batch keeps failing: find the culprits one by one, so good events still land.
        for pair in pairs:
            if not await self._try_batch([pair], attempts=2):
                await self._dead_letter(pair[0], RuntimeError("sink failed"), attempts=2)

    async def _try_batch(
        self, pairs: Sequence[tuple[Any, Envelope]], attempts: int | None = None
    ) -> bool:
        limit = attempts or self.max_attempts
        by_event = {envelope.event_id: record for record, envelope in pairs}
        for attempt in range(1, limit + 1):
            try:
                rejected = await self.sink([envelope for _, envelope in pairs])
            except Exception as e:
                if attempt == limit:
                    log.error("%s: sink failed %d times: %r", self.group_id, attempt, e)
                    return False
                delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
                log.warning("%s: sink failed (%r); retry in %.2fs", self.group_id, e, delay)
                await self._sleep(delay * random.uniform(0.8, 1.2))
                if self.stopping:
                    raise _Stopping from e
                continue
            for item in rejected:
                record = by_event.get(item.envelope.event_id)
                if record is not None:
                    await self._dead_letter(record, _SinkRejection(item.error), attempts=1)
            for record, _ in pairs:
                MESSAGES.labels(self.group_id, record.topic, "applied").inc()
            return True
        return False
