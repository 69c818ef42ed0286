"""`PaymentsApp`: the payments event store and its commands.

Commands run through `ServiceApplication.execute` (re-run on a version conflict). Reactions to other
services' events live in `payments.application.policies` (they return aggregates unsaved: the
consumer saves them with its tracking record); the provider step in
`payments.application.provider_calls`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from shop_runtime.eventstore import ServiceApplication
from shop_runtime.settings import ServiceSettings

from payments.domain.payment import Payment

__all__ = [
    "AUTHORIZE_KEY",
    "CANCEL_REFUND_KEY",
    "CAPTURE_KEY",
    "VOID_KEY",
    "PaymentsApp",
]

# Operation keys of the checkout's operations. One of each per payment: a redelivered message finds
# the same transaction (its id, the provider's idempotency key, derives from payment id + key).
AUTHORIZE_KEY = "checkout"
CAPTURE_KEY = "order_confirmed"
VOID_KEY = "order_cancelled"
CANCEL_REFUND_KEY = "order_cancelled"


class PaymentsApp(ServiceApplication):
    """The payments service's event store (tables ``payments_events`` / ``_tracking`` /
    ``_processed``)."""

    name = "Payments"

    def __init__(
        self,
        settings: ServiceSettings | None = None,
        *,
        default_provider: str = "sandbox",
        **kwargs: Any,
    ) -> None:
        super().__init__(settings, **kwargs)
        self.default_provider = default_provider

    # -- loading -----------------------------------------------------------------------------------

    def find_payment(self, payment_id: UUID, tenant_id: UUID | None = None) -> Payment | None:
        """The payment, or None if there is none (for this tenant, when ``tenant_id`` is given)."""
        try:
            aggregate: object = self.repository.get(payment_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, Payment):
            return None
        if tenant_id is not None and aggregate.tenant_id != tenant_id:
            return None
        return aggregate

    def get_payment(self, payment_id: UUID, tenant_id: UUID) -> Payment:
        """The tenant's payment, else `NotFound` (also for another tenant's id: 404, never 403)."""
        return self.get_for_tenant(payment_id, tenant_id, Payment)

    def payment_for_order(self, order_id: UUID, tenant_id: UUID) -> Payment | None:
        return self.find_payment(Payment.create_id(order_id), tenant_id)
