"""Tenant-aware event-sourced aggregates and the domain errors the runtime raises.

`TenantAggregate` is an `eventsourcing.domain.Aggregate` whose every event carries three extra
fields:

* ``tenant_id``: the aggregate's tenant (copied from the aggregate; the "created" event takes it
  from the ``tenant_id`` argument of ``__init__``),
* ``correlation_id`` and ``causation_id``: read from `shop_runtime.context` when the event is
  triggered, i.e. the ids of the request or message that caused the command.

They are fields of the base ``Event`` class (no defaults, so subclasses generated from ``@event``
method signatures may declare defaulted parameters) and are filled in by overriding the two places
where the library constructs events: ``trigger_event`` (every ``@event`` method goes through it) and
the ``_create`` class method (the "created" event). Because they are stored with the event, the
relay can fill the outgoing envelope from the notification alone, without loading the aggregate.

Usage::

    class Counter(TenantAggregate):
        @event("Created")
        def __init__(self, tenant_id: UUID, name: str) -> None:
            self.name = name
            self.value = 0

        @event("Incremented")
        def increment(self, by: int) -> None:
            self.value += by

``tenant_id`` must be a parameter of ``__init__`` (the aggregate may ignore it: the base class sets
``self.tenant_id`` itself).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate, CanMutateAggregate

from shop_runtime import context

__all__ = [
    "Conflict",
    "DomainError",
    "NotFound",
    "TenantAggregate",
    "ensure_tenant",
]


class DomainError(Exception):
    """Base of the runtime's domain-neutral errors.

    The HTTP layer maps any exception with ``status`` and ``code`` attributes to problem+json.
    """

    status: ClassVar[int] = 400
    code: ClassVar[str] = "domain_error"


class NotFound(DomainError):
    """The aggregate does not exist *for this tenant*.

    Also raised when it exists but belongs to another tenant: answering 403 would reveal the id
    exists.
    """

    status: ClassVar[int] = 404
    code: ClassVar[str] = "not_found"


class Conflict(DomainError):
    """A command kept losing the optimistic-concurrency race after its retries."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "conflict"


class TenantAggregate(Aggregate):
    """An aggregate that belongs to one tenant; its events record tenant and causality."""

    tenant_id: (
        UUID  # set in __base_init__; a class annotation here would not turn this into a dataclass
    )

    class Event(Aggregate.Event):
        tenant_id: UUID
        correlation_id: str | None
        causation_id: str | None

    class Created(Event, Aggregate.Created):
        pass

    def __base_init__(  # type: ignore[override]  # called with the created event's fields
        self,
        originator_id: Any,
        originator_version: int,
        timestamp: datetime,
        tenant_id: UUID,
    ) -> None:
        # Called by the "created" event's mutate() with the matching event attributes, whatever the
        # subclass's __init__ does with its own copy of tenant_id.
        super().__base_init__(originator_id, originator_version, timestamp)
        self.tenant_id = tenant_id

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        *,
        id: UUID | None = None,
        **kwargs: Any,
    ) -> Self:
        if kwargs.get("tenant_id") is None:
            msg = f"{cls.__qualname__}.__init__ must take a tenant_id argument (got none)"
            raise TypeError(msg)
        ctx = context.current()
        kwargs.setdefault("correlation_id", ctx.correlation_id)
        kwargs.setdefault("causation_id", ctx.causation_id)
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(
        self,
        event_class: type[CanMutateAggregate[UUID]],
        **kwargs: Any,
    ) -> None:
        ctx = context.current()
        kwargs["tenant_id"] = self.tenant_id
        kwargs.setdefault("correlation_id", ctx.correlation_id)
        kwargs.setdefault("causation_id", ctx.causation_id)
        super().trigger_event(event_class, **kwargs)


TTenantAggregate = TypeVar("TTenantAggregate", bound=TenantAggregate)


def ensure_tenant(aggregate: TTenantAggregate, tenant_id: UUID) -> TTenantAggregate:
    """Return the aggregate if it belongs to ``tenant_id``, else raise `NotFound` (never 403)."""
    if aggregate.tenant_id != tenant_id:
        raise NotFound(f"{type(aggregate).__name__} {aggregate.id} not found")
    return aggregate
