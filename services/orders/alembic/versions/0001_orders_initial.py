"""orders: read models, price feed, order numbers, checkout deadlines, idempotency, runtime tables

Revision ID: 0001_orders_initial
Revises:
Create Date: 2026-01-01
"""

from collections.abc import Sequence

from alembic import op
from orders.adapters.read_models import RLS_TABLES, metadata
from shop_runtime.idempotency import idempotency_metadata
from shop_runtime.migrations import create_runtime_tables, drop_runtime_tables
from shop_runtime.rls import enable_tenant_rls
from shop_runtime.tenant_directory import create_tenant_directory_tables, tenant_directory_metadata

revision: str = "0001_orders_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    create_runtime_tables(op)
    create_tenant_directory_tables(op)
    # The tables as defined in orders.adapters.read_models at this revision; a later change to
    # them is a new revision.
    metadata.create_all(bind, checkfirst=True)
    idempotency_metadata.create_all(bind, checkfirst=True)
    for table in (*RLS_TABLES, "idempotency_keys"):
        enable_tenant_rls(op, table)


def downgrade() -> None:
    bind = op.get_bind()
    idempotency_metadata.drop_all(bind, checkfirst=True)
    metadata.drop_all(bind, checkfirst=True)
    tenant_directory_metadata.drop_all(bind, checkfirst=True)
    drop_runtime_tables(op)
