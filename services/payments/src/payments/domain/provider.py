"""The payment provider port: what the domain needs from Stripe, Razorpay, the sandbox, ...

Pure declarations: adapters (HTTP clients) live in ``payments.adapters`` and implement
`PaymentProvider`; the sandbox (``payments.domain.sandbox``) is an I/O-free implementation.

Every call carries an idempotency key (the transaction id): a provider that sees the same key twice
must answer the first result again without acting twice. That is what makes a retry after a timeout
or a crash safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from shop_contracts.money import Money

from payments.domain.transactions import TransactionKind

__all__ = [
    "PaymentProvider",
    "ProviderRequest",
    "ProviderResult",
    "ProviderStatus",
    "call_provider",
]

_LAST4 = re.compile(r"^\d{4}$")


class ProviderStatus(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"  # a definitive no: retrying the same request gives the same answer
    TIMEOUT = "timeout"  # no answer in time: the provider may or may not have acted
    ERROR = "error"  # the provider failed (5xx, malformed answer): same uncertainty as a timeout


@dataclass(frozen=True, slots=True)
class ProviderResult:
    """A provider's answer to one call.

    ``card_last4``/``card_brand`` only if the provider returns them; nothing else about a card is
    ever kept (a last4 of anything but 4 digits is refused, so a PAN cannot slip in through it).
    """

    status: ProviderStatus
    reference: str | None = None  # the provider's id of the operation (charge, refund, ...)
    decline_code: str | None = None  # e.g. insufficient_funds, card_declined
    message: str | None = None
    method: str | None = None  # card, upi, wallet, netbanking
    card_brand: str | None = None
    card_last4: str | None = None

    def __post_init__(self) -> None:
        if self.card_last4 is not None and not _LAST4.match(self.card_last4):
            raise ValueError("card_last4 must be exactly 4 digits")
        if self.status is ProviderStatus.APPROVED and not self.reference:
            raise ValueError("an approved result must carry the provider's reference")

    @property
    def approved(self) -> bool:
        return self.status is ProviderStatus.APPROVED


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """Everything needed to make one provider call; built by `Payment.provider_request`."""

    provider: str
    kind: TransactionKind
    payment_id: UUID
    idempotency_key: str
    amount: Money
    token: str | None = None  # authorize
    reference: str | None = None  # capture/void/refund: the authorization's reference


class PaymentProvider(Protocol):
    """A payment provider. Implementations must be idempotent by ``idempotency_key``."""

    @property
    def name(self) -> str:
        """The provider's name as stored on payments (``stripe``, ``razorpay``, ``sandbox``)."""
        ...

    def authorize(
        self, *, payment_id: UUID, amount: Money, token: str, idempotency_key: str
    ) -> ProviderResult:
        """Hold ``amount`` on the payment method ``token``; nothing is charged yet."""
        ...

    def capture(
        self, *, payment_id: UUID, reference: str, amount: Money, idempotency_key: str
    ) -> ProviderResult:
        """Charge ``amount`` of the authorization ``reference``."""
        ...

    def void(self, *, payment_id: UUID, reference: str, idempotency_key: str) -> ProviderResult:
        """Release the authorization ``reference`` without charging."""
        ...

    def refund(
        self, *, payment_id: UUID, reference: str, amount: Money, idempotency_key: str
    ) -> ProviderResult:
        """Pay back ``amount`` of the captured authorization ``reference``."""
        ...


def call_provider(provider: PaymentProvider, request: ProviderRequest) -> ProviderResult:
    """Make the call ``request`` describes. Refuses a provider other than the payment's."""
    if provider.name != request.provider:
        raise ValueError(f"payment belongs to provider {request.provider!r}, not {provider.name!r}")
    payment_id, key = request.payment_id, request.idempotency_key
    match request.kind:
        case TransactionKind.AUTHORIZE:
            assert request.token is not None
            return provider.authorize(
                payment_id=payment_id,
                amount=request.amount,
                token=request.token,
                idempotency_key=key,
            )
        case TransactionKind.CAPTURE:
            assert request.reference is not None
            return provider.capture(
                payment_id=payment_id,
                reference=request.reference,
                amount=request.amount,
                idempotency_key=key,
            )
        case TransactionKind.VOID:
            assert request.reference is not None
            return provider.void(
                payment_id=payment_id, reference=request.reference, idempotency_key=key
            )
        case TransactionKind.REFUND:
            assert request.reference is not None
            return provider.refund(
                payment_id=payment_id,
                reference=request.reference,
                amount=request.amount,
                idempotency_key=key,
            )
