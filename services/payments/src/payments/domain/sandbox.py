"""The sandbox payment provider: deterministic, I/O-free, for local runs and tests.

The outcome of an authorization depends only on the test token (the names Stripe's test mode uses
where one exists):

=========================  =========================================================
token                      outcome
=========================  =========================================================
``tok_approve``            approved, card visa ····4242
``tok_visa``               approved, card visa ····4242
``tok_mastercard``         approved, card mastercard ····4444
``tok_decline``            declined, ``card_declined``
``tok_insufficient_funds`` declined, ``insufficient_funds``
``tok_timeout``            timeout (no answer)
``tok_error``              error (provider failure)
anything else              declined, ``invalid_token``
=========================  =========================================================

Capture, void and refund of a sandbox authorization are approved; of an unknown reference,
declined (``unknown_reference``). References derive from the idempotency key, so the same key
always gives the same answer, in this process or the next one.

`SandboxPaymentProvider.webhook` produces signed webhook deliveries (``Shop-Signature`` header, see
`payments.domain.webhooks`) and `parse_sandbox_webhook` reads them back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shop_contracts.money import Money

from payments.domain.errors import InvalidWebhookPayload
from payments.domain.provider import ProviderResult, ProviderStatus
from payments.domain.webhooks import SIGNATURE_HEADER, WebhookEvent, sign_webhook

__all__ = [
    "DEFAULT_SANDBOX_WEBHOOK_SECRET",
    "SANDBOX_PROVIDER",
    "SandboxPaymentProvider",
    "parse_sandbox_webhook",
]

SANDBOX_PROVIDER = "sandbox"
DEFAULT_SANDBOX_WEBHOOK_SECRET = b"whsec_sandbox_not_secret"


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: ProviderStatus
    decline_code: str | None = None
    message: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None


_VISA = _Outcome(ProviderStatus.APPROVED, card_brand="visa", card_last4="4242")
_TOKENS: dict[str, _Outcome] = {
    "tok_approve": _VISA,
    "tok_visa": _VISA,
    "tok_mastercard": _Outcome(ProviderStatus.APPROVED, card_brand="mastercard", card_last4="4444"),
    "tok_decline": _Outcome(ProviderStatus.DECLINED, "card_declined", "Your card was declined."),
    "tok_insufficient_funds": _Outcome(
        ProviderStatus.DECLINED, "insufficient_funds", "Your card has insufficient funds."
    ),
    "tok_timeout": _Outcome(ProviderStatus.TIMEOUT, message="sandbox: no answer in time"),
    "tok_error": _Outcome(ProviderStatus.ERROR, message="sandbox: provider error"),
}
_UNKNOWN_TOKEN = _Outcome(ProviderStatus.DECLINED, "invalid_token", "sandbox: unknown test token")


def _reference(kind: str, idempotency_key: str) -> str:
    return f"sbx_{kind}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"


class SandboxPaymentProvider:
    """A `PaymentProvider` whose answers depend only on the token and the idempotency key.

    ``calls`` lists every call as ``(operation, idempotency_key)``, for tests that check how often
    the provider was asked.
    """

    name = SANDBOX_PROVIDER

    def __init__(self, webhook_secret: bytes = DEFAULT_SANDBOX_WEBHOOK_SECRET) -> None:
        self.webhook_secret = webhook_secret
        self.calls: list[tuple[str, str]] = []

    def authorize(
        self, *, payment_id: UUID, amount: Money, token: str, idempotency_key: str
    ) -> ProviderResult:
        self.calls.append(("authorize", idempotency_key))
        outcome = _TOKENS.get(token, _UNKNOWN_TOKEN)
        if outcome.status is not ProviderStatus.APPROVED:
            return ProviderResult(
                outcome.status, decline_code=outcome.decline_code, message=outcome.message
            )
        return ProviderResult(
            ProviderStatus.APPROVED,
            _reference("auth", idempotency_key),
            method="card",
            card_brand=outcome.card_brand,
            card_last4=outcome.card_last4,
        )

    def capture(
        self, *, payment_id: UUID, reference: str, amount: Money, idempotency_key: str
    ) -> ProviderResult:
        self.calls.append(("capture", idempotency_key))
        return self._follow_up("capt", reference, idempotency_key)

    def void(self, *, payment_id: UUID, reference: str, idempotency_key: str) -> ProviderResult:
        self.calls.append(("void", idempotency_key))
        return self._follow_up("void", reference, idempotency_key)

    def refund(
        self, *, payment_id: UUID, reference: str, amount: Money, idempotency_key: str
    ) -> ProviderResult:
        self.calls.append(("refund", idempotency_key))
        return self._follow_up("re", reference, idempotency_key)

    @staticmethod
    def _follow_up(kind: str, reference: str, idempotency_key: str) -> ProviderResult:
        if not reference.startswith("sbx_auth_"):
            return ProviderResult(
                ProviderStatus.DECLINED,
                decline_code="unknown_reference",
                message="sandbox: no such authorization",
            )
        return ProviderResult(ProviderStatus.APPROVED, _reference(kind, idempotency_key))

    def webhook(
        self,
        *,
        event_type: str,
        reference: str,
        timestamp: int,
        event_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A signed webhook delivery: ``(headers, body)``. The event id defaults to one derived from
        type and reference, so a re-sent delivery has the same id (as a provider's retry does)."""
        if event_id is None:
            digest = hashlib.sha256(f"{event_type}:{reference}".encode()).hexdigest()
            event_id = f"evt_{digest[:24]}"
        payload = {
            "id": event_id,
            "type": event_type,
            "created": timestamp,
            "data": {**(data or {}), "reference": reference},
        }
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        headers = {
            SIGNATURE_HEADER: sign_webhook(self.webhook_secret, timestamp, body),
            "Content-Type": "application/json",
        }
        return headers, body


def parse_sandbox_webhook(tenant_id: UUID, body: bytes, received_at: datetime) -> WebhookEvent:
    """Read a (verified) sandbox webhook body."""
    try:
        payload = json.loads(body)
        event_id, event_type = payload["id"], payload["type"]
        reference = payload["data"].get("reference")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidWebhookPayload("not a sandbox webhook body") from exc
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise InvalidWebhookPayload("webhook id and type must be strings")
    return WebhookEvent(
        tenant_id=tenant_id,
        provider=SANDBOX_PROVIDER,
        provider_event_id=event_id,
        type=event_type,
        payment_reference=reference if isinstance(reference, str) else None,
        received_at=received_at,
        payload=payload,
    )
