"""shipping: runtime tables, tenant directory, read model (shipments, tracking, NDR cases), RLS.

Revision ID: 0001_shipping_initial
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from shop_runtime.migrations import create_runtime_tables
from shop_runtime.rls import disable_tenant_rls, enable_tenant_rls
from shop_runtime.tenant_directory import create_tenant_directory_tables
from sqlalchemy.dialects import postgresql

revision: str = "0001_shipping_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("shipments", "shipment_tracking_events", "shipment_ndr_cases")


def upgrade() -> None:
    create_runtime_tables(op)
    create_tenant_directory_tables(op)
    op.create_table(
        "shipments",
        sa.Column("shipment_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("carrier", sa.Text()),
        sa.Column("tracking_number", sa.Text()),
        sa.Column("tracking_url", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("shipments_tenant_order_idx", "shipments", ["tenant_id", "order_id"])
    op.create_index(
        "shipments_tenant_created_idx", "shipments", ["tenant_id", "created_at", "shipment_id"]
    )
    op.create_index("shipments_tenant_tracking_idx", "shipments", ["tenant_id", "tracking_number"])
    op.create_table(
        "shipment_tracking_events",
        sa.Column("shipment_id", sa.Uuid(), primary_key=True),
        sa.Column("carrier_event_id", sa.Text(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, comment="Aggregate version: arrival order"),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.Text()),
        sa.Column("description", sa.Text()),
        sa.Column("reason_code", sa.Text()),
        sa.Column("outcome", sa.Text(), nullable=False),
    )
    op.create_table(
        "shipment_ndr_cases",
        sa.Column("ndr_case_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("shipment_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason_code", sa.Text(), nullable=False),
        sa.Column("reason_description", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution", sa.Text()),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column(
            "actions", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
    )
    op.create_index(
        "shipment_ndr_cases_shipment_idx", "shipment_ndr_cases", ["shipment_id", "number"]
    )
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
        op.drop_table(table)
