"""Every operation is idempotent by its operation key: a repeated command records nothing and
answers the earlier result; the provider is never asked to act twice for one key."""

from __future__ import annotations

import pytest
from payments.domain.errors import OperationKeyReused, PaymentTransactionNotFound
from payments.domain.payment import PaymentStatus
from payments.domain.provider import ProviderResult, ProviderStatus
from payments.domain.transactions import TransactionKind
from shop_contracts.money import Money


def test_repeated_authorization_returns_the_earlier_result(make_payment, execute, sandbox):
    payment = make_payment()
    first = execute(payment, payment.request_authorization(operation_key="evt-1", token="tok_visa"))
    payment.collect_events()

    again = execute(payment, payment.request_authorization(operation_key="evt-1", token="tok_visa"))

    assert again == first
    assert payment.collect_events() == []
    assert sandbox.calls == [("authorize", first.idempotency_key)]


def test_repeated_capture_returns_the_earlier_result(make_payment, execute, sandbox):
    payment = make_payment()
    execute(payment, payment.request_authorization(operation_key="a", token="tok_visa"))
    first = execute(payment, payment.request_capture(operation_key="order-confirmed:1"))
    payment.collect_events()

    again = execute(payment, payment.request_capture(operation_key="order-confirmed:1"))

    assert again == first
    assert payment.collect_events() == []
    assert [c for c, _ in sandbox.calls] == ["authorize", "capture"]


def test_repeated_declined_authorization_stays_declined(make_payment, execute, sandbox):
    payment = make_payment()
    first = execute(payment, payment.request_authorization(operation_key="k", token="tok_decline"))
    again = payment.request_authorization(operation_key="k", token="tok_decline")

    assert again == first
    assert payment.status is PaymentStatus.FAILED
    assert len(sandbox.calls) == 1


def test_pending_request_is_resumed_not_duplicated(make_payment, execute, sandbox):
    """A crash after saving the request and before the provider answered: the redelivered command
    finds the pending transaction and completes it with the same provider key."""
    payment = make_payment()
    pending = payment.request_authorization(operation_key="k", token="tok_visa")
    payment.collect_events()

    resumed = payment.request_authorization(operation_key="k", token="tok_visa")
    assert resumed == pending
    assert payment.collect_events() == []
    done = execute(payment, resumed)
    assert done.id == pending.id
    assert payment.status is PaymentStatus.AUTHORIZED


def test_a_late_duplicate_provider_answer_changes_nothing(make_payment):
    payment = make_payment()
    txn = payment.request_authorization(operation_key="k", token="tok_visa")
    payment.record_result(txn.id, ProviderResult(ProviderStatus.APPROVED, "ref-1"))
    payment.collect_events()

    after = payment.record_result(txn.id, ProviderResult(ProviderStatus.DECLINED))

    assert after.provider_reference == "ref-1"
    assert payment.status is PaymentStatus.AUTHORIZED
    assert payment.collect_events() == []


def test_operation_key_reused_with_other_arguments_is_refused(make_payment, execute):
    payment = make_payment()
    execute(payment, payment.request_authorization(operation_key="a", token="tok_visa"))
    execute(payment, payment.request_capture(operation_key="c"))
    execute(payment, payment.request_refund(operation_key="r", amount=Money.of("10.00", "EUR")))

    with pytest.raises(OperationKeyReused) as raised:
        payment.request_refund(operation_key="r", amount=Money.of("20.00", "EUR"))
    assert raised.value.status == 422
    assert payment.refunded_amount == Money.of("10.00", "EUR")


def test_the_same_key_names_different_transactions_per_kind(make_payment, execute):
    payment = make_payment()
    auth = execute(payment, payment.request_authorization(operation_key="order", token="tok_visa"))
    cap = execute(payment, payment.request_capture(operation_key="order"))

    assert auth.id != cap.id
    assert payment.find_transaction(TransactionKind.CAPTURE, "order") == cap
    assert payment.status is PaymentStatus.CAPTURED


def test_unknown_transaction_is_not_found(make_payment):
    payment = make_payment()
    with pytest.raises(PaymentTransactionNotFound) as raised:
        payment.record_result(payment.id, ProviderResult(ProviderStatus.APPROVED, "x"))
    assert raised.value.status == 404
