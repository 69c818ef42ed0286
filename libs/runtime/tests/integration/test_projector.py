"""Projector: the service's own log → RLS-protected view rows, tracked in the same transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from eventsourcing.domain import DomainEventProtocol
from shop_runtime.db import tenant_transaction
from shop_runtime.projector import Projector
from shop_runtime.rls import enable_tenant_rls
from shop_runtime.testing.counter import Counter, CounterApp
from shop_runtime.testing.postgres import TestDatabase
from shop_runtime.tracking import projection_position, runtime_metadata
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

pytestmark = pytest.mark.integration


class CounterView(Projector):
    """One row per counter. Inserts are plain INSERTs: a replayed Created would violate the key."""

    def __init__(self, *args: object, table: str, fail_on_value: int | None = None, **kw: object):
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.table = table
        self.fail_on_value = fail_on_value

    async def project(self, conn: AsyncConnection, event: DomainEventProtocol[UUID]) -> None:
        if isinstance(event, Counter.Created):
            await conn.execute(
                text(
                    f"INSERT INTO {self.table} (counter_id, tenant_id, name, value, version) "
                    "VALUES (:id, :tenant, :name, 0, 1)"
                ),
                {"id": event.originator_id, "tenant": event.tenant_id, "name": event.name},
            )
        elif isinstance(event, Counter.Incremented):
            if self.fail_on_value is not None and event.by == self.fail_on_value:
                raise RuntimeError("projection bug")
            await conn.execute(
                text(
                    f"UPDATE {self.table} SET value = value + :by, version = :v "
                    "WHERE counter_id = :id"
                ),
                {"id": event.originator_id, "by": event.by, "v": event.originator_version},
            )


@dataclass
class Setup:
    app: CounterApp
    engine: AsyncEngine
    table: str


@pytest_asyncio.fixture(loop_scope="session")
async def setup(test_database: TestDatabase, owner_engine: AsyncEngine) -> AsyncIterator[Setup]:
    table = f"counter_view_{uuid4().hex[:8]}"
    async with owner_engine.begin() as conn:
        await conn.run_sync(lambda sync: runtime_metadata.create_all(sync, checkfirst=True))
        await conn.execute(
            text(
                f"CREATE TABLE {table} (counter_id uuid PRIMARY KEY, tenant_id uuid NOT NULL, "
                "name text NOT NULL, value int NOT NULL, version int NOT NULL)"
            )
        )
        await conn.run_sync(lambda sync: enable_tenant_rls(sync, table))
    app = test_database.app(CounterApp)
    try:
        yield Setup(app=app, engine=test_database.engine(pool_size=2), table=table)
    finally:
        app.close()


async def catch_up(projector: Projector) -> int:
    total = 0
    while n := await projector.run_once():
        total += n
    return total


async def rows(s: Setup, tenant: UUID) -> dict[UUID, tuple[int, int]]:
    async with tenant_transaction(s.engine, tenant) as conn:
        result = await conn.execute(text(f"SELECT counter_id, value, version FROM {s.table}"))
        return {row[0]: (row[1], row[2]) for row in result}


async def test_events_become_rows_of_their_tenant_and_restart_resumes(setup: Setup) -> None:
    s = setup
    tenant_a, tenant_b = uuid4(), uuid4()
    a = s.app.create_counter(tenant_a, "a")
    b = s.app.create_counter(tenant_b, "b")
    for _ in range(3):
        s.app.increment(a, tenant_a, 2)
        s.app.increment(b, tenant_b, 5)
    s.app.rename(a, tenant_a, "renamed")  # not projected, but the position moves past it

    projector = CounterView(s.app, s.engine, name=f"view-{s.table}", table=s.table, batch_size=3)
    assert await catch_up(projector) == 9
    assert await rows(s, tenant_a) == {a: (6, 4)}
    assert await rows(s, tenant_b) == {b: (15, 4)}
    async with s.engine.connect() as conn:
        assert await projection_position(conn, projector.projection) == (
            s.app.recorder.max_notification_id()
        )

    # A restarted projector resumes after its tracked position: nothing is applied twice.
    restarted = CounterView(s.app, s.engine, name=projector.projection, table=s.table)
    assert await catch_up(restarted) == 0
    s.app.increment(a, tenant_a, 1)
    assert await catch_up(restarted) == 1
    assert await rows(s, tenant_a) == {a: (7, 6)}  # version 5 was the rename
    assert await rows(s, tenant_b) == {b: (15, 4)}


async def test_a_failing_batch_leaves_no_partial_rows_and_no_position(setup: Setup) -> None:
    s = setup
    tenant = uuid4()
    name = f"fail-{s.table}"
    counter = s.app.create_counter(tenant, "c")
    s.app.increment(counter, tenant, 1)
    s.app.increment(counter, tenant, 99)  # the buggy projector fails on this one
    first = CounterView(s.app, s.engine, name=name, table=s.table, fail_on_value=99)
    first._position = s.app.recorder.max_notification_id() - 3  # type: ignore[operator]

    with pytest.raises(RuntimeError, match="projection bug"):
        await first.run_once()
    assert await rows(s, tenant) == {}  # the Created row of the same batch rolled back too
    async with s.engine.connect() as conn:
        assert await projection_position(conn, name) is None

    fixed = CounterView(s.app, s.engine, name=name, table=s.table)
    fixed._position = first._position
    assert await catch_up(fixed) == 3
    assert await rows(s, tenant) == {counter: (100, 3)}
