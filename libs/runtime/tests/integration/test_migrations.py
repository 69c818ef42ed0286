"""A service's Alembic folder reduced to `run_migrations`: runtime tables, RLS, event store."""

from __future__ import annotations

import textwrap
from pathlib import Path
from uuid import uuid4

import anyio
import pytest
from alembic import command
from alembic.config import Config
from shop_runtime.rls import tenant_tables_without_forced_rls
from shop_runtime.testing.counter import CounterApp
from shop_runtime.testing.postgres import TestDatabase
from sqlalchemy import text

pytestmark = pytest.mark.integration

ENV_PY = """
from alembic import context
from shop_runtime.migrations import run_migrations

attributes = context.config.attributes
run_migrations(
    settings=attributes["settings"],
    schema=attributes["schema"],
    event_store_apps=attributes["event_store_apps"],
)
"""

REVISION = """
import sqlalchemy as sa
from alembic import op
from shop_runtime.migrations import create_runtime_tables
from shop_runtime.rls import enable_tenant_rls

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_runtime_tables(op)
    op.create_table(
        "order_list",
        sa.Column("order_id", sa.Uuid, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
    )
    enable_tenant_rls(op, "order_list")
"""


async def test_run_migrations_creates_protected_tables_and_the_event_store(tmp_path: Path) -> None:
    db = TestDatabase.create(prefix="mig")
    try:
        script = tmp_path / "alembic"
        (script / "versions").mkdir(parents=True)
        (script / "env.py").write_text(textwrap.dedent(ENV_PY))
        (script / "script.py.mako").write_text("")
        (script / "versions" / "0001_initial.py").write_text(textwrap.dedent(REVISION))
        config = Config()
        config.set_main_option("script_location", str(script))
        app_name = f"Orders{uuid4().hex[:6]}"
        config.attributes.update(
            settings=db.settings, schema=db.schema, event_store_apps=[app_name]
        )

        await anyio.to_thread.run_sync(command.upgrade, config, "head")
        await anyio.to_thread.run_sync(command.upgrade, config, "head")  # idempotent

        owner = db.engine(owner=True, pool_size=1)
        async with owner.connect() as conn:
            tables = set(
                (
                    await conn.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                        {"s": db.schema},
                    )
                ).scalars()
            )
            assert await tenant_tables_without_forced_rls(conn) == []
        prefix = app_name.lower()
        assert {
            "alembic_version",
            "consumer_tracking",
            "processed_events",
            "projection_tracking",
            "order_list",
            f"{prefix}_events",
            f"{prefix}_tracking",
            f"{prefix}_processed",
        } <= tables

        # The application role can use the event store the migration created.
        app = CounterApp(db.settings, name=app_name, schema=db.schema)
        tenant = uuid4()
        counter_id = app.create_counter(tenant, "x")
        assert app.increment(counter_id, tenant, 2) == 2
        app.close()
    finally:
        await db.dispose()
        db.drop()
