"""Kafka consumers whose effects happen exactly once.

A `ConsumerRunner` reads one or more topics in a consumer group (aiokafka,
``enable_auto_commit=False``, ``auto_offset_reset="earliest"``), turns each record back into an
envelope and a contract event, and calls the handler registered for its ``event_type``. It comes in
two flavours, by where the effects go:

* `EventStoreConsumer` (**event-store sink**): the handler is a synchronous function (it runs in a
  worker thread, as the event store is synchronous) that returns the aggregates it changed, *without
  saving them*. The runner saves their new events, a tracking record
  ``Tracking(f"{group}:{topic}:{partition}", offset)`` and the processed ``(group, event_id)`` pair
  in one transaction through the application's `ServiceRecorder`.
* `SqlConsumer` (**SQL sink**): the handler is a coroutine receiving an SQLAlchemy `AsyncConnection`
  in an open transaction with ``app.tenant_id`` set to the message's tenant; the runner upserts
  ``consumer_tracking`` and inserts ``processed_events`` in that same transaction.

Why two guards. The tracking row refuses an offset that is not above the saved one: a redelivery
(crash before the Kafka commit, a rebalance) is a no-op. It cannot catch the *same event under a new
offset*, which is what a relay crash between the Kafka ack and its position save produces: that is
what the processed-id table is for, written in the same transaction, keyed by the envelope's
deterministic ``event_id``. For the event store both live in the event store's own database (tables
``<app>_tracking`` and ``<app>_processed``), for the SQL sink in the read-model database: effects
and guards always commit together.

The tracked position is the truth; Kafka's committed offset is an optimisation. On every partition
assignment a `ConsumerRebalanceListener` seeks to the tracked offset + 1, so a rebalance or a
restart resumes exactly after the last saved effect whatever the group's committed offset says.
Offsets are committed after the effects of a fetched batch are saved, on revocation, and on
shutdown.

Failures: a handler that raises is retried ``max_attempts`` times with exponential backoff; then the
record goes to ``<topic>.dlq`` (original key, value and headers, plus ``dlq-error``,
``dlq-attempts``, ``dlq-source-topic``, ``dlq-source-partition``, ``dlq-source-offset``), its offset
is tracked and the consumer moves on. A record that is not a valid envelope goes to the DLQ at once.
Unknown event types are skipped, and tracked.

While a handler runs, `shop_runtime.context` holds tenant = the envelope's tenant, correlation = the
envelope's correlation id, causation = the envelope's event id, so the events it causes carry them.

Wiring (a service's consumer entrypoint)::

    runner = EventStoreConsumer(app, group_id="inventory", topics=[ORDERS_EVENTS])
    runner.on("orders.order_placed", inbound.reserve_stock)
    await runner.run()   # until runner.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

import anyio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from eventsourcing.domain import DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import Tracking
from prometheus_client import Counter
from shop_contracts import ContractEvent, Envelope, Registry, Topic
from shop_contracts import registry as default_registry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shop_runtime import context
from shop_runtime.db import TENANT_SETTING
from shop_runtime.eventstore import AlreadyProcessed, AlreadyTracked, Processed, ServiceApplication
from shop_runtime.settings import ServiceSettings
from shop_runtime.tracking import advance_consumer, consumer_position, mark_processed

__all__ = [
    "DLQ_HEADERS",
    "ConsumerRunner",
    "EventStoreConsumer",
    "EventStoreHandler",
    "InboundMessage",
    "Outcome",
    "SqlConsumer",
    "SqlHandler",
]

log = logging.getLogger(__name__)

DLQ_HEADERS = (
    "dlq-error",
    "dlq-attempts",
    "dlq-source-topic",
    "dlq-source-partition",
    "dlq-source-offset",
)

Outcome = Literal["applied", "duplicate", "already_tracked", "skipped", "dead_lettered"]

MESSAGES = Counter(
    "shop_consumer_messages_total",
    "Records a consumer finished with, by group, topic and outcome.",
    labelnames=("group", "topic", "outcome"),
)
HANDLER_FAILURES = Counter(
    "shop_consumer_handler_failures_total",
    "Handler attempts that raised (each is retried, then dead-lettered).",
    labelnames=("group", "topic"),
)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A record of the bus, decoded: what a handler receives."""

    envelope: Envelope
    event: ContractEvent
    topic: str
    partition: int
    offset: int
    key: bytes | None

    @property
    def tenant_id(self) -> UUID:
        return self.envelope.tenant_id

    @property
    def event_id(self) -> UUID:
        return self.envelope.event_id


SqlHandler = Callable[[AsyncConnection, InboundMessage], Awaitable[None]]
"""Writes the effects of one message through the given connection (transaction already open)."""

Saveable = MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None
EventStoreHandler = Callable[[InboundMessage], Iterable[Saveable] | None]
"""Returns the aggregates (or events) to save for one message; must not save them itself."""

H = TypeVar("H")


class _Stopping(Exception):
    """Raised inside the loop when stop() interrupts a retry: the record is left unprocessed."""


class ConsumerRunner(ABC, Generic[H]):
    """Consumer-group loop shared by both sinks. Subclasses say how effects and positions are
    saved.
    """

    def __init__(
        self,
        *,
        group_id: str,
        topics: Sequence[Topic | str],
        settings: ServiceSettings | None = None,
        registry: Registry | None = None,
        bootstrap_servers: Sequence[str] | None = None,
        max_attempts: int = 5,
        backoff_base: float = 0.2,
        backoff_max: float = 10.0,
        poll_timeout_ms: int = 200,
        max_records: int = 500,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 1_000,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.group_id = group_id
        self.topics = [str(t) for t in topics]
        self.settings = settings if settings is not None else ServiceSettings()
        self.registry = registry if registry is not None else default_registry
        self.bootstrap_servers = list(bootstrap_servers or self.settings.kafka_servers)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.poll_timeout_ms = poll_timeout_ms
        self.max_records = max_records
        self.session_timeout_ms = session_timeout_ms
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._handlers: dict[str, H] = {}
        self._stopping = asyncio.Event()
        self._consumer: Any = None  # AIOKafkaConsumer (untyped library)
        self._producer: Any = None  # for the DLQ
        # Next offset to commit per partition: effects up to offset - 1 are saved.
        self._to_commit: dict[Any, int] = {}

    # -- registration ------------------------------------------------------------------------------

    def on(self, event_type: str, handler: H) -> None:
        """Handle ``event_type`` (e.g. ``"orders.order_placed"``) with ``handler``."""
        if event_type in self._handlers:
            raise ValueError(f"{event_type} already has a handler in {self.group_id}")
        self._handlers[event_type] = handler

    def handles(self, event_type: str) -> Callable[[H], H]:
        """Decorator form of `on`."""

        def register(handler: H) -> H:
            self.on(event_type, handler)
            return handler

        return register

    # -- what a sink provides ----------------------------------------------------------------------

    @abstractmethod
    async def tracked_position(self, topic: str, partition: int) -> int | None:
        """The last offset whose effects are saved, or None."""

    @abstractmethod
    async def apply(self, message: InboundMessage, handler: H) -> Outcome:
        """Save the handler's effects, the position and the processed id atomically."""

    @abstractmethod
    async def track_only(self, topic: str, partition: int, offset: int) -> None:
        """Save the position alone (skipped or dead-lettered record). Idempotent."""

    def after_effects(self, topic: str, partition: int, offset: int) -> None:
        """Called after a record's effects are saved, before its offset is committed to Kafka.

        Does nothing; the crash tests override it to die exactly in that window.
        """

    # -- lifecycle ---------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop after the record in progress; its effects are saved or not at all."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> None:
        """Consume until `stop` is called."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            client_id=f"{self.group_id}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # The relay produces idempotently without transactions; read_committed would also hide
            # aborted transactional writes if a producer ever used them.
            isolation_level="read_committed",
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=self.heartbeat_interval_ms,
        )
        self._consumer = consumer
        consumer.subscribe(topics=self.topics, listener=_SeekToTracked(self))
        await consumer.start()
        try:
            while not self.stopping:
                batches = await consumer.getmany(
                    timeout_ms=self.poll_timeout_ms, max_records=self.max_records
                )
                try:
                    for tp, records in batches.items():
                        for record in records:
                            if self.stopping or tp not in consumer.assignment():
                                break
                            await self._process(record)
                            self._to_commit[tp] = record.offset + 1
                except _Stopping:
                    break
                finally:
                    await self._commit()
        finally:
            await self._commit()
            self._consumer = None
            await consumer.stop()
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None

    # -- one record --------------------------------------------------------------------------------

    async def _process(self, record: Any) -> None:
        topic, partition, offset = record.topic, record.partition, record.offset
        try:
            envelope = Envelope.from_kafka(record.value, record.headers)
        except Exception as e:  # not an envelope: retrying cannot help
            await self._dead_letter(record, e, attempts=1)
            return
        handler = self._handlers.get(envelope.event_type)
        spec = self.registry.find(envelope.event_type, envelope.event_version)
        if handler is None or spec is None:
            if handler is not None:
                log.warning(
                    "%s: no contract for %s v%s; skipped",
                    self.group_id,
                    envelope.event_type,
                    envelope.event_version,
                )
            await self.track_only(topic, partition, offset)
            MESSAGES.labels(self.group_id, topic, "skipped").inc()
            return
        try:
            event = self.registry.decode(envelope)
        except Exception as e:
            await self._dead_letter(record, e, attempts=1)
            return
        message = InboundMessage(
            envelope=envelope,
            event=event,
            topic=topic,
            partition=partition,
            offset=offset,
            key=record.key,
        )
        attempt = 0
        while True:
            attempt += 1
            try:
                with context.message_context(
                    tenant_id=envelope.tenant_id,
                    correlation_id=envelope.correlation_id,
                    causation_id=str(envelope.event_id),
                    traceparent=envelope.traceparent,
                ):
                    outcome = await self.apply(message, handler)
            except Exception as e:
                HANDLER_FAILURES.labels(self.group_id, topic).inc()
                if attempt >= self.max_attempts:
                    log.error(
                        "%s: %s at %s:%s failed %d times; dead-lettering",
                        self.group_id,
                        envelope.event_type,
                        topic,
                        offset,
                        attempt,
                        exc_info=True,
                    )
                    await self._dead_letter(record, e, attempts=attempt)
                    return
                delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
                log.warning(
                    "%s: %s at %s:%s failed (attempt %d): %r; retrying in %.2fs",
                    self.group_id,
                    envelope.event_type,
                    topic,
                    offset,
                    attempt,
                    e,
                    delay,
                )
                await self._sleep(delay * random.uniform(0.8, 1.2))
                if self.stopping:
                    raise _Stopping from e
                continue
            MESSAGES.labels(self.group_id, topic, outcome).inc()
            self.after_effects(topic, partition, offset)
            return

    async def _dead_letter(self, record: Any, error: BaseException, *, attempts: int) -> None:
        """Publish the record to ``<topic>.dlq`` (acknowledged), then track its offset."""
        headers = [(k, v) for k, v in (record.headers or ()) if k not in DLQ_HEADERS]
        headers += [
            ("dlq-error", f"{type(error).__name__}: {error}"[:2000].encode()),
            ("dlq-attempts", str(attempts).encode()),
            ("dlq-source-topic", record.topic.encode()),
            ("dlq-source-partition", str(record.partition).encode()),
            ("dlq-source-offset", str(record.offset).encode()),
        ]
        dlq = f"{record.topic}.dlq"
        backoff = self.backoff_base
        while True:
            try:
                producer = await self._dlq_producer()
                await producer.send_and_wait(
                    dlq, value=record.value, key=record.key, headers=headers
                )
                break
            except (KafkaError, OSError, TimeoutError) as e:
                # The record must not be tracked before it is safely in the DLQ.
                log.warning("%s: DLQ %s unavailable (%r); retrying", self.group_id, dlq, e)
                await self._close_producer()
                await self._sleep(backoff)
                if self.stopping:
                    raise _Stopping from e
                backoff = min(backoff * 2, self.backoff_max)
        await self.track_only(record.topic, record.partition, record.offset)
        MESSAGES.labels(self.group_id, record.topic, "dead_lettered").inc()

    async def _dlq_producer(self) -> Any:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=f"{self.group_id}-dlq",
                enable_idempotence=True,
                acks="all",
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception:
                log.debug("%s: error closing DLQ producer", self.group_id, exc_info=True)

    # -- offsets -----------------------------------------------------------------------------------

    async def _commit(self, partitions: Iterable[Any] | None = None) -> None:
        consumer = self._consumer
        if consumer is None or not self._to_commit:
            return
        wanted = set(self._to_commit) if partitions is None else set(partitions)
        offsets = {tp: off for tp, off in self._to_commit.items() if tp in wanted}
        for tp in offsets:
            del self._to_commit[tp]
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (KafkaError, OSError, TimeoutError) as e:
            # Harmless: the tracked position, not the committed offset, decides where we resume.
            log.info("%s: offset commit failed (%r); tracked positions stand", self.group_id, e)

    async def _on_revoked(self, revoked: Iterable[Any]) -> None:
        await self._commit(revoked)

    async def _on_assigned(self, assigned: Iterable[Any]) -> None:
        consumer = self._consumer
        for tp in assigned:
            position = await self.tracked_position(tp.topic, tp.partition)
            if position is not None and consumer is not None:
                consumer.seek(tp, position + 1)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


class _SeekToTracked(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, resume each partition after its tracked offset; on revocation, commit."""

    def __init__(self, runner: ConsumerRunner[Any]) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self.runner._on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        await self.runner._on_assigned(assigned)


# -- the SQL sink ----------------------------------------------------------------------------------


class _AlreadyTrackedRollback(Exception):
    """Rolls back the SQL transaction of a record whose offset another run already tracked."""


class SqlConsumer(ConsumerRunner[SqlHandler]):
    """Effects in the service's read-model database (SQLAlchemy async), exactly once.

    The engine connects as the application role: the runtime tables ``consumer_tracking`` and
    ``processed_events`` must exist (see `shop_runtime.migrations`). ``app.tenant_id`` is set to the
    message's tenant for the handler, so row-level security applies to what it writes.
    """

    def __init__(self, engine: AsyncEngine, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.engine = engine

    async def tracked_position(self, topic: str, partition: int) -> int | None:
        async with self.engine.connect() as conn:
            return await consumer_position(conn, self.group_id, topic, partition)

    async def apply(self, message: InboundMessage, handler: SqlHandler) -> Outcome:
        try:
            async with self.engine.begin() as conn:
                if not await advance_consumer(
                    conn, self.group_id, message.topic, message.partition, message.offset
                ):
                    raise _AlreadyTrackedRollback
                if not await mark_processed(conn, self.group_id, message.event_id):
                    return "duplicate"  # commits the position only
                await conn.execute(
                    text("SELECT set_config(:name, :value, true)"),
                    {"name": TENANT_SETTING, "value": str(message.tenant_id)},
                )
                await handler(conn, message)
                return "applied"
        except _AlreadyTrackedRollback:
            return "already_tracked"

    async def track_only(self, topic: str, partition: int, offset: int) -> None:
        async with self.engine.begin() as conn:
            await advance_consumer(conn, self.group_id, topic, partition, offset)


# -- the event-store sink --------------------------------------------------------------------------


class EventStoreConsumer(ConsumerRunner[EventStoreHandler]):
    """Effects as new events in the service's own event store, exactly once.

    Handlers run in a worker thread with the message's context; they load aggregates from
    ``app.repository``, call their command methods and return them (unsaved). A version conflict
    (a concurrent command on the same aggregate) re-runs the handler, up to
    ``settings.command_retries`` times, before counting as a failed attempt.
    """

    def __init__(self, app: ServiceApplication, **kwargs: Any) -> None:
        kwargs.setdefault("settings", app.settings)
        super().__init__(**kwargs)
        self.app = app

    def tracking_name(self, topic: str, partition: int) -> str:
        # The group is part of the name: two groups of one application reading the same topic
        # must not share (and so skip each other's) positions.
        return f"{self.group_id}:{topic}:{partition}"

    async def tracked_position(self, topic: str, partition: int) -> int | None:
        return await anyio.to_thread.run_sync(
            self.app.recorder.max_tracking_id, self.tracking_name(topic, partition)
        )

    async def apply(self, message: InboundMessage, handler: EventStoreHandler) -> Outcome:
        return await anyio.to_thread.run_sync(self._apply, message, handler)

    def _apply(self, message: InboundMessage, handler: EventStoreHandler) -> Outcome:
        tracking = Tracking(self.tracking_name(message.topic, message.partition), message.offset)
        processed = Processed(self.group_id, message.event_id)
        if self.app.recorder.has_processed(processed):
            return self._track_duplicate(tracking)

        def attempt() -> Outcome:
            # Re-run whole on a version conflict: the handler re-reads the aggregates it changes.
            objs = handler(message) or ()
            try:
                self.app.save_processed(*objs, tracking=tracking, processed=processed)
            except AlreadyTracked:
                return "already_tracked"
            except AlreadyProcessed:
                return self._track_duplicate(tracking)
            return "applied"

        return self.app.execute(attempt)

    def _track_duplicate(self, tracking: Tracking) -> Outcome:
        try:
            self.app.recorder.insert_tracking(tracking)
        except AlreadyTracked:
            return "already_tracked"
        return "duplicate"

    async def track_only(self, topic: str, partition: int, offset: int) -> None:
        tracking = Tracking(self.tracking_name(topic, partition), offset)
        with contextlib.suppress(AlreadyTracked):
            await anyio.to_thread.run_sync(self.app.recorder.insert_tracking, tracking)
