"""Available stock never goes negative, whatever runs at once (real Postgres, optimistic
concurrency on each stream): 50 orders race for 20 units of one SKU, half through the
application's command and half through the Kafka consumer's bookkeeping (each on its own
partition, as several consumer processes would), while an admin adjusts the same stock item."""

from __future__ import annotations

import itertools
import random
import threading
from typing import Any
from uuid import UUID, uuid4

import pytest
from inventory.application.app import InventoryApp
from inventory.domain.errors import AdjustmentBelowReserved
from inventory.domain.reservation import Reservation, ReservationStatus
from inventory.domain.stock_item import StockItem
from inventory.integration.inbound import build_consumer
from shop_contracts.ids import derived_id

pytestmark = pytest.mark.integration

ORDERS = 50
STOCK = 20
_RACES = itertools.count()


def race(inventory: InventoryApp, saga: Any, *, admin_adjustments: int) -> dict[str, Any]:
    tenant, sku = uuid4(), uuid4()
    warehouse = inventory.register_warehouse(tenant, "race", "Race").id
    inventory.adjust_stock(tenant, sku, warehouse, STOCK, "purchase")
    consumer = build_consumer(inventory)
    offset = next(_RACES)  # one record per partition per race: offsets rise between races
    rng = random.Random(7)
    orders = [(uuid4(), rng.choice((1, 2))) for _ in range(ORDERS)]
    barrier = threading.Barrier(ORDERS + 1)
    errors: list[BaseException] = []
    kept: list[int] = []  # admin +1s whose -1 was refused: those units stayed on hand

    def place(index: int, order_id: UUID, quantity: int) -> None:
        event = saga.order_placed(order_id, [(sku, quantity)])
        barrier.wait()
        try:
            if index % 2:
                inventory.reserve(tenant, order_id, event.lines)
            else:
                message = saga.inbound(
                    event, tenant_id=tenant, aggregate_id=order_id, offset=offset, partition=index
                )
                outcome = consumer._apply(message, consumer._handlers["orders.order_placed"])
                assert outcome == "applied"
        except BaseException as e:
            errors.append(e)

    def admin() -> None:
        barrier.wait()
        for _ in range(admin_adjustments):
            try:
                inventory.adjust_stock(tenant, sku, warehouse, 1, "purchase")
            except BaseException as e:
                errors.append(e)
                continue
            try:
                inventory.adjust_stock(tenant, sku, warehouse, -1, "adjustment")
            except AdjustmentBelowReserved:
                kept.append(1)  # an order took the extra unit meanwhile: legitimate
            except BaseException as e:
                errors.append(e)

    threads = [threading.Thread(target=place, args=(i, *o)) for i, o in enumerate(orders)]
    threads.append(threading.Thread(target=admin))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors

    item = inventory.stock_item(tenant, sku, warehouse)
    statuses = {}
    held = 0
    for order_id, quantity in orders:
        reservation = inventory.reservation(tenant, Reservation.create_id(order_id))
        statuses[order_id] = reservation.status
        if reservation.status is ReservationStatus.ACTIVE:
            held += quantity
    # Every level the stock item ever recorded, in order.
    history = [
        (e.on_hand, e.reserved, e.available)  # type: ignore[attr-defined]
        for e in inventory.events.get(StockItem.create_id(tenant, sku, warehouse))
        if hasattr(e, "on_hand")
    ]
    return {
        "item": item,
        "statuses": statuses,
        "held": held,
        "history": history,
        "stock": STOCK + len(kept),
    }


def check(result: dict[str, Any]) -> None:
    item, statuses, held, history = (
        result["item"], result["statuses"], result["held"], result["history"]
    )  # fmt: skip
    assert set(statuses.values()) <= {ReservationStatus.ACTIVE, ReservationStatus.FAILED}
    assert len(statuses) == ORDERS  # every order got an answer
    assert held == item.reserved  # the sum of the successful reservations is what is reserved
    assert item.on_hand == result["stock"]
    assert item.reserved <= result["stock"]
    assert item.available == item.on_hand - item.reserved >= 0
    assert all(available >= 0 and 0 <= reserved <= on_hand for on_hand, reserved, available
               in history)  # fmt: skip
    # Stock ran out: the race was real, and nothing was left that a failed order could have had.
    assert ReservationStatus.FAILED in statuses.values()
    assert item.available <= 1


def test_fifty_orders_race_for_twenty_units(inventory: InventoryApp, saga: Any) -> None:
    result = race(inventory, saga, admin_adjustments=0)
    check(result)
    assert result["stock"] == STOCK


def test_the_race_with_an_admin_adjusting_the_same_item(inventory: InventoryApp, saga: Any) -> None:
    result = race(inventory, saga, admin_adjustments=10)
    check(result)


def test_reservation_ids_are_derived_from_orders() -> None:
    order_id = uuid4()
    assert Reservation.create_id(order_id) == derived_id(order_id, "reservation")
