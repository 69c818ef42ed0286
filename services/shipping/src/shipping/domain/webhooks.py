"""Webhook signatures of carrier tracking callbacks (pure functions).

Signature header (Stripe's scheme)::

    Shop-Signature: t=1718000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

* ``t`` is the Unix time (seconds) at which the sender signed;
* ``v1`` is ``hex(HMAC-SHA256(secret, f"{t}." + body))`` over the exact body bytes. Several ``v1``
  entries may appear while a secret is being rotated: one match is enough.
* Unknown keys (future schemes) are ignored.

Verification checks the signature first (constant-time compare), then the timestamp: a body signed
more than ``tolerance_seconds`` before or after ``now`` is refused, so a captured request cannot be
replayed later. A carrier's re-sent delivery needs no log here: tracking events are deduplicated by
their carrier event id on the shipment itself.

The same small API exists in ``payments.domain.webhooks``; it belongs in the runtime library once a
third service needs it (kept identical on purpose so the move is mechanical).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from shipping.domain.errors import InvalidSignature, StaleSignature

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "SIGNATURE_HEADER",
    "parse_signature_header",
    "sign_webhook",
    "verify_webhook",
]

SIGNATURE_HEADER = "Shop-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
_MAX_HEADER_LENGTH = 2048
_SCHEME = "v1"
_HEX_DIGEST_LENGTH = hashlib.sha256().digest_size * 2
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def _digest(secret: bytes, timestamp: int, body: bytes) -> str:
    if not secret:
        raise ValueError("the webhook secret must not be empty")
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign_webhook(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` signed at ``timestamp``."""
    return f"t={timestamp},{_SCHEME}={_digest(secret, timestamp, body)}"


def parse_signature_header(header_value: str) -> tuple[int, list[str]]:
    """``(timestamp, [v1 signatures])``; `InvalidSignature` if the header is malformed."""
    if not header_value or len(header_value) > _MAX_HEADER_LENGTH:
        raise InvalidSignature("missing or oversized signature header")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header_value.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise InvalidSignature("malformed signature header")
        if key == "t":
            if timestamp is not None or not _TIMESTAMP.fullmatch(value):
                raise InvalidSignature("malformed signature timestamp")
            timestamp = int(value)
        elif key == _SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidSignature("signature header needs t= and v1=")
    return timestamp, signatures


def verify_webhook(
    secret: bytes,
    header_value: str,
    body: bytes,
    now: int | float,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise `InvalidSignature` unless ``header_value`` signs ``body`` with ``secret``, and
    `StaleSignature` if it was signed more than ``tolerance_seconds`` away from ``now``."""
    timestamp, signatures = parse_signature_header(header_value)
    expected = _digest(secret, timestamp, body)
    # compare_digest on every candidate: the time taken says nothing about how much matched.
    matched = False
    for candidate in signatures:
        if len(candidate) == _HEX_DIGEST_LENGTH and hmac.compare_digest(candidate, expected):
            matched = True
    if not matched:
        raise InvalidSignature("webhook signature does not match")
    if abs(now - timestamp) > tolerance_seconds:
        raise StaleSignature(f"webhook signed {int(now - timestamp)}s away from now")
