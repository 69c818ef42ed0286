"""What the application needs from the read side; implemented in ``payments.adapters``."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

__all__ = [
    "PaymentQueries",
    "PaymentView",
    "TransactionView",
    "WebhookClaim",
    "WebhookLog",
]


@dataclass(frozen=True, slots=True)
class TransactionView:
    transaction_id: UUID
    kind: str
    status: str
    amount: Decimal
    currency: str
    provider_reference: str | None
    failure_code: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class PaymentView:
    payment_id: UUID
    order_id: UUID
    status: str
    amount: Decimal
    currency: str
    provider: str
    failure_code: str | None
    captured_amount: Decimal
    refunded_amount: Decimal
    created_at: datetime
    updated_at: datetime
    transactions: list[TransactionView] = field(default_factory=list)


class PaymentQueries(Protocol):
    """Reads of the payments read model, always within one tenant (row-level security)."""

    async def get(self, tenant_id: UUID, payment_id: UUID) -> PaymentView | None: ...

    async def list(
        self,
        tenant_id: UUID,
        *,
        order_id: UUID | None = None,
        status: str | None = None,
        after: tuple[datetime, UUID] | None = None,
        limit: int = 50,
    ) -> list[PaymentView]:
        """Newest first; ``after`` is the (created_at, payment_id) of the last item seen."""
        ...

    async def payment_for_reference(self, tenant_id: UUID, reference: str) -> UUID | None:
        """The payment one of whose transactions has the provider reference ``reference``."""
        ...


class WebhookClaim(Protocol):
    is_new: bool
    """False: this provider event was processed before (a replay or a provider's retry)."""

    async def finish(self, state: str, payment_id: UUID | None) -> None:
        """Record the outcome; committed with the claim when the context exits without error."""
        ...


class WebhookLog(Protocol):
    """The webhook event log: one row per (tenant, provider, provider event id)."""

    def claim(
        self, tenant_id: UUID, provider: str, event_id: str, event_type: str
    ) -> AbstractAsyncContextManager[WebhookClaim]:
        """Insert the event's row in a transaction held open for the block (a concurrent delivery
        of the same event waits, then sees it); an exception in the block rolls it back, so the
        provider's retry is processed again."""
        ...
