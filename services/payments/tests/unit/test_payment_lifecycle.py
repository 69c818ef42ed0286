"""The payment state machine: authorize, capture, void, and what is refused in each status."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from payments.domain.errors import (
    IllegalPaymentTransition,
    InvalidPaymentAmount,
    InvalidPaymentToken,
    PaymentOperationInProgress,
)
from payments.domain.payment import Payment, PaymentStatus
from payments.domain.provider import ProviderResult, ProviderStatus
from payments.domain.transactions import TransactionKind, TransactionStatus
from shop_contracts.events.payments import (
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentVoided,
)
from shop_contracts.ids import derived_id
from shop_contracts.money import Money


def names(payment: Payment) -> list[str]:
    return [type(e).__name__ for e in payment.collect_events()]


def test_payment_id_is_derived_from_the_order(make_payment):
    order_id = uuid4()
    payment = make_payment(order_id=order_id)
    assert payment.id == derived_id(order_id, "payment")
    assert payment.status is PaymentStatus.PENDING
    assert payment.amount == Money.of("100.00", "EUR")


def test_approved_authorization_records_reference_and_card_summary(make_payment, execute):
    payment = make_payment()
    txn = execute(payment, payment.request_authorization(operation_key="k", token="tok_visa"))

    assert payment.status is PaymentStatus.AUTHORIZED
    assert txn.status is TransactionStatus.SUCCEEDED
    assert payment.authorization_reference == txn.provider_reference
    assert payment.authorization_reference.startswith("sbx_auth_")
    assert (payment.method, payment.card_brand, payment.card_last4) == ("card", "visa", "4242")
    assert names(payment) == ["Created", "AuthorizationRequested", "Authorized"]


@pytest.mark.parametrize(
    ("token", "failure_code"),
    [
        ("tok_decline", "card_declined"),
        ("tok_insufficient_funds", "insufficient_funds"),
        ("tok_timeout", "timeout"),
        ("tok_error", "provider_error"),
    ],
)
def test_failed_authorization_fails_the_payment(make_payment, execute, token, failure_code):
    payment = make_payment()
    txn = execute(payment, payment.request_authorization(operation_key="k", token=token))

    assert payment.status is PaymentStatus.FAILED
    assert payment.failure_code == failure_code
    assert txn.is_final  # a failed payment is not retried: the order is cancelled
    assert names(payment)[-1] == "AuthorizationFailed"
    with pytest.raises(IllegalPaymentTransition):
        payment.request_authorization(operation_key="again", token="tok_visa")


def test_capture_charges_the_authorized_amount(make_payment, execute):
    payment = make_payment("42.50")
    execute(payment, payment.request_authorization(operation_key="auth", token="tok_approve"))
    txn = execute(payment, payment.request_capture(operation_key="cap"))

    assert payment.status is PaymentStatus.CAPTURED
    assert txn.kind is TransactionKind.CAPTURE
    assert payment.captured_amount == Money.of("42.50", "EUR")
    assert txn.target_reference == payment.authorization_reference


def test_void_releases_the_authorization(make_payment, execute):
    payment = make_payment()
    execute(payment, payment.request_authorization(operation_key="auth", token="tok_visa"))
    execute(payment, payment.request_void(operation_key="void", reason="order_cancelled"))

    assert payment.status is PaymentStatus.VOIDED
    assert payment.captured_amount.is_zero
    with pytest.raises(IllegalPaymentTransition):
        payment.request_capture(operation_key="cap")


@pytest.mark.parametrize("operation", ["capture", "void", "refund"])
def test_nothing_but_authorization_is_possible_while_pending(make_payment, operation):
    payment = make_payment()
    with pytest.raises(IllegalPaymentTransition) as raised:
        if operation == "refund":
            payment.request_refund(operation_key="r", amount=Money.of("1.00", "EUR"))
        else:
            getattr(payment, f"request_{operation}")(operation_key="x")
    assert raised.value.status == 409
    assert raised.value.code == "illegal_payment_transition"


def test_a_captured_payment_cannot_be_voided_or_captured_again(make_payment, execute):
    payment = make_payment()
    execute(payment, payment.request_authorization(operation_key="auth", token="tok_visa"))
    execute(payment, payment.request_capture(operation_key="cap"))

    with pytest.raises(IllegalPaymentTransition):
        payment.request_void(operation_key="void")
    with pytest.raises(IllegalPaymentTransition):
        payment.request_capture(operation_key="cap-2")


def test_a_pending_capture_blocks_a_void(make_payment, execute):
    payment = make_payment()
    execute(payment, payment.request_authorization(operation_key="auth", token="tok_visa"))
    payment.request_capture(operation_key="cap")  # saved, provider not answered yet

    with pytest.raises(PaymentOperationInProgress):
        payment.request_void(operation_key="void")


def test_declined_capture_keeps_the_authorization_and_is_final(make_payment, execute):
    payment = make_payment()
    execute(payment, payment.request_authorization(operation_key="auth", token="tok_visa"))
    txn = payment.request_capture(operation_key="cap")
    failed = payment.record_result(
        txn.id, ProviderResult(ProviderStatus.DECLINED, decline_code="expired_authorization")
    )

    assert payment.status is PaymentStatus.AUTHORIZED
    assert failed.failure_code == "expired_authorization"
    assert failed.is_final
    assert payment.request_capture(operation_key="cap") == failed  # same key: same answer
    # the order can still be cancelled: the authorization is released
    execute(payment, payment.request_void(operation_key="void"))
    assert payment.status is PaymentStatus.VOIDED


def test_capture_that_timed_out_is_retried_with_the_same_provider_key(make_payment, execute):
    payment = make_payment()
    execute(payment, payment.request_authorization(operation_key="auth", token="tok_visa"))
    first = payment.request_capture(operation_key="cap")
    timed_out = payment.record_result(first.id, ProviderResult(ProviderStatus.TIMEOUT))
    assert timed_out.retryable and not timed_out.is_final
    assert payment.status is PaymentStatus.AUTHORIZED

    retry = payment.request_capture(operation_key="cap")
    assert retry.is_pending and retry.attempt == 2
    assert payment.provider_request(retry.id).idempotency_key == first.idempotency_key
    execute(payment, retry)
    assert payment.status is PaymentStatus.CAPTURED
    assert len(payment.transactions) == 2  # authorize + one capture, tried twice


def test_card_numbers_are_refused_as_tokens(make_payment):
    payment = make_payment()
    for pan in ("4242424242424242", "4242 4242 4242 4242", "5555-5555-5555-4444"):
        with pytest.raises(InvalidPaymentToken) as raised:
            payment.request_authorization(operation_key="k", token=pan)
        assert pan not in str(raised.value)
    assert payment.transactions == []


def test_amount_must_be_positive():
    with pytest.raises(InvalidPaymentAmount):
        Payment.create(
            tenant_id=uuid4(), order_id=uuid4(), amount=Money.of(0, "EUR"), provider="sandbox"
        )


def test_provider_last4_must_be_four_digits():
    with pytest.raises(ValueError, match="4 digits"):
        ProviderResult(ProviderStatus.APPROVED, "ref", card_last4="4242424242424242")


def test_stored_events_reload_and_carry_every_public_field(make_payment, execute, app):
    """Through the real transcoder: the reloaded payment equals the live one, and each outcome
    event alone is enough to build its contract event (what the relay does)."""
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    payment = make_payment("19.99")
    execute(payment, payment.request_authorization(operation_key="a", token="tok_visa", at=at))
    execute(payment, payment.request_capture(operation_key="c", at=at))
    app.save(payment)

    reloaded = app.repository.get(payment.id)
    assert reloaded.status is PaymentStatus.CAPTURED
    assert reloaded.captured_amount == Money.of(Decimal("19.99"), "EUR")
    assert reloaded.transactions == payment.transactions
    assert reloaded.tenant_id == payment.tenant_id

    stored = {type(e).__name__: e for e in app.events.get(payment.id)}
    auth, cap = stored["Authorized"], stored["Captured"]
    assert PaymentAuthorized(
        payment_id=auth.originator_id,
        order_id=auth.order_id,
        amount=Money.of(auth.amount, auth.currency),
        provider=auth.provider,
        provider_reference=auth.provider_reference,
        method=auth.method,
    ).amount == Money.of("19.99", "EUR")
    assert (
        PaymentCaptured(
            payment_id=cap.originator_id,
            order_id=cap.order_id,
            amount=Money.of(cap.amount, cap.currency),
            provider_reference=cap.provider_reference,
        ).order_id
        == payment.order_id
    )
    assert auth.tenant_id == payment.tenant_id


def test_failed_and_voided_events_carry_their_public_fields(make_payment, execute, app):
    failed = make_payment()
    execute(failed, failed.request_authorization(operation_key="a", token="tok_decline"))
    voided = make_payment()
    execute(voided, voided.request_authorization(operation_key="a", token="tok_visa"))
    execute(voided, voided.request_void(operation_key="v", reason="order_cancelled"))
    app.save(failed, voided)

    f = next(e for e in app.events.get(failed.id) if type(e).__name__ == "AuthorizationFailed")
    v = next(e for e in app.events.get(voided.id) if type(e).__name__ == "Voided")
    contract_failed = PaymentFailed(
        payment_id=f.originator_id,
        order_id=f.order_id,
        amount=Money.of(f.amount, f.currency),
        failure_code=f.failure_code,
        message=f.message,
    )
    contract_voided = PaymentVoided(
        payment_id=v.originator_id,
        order_id=v.order_id,
        amount=Money.of(v.amount, v.currency),
        reason=v.reason,
    )
    assert contract_failed.failure_code == "card_declined"
    assert contract_voided.reason == "order_cancelled"
