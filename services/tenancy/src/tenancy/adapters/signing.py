"""The access-token signing key: an Ed25519 PEM file named by settings, never generated here."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from shop_runtime.auth import TokenIssuer

__all__ = ["jwk_thumbprint", "load_token_issuer"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(key: Ed25519PrivateKey) -> str:
    """RFC 7638 thumbprint of the public key: a stable ``kid`` that changes only with the key."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    members = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
    return _b64url(hashlib.sha256(canonical).digest())


def load_token_issuer(
    path: Path, *, issuer: str, audience: str, ttl: timedelta = timedelta(minutes=15)
) -> TokenIssuer:
    """A `TokenIssuer` signing with the PEM (PKCS#8, unencrypted) Ed25519 key at ``path``."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        msg = f"cannot read JWT_PRIVATE_KEY_PATH {path}: {exc.strerror} (deploy/local/secrets.sh)"
        raise RuntimeError(msg) from None
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} does not hold an Ed25519 private key")
    return TokenIssuer(
        issuer=issuer, audience=audience, private_key=key, kid=jwk_thumbprint(key), default_ttl=ttl
    )
