"""Domain errors of shipping. The API maps ``status``/``code`` to problem+json.

``str(exc)`` becomes the problem's detail: messages never contain a secret or a signature.
"""

from __future__ import annotations

from typing import ClassVar

from shop_runtime.aggregate import DomainError

__all__ = [
    "IllegalShipmentTransition",
    "InvalidShipmentCommand",
    "InvalidSignature",
    "InvalidWebhookPayload",
    "StaleSignature",
    "TrackingNumberMismatch",
]


class IllegalShipmentTransition(DomainError):
    """The command is not allowed in the shipment's current status (e.g. cancel a shipped one)."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "illegal_shipment_transition"


class InvalidShipmentCommand(DomainError):
    """A command whose arguments can never be valid (422)."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_shipment_command"


class TrackingNumberMismatch(InvalidShipmentCommand):
    """A tracking update names another tracking number than the shipment's."""

    code: ClassVar[str] = "tracking_number_mismatch"


class InvalidSignature(DomainError):
    """A webhook's signature header is missing, malformed, or does not match the body."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_signature"


class StaleSignature(DomainError):
    """A webhook's signature is valid but its timestamp is outside the tolerance (replay guard)."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "stale_signature"


class InvalidWebhookPayload(DomainError):
    """A correctly signed webhook whose body is not the expected JSON shape."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_webhook_payload"
