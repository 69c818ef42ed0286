"""Reserving an order's stock: planning (summed SKUs, all or nothing), holding, committing,
releasing, expiry, and what the stored events give the relay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from inventory.domain.errors import IllegalTransition, InvalidQuantity, InvalidReason, NotFound
from inventory.domain.outcome import Outcome
from inventory.domain.reservation import (
    TABLE,
    Reservation,
    ReservationCommand,
    ReservationPlan,
    ReservationStatus,
    Shortage,
    Shortages,
    plan_reservation,
)
from inventory.domain.stock_item import AdjustmentReason, StockItem
from shop_contracts.events.inventory import (
    ReservationCommitted,
    ReservationFailed,
    ReservationReleased,
    StockReserved,
)
from shop_contracts.ids import derived_id

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOLD_UNTIL = NOW + timedelta(minutes=15)


@dataclass(frozen=True)
class Line:
    sku_id: UUID
    quantity: int


def stock(tenant_id: UUID, sku: UUID, on_hand: int, warehouse: UUID | None = None) -> StockItem:
    item = StockItem.register(tenant_id, sku, warehouse or uuid4())
    if on_hand:
        item.adjust(on_hand, AdjustmentReason.PURCHASE)
    return item


def reserve(tenant_id, order_id, lines, items_by_sku) -> tuple[Reservation, ReservationPlan]:
    reservation = Reservation.request(tenant_id, order_id, lines)
    plan = plan_reservation(reservation.requested, items_by_sku)
    assert isinstance(plan, ReservationPlan)
    assert reservation.apply(plan, HOLD_UNTIL) is Outcome.APPLIED
    return reservation, plan


# -- planning -------------------------------------------------------------------------------------


def test_lines_sharing_a_sku_are_reserved_as_one_quantity(tenant_id) -> None:
    sku = uuid4()
    lines = [Line(sku, 3), Line(sku, 4)]

    short = plan_reservation(lines, {sku: [stock(tenant_id, sku, 6)]})
    assert short == Shortages((Shortage(sku, requested=7, available=6),))

    plan = plan_reservation(lines, {sku: [stock(tenant_id, sku, 7)]})
    assert isinstance(plan, ReservationPlan)
    assert [(ln.sku_id, ln.quantity) for ln in plan.lines] == [(sku, 7)]


def test_one_short_sku_fails_the_whole_order_and_lists_every_shortage(tenant_id) -> None:
    ok, short1, short2 = uuid4(), uuid4(), uuid4()
    items = {
        ok: [stock(tenant_id, ok, 10)],
        short1: [stock(tenant_id, short1, 1)],
        short2: [],
    }

    result = plan_reservation([Line(ok, 2), Line(short1, 2), Line(short2, 1)], items)

    assert result == Shortages(
        (Shortage(short1, requested=2, available=1), Shortage(short2, requested=1, available=0))
    )
    assert result.reason == "out_of_stock"
    assert items[ok][0].reserved == 0  # planning touches nothing


def test_sku_without_any_stock_item_is_short_with_zero_available(tenant_id) -> None:
    sku = uuid4()
    assert plan_reservation([Line(sku, 1)], {}) == Shortages((Shortage(sku, 1, 0),))


def test_the_warehouse_with_most_available_is_chosen(tenant_id) -> None:
    sku = uuid4()
    small, large = stock(tenant_id, sku, 5), stock(tenant_id, sku, 9)

    plan = plan_reservation([Line(sku, 4)], {sku: [small, large]})

    assert isinstance(plan, ReservationPlan)
    assert [ln.warehouse_id for ln in plan.lines] == [large.warehouse_id]


def test_a_sku_is_not_split_across_warehouses_yet(tenant_id) -> None:
    sku = uuid4()
    items = [stock(tenant_id, sku, 5), stock(tenant_id, sku, 5)]

    # 10 units exist but no single warehouse has 8: short, with what one warehouse could hold
    assert plan_reservation([Line(sku, 8)], {sku: items}) == Shortages((Shortage(sku, 8, 5),))


def test_reserved_units_are_not_available_to_the_next_plan(tenant_id) -> None:
    sku = uuid4()
    item = stock(tenant_id, sku, 5)
    reserve(tenant_id, uuid4(), [Line(sku, 4)], {sku: [item]})

    assert plan_reservation([Line(sku, 2)], {sku: [item]}) == Shortages((Shortage(sku, 2, 1),))


def test_an_order_without_lines_or_with_a_zero_quantity_is_refused(tenant_id) -> None:
    with pytest.raises(InvalidQuantity):
        plan_reservation([], {})
    with pytest.raises(InvalidQuantity):
        Reservation.request(tenant_id, uuid4(), [Line(uuid4(), 0)])


# -- holding --------------------------------------------------------------------------------------


def test_id_is_derived_from_the_order(tenant_id) -> None:
    order_id = uuid4()
    reservation = Reservation.request(tenant_id, order_id, [Line(uuid4(), 1)])
    assert reservation.id == derived_id(order_id, "reservation")


def test_applying_a_plan_holds_every_line_on_its_stock_item(tenant_id) -> None:
    a, b = uuid4(), uuid4()
    item_a, item_b = stock(tenant_id, a, 10), stock(tenant_id, b, 3)

    reservation, plan = reserve(
        tenant_id, uuid4(), [Line(a, 2), Line(b, 3), Line(a, 1)], {a: [item_a], b: [item_b]}
    )

    assert reservation.status is ReservationStatus.ACTIVE
    assert reservation.expires_at == HOLD_UNTIL
    assert [(ln.sku_id, ln.quantity) for ln in reservation.held] == [(a, 3), (b, 3)]
    assert (item_a.reserved, item_a.available) == (3, 7)
    assert (item_b.reserved, item_b.available) == (3, 0)
    assert item_a.held_for(reservation.id) == 3
    assert {i.id for i in plan.stock_items} == {item_a.id, item_b.id}
    assert set(reservation.stock_item_ids()) == {item_a.id, item_b.id}


def test_shortages_fail_the_reservation_and_hold_nothing(tenant_id, given, recorded) -> None:
    sku = uuid4()
    item = stock(tenant_id, sku, 1)
    given(item)
    reservation = Reservation.request(tenant_id, uuid4(), [Line(sku, 2)])

    result = plan_reservation(reservation.requested, {sku: [item]})
    assert reservation.apply(result, HOLD_UNTIL) is Outcome.APPLIED

    assert reservation.status is ReservationStatus.FAILED
    assert reservation.shortages == (Shortage(sku, 2, 1),)
    assert recorded(reservation) == ["Requested", "Failed"]
    assert recorded(item) == []
    # the order's cancellation then asks to release what was never held: nothing to do
    assert reservation.release("order_cancelled", []) is Outcome.IGNORED


def test_a_second_plan_for_a_decided_reservation_is_a_duplicate(tenant_id, given) -> None:
    sku = uuid4()
    item = stock(tenant_id, sku, 10)
    reservation, plan = reserve(tenant_id, uuid4(), [Line(sku, 2)], {sku: [item]})
    given(reservation, item)

    assert reservation.apply(plan, HOLD_UNTIL) is Outcome.DUPLICATE
    assert reservation.pending_events == [] and item.pending_events == []
    assert item.reserved == 2


# -- commit and release ---------------------------------------------------------------------------


def test_commit_turns_held_units_into_a_sale(tenant_id, given, recorded) -> None:
    sku = uuid4()
    item = stock(tenant_id, sku, 10)
    reservation, _ = reserve(tenant_id, uuid4(), [Line(sku, 4)], {sku: [item]})
    given(reservation, item)

    assert reservation.commit([item]) is Outcome.APPLIED
    assert (item.on_hand, item.reserved, item.available) == (6, 0, 6)
    assert reservation.status is ReservationStatus.COMMITTED
    given(reservation, item)

    assert reservation.commit([item]) is Outcome.DUPLICATE
    assert recorded(reservation) == [] and recorded(item) == []
    assert item.on_hand == 6


@pytest.mark.parametrize("reason", ["order_cancelled", "expired", "payment_failed"])
def test_release_gives_units_back_once(tenant_id, given, recorded, reason) -> None:
    sku = uuid4()
    item = stock(tenant_id, sku, 10)
    reservation, _ = reserve(tenant_id, uuid4(), [Line(sku, 4)], {sku: [item]})
    given(reservation, item)

    assert reservation.release(reason, [item]) is Outcome.APPLIED
    assert reservation.release(reason, [item]) is Outcome.DUPLICATE

    assert recorded(reservation) == ["Released"] and recorded(item) == ["Released"]
    assert reservation.release_reason == reason
    assert (item.on_hand, item.reserved, item.available) == (10, 0, 10)


def test_unknown_release_reason_is_refused(tenant_id) -> None:
    sku = uuid4()
    item = stock(tenant_id, sku, 10)
    reservation, _ = reserve(tenant_id, uuid4(), [Line(sku, 1)], {sku: [item]})
    with pytest.raises(InvalidReason):
        reservation.release("changed_my_mind", [item])


def test_late_commit_after_release_and_late_release_after_commit_change_nothing(
    tenant_id, given
) -> None:
    sku = uuid4()
    item = stock(tenant_id, sku, 10)
    released, _ = reserve(tenant_id, uuid4(), [Line(sku, 2)], {sku: [item]})
    committed, _ = reserve(tenant_id, uuid4(), [Line(sku, 3)], {sku: [item]})
    released.release("expired", [item])
    committed.commit([item])
    given(released, committed, item)

    assert released.commit([item]) is Outcome.REJECTED_LATE
    assert committed.release("order_cancelled", [item]) is Outcome.REJECTED_LATE

    assert item.pending_events == []
    assert (item.on_hand, item.reserved) == (7, 0)


def test_commit_or_release_needs_every_held_stock_item(tenant_id) -> None:
    a, b = uuid4(), uuid4()
    item_a, item_b = stock(tenant_id, a, 5), stock(tenant_id, b, 5)
    reservation, _ = reserve(
        tenant_id, uuid4(), [Line(a, 1), Line(b, 1)], {a: [item_a], b: [item_b]}
    )
    with pytest.raises(ValueError, match="not given"):
        reservation.commit([item_a])


def test_every_command_state_pair_outside_the_table_is_illegal(tenant_id) -> None:
    reservation = Reservation.request(tenant_id, uuid4(), [Line(uuid4(), 1)])
    assert reservation.status is ReservationStatus.REQUESTED
    for command in (ReservationCommand.COMMIT, ReservationCommand.RELEASE):
        assert (command, ReservationStatus.REQUESTED) not in TABLE
    with pytest.raises(IllegalTransition) as exc:
        reservation.commit([])
    assert exc.value.status == 409
    with pytest.raises(IllegalTransition):
        reservation.release("expired", [])


# -- expiry ---------------------------------------------------------------------------------------


def test_an_active_reservation_expires_at_its_deadline(tenant_id) -> None:
    sku = uuid4()
    item = stock(tenant_id, sku, 10)
    reservation, _ = reserve(tenant_id, uuid4(), [Line(sku, 1)], {sku: [item]})

    assert not reservation.is_expired(HOLD_UNTIL - timedelta(seconds=1))
    assert reservation.is_expired(HOLD_UNTIL)
    assert reservation.is_expired(HOLD_UNTIL + timedelta(hours=1))

    reservation.commit([item])
    assert not reservation.is_expired(HOLD_UNTIL + timedelta(hours=1))


def test_failed_reservation_never_expires(tenant_id) -> None:
    sku = uuid4()
    reservation = Reservation.request(tenant_id, uuid4(), [Line(sku, 1)])
    reservation.apply(plan_reservation(reservation.requested, {}), HOLD_UNTIL)
    assert not reservation.is_expired(HOLD_UNTIL + timedelta(days=1))


# -- storage and the relay ------------------------------------------------------------------------


def test_reservation_and_items_survive_storage(tenant_id, event_store, reload) -> None:
    sku = uuid4()
    item = stock(tenant_id, sku, 10)
    reservation, _ = reserve(tenant_id, uuid4(), [Line(sku, 4)], {sku: [item]})
    event_store.save(reservation, item)

    loaded = event_store.repository.get(reservation.id)
    loaded_item = event_store.repository.get(item.id)
    assert loaded.status is ReservationStatus.ACTIVE
    assert loaded.expires_at == HOLD_UNTIL
    assert loaded.stock_item_ids() == [item.id]

    assert loaded.release("expired", [loaded_item]) is Outcome.APPLIED
    reloaded_item = reload(loaded_item)
    assert reload(loaded).status is ReservationStatus.RELEASED
    assert reloaded_item.available == 10


def test_each_stored_event_is_enough_for_its_public_contract(tenant_id, event_store) -> None:
    """The relay translates each stored event alone: no aggregate is loaded to fill a field."""
    sku, short_sku, order_id, other_order = uuid4(), uuid4(), uuid4(), uuid4()
    item = stock(tenant_id, sku, 10)
    held, _ = reserve(tenant_id, order_id, [Line(sku, 2)], {sku: [item]})
    held.commit([item])
    released, _ = reserve(tenant_id, other_order, [Line(sku, 1)], {sku: [item]})
    released.release("expired", [item])
    failed = Reservation.request(tenant_id, uuid4(), [Line(short_sku, 5)])
    failed.apply(plan_reservation(failed.requested, {}), HOLD_UNTIL)
    event_store.save(held, released, failed, item)

    stored = {}
    for agg_id in (held.id, released.id, failed.id):
        for ev in event_store.events.get(agg_id):
            stored[(agg_id, type(ev).__name__)] = ev

    ev = stored[(held.id, "Held")]
    reserved = StockReserved(
        reservation_id=ev.originator_id,
        order_id=ev.order_id,
        lines=ev.lines,
        expires_at=ev.expires_at,
    )
    assert reserved.lines[0].quantity == 2 and reserved.order_id == order_id
    ev = stored[(held.id, "Committed")]
    ReservationCommitted(reservation_id=ev.originator_id, order_id=ev.order_id, lines=ev.lines)
    ev = stored[(released.id, "Released")]
    ReservationReleased(
        reservation_id=ev.originator_id, order_id=ev.order_id, reason=ev.reason, lines=ev.lines
    )
    ev = stored[(failed.id, "Failed")]
    failure = ReservationFailed(
        reservation_id=ev.originator_id,
        order_id=ev.order_id,
        reason=ev.reason,
        shortages=ev.shortages,
    )
    assert failure.shortages[0].requested == 5 and failure.shortages[0].available == 0
    assert all(e.tenant_id == tenant_id for e in stored.values())


def test_stock_of_another_tenant_is_never_reserved(tenant_id) -> None:
    sku = uuid4()
    foreign = stock(uuid4(), sku, 10)
    reservation = Reservation.request(tenant_id, uuid4(), [Line(sku, 1)])
    plan = plan_reservation(reservation.requested, {sku: [foreign]})

    with pytest.raises(NotFound):
        reservation.apply(plan, HOLD_UNTIL)
    assert foreign.reserved == 0
