"""Response models of the payments API (no request bodies: the API only reads, webhooks are raw)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shop_contracts.money import Money
from shop_runtime.api_models import ResponseModel

from payments.application.ports import PaymentView, TransactionView

__all__ = ["PaymentList", "PaymentOut", "TransactionOut", "WebhookAck"]


class TransactionOut(ResponseModel):
    transaction_id: UUID
    kind: str
    status: str
    amount: Money
    provider_reference: str | None
    failure_code: str | None
    at: datetime

    @classmethod
    def of(cls, view: TransactionView) -> TransactionOut:
        return cls(
            transaction_id=view.transaction_id,
            kind=view.kind,
            status=view.status,
            amount=Money.of(view.amount, view.currency),
            provider_reference=view.provider_reference,
            failure_code=view.failure_code,
            at=view.at,
        )


class PaymentOut(ResponseModel):
    payment_id: UUID
    order_id: UUID
    status: str
    amount: Money
    currency: str
    provider: str
    failure_code: str | None
    captured_amount: Money
    refunded_amount: Money
    transactions: list[TransactionOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: PaymentView) -> PaymentOut:
        return cls(
            payment_id=view.payment_id,
            order_id=view.order_id,
            status=view.status,
            amount=Money.of(view.amount, view.currency),
            currency=view.currency,
            provider=view.provider,
            failure_code=view.failure_code,
            captured_amount=Money.of(view.captured_amount, view.currency),
            refunded_amount=Money.of(view.refunded_amount, view.currency),
            transactions=[TransactionOut.of(t) for t in view.transactions],
            created_at=view.created_at,
            updated_at=view.updated_at,
        )


class PaymentList(ResponseModel):
    items: list[PaymentOut]
    next_cursor: str | None


class WebhookAck(ResponseModel):
    status: str
