"""Refunds: partial or full, never more than was captured, each with its own refund id."""

from __future__ import annotations

import pytest
from payments.domain.errors import (
    IllegalPaymentTransition,
    InvalidPaymentAmount,
    RefundExceedsCaptured,
)
from payments.domain.payment import PaymentStatus
from payments.domain.provider import ProviderResult, ProviderStatus
from shop_contracts.events.payments import PaymentRefunded
from shop_contracts.money import Money


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


@pytest.fixture
def captured(make_payment, execute):
    payment = make_payment("100.00")
    execute(payment, payment.request_authorization(operation_key="a", token="tok_visa"))
    execute(payment, payment.request_capture(operation_key="c"))
    return payment


def test_partial_then_full_refund(captured, execute):
    execute(captured, captured.request_refund(operation_key="r1", amount=eur("30.00")))
    assert captured.status is PaymentStatus.PARTIALLY_REFUNDED
    assert captured.refundable_amount == eur("70.00")

    execute(captured, captured.request_refund(operation_key="r2", amount=eur("70.00")))
    assert captured.status is PaymentStatus.REFUNDED
    assert captured.refunded_amount == eur("100.00")
    assert captured.refundable_amount.is_zero


def test_refund_above_the_captured_amount_is_refused(captured, execute):
    execute(captured, captured.request_refund(operation_key="r1", amount=eur("60.00")))
    with pytest.raises(RefundExceedsCaptured) as raised:
        captured.request_refund(operation_key="r2", amount=eur("40.01"))
    assert raised.value.status == 409
    assert captured.refunded_amount == eur("60.00")


def test_pending_refunds_count_against_the_limit(captured):
    """Two refunds requested before the provider answered either: the second cannot overdraw."""
    captured.request_refund(operation_key="r1", amount=eur("80.00"))
    with pytest.raises(RefundExceedsCaptured):
        captured.request_refund(operation_key="r2", amount=eur("30.00"))
    captured.request_refund(operation_key="r3", amount=eur("20.00"))  # fits: refunds may queue


def test_declined_refund_frees_its_amount(captured, execute):
    txn = captured.request_refund(operation_key="r1", amount=eur("100.00"))
    captured.record_result(txn.id, ProviderResult(ProviderStatus.DECLINED, decline_code="no"))
    assert captured.status is PaymentStatus.CAPTURED
    assert captured.refundable_amount == eur("100.00")
    execute(captured, captured.request_refund(operation_key="r2", amount=eur("100.00")))
    assert captured.status is PaymentStatus.REFUNDED


def test_a_fully_refunded_payment_refuses_more(captured, execute):
    execute(captured, captured.request_refund(operation_key="r1", amount=eur("100.00")))
    with pytest.raises(IllegalPaymentTransition) as raised:
        captured.request_refund(operation_key="r2", amount=eur("0.01"))
    assert raised.value.code == "illegal_payment_transition"


@pytest.mark.parametrize("amount", [Money.of("0.00", "EUR"), Money.of("5.00", "USD")])
def test_refund_amount_must_be_positive_and_in_the_payment_currency(captured, amount):
    with pytest.raises(InvalidPaymentAmount):
        captured.request_refund(operation_key="r", amount=amount)


def test_refund_cannot_precede_capture(make_payment, execute):
    payment = make_payment()
    execute(payment, payment.request_authorization(operation_key="a", token="tok_visa"))
    with pytest.raises(IllegalPaymentTransition) as raised:
        payment.request_refund(operation_key="r", amount=eur("1.00"))
    assert raised.value.code == "illegal_payment_transition"


def test_refunded_event_carries_refund_id_and_reloads(captured, execute, app):
    txn = execute(
        captured, captured.request_refund(operation_key="r", amount=eur("25.00"), reason="rto")
    )
    app.save(captured)
    event = next(e for e in app.events.get(captured.id) if type(e).__name__ == "Refunded")

    contract = PaymentRefunded(
        payment_id=event.originator_id,
        order_id=event.order_id,
        refund_id=event.transaction_id,
        amount=Money.of(event.amount, event.currency),
        reason=event.reason,
    )
    assert contract.refund_id == txn.id
    assert contract.amount == eur("25.00")
    reloaded = app.repository.get(captured.id)
    assert reloaded.status is PaymentStatus.PARTIALLY_REFUNDED
    assert reloaded.refundable_amount == eur("75.00")
