"""tenancy: runtime tables, tenants / tenant_hosts (directory, no RLS), users (RLS).

Revision ID: 0001_tenancy_initial
Revises:
"""

from __future__ import annotations

from alembic import op
from shop_runtime.migrations import create_runtime_tables
from shop_runtime.rls import disable_tenant_rls, enable_tenant_rls
from tenancy.adapters.read_models import metadata

revision = "0001_tenancy_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_runtime_tables(op)
    # tenants and tenant_hosts are the platform's directory of stores (looked up before a tenant
    # is known): no tenant_id column, no RLS. users is tenant data: RLS enabled and forced.
    metadata.create_all(op.get_bind(), checkfirst=True)
    enable_tenant_rls(op, "users")


def downgrade() -> None:
    disable_tenant_rls(op, "users")
    metadata.drop_all(op.get_bind(), checkfirst=True)
