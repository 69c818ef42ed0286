"""catalog read models: products, categories, brands, unique keys (+ runtime, tenant directory)

Revision ID: 0001_catalog_initial
Revises:
"""

from alembic import op
from catalog.adapters.read_models import brands, categories, products, unique_keys
from shop_runtime.migrations import create_runtime_tables
from shop_runtime.rls import enable_tenant_rls
from shop_runtime.tenant_directory import create_tenant_directory_tables

revision = "0001_catalog_initial"
down_revision = None
branch_labels = None
depends_on = None

TENANT_TABLES = (products, categories, brands, unique_keys)


def upgrade() -> None:
    create_runtime_tables(op)
    create_tenant_directory_tables(op)
    bind = op.get_bind()
    for table in TENANT_TABLES:
        table.create(bind, checkfirst=True)
        enable_tenant_rls(op, table.name)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(TENANT_TABLES):
        table.drop(bind, checkfirst=True)
