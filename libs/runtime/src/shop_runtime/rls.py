"""Row-level security for read-model tables, for Alembic migrations and tests.

Every table with a ``tenant_id`` column gets RLS *enabled and forced* (forced: the policy applies to
the table's owner too, so nothing but a superuser or a BYPASSRLS role reads across tenants) and one
policy::

    USING      (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (same)

``current_setting(..., true)`` is NULL when the setting was never set and '' after a
transaction-local ``set_config`` ends on a pooled connection; NULLIF maps both to NULL, and
``tenant_id = NULL`` is never true: without a tenant a query sees no rows and can insert none. WITH
CHECK refuses an INSERT or UPDATE that would write another tenant's row.

In a migration::

    from shop_runtime.rls import enable_tenant_rls

    def upgrade() -> None:
        op.create_table("order_list", ..., sa.Column("tenant_id", sa.Uuid, nullable=False))
        enable_tenant_rls(op, "order_list")
"""

from __future__ import annotations

import re
from typing import Protocol

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from shop_runtime.db import TENANT_SETTING

__all__ = [
    "POLICY_NAME",
    "Executes",
    "checked_identifier",
    "disable_tenant_rls",
    "enable_tenant_rls",
    "tenant_rls_statements",
    "tenant_tables_without_forced_rls",
]

POLICY_NAME = "tenant_isolation"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class Executes(Protocol):
    """Alembic's ``op`` or a synchronous SQLAlchemy ``Connection``: both execute a `text` clause."""

    def execute(self, statement: TextClause, /) -> object: ...


def checked_identifier(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"not a plain SQL identifier: {identifier!r}")
    return identifier


def tenant_rls_statements(
    table: str, *, column: str = "tenant_id", policy: str = POLICY_NAME
) -> list[str]:
    """The SQL that `enable_tenant_rls` runs."""
    table, column, policy = (
        checked_identifier(table),
        checked_identifier(column),
        checked_identifier(policy),
    )
    tenant = f"NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {policy} ON {table}",
        f"CREATE POLICY {policy} ON {table} "
        f"USING ({column} = {tenant}) WITH CHECK ({column} = {tenant})",
    ]


def enable_tenant_rls(
    target: Executes, table: str, *, column: str = "tenant_id", policy: str = POLICY_NAME
) -> None:
    """Enable and force RLS on ``table`` with the tenant policy (idempotent).

    ``target`` is Alembic's ``op`` or a synchronous ``Connection`` (from an ``AsyncConnection``,
    use ``await conn.run_sync(lambda c: enable_tenant_rls(c, "t"))``).
    """
    for statement in tenant_rls_statements(table, column=column, policy=policy):
        target.execute(text(statement))


def disable_tenant_rls(target: Executes, table: str, *, policy: str = POLICY_NAME) -> None:
    """Undo `enable_tenant_rls` (for a migration's downgrade)."""
    table, policy = checked_identifier(table), checked_identifier(policy)
    target.execute(text(f"DROP POLICY IF EXISTS {policy} ON {table}"))
    target.execute(text(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"))
    target.execute(text(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"))


_UNPROTECTED_TENANT_TABLES = text(
    """
    SELECT c.relname
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p')
       AND n.nspname = COALESCE(:schema, current_schema())
       AND EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attname = :column
                      AND a.attnum > 0 AND NOT a.attisdropped)
       AND (NOT c.relrowsecurity
            OR NOT c.relforcerowsecurity
            OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))
     ORDER BY c.relname
    """
)


async def tenant_tables_without_forced_rls(
    conn: AsyncConnection, *, schema: str | None = None, column: str = "tenant_id"
) -> list[str]:
    """Tables of ``schema`` (default: the current one) that have a ``tenant_id`` column but lack
    enabled + forced RLS or any policy. A test asserts this is empty after the migrations ran."""
    result = await conn.execute(_UNPROTECTED_TENANT_TABLES, {"schema": schema, "column": column})
    return [str(row[0]) for row in result]
