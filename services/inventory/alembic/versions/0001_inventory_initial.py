"""inventory read models: warehouses, stock_levels (+ stock_totals view), reservations; runtime
tables; tenant directory; the sweeper's due-list function.

Revision ID: 0001_inventory_initial
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op
from inventory.adapters.read_models import (
    DUE_FUNCTION,
    STOCK_TOTALS_VIEW,
    TENANT_TABLES,
    due_function_statements,
    metadata,
)
from shop_runtime.migrations import create_runtime_tables, drop_runtime_tables
from shop_runtime.rls import checked_identifier, enable_tenant_rls
from shop_runtime.settings import ServiceSettings
from shop_runtime.tenant_directory import create_tenant_directory_tables, tenant_directory
from sqlalchemy import text

revision = "0001_inventory_initial"
down_revision = None
branch_labels = None
depends_on = None


def _app_role() -> str:
    config = op.get_context().config
    settings = config.attributes.get("settings") if config is not None else None
    return checked_identifier((settings or ServiceSettings()).postgres_user)


def upgrade() -> None:
    bind = op.get_bind()
    create_runtime_tables(op)
    create_tenant_directory_tables(op)
    metadata.create_all(bind, checkfirst=True)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)
    op.execute(text(STOCK_TOTALS_VIEW))
    for statement in due_function_statements(_app_role()):
        op.execute(text(statement))


def downgrade() -> None:
    op.execute(text(f"DROP FUNCTION IF EXISTS {DUE_FUNCTION}(timestamptz, integer)"))
    op.execute(text("DROP VIEW IF EXISTS stock_totals"))
    metadata.drop_all(op.get_bind(), checkfirst=True)
    tenant_directory.drop(op.get_bind(), checkfirst=True)
    drop_runtime_tables(op)
