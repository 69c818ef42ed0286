"""The inventory application on the in-memory store: commands and the saga's reactions, fed
contract events through the runtime's consumer bookkeeping (no Kafka)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from inventory.application.app import InventoryApp, WarehouseExists
from inventory.config import InventorySettings
from inventory.domain.errors import AdjustmentBelowReserved, InvalidAdjustment
from inventory.domain.reservation import Reservation, ReservationStatus
from inventory.integration.inbound import build_consumer
from inventory.integration.outbound import translate_all
from shop_runtime.aggregate import NotFound
from shop_runtime.consumer import EventStoreConsumer

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TTL = 600


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class World:
    """An in-memory inventory with one tenant, one warehouse, and a consumer to feed."""

    def __init__(self, saga: SimpleNamespace) -> None:
        self.saga = saga
        self.clock = Clock()
        settings = InventorySettings(reservation_ttl_seconds=TTL)
        self.app = InventoryApp.in_memory(settings)
        self.app.clock = self.clock
        self.consumer: EventStoreConsumer = build_consumer(self.app)
        self.tenant = uuid4()
        self.warehouse = self.app.register_warehouse(self.tenant, "main", "Main").id
        self.offset = 0

    def stock(self, sku: UUID, units: int, warehouse: UUID | None = None) -> None:
        self.app.adjust_stock(self.tenant, sku, warehouse or self.warehouse, units, "purchase")

    def level(self, sku: UUID, warehouse: UUID | None = None) -> tuple[int, int, int]:
        item = self.app.stock_item(self.tenant, sku, warehouse or self.warehouse)
        return item.on_hand, item.reserved, item.available

    def deliver(
        self, event: Any, *, event_id: UUID | None = None, offset: int | None = None
    ) -> str:
        if offset is None:
            self.offset += 1
            offset = self.offset
        message = self.saga.inbound(
            event,
            tenant_id=self.tenant,
            aggregate_id=event.order_id,
            offset=offset,
            event_id=event_id,
        )
        handler = self.consumer._handlers[message.envelope.event_type]
        return self.consumer._apply(message, handler)

    def reservation(self, order_id: UUID) -> Reservation:
        return self.app.reservation(self.tenant, Reservation.create_id(order_id))

    def published(self) -> list[tuple[str, Any]]:
        """(event type, contract event) of everything the relay would publish, in log order."""
        out = []
        for n in self.app.recorder.select_notifications(start=1, limit=10_000):
            for contract in translate_all(self.app.mapper.to_domain_event(n)):
                out.append((type(contract).__name__, contract))
        return out


@pytest.fixture
def world(saga: SimpleNamespace) -> World:
    return World(saga)


# -- warehouses and adjustments --------------------------------------------------------------------


def test_first_adjustment_creates_the_stock_item(world: World) -> None:
    sku = uuid4()
    level = world.app.adjust_stock(world.tenant, sku, world.warehouse, 7, "purchase")
    assert (level.on_hand, level.reserved, level.available) == (7, 0, 7)
    world.app.adjust_stock(world.tenant, sku, world.warehouse, -2, "damage", note="dropped")
    assert world.level(sku) == (5, 0, 5)


def test_adjustments_are_checked(world: World) -> None:
    sku = uuid4()
    with pytest.raises(InvalidAdjustment):
        world.app.adjust_stock(world.tenant, sku, world.warehouse, 3, "stolen")
    with pytest.raises(InvalidAdjustment):
        world.app.adjust_stock(world.tenant, sku, world.warehouse, -3, "purchase")
    with pytest.raises(NotFound):  # nothing was created by the refused adjustments
        world.app.stock_item(world.tenant, sku, world.warehouse)
    with pytest.raises(NotFound):
        world.app.adjust_stock(world.tenant, sku, uuid4(), 3, "purchase")


def test_another_tenants_warehouse_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.app.adjust_stock(uuid4(), uuid4(), world.warehouse, 3, "purchase")
    with pytest.raises(NotFound):
        world.app.warehouse(uuid4(), world.warehouse)


def test_registering_a_code_again(world: World) -> None:
    again = world.app.register_warehouse(world.tenant, "MAIN", "Main")
    assert again.id == world.warehouse
    with pytest.raises(WarehouseExists):
        world.app.register_warehouse(world.tenant, "main", "Other name")
    # Another tenant may use the same code: another warehouse.
    other = world.app.register_warehouse(uuid4(), "main", "Main")
    assert other.id != world.warehouse


# -- the saga ---------------------------------------------------------------------------------


def test_reserve_then_commit(world: World) -> None:
    sku = uuid4()
    world.stock(sku, 10)
    order = uuid4()
    assert world.deliver(world.saga.order_placed(order, [(sku, 3)])) == "applied"
    reservation = world.reservation(order)
    assert reservation.status is ReservationStatus.ACTIVE
    assert reservation.expires_at == T0 + timedelta(seconds=TTL)
    assert world.level(sku) == (10, 3, 7)

    assert world.deliver(world.saga.order_confirmed(order, [(sku, 3)])) == "applied"
    assert world.reservation(order).status is ReservationStatus.COMMITTED
    assert world.level(sku) == (7, 0, 7)

    types = [t for t, _ in world.published()]
    assert types.count("StockReserved") == 1
    assert types.count("ReservationCommitted") == 1
    reserved = next(c for t, c in world.published() if t == "StockReserved")
    assert reserved.order_id == order
    assert [(ln.sku_id, ln.warehouse_id, ln.quantity) for ln in reserved.lines] == [
        (sku, world.warehouse, 3)
    ]


def test_reserve_then_cancel_releases(world: World) -> None:
    sku = uuid4()
    world.stock(sku, 4)
    order = uuid4()
    world.deliver(world.saga.order_placed(order, [(sku, 4)]))
    assert world.level(sku) == (4, 4, 0)
    assert world.deliver(world.saga.order_cancelled(order)) == "applied"
    reservation = world.reservation(order)
    assert reservation.status is ReservationStatus.RELEASED
    assert reservation.release_reason == "order_cancelled"
    assert world.level(sku) == (4, 0, 4)
    released = [c for t, c in world.published() if t == "ReservationReleased"]
    assert [r.reason for r in released] == ["order_cancelled"]


def test_duplicate_deliveries_are_no_ops(world: World) -> None:
    sku = uuid4()
    world.stock(sku, 10)
    order = uuid4()
    placed = world.saga.order_placed(order, [(sku, 2)])
    event_id = uuid4()
    assert world.deliver(placed, event_id=event_id, offset=5) == "applied"
    # The same offset again (crash before the Kafka commit).
    assert world.deliver(placed, event_id=event_id, offset=5) == "already_tracked"
    # The same event under a new offset (the relay re-sent its batch).
    assert world.deliver(placed, event_id=event_id, offset=6) == "duplicate"
    # Another copy with a new event id (orders published twice): the reservation exists.
    assert world.deliver(placed, offset=7) == "applied"
    assert world.level(sku) == (10, 2, 8)

    confirmed = world.saga.order_confirmed(order, [(sku, 2)])
    world.deliver(confirmed, offset=8)
    world.deliver(confirmed, offset=9)  # a new event id: the commit is idempotent
    assert world.level(sku) == (8, 0, 8)
    types = [t for t, _ in world.published()]
    assert types.count("StockReserved") == 1
    assert types.count("ReservationCommitted") == 1


def test_lines_of_one_sku_are_reserved_as_one_quantity(world: World) -> None:
    sku = uuid4()
    world.stock(sku, 5)
    short = uuid4()
    world.deliver(world.saga.order_placed(short, [(sku, 3), (sku, 3)]))
    assert world.reservation(short).status is ReservationStatus.FAILED
    failed = next(c for t, c in world.published() if t == "ReservationFailed")
    assert [(s.sku_id, s.requested, s.available) for s in failed.shortages] == [(sku, 6, 5)]
    assert world.level(sku) == (5, 0, 5)

    fits = uuid4()
    world.deliver(world.saga.order_placed(fits, [(sku, 2), (sku, 3)]))
    assert world.reservation(fits).status is ReservationStatus.ACTIVE
    assert world.level(sku) == (5, 5, 0)


def test_all_or_nothing(world: World) -> None:
    plenty, scarce, unknown = uuid4(), uuid4(), uuid4()
    world.stock(plenty, 10)
    world.stock(scarce, 1)
    order = uuid4()
    world.deliver(world.saga.order_placed(order, [(plenty, 2), (scarce, 2), (unknown, 1)]))
    assert world.reservation(order).status is ReservationStatus.FAILED
    assert world.level(plenty) == (10, 0, 10)
    assert world.level(scarce) == (1, 0, 1)
    failed = next(c for t, c in world.published() if t == "ReservationFailed")
    assert failed.reason == "out_of_stock"
    assert {(s.sku_id, s.requested, s.available) for s in failed.shortages} == {
        (scarce, 2, 1),
        (unknown, 1, 0),
    }
    # Its cancellation (out of stock) finds nothing to release.
    assert world.deliver(world.saga.order_cancelled(order, "out_of_stock")) == "applied"
    assert world.reservation(order).status is ReservationStatus.FAILED


def test_the_warehouse_with_most_available_holds_the_line(world: World) -> None:
    sku = uuid4()
    second = world.app.register_warehouse(world.tenant, "second", "Second").id
    world.stock(sku, 2)
    world.stock(sku, 6, second)
    order = uuid4()
    world.deliver(world.saga.order_placed(order, [(sku, 5)]))
    assert world.level(sku, second) == (6, 5, 1)
    assert world.level(sku) == (2, 0, 2)


def test_expiry_releases_after_the_ttl(world: World) -> None:
    sku = uuid4()
    world.stock(sku, 3)
    order = uuid4()
    world.deliver(world.saga.order_placed(order, [(sku, 3)]))
    rid = Reservation.create_id(order)
    assert world.app.expire(world.tenant, rid, T0 + timedelta(seconds=TTL - 1)) is False
    assert world.level(sku) == (3, 3, 0)

    assert world.app.expire(world.tenant, rid, T0 + timedelta(seconds=TTL)) is True
    reservation = world.reservation(order)
    assert reservation.status is ReservationStatus.RELEASED
    assert reservation.release_reason == "expired"
    assert world.level(sku) == (3, 0, 3)
    # Expiring again, or confirming the order late, changes nothing.
    assert world.app.expire(world.tenant, rid, T0 + timedelta(seconds=TTL + 5)) is False
    world.deliver(world.saga.order_confirmed(order, [(sku, 3)]))
    assert world.reservation(order).status is ReservationStatus.RELEASED
    assert world.level(sku) == (3, 0, 3)


def test_a_committed_reservation_does_not_expire(world: World) -> None:
    sku = uuid4()
    world.stock(sku, 3)
    order = uuid4()
    world.deliver(world.saga.order_placed(order, [(sku, 1)]))
    world.deliver(world.saga.order_confirmed(order, [(sku, 1)]))
    rid = Reservation.create_id(order)
    assert world.app.expire(world.tenant, rid, T0 + timedelta(days=1)) is False
    assert world.level(sku) == (2, 0, 2)


def test_adjusting_below_reserved_is_refused(world: World) -> None:
    sku = uuid4()
    world.stock(sku, 3)
    world.deliver(world.saga.order_placed(uuid4(), [(sku, 2)]))
    with pytest.raises(AdjustmentBelowReserved):
        world.app.adjust_stock(world.tenant, sku, world.warehouse, -2, "damage")
    assert world.level(sku) == (3, 2, 1)


def test_every_level_change_publishes_the_absolute_level(world: World) -> None:
    sku = uuid4()
    world.stock(sku, 5)
    order = uuid4()
    world.deliver(world.saga.order_placed(order, [(sku, 2)]))
    world.deliver(world.saga.order_confirmed(order, [(sku, 2)]))
    other = uuid4()
    world.deliver(world.saga.order_placed(other, [(sku, 1)]))
    world.deliver(world.saga.order_cancelled(other))

    levels = [c for t, c in world.published() if t == "StockLevelChanged"]
    assert [(c.on_hand, c.reserved, c.available) for c in levels] == [
        (5, 0, 5),  # adjusted
        (5, 2, 3),  # reserved
        (3, 0, 3),  # committed
        (3, 1, 2),  # reserved
        (3, 0, 3),  # released
    ]
    assert {(c.sku_id, c.warehouse_id) for c in levels} == {(sku, world.warehouse)}
    adjusted = [c for t, c in world.published() if t == "StockAdjusted"]
    assert [(c.delta, c.on_hand, c.reason) for c in adjusted] == [(5, 5, "purchase")]


def test_ttl_comes_from_settings(saga: SimpleNamespace) -> None:
    app = InventoryApp.in_memory(InventorySettings(reservation_ttl_seconds=42))
    assert app.reservation_ttl == timedelta(seconds=42)
    assert InventoryApp.in_memory().reservation_ttl == timedelta(seconds=900)
