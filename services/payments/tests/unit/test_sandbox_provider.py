"""The sandbox provider: outcome by test token, same key gives the same answer."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from payments.domain.errors import InvalidWebhookPayload
from payments.domain.provider import ProviderRequest, ProviderStatus, call_provider
from payments.domain.sandbox import SandboxPaymentProvider, parse_sandbox_webhook
from payments.domain.transactions import TransactionKind
from payments.domain.webhooks import SIGNATURE_HEADER, verify_webhook
from shop_contracts.money import Money

AMOUNT = Money.of("10.00", "EUR")


@pytest.mark.parametrize(
    ("token", "status", "decline_code"),
    [
        ("tok_approve", ProviderStatus.APPROVED, None),
        ("tok_visa", ProviderStatus.APPROVED, None),
        ("tok_decline", ProviderStatus.DECLINED, "card_declined"),
        ("tok_timeout", ProviderStatus.TIMEOUT, None),
        ("tok_error", ProviderStatus.ERROR, None),
        ("tok_made_up", ProviderStatus.DECLINED, "invalid_token"),
    ],
)
def test_outcome_depends_on_the_token(sandbox, token, status, decline_code):
    result = sandbox.authorize(payment_id=uuid4(), amount=AMOUNT, token=token, idempotency_key="k")
    assert result.status is status
    assert result.decline_code == decline_code
    assert (result.reference is not None) == (status is ProviderStatus.APPROVED)


def test_same_idempotency_key_same_answer_across_instances():
    a = SandboxPaymentProvider().authorize(
        payment_id=uuid4(), amount=AMOUNT, token="tok_visa", idempotency_key="key-1"
    )
    b = SandboxPaymentProvider().authorize(
        payment_id=uuid4(), amount=AMOUNT, token="tok_visa", idempotency_key="key-1"
    )
    c = SandboxPaymentProvider().authorize(
        payment_id=uuid4(), amount=AMOUNT, token="tok_visa", idempotency_key="key-2"
    )
    assert a == b
    assert a.reference != c.reference


def test_follow_ups_need_a_sandbox_authorization(sandbox):
    auth = sandbox.authorize(
        payment_id=uuid4(), amount=AMOUNT, token="tok_visa", idempotency_key="k"
    )
    assert sandbox.capture(
        payment_id=uuid4(), reference=auth.reference, amount=AMOUNT, idempotency_key="c"
    ).approved
    unknown = sandbox.refund(
        payment_id=uuid4(), reference="ch_other", amount=AMOUNT, idempotency_key="r"
    )
    assert unknown.status is ProviderStatus.DECLINED
    assert unknown.decline_code == "unknown_reference"


def test_call_provider_refuses_another_providers_payment(sandbox):
    request = ProviderRequest(
        provider="stripe",
        kind=TransactionKind.AUTHORIZE,
        payment_id=uuid4(),
        idempotency_key="k",
        amount=AMOUNT,
        token="tok_visa",
    )
    with pytest.raises(ValueError, match="stripe"):
        call_provider(sandbox, request)
    assert sandbox.calls == []


def test_sandbox_webhooks_are_signed_and_parse_back(sandbox):
    headers, body = sandbox.webhook(
        event_type="payment.captured", reference="sbx_capt_1", timestamp=1_700_000_000
    )
    verify_webhook(sandbox.webhook_secret, headers[SIGNATURE_HEADER], body, now=1_700_000_010)

    tenant_id = uuid4()
    received = parse_sandbox_webhook(tenant_id, body, datetime.now(UTC))
    again = parse_sandbox_webhook(
        tenant_id,
        sandbox.webhook(
            event_type="payment.captured", reference="sbx_capt_1", timestamp=1_700_000_100
        )[1],
        datetime.now(UTC),
    )
    assert received.type == "payment.captured"
    assert received.payment_reference == "sbx_capt_1"
    assert received.id == again.id  # a re-sent delivery is recognised by its event id
    other_tenant = parse_sandbox_webhook(uuid4(), body, datetime.now(UTC))
    assert other_tenant.id != received.id


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"id": "evt_1"}', b'{"id": 1, "type": "x", "data": {}}']
)
def test_malformed_webhook_bodies_are_refused(body):
    with pytest.raises(InvalidWebhookPayload):
        parse_sandbox_webhook(uuid4(), body, datetime.now(UTC))
