"""Rotating refresh tokens, one family per login session, with reuse (theft) detection.

A login issues a family with its first token. Every refresh presents the current token and gets a
new one: the presented token is retired. If a retired token is ever presented again, two parties
hold tokens of this family (the legitimate client and a thief, in some order), so the whole family
is revoked and both must sign in again (OAuth 2.0 Security BCP, "refresh token rotation").

Only hashes are stored (`hash_refresh_token`): a refresh token is a long random secret, so one
SHA-256 is enough (no password hashing needed) and a leaked event store yields no usable token.

How the application uses it: the token handed to the client carries the family id and a secret
(e.g. ``<family_id>.<secret>``); on refresh it loads the family by id (404/401 if absent or of
another tenant), calls `RefreshTokenFamily.rotate` with ``hash_refresh_token(secret)`` and the hash
of a newly generated secret, and saves. The new token's expiry is the application's policy (e.g.
sliding 30 days, capped by an absolute session lifetime). Redis may cache revocations (fast path);
this aggregate is the record.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event
from shop_runtime.aggregate import TenantAggregate

from tenancy.domain.errors import (
    InvalidRefreshToken,
    RefreshTokenExpired,
    RefreshTokenFamilyRevoked,
)

__all__ = [
    "RefreshTokenFamily",
    "RefreshTokenReused",
    "RefreshTokenStatus",
    "RevocationReason",
    "hash_refresh_token",
]


def hash_refresh_token(token: str) -> str:
    """Hex SHA-256 of a refresh token's secret: what the aggregate stores and compares."""
    if not token:
        raise ValueError("empty refresh token")
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class RefreshTokenStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class RevocationReason(StrEnum):
    LOGOUT = "logout"
    REUSE_DETECTED = "reuse_detected"
    USER_DISABLED = "user_disabled"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason code, not a password
    ROLE_CHANGED = "role_changed"  # the seeds' security setting force_logout_on_role_change
    ADMIN = "admin"


class RefreshTokenReused(InvalidRefreshToken):
    """A retired token was presented: the family has just recorded its revocation.

    Unlike the other refresh-token errors this one comes with a pending event: the application
    must **save the family** and then answer 401, or the theft goes unrecorded.
    """

    code = "refresh_token_reused"


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def _check_hash(value: str) -> str:
    # Guards against storing a raw token by mistake: only the 64-hex-digit SHA-256 form is accepted.
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError("expected a token hash from hash_refresh_token(), not a raw token")
    return value


class RefreshTokenFamily(TenantAggregate):
    """The refresh tokens of one login session of one user. Create with `issue`."""

    @classmethod
    def issue(
        cls,
        *,
        tenant_id: UUID,
        user_id: UUID,
        token_hash: str,
        expires_at: datetime,
        family_id: UUID | None = None,  # the library's keyword: a chosen aggregate id
    ) -> RefreshTokenFamily:
        """Start a family with its first token (at login)."""
        return cls(
            id=family_id,
            tenant_id=tenant_id,
            user_id=user_id,
            token_hash=_check_hash(token_hash),
            expires_at=_aware(expires_at, "expires_at"),
        )

    @event("Issued")
    def __init__(
        self,
        tenant_id: UUID,
        user_id: UUID,
        token_hash: str,
        expires_at: datetime,
        id: UUID | None = None,
    ) -> None:
        self.user_id = user_id
        self.current_hash = token_hash
        self.expires_at = expires_at
        self.retired_hashes: frozenset[str] = frozenset()
        self.status = RefreshTokenStatus.ACTIVE
        self.revocation_reason: RevocationReason | None = None

    # -- queries -----------------------------------------------------------------------------------

    @property
    def is_revoked(self) -> bool:
        return self.status is RefreshTokenStatus.REVOKED

    def is_usable(self, now: datetime) -> bool:
        """Whether the current token may still be exchanged."""
        return not self.is_revoked and now < self.expires_at

    # -- commands ----------------------------------------------------------------------------------

    def rotate(
        self, presented_hash: str, new_hash: str, *, expires_at: datetime, now: datetime
    ) -> None:
        """Exchange the current token (``presented_hash``) for a new one (``new_hash``).

        Raises (401): `RefreshTokenFamilyRevoked`, `RefreshTokenExpired`, `InvalidRefreshToken`
        (a hash this family never issued) with no event; `RefreshTokenReused` after recording the
        family's revocation (see that class: save, then answer 401).
        """
        _aware(now, "now")
        if self.is_revoked:
            raise RefreshTokenFamilyRevoked("this session was revoked; sign in again")
        if presented_hash in self.retired_hashes:
            self._revoked(reason=RevocationReason.REUSE_DETECTED.value, revoked_by=None)
            raise RefreshTokenReused("a retired refresh token was reused; the session is revoked")
        if not hmac.compare_digest(presented_hash, self.current_hash):
            raise InvalidRefreshToken("unknown refresh token")
        if now >= self.expires_at:
            raise RefreshTokenExpired("the refresh token expired; sign in again")
        new = _check_hash(new_hash)
        if new == self.current_hash or new in self.retired_hashes:
            raise ValueError("the new token hash must be fresh")
        self._rotated(
            previous_hash=presented_hash,
            token_hash=new,
            expires_at=_aware(expires_at, "expires_at"),
        )

    @event("Rotated")
    def _rotated(self, previous_hash: str, token_hash: str, expires_at: datetime) -> None:
        self.retired_hashes = self.retired_hashes | {previous_hash}
        self.current_hash = token_hash
        self.expires_at = expires_at

    def revoke(
        self, reason: RevocationReason | str = RevocationReason.LOGOUT, *, by: UUID | None = None
    ) -> None:
        """Revoke the whole family. Idempotent: revoking a revoked family records nothing (a
        repeated logout is not an error)."""
        why = RevocationReason(reason)
        if self.is_revoked:
            return
        self._revoked(reason=why.value, revoked_by=by)

    @event("Revoked")
    def _revoked(self, reason: str, revoked_by: UUID | None) -> None:
        self.status = RefreshTokenStatus.REVOKED
        self.revocation_reason = RevocationReason(reason)
