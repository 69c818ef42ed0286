"""ServiceApplication on the in-memory store: retries, tracking and processed ids."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from shop_runtime.aggregate import Conflict
from shop_runtime.eventstore import (
    AlreadyProcessed,
    AlreadyTracked,
    PopoServiceRecorder,
    Processed,
    ServiceApplication,
    event_store_env,
)
from shop_runtime.settings import ServiceSettings
from shop_runtime.testing.counter import Counter, CounterApp


def test_a_command_that_loses_the_race_is_retried_on_fresh_state() -> None:
    app = CounterApp.in_memory(name="Counters")
    tenant = uuid4()
    counter_id = app.create_counter(tenant, "x")
    attempts = []

    def increment_racing_a_concurrent_writer() -> int:
        counter = app.counter(counter_id, tenant)
        if not attempts:
            # Another writer saves between our read and our save.
            app.increment(counter_id, tenant, 10)
        attempts.append(counter.version)
        counter.increment(1)
        app.save(counter)
        return counter.value

    assert app.execute(increment_racing_a_concurrent_writer) == 11
    assert attempts == [1, 2]  # the retry re-read the winner's events
    assert app.counter(counter_id, tenant).version == 3


def test_a_conflict_that_persists_becomes_conflict_409() -> None:
    app = CounterApp.in_memory(name="Counters")
    calls = []

    def always_conflicting() -> None:
        calls.append(1)
        raise IntegrityError("duplicate key")

    with pytest.raises(Conflict):
        app.execute(always_conflicting, retries=3)
    assert len(calls) == 4  # first try + 3 retries


def test_events_and_tracking_and_processed_id_are_saved_together() -> None:
    app = CounterApp.in_memory(name="Counters")
    tenant, message_id = uuid4(), uuid4()
    counter = Counter(tenant, "x")

    app.save_processed(counter, tracking=Tracking("g:t:0", 7), processed=Processed("g", message_id))
    assert app.recorder.max_tracking_id("g:t:0") == 7
    assert app.recorder.has_processed(Processed("g", message_id))
    assert app.counter(counter.id, tenant).version == 1

    # The same offset again: refused, and its events are not saved.
    counter.increment(1)
    with pytest.raises(AlreadyTracked):
        app.save_processed(counter, tracking=Tracking("g:t:0", 7))
    assert app.counter(counter.id, tenant).version == 1

    # The same message under a new offset (a relay re-send): refused as well.
    again = app.counter(counter.id, tenant)
    again.increment(1)
    with pytest.raises(AlreadyProcessed):
        app.save_processed(
            again, tracking=Tracking("g:t:0", 8), processed=Processed("g", message_id)
        )
    assert app.counter(counter.id, tenant).version == 1
    assert app.recorder.max_tracking_id("g:t:0") == 7


def test_in_memory_app_uses_the_service_recorder_and_ignores_os_environ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.sqlite")
    app = ServiceApplication.in_memory(name="Anything")
    assert isinstance(app.recorder, PopoServiceRecorder)


def test_postgres_env_comes_from_settings_and_never_creates_tables_as_app_role() -> None:
    settings = ServiceSettings(service_name="orders", postgres_port=6543)
    env = event_store_env(settings, schema="s1")
    assert env["POSTGRES_DBNAME"] == "shop_orders"
    assert env["POSTGRES_PORT"] == "6543"
    assert env["POSTGRES_USER"] == "shop_app"
    assert env["POSTGRES_SCHEMA"] == "s1"
    assert env["CREATE_TABLE"] == "n"
    assert event_store_env(settings, owner=True)["POSTGRES_USER"] == "shop_owner"
    assert event_store_env(settings, owner=True)["CREATE_TABLE"] == "y"


def test_event_ids_are_deterministic_per_stored_event() -> None:
    settings = ServiceSettings(service_name="orders")
    app_a = ServiceApplication.in_memory(settings, name="Orders")
    app_b = ServiceApplication.in_memory(settings, name="Orders")
    other = ServiceApplication.in_memory(ServiceSettings(service_name="billing"), name="Orders")
    aggregate_id = uuid4()

    assert app_a.event_id_for(aggregate_id, 3) == app_b.event_id_for(aggregate_id, 3)
    assert app_a.event_id_for(aggregate_id, 3) != app_a.event_id_for(aggregate_id, 4)
    assert app_a.event_id_for(aggregate_id, 3) != other.event_id_for(aggregate_id, 3)
