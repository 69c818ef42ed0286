"""Public events of the payments service on ``payments.events.v1``.

The aggregate of every event here is the payment (``derived_id(order_id, "payment")``).
"""

from __future__ import annotations

from pydantic import Field

from shop_contracts.contract_models import ContractEvent
from shop_contracts.ids import OrderId, PaymentId, RefundId
from shop_contracts.money import Money
from shop_contracts.registry import contract
from shop_contracts.topics import PAYMENTS_EVENTS

__all__ = [
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentFailed",
    "PaymentRefunded",
    "PaymentVoided",
]


@contract("payments.payment_authorized", version=1, topic=PAYMENTS_EVENTS)
class PaymentAuthorized(ContractEvent):
    """The provider authorized (held) the amount; nothing is charged yet. Published by payments
    in answer to orders.payment_requested."""

    payment_id: PaymentId
    order_id: OrderId
    amount: Money
    provider: str = Field(min_length=1, description="e.g. stripe, razorpay, fake")
    provider_reference: str | None = Field(default=None, description="The provider's payment id")
    method: str | None = Field(default=None, description="card, upi, wallet, netbanking, ...")


@contract("payments.payment_failed", version=1, topic=PAYMENTS_EVENTS)
class PaymentFailed(ContractEvent):
    """The provider declined the payment or could not be reached in time. Published by payments."""

    payment_id: PaymentId
    order_id: OrderId
    amount: Money
    failure_code: str = Field(
        min_length=1, description="declined, insufficient_funds, provider_error, timeout, ..."
    )
    message: str | None = None


@contract("payments.payment_captured", version=1, topic=PAYMENTS_EVENTS)
class PaymentCaptured(ContractEvent):
    """An authorized amount was charged. Published by payments."""

    payment_id: PaymentId
    order_id: OrderId
    amount: Money
    provider_reference: str | None = None


@contract("payments.payment_voided", version=1, topic=PAYMENTS_EVENTS)
class PaymentVoided(ContractEvent):
    """An authorization was released without charging (the order was cancelled). Published by
    payments."""

    payment_id: PaymentId
    order_id: OrderId
    amount: Money
    reason: str | None = None


@contract("payments.payment_refunded", version=1, topic=PAYMENTS_EVENTS)
class PaymentRefunded(ContractEvent):
    """Part or all of a captured amount was paid back. Published by payments; a payment may be
    refunded several times, each with its own ``refund_id``."""

    payment_id: PaymentId
    order_id: OrderId
    refund_id: RefundId
    amount: Money
    reason: str | None = None
