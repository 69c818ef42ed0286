"""payments read models: payments, payment_transactions, payment_webhook_events (RLS forced).

Revision ID: 0001_payments_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from shop_runtime.migrations import create_runtime_tables
from shop_runtime.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001_payments_initial"
down_revision = None
branch_labels = None
depends_on = None

_TENANT_TABLES = ("payments", "payment_transactions", "payment_webhook_events")


def upgrade() -> None:
    create_runtime_tables(op)
    op.create_table(
        "payments",
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("payment_id", sa.Uuid, nullable=False),
        sa.Column("order_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("amount", sa.Numeric(20, 4), nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("failure_code", sa.Text),
        sa.Column("captured_amount", sa.Numeric(20, 4), nullable=False, server_default="0"),
        sa.Column("refunded_amount", sa.Numeric(20, 4), nullable=False, server_default="0"),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "payment_id", name="payments_pkey"),
    )
    op.create_index("payments_tenant_order_idx", "payments", ["tenant_id", "order_id"])
    op.create_index(
        "payments_tenant_created_idx", "payments", ["tenant_id", "created_at", "payment_id"]
    )
    op.create_table(
        "payment_transactions",
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("transaction_id", sa.Uuid, nullable=False),
        sa.Column("payment_id", sa.Uuid, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("amount", sa.Numeric(20, 4), nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("provider_reference", sa.Text),
        sa.Column("failure_code", sa.Text),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", "transaction_id", name="payment_transactions_pkey"),
    )
    op.create_index(
        "payment_transactions_payment_idx", "payment_transactions", ["tenant_id", "payment_id"]
    )
    op.create_index(
        "payment_transactions_reference_idx",
        "payment_transactions",
        ["tenant_id", "provider_reference"],
    )
    op.create_table(
        "payment_webhook_events",
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("payment_id", sa.Uuid),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint(
            "tenant_id", "provider", "event_id", name="payment_webhook_events_pkey"
        ),
    )
    for table in _TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(_TENANT_TABLES):
        disable_tenant_rls(op, table)
        op.drop_table(table)
