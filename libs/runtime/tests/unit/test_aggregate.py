"""TenantAggregate: every event carries its tenant and the ids of what caused it."""

from __future__ import annotations

from uuid import uuid4

import pytest
from shop_runtime import context
from shop_runtime.aggregate import Conflict, NotFound, TenantAggregate, ensure_tenant
from shop_runtime.testing.counter import Counter, CounterApp


def test_events_carry_tenant_and_causality_from_context() -> None:
    tenant = uuid4()
    with context.message_context(tenant_id=tenant, correlation_id="corr-1", causation_id="evt-9"):
        counter = Counter(tenant_id=tenant, name="visits")
        counter.increment(2)
        counter.rename("hits")
    events = counter.collect_events()

    assert [type(e).__name__ for e in events] == ["Created", "Incremented", "Renamed"]
    assert all(e.tenant_id == tenant for e in events)
    assert all(e.correlation_id == "corr-1" for e in events)
    assert all(e.causation_id == "evt-9" for e in events)
    assert counter.tenant_id == tenant
    assert (counter.value, counter.name, counter.version) == (2, "hits", 3)


def test_events_outside_any_context_have_no_causality() -> None:
    counter = Counter(uuid4(), "positional args work too")
    counter.increment(1)
    assert [(e.correlation_id, e.causation_id) for e in counter.collect_events()] == [
        (None, None),
        (None, None),
    ]


def test_context_is_restored_after_the_block() -> None:
    with context.message_context(correlation_id="outer"):
        with context.message_context(correlation_id="inner"):
            assert context.correlation_id_var.get() == "inner"
        assert context.correlation_id_var.get() == "outer"
    assert context.correlation_id_var.get() is None


def test_tenant_survives_the_event_store_round_trip() -> None:
    app = CounterApp.in_memory(name="Counters")
    tenant = uuid4()
    with context.message_context(correlation_id="c", causation_id="k"):
        counter_id = app.create_counter(tenant, "orders")
        app.increment(counter_id, tenant, 5)

    loaded = app.counter(counter_id, tenant)
    assert (loaded.tenant_id, loaded.value) == (tenant, 5)
    stored = [
        app.mapper.to_domain_event(n)
        for n in app.recorder.select_notifications(start=0, limit=10, inclusive_of_start=False)
    ]
    assert [getattr(e, "tenant_id", None) for e in stored] == [tenant, tenant]
    assert [getattr(e, "causation_id", None) for e in stored] == ["k", "k"]


def test_creating_without_a_tenant_is_refused() -> None:
    class Untenanted(TenantAggregate):
        def __init__(self, name: str) -> None:
            self.name = name

    with pytest.raises(TypeError, match="tenant_id"):
        Untenanted(name="x")


def test_ensure_tenant_answers_not_found_for_another_tenant() -> None:
    owner, stranger = uuid4(), uuid4()
    counter = Counter(owner, "x")

    assert ensure_tenant(counter, owner) is counter
    with pytest.raises(NotFound) as raised:
        ensure_tenant(counter, stranger)
    assert (raised.value.status, raised.value.code) == (404, "not_found")


def test_loading_another_tenants_aggregate_is_not_found_not_forbidden() -> None:
    app = CounterApp.in_memory(name="Counters")
    owner = uuid4()
    counter_id = app.create_counter(owner, "x")

    with pytest.raises(NotFound):
        app.increment(counter_id, uuid4())
    with pytest.raises(NotFound):
        app.counter(uuid4(), owner)  # unknown id: same answer
    assert app.counter(counter_id, owner).value == 0


def test_error_codes_are_stable() -> None:
    assert (Conflict.status, Conflict.code) == (409, "conflict")
    assert (NotFound.status, NotFound.code) == (404, "not_found")
