"""Password hashing with Argon2id (argon2-cffi), the `PasswordHasher` of the domain."""

from __future__ import annotations

from argon2 import DEFAULT_MEMORY_COST, DEFAULT_TIME_COST
from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["Argon2PasswordHasher"]


class Argon2PasswordHasher:
    """Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile).

    ``verify`` answers False for a wrong password *and* for a hash it cannot read: a corrupt hash
    must lock the account out, not crash the login.
    """

    def __init__(self, *, time_cost: int | None = None, memory_cost: int | None = None) -> None:
        self._argon2 = _Argon2(
            time_cost=DEFAULT_TIME_COST if time_cost is None else time_cost,
            memory_cost=DEFAULT_MEMORY_COST if memory_cost is None else memory_cost,
        )

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
