"""The `Payment` aggregate: one per order, and every operation asked of the provider for it.

Life cycle (the transition table is `TRANSITIONS`)::

    pending ─authorize ok─> authorized ─capture ok─> captured ─refund ok─> partially_refunded
       │                       │                                  (all refunded) ─> refunded
       └─authorize failed─> failed      └─void ok─> voided

How a command runs (the application layer; the aggregate itself never calls the provider)::

    txn = payment.request_capture(operation_key=key)  # checks the transition, records the request
    if txn.is_final:                                  # the key was seen: the earlier result
        return txn
    app.save(payment)                                 # 1. the intent is stored first
    result = call_provider(provider, payment.provider_request(txn.id))
    txn = payment.record_result(txn.id, result)       # 2. then the outcome
    app.save(payment)

Storing the request before calling the provider is what keeps money safe under concurrency and
crashes: two concurrent refunds conflict on save *before* either reaches the provider (the refund
limit counts pending refunds), and after a crash between the two saves, repeating the command finds
the pending transaction and calls the provider again with the same idempotency key, which the
provider answers without acting twice.

Idempotency: a transaction is identified by ``(kind, operation_key)``; a repeated command returns
the existing transaction (pending or final) and records nothing. The same key with different
arguments is refused (`OperationKeyReused`). A capture, void or refund that timed out or met a
provider error may be retried with the same key (`PaymentTransaction.retryable`).

No card data is ever stored: only the provider's token (refused if it looks like a card number),
its references, and the brand and last 4 digits when the provider returns them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event
from shop_contracts.ids import derived_id
from shop_contracts.money import Money
from shop_runtime.aggregate import TenantAggregate

from payments.domain.errors import (
    IllegalPaymentTransition,
    InvalidPaymentAmount,
    InvalidPaymentCommand,
    InvalidPaymentToken,
    OperationKeyReused,
    PaymentOperationInProgress,
    PaymentTransactionNotFound,
    RefundExceedsCaptured,
)
from payments.domain.provider import ProviderRequest, ProviderResult, ProviderStatus
from payments.domain.transactions import PaymentTransaction, TransactionKind, TransactionStatus

__all__ = ["TRANSITIONS", "Payment", "PaymentStatus", "Transition"]

MAX_OPERATION_KEY_LENGTH = 200
MAX_TOKEN_LENGTH = 255
_MAX_MESSAGE_LENGTH = 500
# 12 to 19 digits, with optional spaces or dashes: the shape of a card number (PAN).
_PAN_LIKE = re.compile(r"^(?:\d[ -]?){11,18}\d$")


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    FAILED = "failed"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


@dataclass(frozen=True, slots=True)
class Transition:
    """Where an operation may start, and where its outcome leads."""

    allowed_from: frozenset[PaymentStatus]
    on_success: PaymentStatus
    on_failure: PaymentStatus | None  # None: a failed attempt leaves the status unchanged


TRANSITIONS: dict[TransactionKind, Transition] = {
    TransactionKind.AUTHORIZE: Transition(
        frozenset({PaymentStatus.PENDING}), PaymentStatus.AUTHORIZED, PaymentStatus.FAILED
    ),
    TransactionKind.CAPTURE: Transition(
        frozenset({PaymentStatus.AUTHORIZED}), PaymentStatus.CAPTURED, None
    ),
    TransactionKind.VOID: Transition(
        frozenset({PaymentStatus.AUTHORIZED}), PaymentStatus.VOIDED, None
    ),
    # A refund that brings the refunded total up to the captured amount leads to REFUNDED instead.
    TransactionKind.REFUND: Transition(
        frozenset({PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED}),
        PaymentStatus.PARTIALLY_REFUNDED,
        None,
    ),
}


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise InvalidPaymentCommand("timestamps must be timezone-aware")
    return at


def _check_operation_key(operation_key: str) -> None:
    if not operation_key or len(operation_key) > MAX_OPERATION_KEY_LENGTH:
        raise InvalidPaymentCommand(
            f"operation_key must be 1 to {MAX_OPERATION_KEY_LENGTH} characters"
        )


def _check_token(token: str) -> None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidPaymentToken(f"token must be 1 to {MAX_TOKEN_LENGTH} characters")
    if _PAN_LIKE.match(token):
        # Never echo the value: it may be a real card number.
        raise InvalidPaymentToken("card numbers are not accepted: send the provider's token")


def _failure_code(result: ProviderResult) -> str:
    match result.status:
        case ProviderStatus.DECLINED:
            return result.decline_code or "declined"
        case ProviderStatus.TIMEOUT:
            return "timeout"
        case _:
            return "provider_error"


def _message(result: ProviderResult) -> str | None:
    return result.message[:_MAX_MESSAGE_LENGTH] if result.message else None


class Payment(TenantAggregate):
    """The payment of one order (id ``derived_id(order_id, "payment")``)."""

    @staticmethod
    def create_id(order_id: UUID) -> UUID:
        return derived_id(order_id, "payment")

    # -- creation ----------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        tenant_id: UUID,
        order_id: UUID,
        amount: Money,
        provider: str,
        customer_id: UUID | None = None,
        at: datetime | None = None,
    ) -> Payment:
        """A pending payment of ``amount`` for ``order_id`` through ``provider``."""
        if amount.amount <= 0:
            raise InvalidPaymentAmount("a payment amount must be positive")
        if not provider:
            raise InvalidPaymentCommand("provider must not be empty")
        return cls(
            tenant_id=tenant_id,
            order_id=order_id,
            amount=amount.amount,
            currency=amount.currency,
            provider=provider,
            customer_id=customer_id,
            requested_at=_moment(at),
        )

    @event("Created")
    def __init__(
        self,
        tenant_id: UUID,
        order_id: UUID,
        amount: Decimal,
        currency: str,
        provider: str,
        customer_id: UUID | None,
        requested_at: datetime,
    ) -> None:
        self.order_id = order_id
        self.currency = currency
        self.provider = provider
        self.customer_id = customer_id
        self.requested_at = requested_at
        self.status = PaymentStatus.PENDING
        self.authorization_reference: str | None = None
        self.failure_code: str | None = None
        self.method: str | None = None
        self.card_brand: str | None = None
        self.card_last4: str | None = None
        self._amount = amount
        self._captured_total = Decimal(0)
        self._refunded_total = Decimal(0)
        self._transactions: dict[UUID, PaymentTransaction] = {}
        self._order_cancel_reason: str | None = None

    # -- queries -----------------------------------------------------------------------------------

    @property
    def amount(self) -> Money:
        return Money.of(self._amount, self.currency)

    @property
    def captured_amount(self) -> Money:
        return Money.of(self._captured_total, self.currency)

    @property
    def refunded_amount(self) -> Money:
        return Money.of(self._refunded_total, self.currency)

    @property
    def refundable_amount(self) -> Money:
        """Captured, minus refunded, minus refunds waiting for the provider."""
        return Money.of(
            self._captured_total - self._refunded_total - self._pending_refunds(), self.currency
        )

    @property
    def transactions(self) -> list[PaymentTransaction]:
        """Every transaction, in the order they were first requested."""
        return list(self._transactions.values())

    def transaction(self, transaction_id: UUID) -> PaymentTransaction:
        try:
            return self._transactions[transaction_id]
        except KeyError:
            raise PaymentTransactionNotFound(
                f"payment {self.id} has no transaction {transaction_id}"
            ) from None

    def find_transaction(
        self, kind: TransactionKind, operation_key: str
    ) -> PaymentTransaction | None:
        return self._transactions.get(self._transaction_id(kind, operation_key))

    def provider_request(self, transaction_id: UUID) -> ProviderRequest:
        """The provider call for a pending transaction."""
        txn = self.transaction(transaction_id)
        if not txn.is_pending:
            raise IllegalPaymentTransition(f"transaction {txn.id} is already {txn.status}")
        return ProviderRequest(
            provider=self.provider,
            kind=txn.kind,
            payment_id=self.id,
            idempotency_key=txn.idempotency_key,
            amount=txn.money,
            token=txn.token,
            reference=txn.target_reference,
        )

    # -- commands: request an operation ------------------------------------------------------------

    def request_authorization(
        self, *, operation_key: str, token: str, at: datetime | None = None
    ) -> PaymentTransaction:
        """Record the intent to authorize the whole amount with the payment-method ``token``."""
        _check_token(token)
        kind = TransactionKind.AUTHORIZE
        txn_id, attempt, earlier = self._prepare(kind, operation_key, self._amount, token=token)
        if earlier is not None:
            return earlier
        self._authorization_requested(
            transaction_id=txn_id,
            operation_key=operation_key,
            amount=self._amount,
            currency=self.currency,
            token=token,
            attempt=attempt,
            requested_at=_moment(at),
        )
        return self._transactions[txn_id]

    def request_capture(
        self, *, operation_key: str, at: datetime | None = None
    ) -> PaymentTransaction:
        """Record the intent to capture the authorized amount (in full; partial capture later)."""
        kind = TransactionKind.CAPTURE
        txn_id, attempt, earlier = self._prepare(kind, operation_key, self._amount)
        if earlier is not None:
            return earlier
        self._capture_requested(
            transaction_id=txn_id,
            operation_key=operation_key,
            amount=self._amount,
            currency=self.currency,
            target_reference=self.authorization_reference,
            attempt=attempt,
            requested_at=_moment(at),
        )
        return self._transactions[txn_id]

    def request_void(
        self, *, operation_key: str, reason: str | None = None, at: datetime | None = None
    ) -> PaymentTransaction:
        """Record the intent to release the authorization without charging."""
        kind = TransactionKind.VOID
        txn_id, attempt, earlier = self._prepare(kind, operation_key, self._amount)
        if earlier is not None:
            return earlier
        self._void_requested(
            transaction_id=txn_id,
            operation_key=operation_key,
            amount=self._amount,
            currency=self.currency,
            target_reference=self.authorization_reference,
            reason=reason,
            attempt=attempt,
            requested_at=_moment(at),
        )
        return self._transactions[txn_id]

    def request_refund(
        self,
        *,
        operation_key: str,
        amount: Money,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> PaymentTransaction:
        """Record the intent to pay back ``amount``; the transaction id is the public refund id.

        The refunded total, counting refunds still waiting for the provider, never exceeds the
        captured amount.
        """
        if amount.currency != self.currency:
            raise InvalidPaymentAmount(f"refund must be in {self.currency}, not {amount.currency}")
        if amount.amount <= 0:
            raise InvalidPaymentAmount("a refund amount must be positive")
        kind = TransactionKind.REFUND
        txn_id, attempt, earlier = self._prepare(kind, operation_key, amount.amount)
        if earlier is not None:
            return earlier
        if self._refunded_total + self._pending_refunds() + amount.amount > self._captured_total:
            raise RefundExceedsCaptured(
                f"refund of {amount} exceeds the refundable {self.refundable_amount}"
            )
        self._refund_requested(
            transaction_id=txn_id,
            operation_key=operation_key,
            amount=amount.amount,
            currency=self.currency,
            target_reference=self.authorization_reference,
            reason=reason,
            attempt=attempt,
            requested_at=_moment(at),
        )
        return self._transactions[txn_id]

    # -- commands without a provider call --------------------------------------------------------

    def reject(
        self, *, failure_code: str, message: str | None = None, at: datetime | None = None
    ) -> bool:
        """Fail a pending payment before anything is asked of the provider (e.g. the order carries
        no payment method). False, and nothing recorded, if the payment is no longer pending or an
        authorization is already on its way to the provider."""
        if not failure_code:
            raise InvalidPaymentCommand("failure_code must not be empty")
        if self.status is not PaymentStatus.PENDING or self._transactions:
            return False
        self._rejected(
            order_id=self.order_id,
            amount=self._amount,
            currency=self.currency,
            provider=self.provider,
            failure_code=failure_code[:_MAX_MESSAGE_LENGTH],
            message=message[:_MAX_MESSAGE_LENGTH] if message else None,
            failed_at=_moment(at),
        )
        return True

    def note_order_cancelled(self, *, reason: str, at: datetime | None = None) -> bool:
        """Remember that the order was cancelled while an operation waits for the provider, so the
        money is released (void or refund) once the answer is recorded. False if already noted."""
        if self.order_cancelled:
            return False
        self._order_cancellation_noted(reason=reason[:_MAX_MESSAGE_LENGTH], noted_at=_moment(at))
        return True

    @property
    def order_cancelled(self) -> bool:
        return self._order_cancel_reason is not None

    @property
    def order_cancel_reason(self) -> str | None:
        return self._order_cancel_reason

    @property
    def pending_transaction(self) -> PaymentTransaction | None:
        """The operation waiting for the provider, if any (refunds aside, at most one)."""
        return next((t for t in self._transactions.values() if t.is_pending), None)

    @event("Rejected")
    def _rejected(
        self,
        order_id: UUID,
        amount: Decimal,
        currency: str,
        provider: str,
        failure_code: str,
        message: str | None,
        failed_at: datetime,
    ) -> None:
        self.status = PaymentStatus.FAILED
        self.failure_code = failure_code

    @event("OrderCancellationNoted")
    def _order_cancellation_noted(self, reason: str, noted_at: datetime) -> None:
        self._order_cancel_reason = reason

    # -- command: record the provider's answer -----------------------------------------------------

    def record_result(
        self, transaction_id: UUID, result: ProviderResult, *, at: datetime | None = None
    ) -> PaymentTransaction:
        """Record the provider's answer to a pending transaction and move the payment on.

        An answer to a transaction that is no longer pending changes nothing (a repeated
        delivery, or a late answer after a retry was recorded).
        """
        txn = self.transaction(transaction_id)
        if not txn.is_pending:
            return txn
        moment = _moment(at)
        if result.approved:
            self._record_success(txn, result, moment)
        else:
            self._record_failure(txn, result, moment)
        return self._transactions[transaction_id]

    def _record_success(
        self, txn: PaymentTransaction, result: ProviderResult, moment: datetime
    ) -> None:
        ref = result.reference
        match txn.kind:
            case TransactionKind.AUTHORIZE:
                self._authorized(
                    transaction_id=txn.id,
                    order_id=self.order_id,
                    amount=txn.amount,
                    currency=txn.currency,
                    provider=self.provider,
                    provider_reference=ref,
                    method=result.method,
                    card_brand=result.card_brand,
                    card_last4=result.card_last4,
                    authorized_at=moment,
                )
            case TransactionKind.CAPTURE:
                self._captured(
                    transaction_id=txn.id,
                    order_id=self.order_id,
                    amount=txn.amount,
                    currency=txn.currency,
                    provider_reference=ref,
                    captured_at=moment,
                )
            case TransactionKind.VOID:
                self._voided(
                    transaction_id=txn.id,
                    order_id=self.order_id,
                    amount=txn.amount,
                    currency=txn.currency,
                    provider_reference=ref,
                    reason=txn.reason,
                    voided_at=moment,
                )
            case TransactionKind.REFUND:
                self._refunded(
                    transaction_id=txn.id,
                    order_id=self.order_id,
                    amount=txn.amount,
                    currency=txn.currency,
                    provider_reference=ref,
                    reason=txn.reason,
                    refunded_total=self._refunded_total + txn.amount,
                    refunded_at=moment,
                )

    def _record_failure(
        self, txn: PaymentTransaction, result: ProviderResult, moment: datetime
    ) -> None:
        code, message = _failure_code(result), _message(result)
        if txn.kind is TransactionKind.AUTHORIZE:
            self._authorization_failed(
                transaction_id=txn.id,
                order_id=self.order_id,
                amount=txn.amount,
                currency=txn.currency,
                provider=self.provider,
                failure_code=code,
                message=message,
                failed_at=moment,
            )
            return
        # The provider may not have seen a timed-out or failed call: the same key may try again.
        retryable = result.status in (ProviderStatus.TIMEOUT, ProviderStatus.ERROR)
        failed = {
            TransactionKind.CAPTURE: self._capture_failed,
            TransactionKind.VOID: self._void_failed,
            TransactionKind.REFUND: self._refund_failed,
        }[txn.kind]
        failed(
            transaction_id=txn.id,
            failure_code=code,
            message=message,
            retryable=retryable,
            provider_reference=result.reference,
            failed_at=moment,
        )

    # -- rules -------------------------------------------------------------------------------------

    def _transaction_id(self, kind: TransactionKind, operation_key: str) -> UUID:
        return derived_id(self.id, f"{kind.value}:{operation_key}")

    def _prepare(
        self,
        kind: TransactionKind,
        operation_key: str,
        amount: Decimal,
        token: str | None = None,
    ) -> tuple[UUID, int, PaymentTransaction | None]:
        """(transaction id, attempt number, earlier transaction to return instead, if any)."""
        _check_operation_key(operation_key)
        txn_id = self._transaction_id(kind, operation_key)
        earlier = self._transactions.get(txn_id)
        if earlier is not None:
            if earlier.amount != amount or earlier.token != token:
                raise OperationKeyReused(
                    f"operation key {operation_key!r} was used for another {kind.value}"
                )
            if earlier.is_pending or earlier.is_final:
                return txn_id, earlier.attempt, earlier
        if self.status not in TRANSITIONS[kind].allowed_from:
            raise IllegalPaymentTransition(f"cannot {kind.value} a payment that is {self.status}")
        for other in self._transactions.values():
            # Refunds may wait side by side (the limit counts them); anything else goes alone.
            both_refunds = kind is TransactionKind.REFUND and other.kind is TransactionKind.REFUND
            if other.is_pending and not both_refunds:
                raise PaymentOperationInProgress(
                    f"a {other.kind.value} of this payment is waiting for the provider"
                )
        attempt = earlier.attempt + 1 if earlier is not None else 1
        return txn_id, attempt, None

    def _pending_refunds(self) -> Decimal:
        return sum(
            (
                t.amount
                for t in self._transactions.values()
                if t.kind is TransactionKind.REFUND and t.is_pending
            ),
            Decimal(0),
        )

    # -- events: requests --------------------------------------------------------------------------
    # The bodies below also run when the aggregate is loaded: they only assign state.

    def _put_requested(
        self,
        kind: TransactionKind,
        transaction_id: UUID,
        operation_key: str,
        amount: Decimal,
        currency: str,
        attempt: int,
        requested_at: datetime,
        token: str | None = None,
        target_reference: str | None = None,
        reason: str | None = None,
    ) -> None:
        self._transactions[transaction_id] = PaymentTransaction(
            id=transaction_id,
            kind=kind,
            operation_key=operation_key,
            amount=amount,
            currency=currency,
            status=TransactionStatus.PENDING,
            attempt=attempt,
            requested_at=requested_at,
            token=token,
            target_reference=target_reference,
            reason=reason,
        )

    @event("AuthorizationRequested")
    def _authorization_requested(
        self,
        transaction_id: UUID,
        operation_key: str,
        amount: Decimal,
        currency: str,
        token: str,
        attempt: int,
        requested_at: datetime,
    ) -> None:
        self._put_requested(
            TransactionKind.AUTHORIZE,
            transaction_id,
            operation_key,
            amount,
            currency,
            attempt,
            requested_at,
            token=token,
        )

    @event("CaptureRequested")
    def _capture_requested(
        self,
        transaction_id: UUID,
        operation_key: str,
        amount: Decimal,
        currency: str,
        target_reference: str | None,
        attempt: int,
        requested_at: datetime,
    ) -> None:
        self._put_requested(
            TransactionKind.CAPTURE,
            transaction_id,
            operation_key,
            amount,
            currency,
            attempt,
            requested_at,
            target_reference=target_reference,
        )

    @event("VoidRequested")
    def _void_requested(
        self,
        transaction_id: UUID,
        operation_key: str,
        amount: Decimal,
        currency: str,
        target_reference: str | None,
        reason: str | None,
        attempt: int,
        requested_at: datetime,
    ) -> None:
        self._put_requested(
            TransactionKind.VOID,
            transaction_id,
            operation_key,
            amount,
            currency,
            attempt,
            requested_at,
            target_reference=target_reference,
            reason=reason,
        )

    @event("RefundRequested")
    def _refund_requested(
        self,
        transaction_id: UUID,
        operation_key: str,
        amount: Decimal,
        currency: str,
        target_reference: str | None,
        reason: str | None,
        attempt: int,
        requested_at: datetime,
    ) -> None:
        self._put_requested(
            TransactionKind.REFUND,
            transaction_id,
            operation_key,
            amount,
            currency,
            attempt,
            requested_at,
            target_reference=target_reference,
            reason=reason,
        )

    # -- events: outcomes --------------------------------------------------------------------------
    # Outcome events repeat order_id, amount and currency so that the relay can translate each one
    # into its public event (payments.payment_*) without loading the aggregate.

    def _complete(
        self,
        transaction_id: UUID,
        status: TransactionStatus,
        completed_at: datetime,
        provider_reference: str | None,
        failure_code: str | None = None,
        message: str | None = None,
        retryable: bool = False,
    ) -> PaymentTransaction:
        txn = replace(
            self._transactions[transaction_id],
            status=status,
            completed_at=completed_at,
            provider_reference=provider_reference,
            failure_code=failure_code,
            message=message,
            retryable=retryable,
        )
        self._transactions[transaction_id] = txn
        rule = TRANSITIONS[txn.kind]
        if status is TransactionStatus.SUCCEEDED:
            self.status = rule.on_success
        elif rule.on_failure is not None:
            self.status = rule.on_failure
        return txn

    @event("Authorized")
    def _authorized(
        self,
        transaction_id: UUID,
        order_id: UUID,
        amount: Decimal,
        currency: str,
        provider: str,
        provider_reference: str | None,
        method: str | None,
        card_brand: str | None,
        card_last4: str | None,
        authorized_at: datetime,
    ) -> None:
        self._complete(
            transaction_id, TransactionStatus.SUCCEEDED, authorized_at, provider_reference
        )
        self.authorization_reference = provider_reference
        self.method = method
        self.card_brand = card_brand
        self.card_last4 = card_last4

    @event("AuthorizationFailed")
    def _authorization_failed(
        self,
        transaction_id: UUID,
        order_id: UUID,
        amount: Decimal,
        currency: str,
        provider: str,
        failure_code: str,
        message: str | None,
        failed_at: datetime,
    ) -> None:
        self._complete(
            transaction_id, TransactionStatus.FAILED, failed_at, None, failure_code, message
        )
        self.failure_code = failure_code

    @event("Captured")
    def _captured(
        self,
        transaction_id: UUID,
        order_id: UUID,
        amount: Decimal,
        currency: str,
        provider_reference: str | None,
        captured_at: datetime,
    ) -> None:
        self._complete(transaction_id, TransactionStatus.SUCCEEDED, captured_at, provider_reference)
        self._captured_total += amount

    @event("Voided")
    def _voided(
        self,
        transaction_id: UUID,
        order_id: UUID,
        amount: Decimal,
        currency: str,
        provider_reference: str | None,
        reason: str | None,
        voided_at: datetime,
    ) -> None:
        self._complete(transaction_id, TransactionStatus.SUCCEEDED, voided_at, provider_reference)

    @event("Refunded")
    def _refunded(
        self,
        transaction_id: UUID,
        order_id: UUID,
        amount: Decimal,
        currency: str,
        provider_reference: str | None,
        reason: str | None,
        refunded_total: Decimal,
        refunded_at: datetime,
    ) -> None:
        self._complete(transaction_id, TransactionStatus.SUCCEEDED, refunded_at, provider_reference)
        self._refunded_total = refunded_total
        if self._refunded_total >= self._captured_total:
            self.status = PaymentStatus.REFUNDED

    @event("CaptureFailed")
    def _capture_failed(
        self,
        transaction_id: UUID,
        failure_code: str,
        message: str | None,
        retryable: bool,
        provider_reference: str | None,
        failed_at: datetime,
    ) -> None:
        self._complete(
            transaction_id,
            TransactionStatus.FAILED,
            failed_at,
            provider_reference,
            failure_code,
            message,
            retryable,
        )

    @event("VoidFailed")
    def _void_failed(
        self,
        transaction_id: UUID,
        failure_code: str,
        message: str | None,
        retryable: bool,
        provider_reference: str | None,
        failed_at: datetime,
    ) -> None:
        self._complete(
            transaction_id,
            TransactionStatus.FAILED,
            failed_at,
            provider_reference,
            failure_code,
            message,
            retryable,
        )

    @event("RefundFailed")
    def _refund_failed(
        self,
        transaction_id: UUID,
        failure_code: str,
        message: str | None,
        retryable: bool,
        provider_reference: str | None,
        failed_at: datetime,
    ) -> None:
        self._complete(
            transaction_id,
            TransactionStatus.FAILED,
            failed_at,
            provider_reference,
            failure_code,
            message,
            retryable,
        )
