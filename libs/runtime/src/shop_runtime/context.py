"""Request/message context carried implicitly through a unit of work.

The API middleware sets these around each request; the consumer runner sets them around each handled
message (tenant = the envelope's tenant, correlation = the envelope's correlation id, causation =
the envelope's event id). `TenantAggregate` reads them when it triggers an event, so every stored
event records which tenant it belongs to and which request/message caused it, and the relay can fill
the outgoing envelope without loading the aggregate. Logging reads them too.

Correlation and causation ids are strings, as in the envelope: a request id need not be a UUID.

They are `contextvars`, so they follow asyncio tasks and `anyio.to_thread.run_sync` (which runs the
function in a copy of the caller's context); a bare `threading.Thread` starts with an empty context.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from uuid import UUID

__all__ = [
    "MessageContext",
    "causation_id_var",
    "correlation_id_var",
    "current",
    "message_context",
    "tenant_id_var",
    "traceparent_var",
]

tenant_id_var: ContextVar[UUID | None] = ContextVar("shop_tenant_id", default=None)
correlation_id_var: ContextVar[str | None] = ContextVar("shop_correlation_id", default=None)
causation_id_var: ContextVar[str | None] = ContextVar("shop_causation_id", default=None)
traceparent_var: ContextVar[str | None] = ContextVar("shop_traceparent", default=None)


@dataclass(frozen=True, slots=True)
class MessageContext:
    """A snapshot of the four context variables."""

    tenant_id: UUID | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None


def current() -> MessageContext:
    """The values visible in the calling context."""
    return MessageContext(
        tenant_id=tenant_id_var.get(),
        correlation_id=correlation_id_var.get(),
        causation_id=causation_id_var.get(),
        traceparent=traceparent_var.get(),
    )


@contextmanager
def message_context(
    *,
    tenant_id: UUID | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    traceparent: str | None = None,
) -> Iterator[MessageContext]:
    """Set all four variables for the duration of the block, then restore the previous values.

    All four are set, None included: a handler must never inherit the previous message's ids.
    """
    tokens = (
        tenant_id_var.set(tenant_id),
        correlation_id_var.set(correlation_id),
        causation_id_var.set(causation_id),
        traceparent_var.set(traceparent),
    )
    try:
        yield current()
    finally:
        traceparent_var.reset(tokens[3])
        causation_id_var.reset(tokens[2])
        correlation_id_var.reset(tokens[1])
        tenant_id_var.reset(tokens[0])
