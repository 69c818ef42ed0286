"""A tiny tenant aggregate with public contracts, for tests of the runtime's plumbing.

It lives in the package (not in a test module) so that child processes of the crash tests can
resolve the stored events' topics (``shop_runtime.testing.counter:Counter.Incremented``).
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import DomainEventProtocol, event
from shop_contracts import ContractEvent, Registry, Topic

from shop_runtime.aggregate import TenantAggregate
from shop_runtime.eventstore import ServiceApplication, command

__all__ = [
    "Counter",
    "CounterApp",
    "CounterCreated",
    "CounterIncremented",
    "counter_registry",
    "translate",
]


class Counter(TenantAggregate):
    """A named counter of one tenant. Renaming is a private event (not published)."""

    class Created(TenantAggregate.Created):
        name: str

    class Incremented(TenantAggregate.Event):
        by: int

    class Renamed(TenantAggregate.Event):
        name: str

    @event(Created)
    def __init__(self, tenant_id: UUID, name: str, id: UUID | None = None) -> None:
        # ``id`` lets a caller derive an idempotent id (e.g. ``uuid5(order_id, "reservation")``).
        self.name = name
        self.value = 0

    @event(Incremented)
    def increment(self, by: int) -> None:
        self.value += by

    @event(Renamed)
    def rename(self, name: str) -> None:
        self.name = name


class CounterCreated(ContractEvent):
    """A counter was created (test contract)."""

    counter_id: UUID
    name: str


class CounterIncremented(ContractEvent):
    """A counter was incremented (test contract)."""

    counter_id: UUID
    by: int


def counter_registry(topic: Topic) -> Registry:
    """A throwaway registry with the counter contracts on ``topic`` (``<service>.counter_*``)."""
    registry = Registry()
    registry.register(f"{topic.service}.counter_created", 1, topic, CounterCreated)
    registry.register(f"{topic.service}.counter_incremented", 1, topic, CounterIncremented)
    return registry


def translate(domain_event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """Outbound translation: Created and Incremented are public, Renamed is private."""
    if isinstance(domain_event, Counter.Created):
        return CounterCreated(counter_id=domain_event.originator_id, name=domain_event.name)
    if isinstance(domain_event, Counter.Incremented):
        return CounterIncremented(counter_id=domain_event.originator_id, by=domain_event.by)
    return None


class CounterApp(ServiceApplication):
    """Commands on counters, through the retrying command path."""

    @command
    def create_counter(self, tenant_id: UUID, name: str) -> UUID:
        counter = Counter(tenant_id=tenant_id, name=name)
        self.save(counter)
        return counter.id

    @command
    def increment(self, counter_id: UUID, tenant_id: UUID, by: int = 1) -> int:
        counter = self.get_for_tenant(counter_id, tenant_id, Counter)
        counter.increment(by)
        self.save(counter)
        return counter.value

    @command
    def rename(self, counter_id: UUID, tenant_id: UUID, name: str) -> None:
        counter = self.get_for_tenant(counter_id, tenant_id, Counter)
        counter.rename(name)
        self.save(counter)

    def counter(self, counter_id: UUID, tenant_id: UUID) -> Counter:
        return self.get_for_tenant(counter_id, tenant_id, Counter)
