"""Payment aggregate events → public contract events on ``payments.events.v1`` (for the Relay).

Only outcomes are public. Requests (``*Requested``), retryable failures of follow-up operations,
the creation of the payment and the noted cancellation are private: the relay skips them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from shop_contracts.contract_models import ContractEvent
from shop_contracts.events.payments import (
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentVoided,
)
from shop_contracts.money import Money

from payments.domain.payment import Payment

__all__ = ["translate"]


def _money(e: Any) -> Money:
    return Money.of(e.amount, e.currency)


def translate(event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    e: Any = event
    match event:
        case Payment.Authorized():  # type: ignore[attr-defined]
            return PaymentAuthorized(
                payment_id=e.originator_id,
                order_id=e.order_id,
                amount=_money(e),
                provider=e.provider,
                provider_reference=e.provider_reference,
                method=e.method,
            )
        case Payment.AuthorizationFailed() | Payment.Rejected():  # type: ignore[attr-defined]
            return PaymentFailed(
                payment_id=e.originator_id,
                order_id=e.order_id,
                amount=_money(e),
                failure_code=e.failure_code,
                message=e.message,
            )
        case Payment.Captured():  # type: ignore[attr-defined]
            return PaymentCaptured(
                payment_id=e.originator_id,
                order_id=e.order_id,
                amount=_money(e),
                provider_reference=e.provider_reference,
            )
        case Payment.Voided():  # type: ignore[attr-defined]
            return PaymentVoided(
                payment_id=e.originator_id,
                order_id=e.order_id,
                amount=_money(e),
                reason=e.reason,
            )
        case Payment.Refunded():  # type: ignore[attr-defined]
            return PaymentRefunded(
                payment_id=e.originator_id,
                order_id=e.order_id,
                refund_id=e.transaction_id,
                amount=_money(e),
                reason=e.reason,
            )
        case _:
            return None
