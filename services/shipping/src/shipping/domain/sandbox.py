"""The sandbox carrier: deterministic, I/O-free, for local runs and tests.

* `SandboxCarrier.create_label` books nothing: the tracking number derives from the shipment id
  (``SBX`` + 12 digits), so asking twice gives the same label, in this process or the next.
* `SandboxCarrier.tracking_webhook` produces a signed tracking callback (``Shop-Signature`` header,
  see `shipping.domain.webhooks`), and `parse_sandbox_tracking` reads one back into a
  `TrackingUpdate`. The callback carries the shipment id as ``reference`` (real carriers echo the
  merchant's reference too), so the application can find the shipment without a lookup table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shipping.domain.carrier import Label, LabelRequest
from shipping.domain.errors import InvalidShipmentCommand, InvalidWebhookPayload
from shipping.domain.tracking import TrackingCode, TrackingUpdate
from shipping.domain.webhooks import SIGNATURE_HEADER, sign_webhook

__all__ = [
    "CODE_ALIASES",
    "DEFAULT_SANDBOX_WEBHOOK_SECRET",
    "SANDBOX_CARRIER",
    "SandboxCarrier",
    "SandboxTracking",
    "parse_sandbox_tracking",
    "sandbox_tracking_number",
]

SANDBOX_CARRIER = "sandbox"
DEFAULT_SANDBOX_WEBHOOK_SECRET = b"whsec_sandbox_carrier_not_secret"
# Carrier words for a normalized code: the return-to-origin delivery is "returned_to_origin" in the
# public webhook API (the shipment status it leads to) and "rto_delivered" in `TrackingCode`.
CODE_ALIASES: dict[str, str] = {"returned_to_origin": TrackingCode.RTO_DELIVERED.value}
_TRACKING_URL = "https://sandbox-carrier.invalid/track/{}"
_LABEL_URL = "https://sandbox-carrier.invalid/labels/{}.pdf"


def sandbox_tracking_number(shipment_id: UUID) -> str:
    digits = int(hashlib.sha256(shipment_id.bytes).hexdigest(), 16) % 10**12
    return f"SBX{digits:012d}"


class SandboxCarrier:
    """A `CarrierAdapter` that books nothing and answers the same label for the same shipment.

    ``requests`` lists every label request, for tests that check how often the carrier was asked.
    """

    code = SANDBOX_CARRIER

    def __init__(self, webhook_secret: bytes = DEFAULT_SANDBOX_WEBHOOK_SECRET) -> None:
        self.webhook_secret = webhook_secret
        self.requests: list[LabelRequest] = []

    def create_label(self, request: LabelRequest) -> Label:
        self.requests.append(request)
        if request.carrier not in (None, SANDBOX_CARRIER):
            raise InvalidShipmentCommand(f"the sandbox cannot book carrier {request.carrier!r}")
        number = sandbox_tracking_number(request.shipment_id)
        return Label(
            carrier=SANDBOX_CARRIER,
            tracking_number=number,
            tracking_url=_TRACKING_URL.format(number),
            label_url=_LABEL_URL.format(number),
        )

    def tracking_webhook(
        self,
        *,
        shipment_id: UUID,
        tracking_number: str,
        code: TrackingCode,
        occurred_at: datetime,
        timestamp: int,
        event_id: str | None = None,
        location: str | None = None,
        description: str | None = None,
        reason_code: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A signed tracking callback: ``(headers, body)``. The event id defaults to one derived
        from tracking number, code and time, so a re-sent callback has the same id."""
        if event_id is None:
            seed = f"{tracking_number}:{code.value}:{occurred_at.isoformat()}"
            event_id = f"sbx_evt_{hashlib.sha256(seed.encode()).hexdigest()[:24]}"
        payload: dict[str, Any] = {
            "event_id": event_id,
            "reference": str(shipment_id),
            "tracking_number": tracking_number,
            "code": code.value,
            "occurred_at": occurred_at.isoformat(),
            "location": location,
            "description": description,
            "reason_code": reason_code,
        }
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        headers = {
            SIGNATURE_HEADER: sign_webhook(self.webhook_secret, timestamp, body),
            "Content-Type": "application/json",
        }
        return headers, body


@dataclass(frozen=True, slots=True)
class SandboxTracking:
    """A parsed sandbox callback: which shipment, and the update to record on it."""

    shipment_id: UUID
    update: TrackingUpdate


def _optional_str(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidWebhookPayload(f"{key} must be a string")
    return value


def parse_sandbox_tracking(body: bytes) -> SandboxTracking:
    """Read a (verified) sandbox tracking callback.

    Body: ``{event_id, reference (the shipment id), tracking_number?, code, occurred_at,
    reason_code?, location?, description?}``; ``code`` is a `TrackingCode` value or an alias of
    `CODE_ALIASES` (``returned_to_origin``: the parcel is back at the origin warehouse).
    """
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise TypeError("not an object")
        shipment_id = UUID(payload["reference"])
        raw_code = payload["code"]
        code = TrackingCode(CODE_ALIASES.get(raw_code) or raw_code)
        occurred_at = datetime.fromisoformat(payload["occurred_at"])
        event_id = payload["event_id"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidWebhookPayload("not a sandbox tracking callback") from exc
    if not isinstance(event_id, str):
        raise InvalidWebhookPayload("event_id must be a string")
    try:
        update = TrackingUpdate(
            carrier_event_id=event_id,
            code=code,
            occurred_at=occurred_at,
            tracking_number=_optional_str(payload, "tracking_number"),
            location=_optional_str(payload, "location"),
            description=_optional_str(payload, "description"),
            reason_code=_optional_str(payload, "reason_code"),
        )
    except InvalidShipmentCommand as exc:
        raise InvalidWebhookPayload(str(exc)) from exc
    return SandboxTracking(shipment_id=shipment_id, update=update)
