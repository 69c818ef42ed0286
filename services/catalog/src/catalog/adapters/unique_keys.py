"""`UniqueKeys` on the ``unique_keys`` read-model table (synchronous: commands run in threads).

The unique index (tenant_id, kind, key) makes the claim atomic: ``INSERT ... ON CONFLICT DO
NOTHING`` either takes the key or leaves the holder's row, which is then read back in the same
transaction. Row-level security applies (the tenant is set per transaction), like on every
read-model table.
"""

from __future__ import annotations

from uuid import UUID

from psycopg_pool import ConnectionPool

from catalog.application.ports import Claim, ClaimStatus, KeyKind

_SET_TENANT = "SELECT set_config('app.tenant_id', %s, true)"
_CLAIM = (
    "INSERT INTO unique_keys (tenant_id, kind, key, owner_id, aggregate_id) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant_id, kind, key) DO NOTHING RETURNING owner_id"
)
_HOLDER = (
    "SELECT owner_id, aggregate_id, EXTRACT(EPOCH FROM now() - claimed_at) "
    "FROM unique_keys WHERE tenant_id = %s AND kind = %s AND key = %s"
)
_TAKE_OVER = (
    "UPDATE unique_keys SET owner_id = %s, aggregate_id = %s, claimed_at = now() "
    "WHERE tenant_id = %s AND kind = %s AND key = %s AND owner_id = %s"
)
_RELEASE = (
    "DELETE FROM unique_keys WHERE tenant_id = %s AND kind = %s AND key = %s AND owner_id = %s"
)


class PostgresUniqueKeys:
    """Claims keys in the service database as the application role."""

    def __init__(self, conninfo: str, *, min_size: int = 1, max_size: int = 4) -> None:
        self.pool = ConnectionPool(
            conninfo, min_size=min_size, max_size=max_size, open=False, timeout=10
        )

    def open(self) -> None:
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close()

    def claim(
        self, tenant_id: UUID, kind: KeyKind, key: str, *, owner_id: UUID, aggregate_id: UUID
    ) -> Claim:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(_SET_TENANT, (str(tenant_id),))
            cur.execute(_CLAIM, (tenant_id, kind, key, owner_id, aggregate_id))
            if cur.fetchone() is not None:
                return Claim("claimed", owner_id, aggregate_id, 0.0)
            cur.execute(_HOLDER, (tenant_id, kind, key))
            row = cur.fetchone()
        if row is None:  # released between the two statements: try again
            return self.claim(tenant_id, kind, key, owner_id=owner_id, aggregate_id=aggregate_id)
        holder, aggregate, age = row
        status: ClaimStatus = "ours" if holder == owner_id else "taken"
        return Claim(status, holder, aggregate, float(age))

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
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(_SET_TENANT, (str(tenant_id),))
            cur.execute(_TAKE_OVER, (owner_id, aggregate_id, tenant_id, kind, key, previous_owner))
            return cur.rowcount == 1

    def release(self, tenant_id: UUID, kind: KeyKind, key: str, *, owner_id: UUID) -> None:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(_SET_TENANT, (str(tenant_id),))
            cur.execute(_RELEASE, (tenant_id, kind, key, owner_id))
