"""Fixtures of the payments domain tests: a payment factory, the sandbox, and a tiny stand-in for
the application's request → provider → record sequence."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from payments.domain.payment import Payment
from payments.domain.provider import PaymentProvider, call_provider
from payments.domain.sandbox import SandboxPaymentProvider
from payments.domain.transactions import PaymentTransaction
from shop_contracts.money import Money

TENANT_ID = UUID("00000000-0000-4000-8000-0000000000aa")

MakePayment = Callable[..., Payment]
Execute = Callable[[Payment, PaymentTransaction], PaymentTransaction]


@pytest.fixture
def sandbox() -> SandboxPaymentProvider:
    return SandboxPaymentProvider()


@pytest.fixture
def make_payment() -> MakePayment:
    def make(
        amount: str = "100.00", currency: str = "EUR", order_id: UUID | None = None
    ) -> Payment:
        return Payment.create(
            tenant_id=TENANT_ID,
            order_id=order_id or uuid4(),
            amount=Money.of(Decimal(amount), currency),
            provider="sandbox",
        )

    return make


@pytest.fixture
def execute(sandbox: SandboxPaymentProvider) -> Execute:
    """What the application does after a request_*: call the provider unless the result is known."""

    def run(
        payment: Payment, txn: PaymentTransaction, provider: PaymentProvider | None = None
    ) -> PaymentTransaction:
        if txn.is_final:
            return txn
        result = call_provider(provider or sandbox, payment.provider_request(txn.id))
        return payment.record_result(txn.id, result)

    return run  # type: ignore[return-value]


@pytest.fixture
def app() -> Application:
    """An in-memory event store that runs the real transcoder."""
    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
