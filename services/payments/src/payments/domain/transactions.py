"""Payment transactions: the record of every operation asked of the provider, and its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from shop_contracts.money import Money

__all__ = ["PaymentTransaction", "TransactionKind", "TransactionStatus"]


class TransactionKind(StrEnum):
    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class TransactionStatus(StrEnum):
    PENDING = "pending"  # recorded, the provider's answer is not recorded yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PaymentTransaction:
    """One operation of a payment, identified by ``(kind, operation_key)``.

    ``id`` is ``derived_id(payment_id, f"{kind}:{operation_key}")``: a repeated command finds the
    same transaction. It is also the idempotency key sent to the provider (``idempotency_key``),
    so a retry after a timeout or a crash can never make the provider act twice. For a refund,
    ``id`` is the public ``refund_id``.

    ``retryable`` is set on a failure the provider may not have seen (timeout, provider error) of a
    capture, void or refund: the same operation key may then be tried again (``attempt`` + 1).
    A decline, and every failure of an authorization (the payment is then failed), are final.
    """

    id: UUID
    kind: TransactionKind
    operation_key: str
    amount: Decimal
    currency: str
    status: TransactionStatus
    attempt: int
    requested_at: datetime
    token: str | None = None  # authorize only: the provider's payment-method token, never a PAN
    target_reference: str | None = None  # capture/void/refund: the authorization's reference
    reason: str | None = None  # void/refund
    provider_reference: str | None = None  # the provider's id of this operation
    failure_code: str | None = None
    message: str | None = None
    retryable: bool = False
    completed_at: datetime | None = None

    @property
    def idempotency_key(self) -> str:
        return str(self.id)

    @property
    def money(self) -> Money:
        return Money.of(self.amount, self.currency)

    @property
    def is_pending(self) -> bool:
        return self.status is TransactionStatus.PENDING

    @property
    def is_final(self) -> bool:
        """Whether a repeated command must simply return this result."""
        return self.status is not TransactionStatus.PENDING and not self.retryable
