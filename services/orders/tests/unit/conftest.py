"""Fixtures of the orders domain tests: ids and an in-memory event store that runs the real
transcoder, so a test fails if an event attribute cannot be stored and read back.

Tests read as given → when → then: ``given`` saves the aggregates set up so far (their events are
no longer pending), the command runs, and ``pending_events`` holds exactly what it recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate


@pytest.fixture
def tenant_id() -> UUID:
    return uuid4()


@pytest.fixture
def event_store() -> Application[UUID]:
    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


@pytest.fixture
def given(event_store: Application[UUID]) -> Callable[..., None]:
    """Save the aggregates: what they recorded so far becomes history."""

    def _given(*aggregates: Aggregate) -> None:
        event_store.save(*aggregates)

    return _given


@pytest.fixture
def reload(event_store: Application[UUID]) -> Callable[[Aggregate], Any]:
    """Save the aggregate and load it back from its stored events."""

    def _reload(aggregate: Aggregate) -> Any:
        event_store.save(aggregate)
        return event_store.repository.get(aggregate.id)

    return _reload


def event_names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.pending_events]


@pytest.fixture
def recorded() -> Callable[[Aggregate], list[str]]:
    """Names of the events the aggregate recorded since it was last saved."""
    return event_names


@pytest.fixture
def customer_id() -> UUID:
    return uuid4()


# -- application fakes (the ports of orders.application.ports, in memory) -------------------------

from collections.abc import Iterable, Mapping  # noqa: E402

from orders.application.ports import CartRecord, SkuPrice  # noqa: E402
from orders.domain.cart import Cart  # noqa: E402


class FakeCartStore:
    def __init__(self) -> None:
        self.carts: dict[tuple[UUID, UUID], CartRecord] = {}

    async def create(self, tenant_id: UUID, customer_id: UUID) -> CartRecord:
        record = CartRecord(uuid4(), tenant_id, customer_id, Cart())
        self.carts[(tenant_id, record.cart_id)] = record
        return record

    async def get(self, tenant_id: UUID, cart_id: UUID) -> CartRecord | None:
        return self.carts.get((tenant_id, cart_id))

    async def update(self, tenant_id: UUID, cart_id: UUID, change: Any) -> CartRecord | None:
        record = self.carts.get((tenant_id, cart_id))
        if record is None:
            return None
        changed = CartRecord(record.cart_id, tenant_id, record.customer_id, change(record.cart))
        self.carts[(tenant_id, cart_id)] = changed
        return changed

    async def delete(self, tenant_id: UUID, cart_id: UUID) -> None:
        self.carts.pop((tenant_id, cart_id), None)


class FakePriceBook:
    def __init__(self) -> None:
        self.skus: dict[tuple[UUID, UUID], SkuPrice] = {}

    def publish(self, tenant_id: UUID, sku: SkuPrice) -> None:
        self.skus[(tenant_id, sku.sku_id)] = sku

    async def lookup(self, tenant_id: UUID, sku_ids: Iterable[UUID]) -> Mapping[UUID, SkuPrice]:
        return {s: self.skus[(tenant_id, s)] for s in sku_ids if (tenant_id, s) in self.skus}


class FakeOrderNumbers:
    def __init__(self) -> None:
        self.taken: dict[UUID, int] = {}

    async def next_number(self, tenant_id: UUID) -> str:
        self.taken[tenant_id] = self.taken.get(tenant_id, 1000) + 1
        return str(self.taken[tenant_id])
