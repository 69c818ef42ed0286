"""The sandbox carrier's signed tracking callbacks, end to end into a shipment."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from shipping.domain.errors import InvalidSignature, InvalidWebhookPayload, StaleSignature
from shipping.domain.sandbox import parse_sandbox_tracking
from shipping.domain.shipment import ShipmentStatus
from shipping.domain.tracking import TrackingCode, TrackingOutcome
from shipping.domain.webhooks import SIGNATURE_HEADER, sign_webhook, verify_webhook

NOW = 1_740_000_000
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def callback(carrier, shipment, code, **kwargs):
    return carrier.tracking_webhook(
        shipment_id=shipment.id,
        tracking_number=shipment.tracking_number,
        code=code,
        occurred_at=kwargs.pop("occurred_at", T0),
        timestamp=NOW,
        **kwargs,
    )


def test_a_signed_callback_verifies_parses_and_applies(carrier, labelled):
    headers, body = callback(carrier, labelled, TrackingCode.PICKED_UP, location="Hub")
    verify_webhook(carrier.webhook_secret, headers[SIGNATURE_HEADER], body, now=NOW + 5)

    parsed = parse_sandbox_tracking(body)
    assert parsed.shipment_id == labelled.id
    assert labelled.record_tracking(parsed.update) is TrackingOutcome.APPLIED
    assert labelled.status is ShipmentStatus.SHIPPED
    # the carrier re-sends the same callback: same event id, nothing happens
    _, again = callback(carrier, labelled, TrackingCode.PICKED_UP, location="Hub")
    assert labelled.record_tracking(parse_sandbox_tracking(again).update) is (
        TrackingOutcome.DUPLICATE
    )


def test_tampered_and_stale_callbacks_are_refused(carrier, labelled):
    headers, body = callback(carrier, labelled, TrackingCode.DELIVERED)
    header = headers[SIGNATURE_HEADER]
    with pytest.raises(InvalidSignature):
        verify_webhook(
            carrier.webhook_secret, header, body.replace(b"delivered", b"in_transit"), NOW
        )
    with pytest.raises(StaleSignature):
        verify_webhook(carrier.webhook_secret, header, body, now=NOW + 301)
    with pytest.raises(InvalidSignature):
        verify_webhook(carrier.webhook_secret, "t=1", body, now=NOW)


def test_the_signature_scheme_is_hmac_sha256_over_timestamp_dot_body():
    """Same scheme as payments.domain.webhooks (kept identical until it moves to the runtime)."""
    expected = hmac.new(b"secret", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign_webhook(b"secret", 1_700_000_000, b"{}") == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b'{"reference": "not-a-uuid", "code": "delivered", "occurred_at": "x", "event_id": "e"}',
        b'{"reference": "6f1c1f4e-0d5c-4a5e-9b55-1c6c8d7e1a00", "code": "teleported",'
        b' "occurred_at": "2025-01-01T00:00:00+00:00", "event_id": "e"}',
        b'{"reference": "6f1c1f4e-0d5c-4a5e-9b55-1c6c8d7e1a00", "code": "delivered",'
        b' "occurred_at": "2025-01-01T00:00:00", "event_id": "e"}',
    ],
)
def test_malformed_callbacks_are_refused(body):
    with pytest.raises(InvalidWebhookPayload):
        parse_sandbox_tracking(body)
