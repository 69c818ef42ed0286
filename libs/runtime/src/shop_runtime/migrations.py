"""Alembic plumbing shared by every service, so each service's ``alembic/`` folder stays tiny.

Migrations run as the **owner** role (``settings.sqlalchemy_url(owner=True)``): it owns every table.
The application role owns nothing; it gets privileges on the owner's tables by the database's
default privileges (``deploy/postgres/init.sql``) and, explicitly, by `grant_app_role`.

A service's ``alembic/env.py`` is three lines::

    from orders.adapters.read_models import metadata
    from shop_runtime.migrations import run_migrations
    run_migrations(metadata, event_store_apps=["Orders"])

and its first revision creates the runtime tables beside its own::

    from shop_runtime.migrations import create_runtime_tables
    def upgrade() -> None:
        create_runtime_tables(op)
        op.create_table("order_list", ...)
        enable_tenant_rls(op, "order_list")

``run_migrations`` also creates the event store tables of the named applications
(`shop_runtime.eventstore.create_event_store_tables`): they are the library's tables, created by its
own DDL (idempotent), not by Alembic revisions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shop_runtime.eventstore import create_event_store_tables
from shop_runtime.rls import Executes, checked_identifier
from shop_runtime.settings import ServiceSettings
from shop_runtime.tracking import runtime_metadata

__all__ = [
    "create_runtime_tables",
    "drop_runtime_tables",
    "grant_app_role",
    "run_migrations",
    "runtime_metadata",
    "target_metadata",
]


def target_metadata(*service_metadata: MetaData) -> list[MetaData]:
    """The service's metadata plus the runtime tables: what autogenerate compares against."""
    return [*service_metadata, runtime_metadata]


def create_runtime_tables(op: Any, *, app_role: str | None = None) -> None:
    """Create ``consumer_tracking``, ``processed_events`` and ``projection_tracking`` (idempotent).

    ``op`` is Alembic's ``op`` (or anything with ``get_bind()`` returning a sync ``Connection``).
    """
    bind: Connection = op.get_bind() if hasattr(op, "get_bind") else op
    runtime_metadata.create_all(bind, checkfirst=True)
    if app_role:
        for table in runtime_metadata.sorted_tables:
            grant_app_role(bind, table.name, app_role)


def drop_runtime_tables(op: Any) -> None:
    bind: Connection = op.get_bind() if hasattr(op, "get_bind") else op
    runtime_metadata.drop_all(bind, checkfirst=True)


def grant_app_role(
    target: Executes,
    table: str,
    role: str,
    *,
    privileges: Sequence[str] = ("SELECT", "INSERT", "UPDATE", "DELETE"),
) -> None:
    """GRANT the application role DML on ``table`` (the app role owns nothing)."""
    allowed = {"SELECT", "INSERT", "UPDATE", "DELETE"}
    if not set(privileges) <= allowed:
        raise ValueError(f"privileges must be among {sorted(allowed)}")
    table, role = checked_identifier(table), checked_identifier(role)
    target.execute(text(f"GRANT {', '.join(privileges)} ON {table} TO {role}"))


def run_migrations(
    *metadata: MetaData,
    settings: ServiceSettings | None = None,
    event_store_apps: Sequence[str] = (),
    schema: str | None = None,
) -> None:
    """The body of a service's ``alembic/env.py``: offline (SQL script) or online (owner role)."""
    from alembic import context  # only importable inside an Alembic run

    settings = settings if settings is not None else ServiceSettings()
    targets = target_metadata(*metadata)
    url = settings.sqlalchemy_url(owner=True)
    options: dict[str, Any] = {
        "target_metadata": targets,
        "compare_type": True,
    }
    if schema:
        options["version_table_schema"] = schema

    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        connect_args: dict[str, Any] = {}
        if schema:
            connect_args["server_settings"] = {"search_path": schema}
        engine = create_async_engine(url, connect_args=connect_args)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(migrate)
                await conn.commit()
        finally:
            await engine.dispose()

    asyncio.run(online())
    for app_name in event_store_apps:
        create_event_store_tables(settings, app_name, schema=schema or "public")
