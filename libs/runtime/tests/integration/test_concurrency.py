"""Optimistic concurrency on the real event store: retried commands lose no update."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import anyio
import pytest
from shop_runtime.testing.counter import CounterApp
from shop_runtime.testing.postgres import TestDatabase, shop_test_settings

pytestmark = pytest.mark.integration

WRITERS = 50


async def test_fifty_concurrent_increments_on_one_aggregate_all_land(
    test_database: TestDatabase,
) -> None:
    settings = shop_test_settings(command_retries=500, postgres_pool_size=10)
    name = f"Hot{uuid4().hex[:8]}"
    test_database.create_event_store(name)
    app = CounterApp(settings, name=name, schema=test_database.schema)
    tenant = uuid4()
    counter_id = app.create_counter(tenant, "hot")
    start = threading.Barrier(WRITERS)

    def increment() -> int:
        start.wait()  # all writers read the same version, then race to save
        return app.increment(counter_id, tenant, 1)

    def run_all() -> list[int]:
        with ThreadPoolExecutor(WRITERS) as pool:
            return list(pool.map(lambda _: increment(), range(WRITERS)))

    try:
        results = await anyio.to_thread.run_sync(run_all)
        counter = app.counter(counter_id, tenant)
        versions = [e.originator_version for e in app.events.get(counter_id)]
    finally:
        app.close()

    assert counter.value == WRITERS  # no lost update
    assert counter.version == WRITERS + 1  # creation + one event per command
    assert versions == list(range(1, WRITERS + 2))  # contiguous, nothing overwritten
    assert sorted(results) == list(range(1, WRITERS + 1))  # each command saw its own increment
