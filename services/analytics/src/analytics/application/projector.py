"""The analytics projector: every event of every topic into the analytics store.

The Kafka consumer handler calls :meth:`AnalyticsProjector.apply` with a batch of envelopes (any
topic, ``analytics.clickstream.v1`` included) and commits the batch's offsets once it returns.
``apply`` is idempotent: a redelivered batch, or envelopes re-sent by a relay with new offsets,
change nothing (the sink stores each (tenant_id, event_id) once, and the rollups see each event
once). An exception means nothing is known to be stored for certain: redeliver the whole batch.

Two kinds of event get more than storage:

- ``tenancy.tenant_deleted`` erases the tenant's analytics rows, and its later events are refused;
- events the rollup views parse (confirmed and refunded orders) are validated against their
  contract first. One that fails is not stored and comes back in ``rejected``, for the handler to
  send to the DLQ; the rest of the batch goes on.

Every other event is stored as it came, known to the registry or not: the store keeps the whole
history, and a newer event type or version is readable when its report is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

import anyio.to_thread
from pydantic import ValidationError
from shop_contracts import Envelope, registry
from shop_contracts.events.tenancy import TenantDeleted

from analytics.application.ports import EventsSink

__all__ = ["AnalyticsProjector", "ProjectionResult", "RejectedEnvelope"]

_TENANT_DELETED = registry.spec_for(TenantDeleted)


@dataclass(frozen=True, slots=True)
class RejectedEnvelope:
    """An envelope the projector refused, and why (for the DLQ record)."""

    envelope: Envelope
    error: str


@dataclass(frozen=True, slots=True)
class ProjectionResult:
    """What one :meth:`AnalyticsProjector.apply` did."""

    inserted: int = 0
    duplicates: int = 0
    dropped_deleted_tenant: int = 0
    tenants_deleted: tuple[UUID, ...] = ()
    rejected: tuple[RejectedEnvelope, ...] = field(default=())


class AnalyticsProjector:
    """Feeds the analytics store from the bus. Thread-safe; one per process is enough."""

    def __init__(self, sink: EventsSink, validated_types: frozenset[tuple[str, int]]) -> None:
        """``validated_types``: the (event_type, version) pairs the store's rollups parse
        (``analytics.adapters.schema.ROLLUP_EVENT_TYPES`` for ClickHouse)."""
        self._sink = sink
        self._validated_types = validated_types | {_TENANT_DELETED.key}

    async def apply(self, batch: Sequence[Envelope]) -> ProjectionResult:
        """Store a batch; the store is synchronous, so it runs in a worker thread."""
        return await anyio.to_thread.run_sync(self.apply_sync, batch)

    def apply_sync(self, batch: Sequence[Envelope]) -> ProjectionResult:
        """:meth:`apply` for callers already off the event loop."""
        to_store: list[Envelope] = []
        to_delete: list[UUID] = []
        rejected: list[RejectedEnvelope] = []
        for envelope in batch:
            key = (envelope.event_type, envelope.event_version)
            if key in self._validated_types:
                try:
                    event = registry.decode(envelope)
                except ValidationError as exc:
                    rejected.append(RejectedEnvelope(envelope, _summary(exc)))
                    continue
                if isinstance(event, TenantDeleted):
                    # The deletion itself is not stored: nothing of the tenant is kept.
                    if event.tenant_id not in to_delete:
                        to_delete.append(event.tenant_id)
                    continue
            to_store.append(envelope)

        outcome = self._sink.insert_events(to_store)
        # After the insert: events of the tenant earlier in this batch are deleted with the rest.
        for tenant_id in to_delete:
            self._sink.delete_tenant(tenant_id)
        return ProjectionResult(
            inserted=outcome.inserted,
            duplicates=outcome.duplicates,
            dropped_deleted_tenant=outcome.dropped_deleted_tenant,
            tenants_deleted=tuple(to_delete),
            rejected=tuple(rejected),
        )


def _summary(exc: ValidationError) -> str:
    # Field paths and messages only: the DLQ record must not copy payload values around.
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or '<payload>'}: {err['msg']}"
        for err in exc.errors(include_input=False)[:10]
    ]
    return "payload does not match its contract: " + "; ".join(parts)
