"""Rotating refresh tokens: rotation, reuse detection, expiry, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from tenancy.domain.errors import (
    InvalidRefreshToken,
    RefreshTokenExpired,
    RefreshTokenFamilyRevoked,
)
from tenancy.domain.refresh_tokens import (
    RefreshTokenFamily,
    RefreshTokenReused,
    RefreshTokenStatus,
    RevocationReason,
    hash_refresh_token,
)

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TTL = timedelta(days=30)
H1, H2, H3 = (hash_refresh_token(f"secret-{i}") for i in (1, 2, 3))


def drain(aggregate: Any) -> list[Any]:
    return list(aggregate.collect_events())


def family(tenant_id: UUID) -> RefreshTokenFamily:
    fam = RefreshTokenFamily.issue(
        tenant_id=tenant_id, user_id=uuid4(), token_hash=H1, expires_at=NOW + TTL
    )
    drain(fam)
    return fam


def test_hash_is_a_stable_sha256_hex():
    assert hash_refresh_token("abc") == hash_refresh_token("abc")
    assert hash_refresh_token("abc") != hash_refresh_token("abd")
    assert len(hash_refresh_token("abc")) == 64


def test_issue_starts_a_family_with_its_first_token(tenant_id: UUID):
    user_id, family_id = uuid4(), uuid4()
    fam = RefreshTokenFamily.issue(
        tenant_id=tenant_id,
        user_id=user_id,
        token_hash=H1,
        expires_at=NOW + TTL,
        family_id=family_id,
    )

    (issued,) = drain(fam)
    assert type(issued).__name__ == "Issued"
    assert (issued.user_id, issued.token_hash, issued.expires_at) == (user_id, H1, NOW + TTL)
    assert fam.id == family_id
    assert fam.is_usable(NOW)


def test_a_raw_token_is_never_stored(tenant_id: UUID):
    with pytest.raises(ValueError, match="hash"):
        RefreshTokenFamily.issue(
            tenant_id=tenant_id, user_id=uuid4(), token_hash="raw-secret", expires_at=NOW + TTL
        )


def test_rotate_replaces_the_current_token(tenant_id: UUID):
    fam = family(tenant_id)
    later = NOW + timedelta(hours=1)

    fam.rotate(H1, H2, expires_at=later + TTL, now=later)

    (rotated,) = drain(fam)
    assert type(rotated).__name__ == "Rotated"
    assert (rotated.previous_hash, rotated.token_hash) == (H1, H2)
    assert fam.current_hash == H2
    assert fam.expires_at == later + TTL


def test_reusing_a_rotated_token_revokes_the_whole_family(tenant_id: UUID):
    fam = family(tenant_id)
    fam.rotate(H1, H2, expires_at=NOW + TTL, now=NOW)  # the legitimate client refreshes
    drain(fam)

    with pytest.raises(RefreshTokenReused) as exc:  # a thief replays the stolen old token
        fam.rotate(H1, H3, expires_at=NOW + TTL, now=NOW)
    assert exc.value.status == 401

    (revoked,) = drain(fam)  # the revocation is pending: the application saves it
    assert type(revoked).__name__ == "Revoked"
    assert revoked.reason == "reuse_detected"
    assert fam.status is RefreshTokenStatus.REVOKED

    # ... and the legitimate client's current token is dead too.
    with pytest.raises(RefreshTokenFamilyRevoked):
        fam.rotate(H2, H3, expires_at=NOW + TTL, now=NOW)
    assert drain(fam) == []


def test_an_unknown_token_changes_nothing(tenant_id: UUID):
    fam = family(tenant_id)
    with pytest.raises(InvalidRefreshToken) as exc:
        fam.rotate(H3, H2, expires_at=NOW + TTL, now=NOW)
    assert exc.value.code == "invalid_refresh_token"
    assert drain(fam) == []
    assert fam.is_usable(NOW)


def test_an_expired_token_cannot_be_rotated(tenant_id: UUID):
    fam = family(tenant_id)
    expiry = NOW + TTL
    with pytest.raises(RefreshTokenExpired):
        fam.rotate(H1, H2, expires_at=expiry + TTL, now=expiry)
    assert drain(fam) == []
    assert not fam.is_usable(expiry)


def test_the_new_hash_must_be_fresh(tenant_id: UUID):
    fam = family(tenant_id)
    fam.rotate(H1, H2, expires_at=NOW + TTL, now=NOW)
    with pytest.raises(ValueError, match="fresh"):
        fam.rotate(H2, H1, expires_at=NOW + TTL, now=NOW)


def test_revoke_is_idempotent(tenant_id: UUID):
    fam = family(tenant_id)
    user = uuid4()

    fam.revoke(RevocationReason.LOGOUT, by=user)
    fam.revoke(RevocationReason.LOGOUT, by=user)

    (revoked,) = drain(fam)
    assert (revoked.reason, revoked.revoked_by) == ("logout", user)
    with pytest.raises(RefreshTokenFamilyRevoked):
        fam.rotate(H1, H2, expires_at=NOW + TTL, now=NOW)


def test_naive_datetimes_are_refused(tenant_id: UUID):
    fam = family(tenant_id)
    with pytest.raises(ValueError, match="timezone"):
        fam.rotate(H1, H2, expires_at=NOW + TTL, now=datetime(2026, 5, 1, 9, 0))


def test_reuse_detection_survives_the_real_transcoder(tenant_id: UUID, roundtrip: Any):
    fam = RefreshTokenFamily.issue(
        tenant_id=tenant_id, user_id=uuid4(), token_hash=H1, expires_at=NOW + TTL
    )
    fam.rotate(H1, H2, expires_at=NOW + 2 * TTL, now=NOW)

    reloaded = roundtrip(fam)
    assert reloaded.current_hash == H2
    assert reloaded.expires_at == NOW + 2 * TTL
    assert reloaded.retired_hashes == frozenset({H1})

    with pytest.raises(RefreshTokenReused):
        reloaded.rotate(H1, H3, expires_at=NOW + TTL, now=NOW)
    again = roundtrip(reloaded)
    assert again.is_revoked
    assert again.revocation_reason is RevocationReason.REUSE_DETECTED
