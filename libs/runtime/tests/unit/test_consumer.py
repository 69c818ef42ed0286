"""The event-store consumer's exactly-once bookkeeping, on the in-memory store (no Kafka)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID, uuid4, uuid5

from shop_contracts import Envelope, Topic
from shop_runtime import context
from shop_runtime.consumer import EventStoreConsumer, InboundMessage
from shop_runtime.testing.counter import Counter, CounterApp, CounterIncremented, counter_registry

TOPIC = Topic("rtunit.events.v1")
REGISTRY = counter_registry(TOPIC)


def message(event_id: UUID, offset: int, *, tenant: UUID, counter_id: UUID) -> InboundMessage:
    event = CounterIncremented(counter_id=counter_id, by=1)
    envelope: Envelope = REGISTRY.envelope_for(
        event,
        tenant_id=tenant,
        aggregate_id=counter_id,
        aggregate_version=2,
        producer="rtunit",
        correlation_id="flow",
        event_id=event_id,
        occurred_at=datetime.now(UTC),
    )
    return InboundMessage(
        envelope=envelope,
        event=event,
        topic=TOPIC.name,
        partition=0,
        offset=offset,
        key=envelope.kafka_key(),
    )


def mirror_handler(app: CounterApp):  # type: ignore[no-untyped-def]
    """Mirrors each upstream increment into a local counter with a derived id."""

    def handle(msg: InboundMessage) -> Iterable[Counter]:
        assert isinstance(msg.event, CounterIncremented)
        mirror_id = uuid5(msg.event.counter_id, "mirror")
        try:
            mirror = app.repository.get(mirror_id)
        except Exception:
            mirror = Counter(tenant_id=msg.tenant_id, name="mirror", id=mirror_id)
        mirror.increment(msg.event.by)
        return [mirror]

    return handle


def test_duplicates_and_redeliveries_are_no_ops() -> None:
    app = CounterApp.in_memory(name="Mirror")
    runner = EventStoreConsumer(app, group_id="mirror", topics=[TOPIC], registry=REGISTRY)
    handler = mirror_handler(app)
    tenant, upstream = uuid4(), uuid4()
    first, second = uuid4(), uuid4()

    assert (
        runner._apply(message(first, 0, tenant=tenant, counter_id=upstream), handler) == "applied"
    )
    # Redelivery of the same offset (crash before the Kafka commit).
    assert (
        runner._apply(message(first, 0, tenant=tenant, counter_id=upstream), handler)
        == "already_tracked"
    )
    # The same event under a new offset (the relay re-sent its batch).
    assert (
        runner._apply(message(first, 1, tenant=tenant, counter_id=upstream), handler) == "duplicate"
    )
    assert (
        runner._apply(message(second, 2, tenant=tenant, counter_id=upstream), handler) == "applied"
    )

    mirror = app.counter(uuid5(upstream, "mirror"), tenant)
    assert mirror.value == 2
    # The duplicate's offset was tracked, so a restart resumes after it.
    assert app.recorder.max_tracking_id("mirror:rtunit.events.v1:0") == 2


def test_events_caused_by_a_message_carry_its_ids() -> None:
    app = CounterApp.in_memory(name="Mirror")
    runner = EventStoreConsumer(app, group_id="mirror", topics=[TOPIC], registry=REGISTRY)
    tenant, upstream, event_id = uuid4(), uuid4(), uuid4()
    msg = message(event_id, 0, tenant=tenant, counter_id=upstream)

    # What ConsumerRunner._process sets around apply().
    with context.message_context(
        tenant_id=tenant, correlation_id="flow", causation_id=str(event_id)
    ):
        runner._apply(msg, mirror_handler(app))

    [created, incremented] = [
        app.mapper.to_domain_event(n)
        for n in app.recorder.select_notifications(start=0, limit=10, inclusive_of_start=False)
    ]
    assert incremented.causation_id == str(event_id)  # type: ignore[attr-defined]
    assert incremented.correlation_id == "flow"  # type: ignore[attr-defined]
    assert created.tenant_id == tenant  # type: ignore[attr-defined]
