"""Stock levels of one SKU in one warehouse: adjustments, reservations, low-stock signal."""

from __future__ import annotations

import contextlib
from uuid import UUID, uuid4

import pytest
from inventory.domain.errors import (
    AdjustmentBelowReserved,
    InsufficientStock,
    InvalidAdjustment,
    InvalidQuantity,
    ReservationAlreadySettled,
    ReservationQuantityMismatch,
    UnknownReservation,
)
from inventory.domain.outcome import Outcome
from inventory.domain.stock_item import AdjustmentReason, StockItem, stock_item_id


def make_item(tenant_id: UUID, on_hand: int = 10, reorder_point: int = 0) -> StockItem:
    item = StockItem.register(tenant_id, uuid4(), uuid4(), reorder_point=reorder_point)
    if on_hand:
        item.adjust(on_hand, AdjustmentReason.PURCHASE)
    return item


def levels(item: StockItem) -> tuple[int, int, int]:
    return item.on_hand, item.reserved, item.available


# -- identity -------------------------------------------------------------------------------------


def test_id_is_derived_from_tenant_sku_and_warehouse(tenant_id: UUID) -> None:
    sku, warehouse = uuid4(), uuid4()
    item = StockItem.register(tenant_id, sku, warehouse)
    assert (
        item.id
        == stock_item_id(tenant_id, sku, warehouse)
        == StockItem.create_id(tenant_id, sku, warehouse)
    )
    assert stock_item_id(uuid4(), sku, warehouse) != item.id
    assert stock_item_id(tenant_id, warehouse, sku) != item.id


def test_negative_reorder_point_is_refused(tenant_id: UUID) -> None:
    with pytest.raises(InvalidQuantity):
        StockItem.register(tenant_id, uuid4(), uuid4(), reorder_point=-1)


# -- adjustments ----------------------------------------------------------------------------------


def test_adjustment_records_reason_author_and_levels_after(tenant_id, given) -> None:
    item = make_item(tenant_id, on_hand=10)
    item.reserve(uuid4(), 3)
    given(item)
    staff = uuid4()

    item.adjust(-2, AdjustmentReason.DAMAGE, adjusted_by=staff, note="dropped pallet")

    [adjusted] = item.pending_events
    assert type(adjusted).__name__ == "Adjusted"
    assert (adjusted.delta, adjusted.reason, adjusted.adjusted_by) == (-2, "damage", staff)
    assert (adjusted.on_hand, adjusted.reserved, adjusted.available) == (8, 3, 5)
    assert levels(item) == (8, 3, 5)


@pytest.mark.parametrize(
    ("reason", "delta"),
    [
        ("purchase", -1),
        ("return", -1),
        ("restock", -1),
        ("damage", 1),
        ("purchase", 0),
        ("adjustment", 0),
        ("theft", 1),
    ],
)
def test_adjustment_reason_and_sign_must_agree(tenant_id, reason: str, delta: int) -> None:
    item = make_item(tenant_id, on_hand=10)
    with pytest.raises(InvalidAdjustment) as exc:
        item.adjust(delta, reason)
    assert exc.value.status == 422
    assert item.on_hand == 10


@pytest.mark.parametrize(("reason", "delta"), [("adjustment", -3), ("count", 4), ("return", 2)])
def test_allowed_adjustments_change_on_hand(tenant_id, reason: str, delta: int) -> None:
    item = make_item(tenant_id, on_hand=10)
    item.adjust(delta, reason)
    assert item.on_hand == 10 + delta


def test_adjustment_below_reserved_is_refused_and_records_nothing(tenant_id, given) -> None:
    item = make_item(tenant_id, on_hand=10)
    item.reserve(uuid4(), 7)
    given(item)

    with pytest.raises(AdjustmentBelowReserved) as exc:
        item.adjust(-4, AdjustmentReason.DAMAGE)

    assert exc.value.status == 409
    assert item.pending_events == []
    assert levels(item) == (10, 7, 3)
    item.adjust(-3, AdjustmentReason.DAMAGE)  # down to exactly the reserved units is fine
    assert levels(item) == (7, 7, 0)


def test_cycle_count_sets_on_hand_to_what_was_counted(tenant_id, given) -> None:
    item = make_item(tenant_id, on_hand=10)
    given(item)

    item.count(6, counted_by=uuid4())
    item.count(6)  # a matching count is still recorded, with delta 0

    assert [(e.delta, e.reason) for e in item.pending_events] == [(-4, "count"), (0, "count")]
    assert item.on_hand == 6


# -- reservations ---------------------------------------------------------------------------------


def test_reserve_release_commit_arithmetic(tenant_id) -> None:
    item = make_item(tenant_id, on_hand=10)
    a, b = uuid4(), uuid4()

    assert item.reserve(a, 4) is Outcome.APPLIED
    assert item.reserve(b, 5) is Outcome.APPLIED
    assert levels(item) == (10, 9, 1)

    assert item.release(a, 4, "order_cancelled") is Outcome.APPLIED
    assert levels(item) == (10, 5, 5)

    assert item.commit(b, 5) is Outcome.APPLIED  # the sale leaves on-hand stock
    assert levels(item) == (5, 0, 5)


def test_reserving_more_than_available_is_refused(tenant_id, given) -> None:
    item = make_item(tenant_id, on_hand=5)
    item.reserve(uuid4(), 3)
    given(item)

    with pytest.raises(InsufficientStock) as exc:
        item.reserve(uuid4(), 3)

    assert exc.value.status == 409
    assert item.pending_events == []
    assert levels(item) == (5, 3, 2)


def test_available_never_goes_negative_whatever_the_sequence(tenant_id) -> None:
    item = make_item(tenant_id, on_hand=3)
    holds = [uuid4() for _ in range(5)]
    for reservation in holds:
        with contextlib.suppress(InsufficientStock):
            item.reserve(reservation, 1)
        for delta in (-1, -2):
            with contextlib.suppress(AdjustmentBelowReserved):
                item.adjust(delta, AdjustmentReason.DAMAGE)
        assert item.available >= 0
        assert 0 <= item.reserved <= item.on_hand
    assert item.available == 0


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5])
def test_quantity_must_be_a_positive_whole_number(tenant_id, quantity) -> None:
    item = make_item(tenant_id)
    with pytest.raises(InvalidQuantity):
        item.reserve(uuid4(), quantity)


def test_second_reserve_of_the_same_reservation_is_a_no_op(tenant_id, given) -> None:
    item = make_item(tenant_id, on_hand=10)
    reservation = uuid4()
    item.reserve(reservation, 4)
    given(item)

    assert item.reserve(reservation, 4) is Outcome.DUPLICATE

    assert item.pending_events == []
    assert levels(item) == (10, 4, 6)


def test_same_reservation_with_another_quantity_is_not_a_duplicate(tenant_id) -> None:
    item = make_item(tenant_id, on_hand=10)
    reservation = uuid4()
    item.reserve(reservation, 4)
    with pytest.raises(ReservationQuantityMismatch):
        item.reserve(reservation, 5)
    with pytest.raises(ReservationQuantityMismatch):
        item.commit(reservation, 3)


def test_second_release_and_second_commit_are_no_ops(tenant_id, given) -> None:
    item = make_item(tenant_id, on_hand=10)
    released, committed = uuid4(), uuid4()
    item.reserve(released, 2)
    item.reserve(committed, 3)
    item.release(released, 2, "expired")
    item.commit(committed, 3)
    given(item)

    assert item.release(released, 2, "expired") is Outcome.DUPLICATE
    assert item.commit(committed, 3) is Outcome.DUPLICATE
    # a redelivered reserve after the reservation ended must not hold stock again
    assert item.reserve(released, 2) is Outcome.DUPLICATE
    assert item.reserve(committed, 3) is Outcome.DUPLICATE

    assert item.pending_events == []
    assert levels(item) == (7, 0, 7)


def test_settling_a_reservation_the_other_way_is_refused(tenant_id) -> None:
    item = make_item(tenant_id, on_hand=10)
    released, committed = uuid4(), uuid4()
    item.reserve(released, 2)
    item.reserve(committed, 3)
    item.release(released, 2, "order_cancelled")
    item.commit(committed, 3)

    with pytest.raises(ReservationAlreadySettled):
        item.commit(released, 2)
    with pytest.raises(ReservationAlreadySettled):
        item.release(committed, 3, "order_cancelled")
    assert levels(item) == (7, 0, 7)


def test_releasing_an_unknown_reservation_is_refused(tenant_id) -> None:
    item = make_item(tenant_id)
    with pytest.raises(UnknownReservation):
        item.release(uuid4(), 1, "expired")
    with pytest.raises(UnknownReservation):
        item.commit(uuid4(), 1)


def test_reservation_events_carry_levels_after_the_change(tenant_id, given) -> None:
    item = make_item(tenant_id, on_hand=10)
    reservation = uuid4()
    given(item)

    item.reserve(reservation, 4)
    item.commit(reservation, 4)

    reserved, committed = item.pending_events
    assert (reserved.reservation_id, reserved.quantity) == (reservation, 4)
    assert (reserved.on_hand, reserved.reserved, reserved.available) == (10, 4, 6)
    assert (committed.on_hand, committed.reserved, committed.available) == (6, 0, 6)


# -- low stock ------------------------------------------------------------------------------------


def test_low_stock_is_signalled_once_when_available_falls_to_the_reorder_point(
    tenant_id, given, recorded
) -> None:
    item = make_item(tenant_id, on_hand=10, reorder_point=3)
    given(item)

    item.reserve(uuid4(), 6)  # available 4: above the reorder point
    assert recorded(item) == ["Reserved"]
    given(item)

    item.reserve(uuid4(), 1)  # available 3: at the reorder point
    assert recorded(item) == ["Reserved", "LowStockReached"]
    low = item.pending_events[-1]
    assert (low.available, low.reorder_point) == (3, 3)
    given(item)

    item.adjust(-2, AdjustmentReason.DAMAGE)  # still low: no second signal
    assert recorded(item) == ["Adjusted"]
    given(item)

    item.adjust(20, AdjustmentReason.PURCHASE)  # restocked, then falls again: signalled again
    item.reserve(uuid4(), 20)
    assert recorded(item) == ["Adjusted", "Reserved", "LowStockReached"]


def test_release_and_commit_never_signal_low_stock(tenant_id, given, recorded) -> None:
    item = make_item(tenant_id, on_hand=10, reorder_point=5)
    a, b = uuid4(), uuid4()
    item.reserve(a, 2)
    item.reserve(b, 2)
    given(item)

    item.release(a, 2, "expired")
    item.commit(b, 2)

    assert recorded(item) == ["Released", "Committed"]


def test_raising_the_reorder_point_above_available_signals_low_stock(
    tenant_id, given, recorded
) -> None:
    item = make_item(tenant_id, on_hand=10, reorder_point=2)
    given(item)

    assert item.change_reorder_point(12) is Outcome.APPLIED
    assert item.change_reorder_point(12) is Outcome.DUPLICATE

    assert recorded(item) == ["ReorderPointChanged", "LowStockReached"]


# -- storage --------------------------------------------------------------------------------------


def test_state_survives_storage_including_reservation_memory(tenant_id, reload) -> None:
    item = make_item(tenant_id, on_hand=10, reorder_point=4)
    held, released, committed = uuid4(), uuid4(), uuid4()
    item.reserve(held, 2)
    item.reserve(released, 3)
    item.reserve(committed, 1)
    item.release(released, 3, "expired")
    item.commit(committed, 1)
    item.adjust(-1, AdjustmentReason.DAMAGE, adjusted_by=uuid4())

    loaded = reload(item)

    assert levels(loaded) == levels(item) == (8, 2, 6)
    assert loaded.tenant_id == tenant_id
    assert loaded.held_for(held) == 2
    assert loaded.reserve(released, 3) is Outcome.DUPLICATE
    assert loaded.commit(committed, 1) is Outcome.DUPLICATE
