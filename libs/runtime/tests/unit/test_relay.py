"""Relay translation: private events are skipped, envelopes are filled from the stored events."""

from __future__ import annotations

from uuid import uuid4

import pytest
from shop_contracts import Topic
from shop_runtime import context
from shop_runtime.relay import Relay
from shop_runtime.settings import ServiceSettings
from shop_runtime.testing.counter import CounterApp, counter_registry, translate

TOPIC = Topic("rtunit.events.v1")


def make_relay(app: CounterApp) -> Relay:
    # No I/O in the constructor: Kafka is only contacted by run()/run_once().
    return Relay(app, topic=TOPIC, translate=translate, registry=counter_registry(TOPIC))


def notifications(app: CounterApp):  # type: ignore[no-untyped-def]
    return app.recorder.select_notifications(start=0, limit=100, inclusive_of_start=False)


def test_private_events_are_skipped_public_ones_wrapped_in_order() -> None:
    app = CounterApp.in_memory(ServiceSettings(service_name="counters"), name="Counters")
    tenant = uuid4()
    counter_id = app.create_counter(tenant, "x")
    app.rename(counter_id, tenant, "y")  # private
    app.increment(counter_id, tenant, 4)

    records = make_relay(app).translate_notifications(notifications(app))

    assert [r.envelope.event_type for r in records] == [
        "rtunit.counter_created",
        "rtunit.counter_incremented",
    ]
    assert [r.notification_id for r in records] == [1, 3]
    assert [r.envelope.aggregate_version for r in records] == [1, 3]
    assert records[1].envelope.payload == {"counter_id": str(counter_id), "by": 4}


def test_envelope_fields_come_from_the_stored_event() -> None:
    app = CounterApp.in_memory(ServiceSettings(service_name="counters"), name="Counters")
    tenant = uuid4()
    with context.message_context(tenant_id=tenant, correlation_id="flow-1", causation_id="req-7"):
        counter_id = app.create_counter(tenant, "x")
    stored = app.repository.get(counter_id)

    [record] = make_relay(app).translate_notifications(notifications(app))
    envelope = record.envelope

    assert envelope.event_id == app.event_id_for(counter_id, 1)
    assert envelope.tenant_id == tenant
    assert envelope.aggregate_id == counter_id
    assert envelope.aggregate_version == 1
    assert envelope.occurred_at == stored.created_on
    assert envelope.correlation_id == "flow-1"
    assert envelope.causation_id == "req-7"
    assert envelope.producer == "counters"
    assert envelope.event_version == 1
    assert record.key == str(counter_id).encode()
    assert dict(record.headers)["event_id"] == str(envelope.event_id).encode()


def test_a_resent_event_gets_the_same_event_id() -> None:
    app = CounterApp.in_memory(name="Counters")
    tenant = uuid4()
    app.create_counter(tenant, "x")
    relay = make_relay(app)
    first = relay.translate_notifications(notifications(app))
    second = relay.translate_notifications(notifications(app))
    assert [r.envelope.event_id for r in first] == [r.envelope.event_id for r in second]
    assert first[0].value == second[0].value


def test_a_contract_of_another_topic_is_refused() -> None:
    app = CounterApp.in_memory(name="Counters")
    app.create_counter(uuid4(), "x")
    other = Topic("rtother.events.v1")
    relay = Relay(app, topic=TOPIC, translate=translate, registry=counter_registry(other))
    with pytest.raises(ValueError, match=r"rtother\.events\.v1"):
        relay.translate_notifications(notifications(app))


async def test_the_position_moves_past_private_events_without_publishing() -> None:
    app = CounterApp.in_memory(name="Counters")
    tenant = uuid4()
    counter_id = app.create_counter(tenant, "x")
    app.rename(counter_id, tenant, "y")
    # Everything private: nothing to produce, so no Kafka is needed (none is reachable here).
    relay = Relay(
        app,
        topic=TOPIC,
        translate=lambda event: None,
        registry=counter_registry(TOPIC),
        bootstrap_servers=["127.0.0.1:9"],
    )

    assert await relay.run_once() == 2
    assert app.recorder.max_tracking_id("relay:rtunit.events.v1") == 2
    assert await relay.run_once() == 0
