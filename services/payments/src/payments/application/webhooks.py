"""Provider webhooks: verify, deduplicate, apply.

Order of operations (``handle_sandbox_webhook``)::

    verify the signature and its age              (400 invalid_signature / stale_signature)
    claim the event id in the webhook log         (already there: "duplicate", nothing changes)
    apply its effect to the payment               (an event-store command, idempotent)
    record the outcome, commit the claim          ("processed")

The claim and the effect are in two stores (the log in the read-model tables, the effect in the
event store), so neither order alone is atomic. What makes it safe: the claim's row is committed
only after the effect is saved, and every effect applies only if it changes the payment's state. A
crash after the effect and before the commit leaves no row; the provider's retry applies the effect
again, which changes nothing, and commits the row.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import anyio
from shop_contracts.ids import derived_id
from shop_contracts.money import Money

from payments.application.app import PaymentsApp
from payments.application.policies import release_if_order_cancelled
from payments.application.ports import PaymentQueries, WebhookLog
from payments.domain.errors import InvalidWebhookPayload
from payments.domain.payment import Payment, PaymentStatus
from payments.domain.provider import ProviderResult, ProviderStatus
from payments.domain.sandbox import parse_sandbox_webhook
from payments.domain.transactions import TransactionKind
from payments.domain.webhooks import WebhookEvent, verify_webhook

__all__ = ["apply_webhook", "handle_sandbox_webhook"]

log = logging.getLogger(__name__)

_MAX_CODE = 100


async def handle_sandbox_webhook(
    app: PaymentsApp,
    webhook_log: WebhookLog,
    queries: PaymentQueries,
    *,
    tenant_id: UUID,
    signature: str,
    body: bytes,
    secret: bytes,
    tolerance_seconds: int,
    now: datetime | None = None,
) -> str:
    """Process one sandbox webhook delivery; ``"processed"`` or ``"duplicate"``."""
    moment = now or datetime.now(UTC)
    verify_webhook(secret, signature, body, moment.timestamp(), tolerance_seconds)
    event = parse_sandbox_webhook(tenant_id, body, moment)
    if len(event.provider_event_id) > 255 or len(event.type) > 100:
        raise InvalidWebhookPayload("webhook id or type too long")
    async with webhook_log.claim(
        tenant_id, event.provider, event.provider_event_id, event.type
    ) as claim:
        if not claim.is_new:
            return "duplicate"
        payment_id = await _payment_of(app, queries, event)
        changed = False
        if payment_id is None:
            log.warning("webhook %s (%s): no such payment", event.provider_event_id, event.type)
        else:
            changed = await anyio.to_thread.run_sync(apply_webhook, app, payment_id, event)
        await claim.finish("applied" if changed else "ignored", payment_id)
    return "processed"


async def _payment_of(
    app: PaymentsApp, queries: PaymentQueries, event: WebhookEvent
) -> UUID | None:
    data = event.payload.get("data") or {}
    for key, purpose in (("payment_id", None), ("order_id", "payment")):
        value = data.get(key)
        if isinstance(value, str):
            try:
                parsed = UUID(value)
            except ValueError:
                raise InvalidWebhookPayload(f"data.{key} must be a UUID") from None
            return derived_id(parsed, purpose) if purpose else parsed
    if event.payment_reference:
        return await queries.payment_for_reference(event.tenant_id, event.payment_reference)
    return None


def apply_webhook(app: PaymentsApp, payment_id: UUID, event: WebhookEvent) -> bool:
    """Apply a provider's confirmation if it changes the payment; True if it did."""

    def run() -> bool:
        payment = app.find_payment(payment_id, event.tenant_id)
        if payment is None:
            return False
        if not _apply(payment, event):
            return False
        release_if_order_cancelled(payment)
        app.save(payment)
        return True

    return app.execute(run)


def _apply(payment: Payment, event: WebhookEvent) -> bool:
    data: dict[str, Any] = event.payload.get("data") or {}
    reference = event.payment_reference or f"webhook:{event.provider_event_id}"
    approved = ProviderResult(ProviderStatus.APPROVED, reference=reference[:255])
    pending = payment.pending_transaction
    key = f"webhook:{event.provider_event_id}"[:200]
    match event.type:
        case "payment.captured":
            if pending is not None and pending.kind is TransactionKind.CAPTURE:
                payment.record_result(pending.id, approved)
                return True
            if pending is None and payment.status is PaymentStatus.AUTHORIZED:
                txn = payment.request_capture(operation_key=key)
                payment.record_result(txn.id, approved)
                return True
            return False
        case "payment.refunded":
            if payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
                return False
            amount = _amount(data, payment) or payment.refundable_amount
            for txn in payment.transactions:
                if txn.kind is TransactionKind.REFUND and txn.is_pending and txn.money == amount:
                    payment.record_result(txn.id, approved)
                    return True
            if amount.amount <= 0 or amount > payment.refundable_amount:
                return False
            if payment.find_transaction(TransactionKind.REFUND, key) is not None:
                return False
            txn = payment.request_refund(operation_key=key, amount=amount, reason="provider")
            payment.record_result(txn.id, approved)
            return True
        case "payment.failed":
            if pending is None or pending.kind not in (
                TransactionKind.AUTHORIZE,
                TransactionKind.CAPTURE,
            ):
                return False
            code = data.get("failure_code")
            declined = ProviderResult(
                ProviderStatus.DECLINED,
                decline_code=code[:_MAX_CODE] if isinstance(code, str) and code else "declined",
                message="reported by the provider's webhook",
            )
            payment.record_result(pending.id, declined)
            return True
        case _:
            return False


def _amount(data: dict[str, Any], payment: Payment) -> Money | None:
    raw = data.get("amount")
    if raw is None:
        return None
    if isinstance(raw, dict):
        raw = raw.get("amount")
    if not isinstance(raw, str | int):
        raise InvalidWebhookPayload("data.amount must be a decimal string")
    try:
        return Money.of(Decimal(str(raw)), payment.currency)
    except (InvalidOperation, ValueError, ArithmeticError) as e:
        raise InvalidWebhookPayload("data.amount is not a valid amount") from e
