"""Reactions to the orders saga (sync; they return the changed aggregates *unsaved*).

The consumer saves what a policy returns together with its tracking record and the message's event
id, so a redelivery changes nothing. Every policy is also idempotent on its own: the operation keys
are fixed per payment (`payments.application.app`), so a message re-sent under a new event id finds
the transaction it asked for the first time.

A message arriving in a state where it has nothing to do (a cancellation of a payment that failed,
a confirmation seen twice) is a normal race of the saga, not an error: the policy returns nothing.
"""

from __future__ import annotations

import logging
from uuid import UUID

from shop_contracts.events.orders import OrderCancelled, OrderConfirmed, PaymentRequested

from payments.application.app import (
    AUTHORIZE_KEY,
    CANCEL_REFUND_KEY,
    CAPTURE_KEY,
    VOID_KEY,
    PaymentsApp,
)
from payments.domain.errors import InvalidPaymentAmount, InvalidPaymentToken
from payments.domain.payment import Payment, PaymentStatus
from payments.domain.transactions import TransactionKind

__all__ = [
    "MISSING_PAYMENT_METHOD",
    "on_order_cancelled",
    "on_order_confirmed",
    "on_payment_requested",
    "release_if_order_cancelled",
]

log = logging.getLogger(__name__)

MISSING_PAYMENT_METHOD = "missing_payment_method"
INVALID_PAYMENT_METHOD = "invalid_payment_method"


def on_payment_requested(
    app: PaymentsApp, tenant_id: UUID, event: PaymentRequested
) -> list[Payment]:
    """Create the order's payment and ask for the authorization of its amount.

    The payment-method token comes from the event's optional ``payment_token``; without one (or
    with one that is not a token, e.g. a card number) the payment fails at once with
    ``missing_payment_method`` / ``invalid_payment_method`` and the provider is never called.
    """
    payment_id = Payment.create_id(event.order_id)
    if event.payment_id != payment_id:
        log.warning(
            "payment_requested for order %s names payment %s, expected %s",
            event.order_id,
            event.payment_id,
            payment_id,
        )
    payment = app.find_payment(payment_id)
    if payment is None:
        try:
            payment = Payment.create(
                tenant_id=tenant_id,
                order_id=event.order_id,
                amount=event.amount,
                provider=app.default_provider,
                customer_id=event.customer_id,
            )
        except InvalidPaymentAmount:
            # Nothing to authorize (e.g. a zero total): no payment is made; orders' payment
            # deadline decides. Retrying the message could not change this.
            log.error(
                "payment_requested for order %s with amount %s: not payable",
                event.order_id,
                event.amount,
            )
            return []
    elif payment.tenant_id != tenant_id:
        raise ValueError(f"payment {payment_id} belongs to another tenant")
    if payment.status is not PaymentStatus.PENDING or payment.transactions:
        return []  # asked before: the authorization is on its way or done
    if payment.order_cancelled:
        payment.reject(failure_code="order_cancelled", message="the order was cancelled")
        return [payment]
    token = event.payment_token
    if not token:
        payment.reject(
            failure_code=MISSING_PAYMENT_METHOD, message="the order has no payment method"
        )
        return [payment]
    try:
        payment.request_authorization(operation_key=AUTHORIZE_KEY, token=token)
    except InvalidPaymentToken as e:
        payment.reject(failure_code=INVALID_PAYMENT_METHOD, message=str(e))
    return [payment]


def on_order_confirmed(app: PaymentsApp, tenant_id: UUID, event: OrderConfirmed) -> list[Payment]:
    """Capture the authorized amount: the default capture policy is *on confirmation*.

    (A per-tenant "capture on shipment" policy would skip this and capture on
    ``orders.order_shipped`` instead; not built yet.)
    """
    payment = app.find_payment(event.payment_id, tenant_id)
    if payment is None:
        log.warning("order %s confirmed with unknown payment %s", event.order_id, event.payment_id)
        return []
    if payment.status is not PaymentStatus.AUTHORIZED or payment.pending_transaction is not None:
        return []
    if payment.order_cancelled:
        return []
    payment.request_capture(operation_key=CAPTURE_KEY)
    return [payment]


def on_order_cancelled(app: PaymentsApp, tenant_id: UUID, event: OrderCancelled) -> list[Payment]:
    """Release the money of a cancelled order: void an authorization, refund a capture.

    Nothing to do when no payment was requested, it failed or was already released. If the
    provider's answer to an operation is still awaited, the cancellation is noted on the payment
    and the release is requested as soon as that answer is recorded.
    """
    if event.payment_id is None:
        return []
    payment = app.find_payment(event.payment_id, tenant_id)
    if payment is None:
        return []
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.VOIDED, PaymentStatus.REFUNDED):
        return []
    if payment.pending_transaction is not None or (
        payment.status is PaymentStatus.PENDING and not payment.transactions
    ):
        return [payment] if payment.note_order_cancelled(reason=event.reason) else []
    payment.note_order_cancelled(reason=event.reason)
    release_if_order_cancelled(payment)
    return [payment]


def release_if_order_cancelled(payment: Payment) -> bool:
    """If the payment's order was cancelled and nothing waits for the provider, request the void
    (authorized) or the refund of what is left (captured). True if an operation was requested."""
    if not payment.order_cancelled or payment.pending_transaction is not None:
        return False
    reason = payment.order_cancel_reason
    if payment.status is PaymentStatus.AUTHORIZED:
        txn = payment.request_void(operation_key=VOID_KEY, reason=reason)
        return txn.is_pending
    if payment.status in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
        refundable = payment.refundable_amount
        earlier = payment.find_transaction(TransactionKind.REFUND, CANCEL_REFUND_KEY)
        if refundable.amount > 0 and earlier is None:
            payment.request_refund(
                operation_key=CANCEL_REFUND_KEY, amount=refundable, reason=reason
            )
            return True
    return False
