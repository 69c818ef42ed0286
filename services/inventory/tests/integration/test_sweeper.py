"""The expiry sweeper against real Postgres: it finds due reservations of every tenant through
the read model's due-list function (row-level security stays on for everything else) and
releases them from the event store's truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from inventory.adapters.read_models import SqlInventoryQueries
from inventory.adapters.sweeper import ExpirySweeper
from inventory.application.app import InventoryApp
from inventory.domain.reservation import Reservation, ReservationStatus
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = pytest.mark.integration


async def test_expired_reservations_of_every_tenant_are_released(
    inventory: InventoryApp, engine: AsyncEngine, project: Any, saga: Any
) -> None:
    queries = SqlInventoryQueries(engine)
    ttl = timedelta(seconds=inventory.settings.reservation_ttl_seconds)
    made: list[tuple[Any, Any, Any]] = []
    for _ in range(2):  # two tenants
        tenant, sku = uuid4(), uuid4()
        warehouse = inventory.register_warehouse(tenant, "main", "Main").id
        inventory.adjust_stock(tenant, sku, warehouse, 5, "purchase")
        expiring, confirmed = uuid4(), uuid4()
        inventory.reserve(tenant, expiring, saga.order_placed(expiring, [(sku, 2)]).lines)
        inventory.reserve(tenant, confirmed, saga.order_placed(confirmed, [(sku, 1)]).lines)
        inventory.commit(tenant, Reservation.create_id(confirmed))
        made.append((tenant, sku, warehouse, expiring, confirmed))  # type: ignore[arg-type]
    await project()

    now = datetime.now(UTC)
    mine = {Reservation.create_id(m[3]) for m in made}
    # Nothing is due before the TTL.
    early = await queries.due_reservations(now, 10_000)
    assert not mine & {d.reservation_id for d in early}
    later = now + ttl + timedelta(seconds=1)
    due = await queries.due_reservations(later, 10_000)
    assert mine <= {d.reservation_id for d in due}
    assert {(d.tenant_id, d.reservation_id) for d in due} >= {
        (m[0], Reservation.create_id(m[3])) for m in made
    }

    sweeper = ExpirySweeper(inventory, queries, clock=lambda: later)
    assert await sweeper.sweep_once() >= 2
    for tenant, sku, warehouse, expiring, confirmed in made:  # type: ignore[misc]
        released = inventory.reservation(tenant, Reservation.create_id(expiring))
        assert released.status is ReservationStatus.RELEASED
        assert released.release_reason == "expired"
        assert (
            inventory.reservation(tenant, Reservation.create_id(confirmed)).status
            is ReservationStatus.COMMITTED
        )
        item = inventory.stock_item(tenant, sku, warehouse)
        assert (item.on_hand, item.reserved, item.available) == (4, 0, 4)

    await project()
    assert not mine & {d.reservation_id for d in await queries.due_reservations(later, 10_000)}
    view = await queries.reservation_for_order(made[0][0], made[0][3])
    assert view is not None and (view.status, view.reason) == ("released", "expired")
    # A second pass finds nothing of ours to do.
    assert await sweeper.sweep_once() == 0


async def test_the_app_role_still_cannot_read_reservations_across_tenants(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM reservations"))).scalar() == 0
