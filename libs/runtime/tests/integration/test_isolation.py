"""Row-level security: the application role sees exactly the transaction's tenant."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
import pytest_asyncio
from shop_runtime.db import system_transaction, tenant_transaction
from shop_runtime.rls import enable_tenant_rls, tenant_tables_without_forced_rls
from shop_runtime.testing.postgres import TestDatabase
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

pytestmark = pytest.mark.integration

TENANT_A, TENANT_B = uuid4(), uuid4()
ROWS_PER_TENANT = 50


@pytest_asyncio.fixture(loop_scope="session")
async def isolated_db() -> AsyncIterator[TestDatabase]:
    # A schema of its own: the "every tenant table" check must see only this test's tables.
    db = TestDatabase.create(prefix="iso")
    try:
        owner = db.engine(owner=True, pool_size=1)
        async with owner.begin() as conn:
            await conn.execute(
                text(
                    "CREATE TABLE notes (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, "
                    "body text NOT NULL)"
                )
            )
            await conn.execute(text("CREATE TABLE plans (code text PRIMARY KEY)"))  # not tenant
            await conn.run_sync(lambda sync: enable_tenant_rls(sync, "notes"))
        # Rows of two tenants, written as the application role with the tenant set.
        engine = db.engine(pool_size=1)
        for tenant in (TENANT_A, TENANT_B):
            async with tenant_transaction(engine, tenant) as conn:
                for i in range(ROWS_PER_TENANT):
                    await conn.execute(
                        text("INSERT INTO notes VALUES (:id, :tenant, :body)"),
                        {"id": uuid4(), "tenant": tenant, "body": f"{tenant}:{i}"},
                    )
        yield db
    finally:
        await db.dispose()
        db.drop()


async def test_every_tenant_table_has_forced_rls(isolated_db: TestDatabase) -> None:
    owner = isolated_db.engine(owner=True, pool_size=1)
    async with owner.connect() as conn:
        assert await tenant_tables_without_forced_rls(conn) == []
        # The check does fail on an unprotected tenant table.
        await conn.execute(text("CREATE TABLE leaky (tenant_id uuid NOT NULL)"))
        assert await tenant_tables_without_forced_rls(conn) == ["leaky"]
        await conn.rollback()


async def test_app_role_sees_only_its_tenant_and_nothing_without_one(
    isolated_db: TestDatabase,
) -> None:
    engine = isolated_db.engine(pool_size=2)
    async with engine.connect() as conn:
        bypass = await conn.scalar(
            text("SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user")
        )
    assert bypass is False

    async with system_transaction(engine) as conn:
        assert await conn.scalar(text("SELECT count(*) FROM notes")) == 0
    for tenant in (TENANT_A, TENANT_B):
        async with tenant_transaction(engine, tenant) as conn:
            tenants = (await conn.execute(text("SELECT DISTINCT tenant_id FROM notes"))).scalars()
            assert list(tenants) == [tenant]
            assert await conn.scalar(text("SELECT count(*) FROM notes")) == ROWS_PER_TENANT
    # After a tenant transaction the pooled connection carries no tenant.
    async with system_transaction(engine) as conn:
        assert await conn.scalar(text("SELECT count(*) FROM notes")) == 0


async def test_writing_another_tenants_row_is_refused(isolated_db: TestDatabase) -> None:
    engine = isolated_db.engine(pool_size=1)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with tenant_transaction(engine, TENANT_A) as conn:
            await conn.execute(
                text("INSERT INTO notes VALUES (:id, :tenant, 'smuggled')"),
                {"id": uuid4(), "tenant": TENANT_B},
            )
    with pytest.raises(DBAPIError, match="row-level security"):
        async with system_transaction(engine) as conn:
            await conn.execute(
                text("INSERT INTO notes VALUES (:id, :tenant, 'no tenant')"),
                {"id": uuid4(), "tenant": TENANT_A},
            )


async def test_ten_thousand_alternating_queries_over_two_connections_never_leak(
    isolated_db: TestDatabase,
) -> None:
    engine = isolated_db.engine(pool_size=2)
    queries, tasks = 10_000, 20
    foreign = 0
    seen = 0
    assert ROWS_PER_TENANT > 0

    async def worker(index: int) -> None:
        nonlocal foreign, seen
        for i in range(queries // tasks):
            tenant = TENANT_A if (index + i) % 2 == 0 else TENANT_B
            async with tenant_transaction(engine, tenant) as conn:
                rows = (await conn.execute(text("SELECT tenant_id FROM notes"))).scalars().all()
            seen += len(rows)
            foreign += sum(1 for row in rows if row != tenant)

    await asyncio.gather(*(worker(i) for i in range(tasks)))
    assert seen > 0
    assert foreign == 0
