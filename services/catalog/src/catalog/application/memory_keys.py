"""`UniqueKeys` in memory: the default of the in-memory application (unit tests)."""

from __future__ import annotations

import threading
import time
from uuid import UUID

from catalog.application.ports import Claim, ClaimStatus, KeyKind


class InMemoryUniqueKeys:
    """Same semantics as the Postgres table; ``clock`` lets tests age a claim."""

    def __init__(self) -> None:
        self._keys: dict[tuple[UUID, str, str], tuple[UUID, UUID, float]] = {}
        self._lock = threading.Lock()
        self.offset = 0.0

    def _now(self) -> float:
        return time.monotonic() + self.offset

    def claim(
        self, tenant_id: UUID, kind: KeyKind, key: str, *, owner_id: UUID, aggregate_id: UUID
    ) -> Claim:
        with self._lock:
            held = self._keys.get((tenant_id, kind, key))
            if held is None:
                self._keys[(tenant_id, kind, key)] = (owner_id, aggregate_id, self._now())
                return Claim("claimed", owner_id, aggregate_id, 0.0)
            status: ClaimStatus = "ours" if held[0] == owner_id else "taken"
            return Claim(status, held[0], held[1], self._now() - held[2])

    def take_over(
        self,
        tenant_id: UUID,
        kind: KeyKind,
        key: str,
        *,
        previous_owner: UUID,
        owner_id: UUID,
        aggregate_id: UUID,
    ) -> bool:
        with self._lock:
            held = self._keys.get((tenant_id, kind, key))
            if held is None or held[0] != previous_owner:
                return False
            self._keys[(tenant_id, kind, key)] = (owner_id, aggregate_id, self._now())
            return True

    def release(self, tenant_id: UUID, kind: KeyKind, key: str, *, owner_id: UUID) -> None:
        with self._lock:
            held = self._keys.get((tenant_id, kind, key))
            if held is not None and held[0] == owner_id:
                del self._keys[(tenant_id, kind, key)]
