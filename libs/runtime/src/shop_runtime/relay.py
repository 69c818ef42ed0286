"""The relay: the service's notification log (the outbox) → its Kafka topic.

One relay per service topic follows the event store's notification log from its saved position,
translates each aggregate event that belongs to the public language into a contract event, wraps it
in an envelope and produces the batch. The order of operations is the invariant:

1. read notifications after the saved position (ids follow commit order: the recorder locks the
   table
   on insert; they are not contiguous, so the position is the last id *seen*, never ``last + 1``);
2. translate (private events give None: skipped, but the position still moves past them);
3. produce the whole batch with an idempotent producer (``acks="all"``) and wait for every ack;
4. only then save the position (a tracking row ``relay:<topic>`` in the event store's own tracking
   table).

A crash between 3 and 4 re-sends the batch: every envelope gets the same ``event_id`` again
(``uuid5`` of the stored event's id and version), and consumers deduplicate on it. A Kafka failure
in 3 re-sends the *whole* batch, in order, before anything later, after a backoff and with a fresh
producer: an aggregate's events may be duplicated but are never reordered, and the position never
passes an event that was not acknowledged.

No LISTEN/NOTIFY (it would serialise every writer on a notification queue); polling is adaptive: a
few milliseconds after activity, doubling to ``idle_max`` while idle.

Run it in the service's relay entrypoint::

    relay = Relay(app, topic=ORDERS_EVENTS, translate=outbound.translate)
    await relay.run()          # until relay.stop() (e.g. from a SIGTERM handler)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import anyio
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification, Tracking
from prometheus_client import Counter, Gauge
from shop_contracts import ContractEvent, Envelope, Registry, Topic
from shop_contracts import registry as default_registry

from shop_runtime.eventstore import AlreadyTracked, ServiceApplication

__all__ = ["OutboundRecord", "Relay", "Translate"]

log = logging.getLogger(__name__)

Translate = Callable[[DomainEventProtocol[UUID]], ContractEvent | None]
"""Aggregate event → public contract event, or None for a private event."""

RELAYED = Counter(
    "shop_relay_events_total",
    "Notifications the relay moved past, by topic and outcome (published or skipped as private).",
    labelnames=("topic", "outcome"),
)
LAG = Gauge(
    "shop_relay_lag_notifications",
    "Notification ids between the newest event in the store and the relay's saved position.",
    labelnames=("topic",),
)
POSITION = Gauge(
    "shop_relay_position",
    "Last notification id the relay saved as published.",
    labelnames=("topic",),
)
PUBLISH_FAILURES = Counter(
    "shop_relay_publish_failures_total",
    "Batches that Kafka did not acknowledge (each is re-sent whole).",
    labelnames=("topic",),
)


@dataclass(frozen=True, slots=True)
class OutboundRecord:
    """One Kafka record to produce, with the notification it came from."""

    notification_id: int
    envelope: Envelope
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class Relay:
    """Publishes a service's public events from its notification log to one topic."""

    def __init__(
        self,
        app: ServiceApplication,
        *,
        topic: Topic | str,
        translate: Translate,
        registry: Registry | None = None,
        producer_name: str | None = None,
        bootstrap_servers: Sequence[str] | None = None,
        batch_size: int = 1000,
        idle_min: float = 0.005,
        idle_max: float = 0.15,
        linger_ms: int = 5,
        compression_type: str | None = None,
        retry_backoff_max: float = 5.0,
        lag_interval: float = 1.0,
    ) -> None:
        self.app = app
        self.topic = str(topic)
        self.translate = translate
        self.registry = registry if registry is not None else default_registry
        self.producer_name = producer_name or app.settings.service_name
        self.bootstrap_servers = list(bootstrap_servers or app.settings.kafka_servers)
        self.batch_size = batch_size
        self.idle_min = idle_min
        self.idle_max = idle_max
        self.linger_ms = linger_ms
        self.compression_type = compression_type
        self.retry_backoff_max = retry_backoff_max
        self.lag_interval = lag_interval
        self.position_name = f"relay:{self.topic}"
        self._position: int | None = None
        self._producer: Any = None  # AIOKafkaProducer (untyped library)
        self._stopping = asyncio.Event()
        self._lag_checked_at = 0.0

    # -- lifecycle ---------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask `run` to return after the batch in flight (its position is saved only if acked)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> None:
        """Relay until `stop` is called."""
        idle = self.idle_min
        try:
            while not self.stopping:
                relayed = await self.run_once()
                if relayed:
                    idle = self.idle_min
                    continue
                await self._update_lag(force=False)
                await self._sleep(idle)
                idle = min(idle * 2, self.idle_max)
        finally:
            await self._close_producer()

    async def run_once(self) -> int:
        """Relay one batch; returns how many notifications the position moved past (0: idle)."""
        position = await self.position()
        notifications = await anyio.to_thread.run_sync(self._select, position)
        if not notifications:
            return 0
        records = self.translate_notifications(notifications)
        if records and not await self._publish(records):
            return 0  # stopping while Kafka was failing: nothing saved, the batch will be re-sent
        last_id = notifications[-1].id
        self.after_ack(last_id)
        await self._save_position(last_id)
        RELAYED.labels(self.topic, "published").inc(len(records))
        RELAYED.labels(self.topic, "skipped").inc(len(notifications) - len(records))
        await self._update_lag(force=False)
        return len(notifications)

    def after_ack(self, last_id: int) -> None:
        """Called after Kafka acknowledged a batch and before its position is saved.

        Does nothing; the crash tests override it to die exactly in that window.
        """

    # -- position ----------------------------------------------------------------------------------

    async def position(self) -> int:
        """The last notification id saved as published (0 before the first batch)."""
        if self._position is None:
            saved = await anyio.to_thread.run_sync(
                self.app.recorder.max_tracking_id, self.position_name
            )
            self._position = saved or 0
            POSITION.labels(self.topic).set(self._position)
        return self._position

    async def _save_position(self, last_id: int) -> None:
        tracking = Tracking(self.position_name, last_id)
        try:
            await anyio.to_thread.run_sync(self.app.recorder.insert_tracking, tracking)
        except AlreadyTracked:
            # Another relay of the same topic is ahead (two instances running): re-read the truth.
            log.warning("relay %s: position %s already passed; re-reading", self.topic, last_id)
            self._position = None
            return
        self._position = last_id
        POSITION.labels(self.topic).set(last_id)

    def _select(self, position: int) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(
            start=position, limit=self.batch_size, inclusive_of_start=False
        )

    async def _update_lag(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._lag_checked_at < self.lag_interval:
            return
        self._lag_checked_at = now
        newest = await anyio.to_thread.run_sync(self.app.recorder.max_notification_id)
        LAG.labels(self.topic).set(max(0, (newest or 0) - (self._position or 0)))

    # -- translation -------------------------------------------------------------------------------

    def translate_notifications(
        self, notifications: Sequence[Notification]
    ) -> list[OutboundRecord]:
        """Decode and translate a batch; private events are dropped. Pure: no I/O."""
        records: list[OutboundRecord] = []
        for notification in notifications:
            domain_event = self.app.mapper.to_domain_event(notification)
            contract = self.translate(domain_event)
            if contract is None:
                continue
            envelope = self.envelope_for(domain_event, contract)
            records.append(
                OutboundRecord(
                    notification_id=notification.id,
                    envelope=envelope,
                    key=envelope.kafka_key(),
                    value=envelope.to_bytes(),
                    headers=envelope.kafka_headers(),
                )
            )
        return records

    def envelope_for(
        self, domain_event: DomainEventProtocol[UUID], contract: ContractEvent
    ) -> Envelope:
        spec = self.registry.spec_for(contract)
        if spec.topic.name != self.topic:
            msg = (
                f"{spec.event_type} v{spec.version} is published on {spec.topic.name}, "
                f"not on this relay's topic {self.topic}"
            )
            raise ValueError(msg)
        tenant_id = getattr(domain_event, "tenant_id", None)
        if not isinstance(tenant_id, UUID):
            msg = f"{type(domain_event).__qualname__} has no tenant_id: public events need one"
            raise TypeError(msg)
        return self.registry.envelope_for(
            contract,
            tenant_id=tenant_id,
            aggregate_id=domain_event.originator_id,
            aggregate_version=domain_event.originator_version,
            producer=self.producer_name,
            correlation_id=getattr(domain_event, "correlation_id", None),
            causation_id=getattr(domain_event, "causation_id", None),
            event_id=self.app.event_id_for(
                domain_event.originator_id, domain_event.originator_version
            ),
            occurred_at=getattr(domain_event, "timestamp", None),
        )

    # -- Kafka -------------------------------------------------------------------------------------

    async def _publish(self, records: Sequence[OutboundRecord]) -> bool:
        """Produce the batch until every record is acknowledged; False if stopped before that."""
        backoff = 0.1
        while True:
            try:
                producer = await self._ensure_producer()
                futures = [
                    await producer.send(self.topic, value=r.value, key=r.key, headers=r.headers)
                    for r in records
                ]
                await asyncio.gather(*futures)
                return True
            except (KafkaError, OSError, TimeoutError) as e:
                PUBLISH_FAILURES.labels(self.topic).inc()
                log.warning(
                    "relay %s: batch of %d not acknowledged (%r); re-sending whole in %.1fs",
                    self.topic,
                    len(records),
                    e,
                    backoff,
                )
                # A fresh producer: after a failed batch the old one may hold records in its
                # accumulator that would otherwise be delivered after the re-sent ones.
                await self._close_producer()
                if self.stopping:
                    return False
                await self._sleep(backoff * random.uniform(0.5, 1.0))
                if self.stopping:
                    return False
                backoff = min(backoff * 2, self.retry_backoff_max)

    async def _ensure_producer(self) -> Any:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=f"{self.producer_name}-relay",
                enable_idempotence=True,
                acks="all",
                linger_ms=self.linger_ms,
                compression_type=self.compression_type,
                max_batch_size=256 * 1024,
                request_timeout_ms=30_000,
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
            except Exception:  # closing a broken producer: nothing left to save
                log.debug("relay %s: error closing producer", self.topic, exc_info=True)

    async def _sleep(self, seconds: float) -> None:
        # Sleep, but wake up at once on stop().
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
