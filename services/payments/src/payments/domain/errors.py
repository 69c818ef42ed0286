"""Domain errors of payments. The API maps ``status``/``code`` to problem+json.

``str(exc)`` becomes the problem's detail: messages never contain a token, a secret or a signature.
"""

from __future__ import annotations

from typing import ClassVar

from shop_runtime.aggregate import DomainError, NotFound

__all__ = [
    "IllegalPaymentTransition",
    "InvalidPaymentAmount",
    "InvalidPaymentCommand",
    "InvalidPaymentToken",
    "InvalidSignature",
    "InvalidWebhookPayload",
    "OperationKeyReused",
    "PaymentOperationInProgress",
    "PaymentTransactionNotFound",
    "RefundExceedsCaptured",
    "StaleSignature",
]


class IllegalPaymentTransition(DomainError):
    """The operation is not allowed in the payment's current status (e.g. capture a voided one)."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "illegal_payment_transition"


class PaymentOperationInProgress(DomainError):
    """Another operation of this payment is waiting for the provider's answer."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "payment_operation_in_progress"


class RefundExceedsCaptured(DomainError):
    """The refund would bring the refunded total above the captured amount."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "refund_exceeds_captured"


class InvalidPaymentCommand(DomainError):
    """A command whose arguments can never be valid (422)."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_payment_command"


class InvalidPaymentAmount(InvalidPaymentCommand):
    """Not positive, wrong currency, or more decimals than the currency allows."""

    code: ClassVar[str] = "invalid_payment_amount"


class InvalidPaymentToken(InvalidPaymentCommand):
    """Empty, too long, or looks like a card number (card numbers are never accepted or stored)."""

    code: ClassVar[str] = "invalid_payment_token"


class OperationKeyReused(InvalidPaymentCommand):
    """The operation key was already used for an operation with different arguments."""

    code: ClassVar[str] = "operation_key_reused"


class PaymentTransactionNotFound(NotFound):
    """No transaction with that id on this payment."""

    code: ClassVar[str] = "payment_transaction_not_found"


class InvalidSignature(DomainError):
    """A webhook's signature header is missing, malformed, or does not match the body."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_signature"


class StaleSignature(DomainError):
    """A webhook's signature is valid but its timestamp is outside the tolerance (replay guard)."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "stale_signature"


class InvalidWebhookPayload(DomainError):
    """A correctly signed webhook whose body is not the expected JSON shape."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_webhook_payload"
