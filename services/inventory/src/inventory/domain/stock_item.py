"""StockItem: the stock of one SKU in one warehouse, and its movement ledger.

Every change of ``on_hand`` or ``reserved`` is an event; the stream *is* the movement ledger
(the seeds' ``stock_movements`` / ``InventoryLog``): adjustments carry a reason and who made them,
reservations carry the reservation that caused them. Each event also records the quantities after
the change, so the relay and the projectors can publish levels from one event alone.

Invariants:

* ``0 <= reserved <= on_hand``, so ``available = on_hand - reserved`` is never negative;
* each reservation holds at most one quantity on an item, and reserving, releasing or committing
  it twice has the effect of doing it once (a redelivered message is a no-op);
* ``LowStockReached`` is recorded when ``available`` goes from above the reorder point to at or
  below it (the contract's "fell to or below"): once per crossing, not on every sale while low.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final
from uuid import UUID

from eventsourcing.domain import event
from shop_contracts.ids import derived_id
from shop_runtime.aggregate import TenantAggregate

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

__all__ = ["AdjustmentReason", "StockItem", "check_quantity", "stock_item_id"]


class AdjustmentReason(StrEnum):
    """Why on-hand stock changed outside of an order (the seeds' movement types).

    Sales are not adjustments: they are reservation commits. Transfers between warehouses come
    later (two items, one movement each).
    """

    PURCHASE = "purchase"
    """Goods received from a supplier."""
    RETURN = "return"
    """A customer returned units that can be sold again."""
    RESTOCK = "restock"
    """Units came back from a failed delivery (return to origin)."""
    COUNT = "count"
    """A cycle count: the delta makes on-hand equal what was counted (may be 0)."""
    ADJUSTMENT = "adjustment"
    """A correction of a recording error."""
    DAMAGE = "damage"
    """Units damaged, lost or expired."""


# Which sign of delta each reason allows: +1 only increases, -1 only decreases, 0 either.
_REASON_SIGN: Final[dict[AdjustmentReason, int]] = {
    AdjustmentReason.PURCHASE: +1,
    AdjustmentReason.RETURN: +1,
    AdjustmentReason.RESTOCK: +1,
    AdjustmentReason.COUNT: 0,
    AdjustmentReason.ADJUSTMENT: 0,
    AdjustmentReason.DAMAGE: -1,
}

_RELEASED: Final = "released"
_COMMITTED: Final = "committed"


def stock_item_id(tenant_id: UUID, sku_id: UUID, warehouse_id: UUID) -> UUID:
    """The id of the stock item of ``sku_id`` in ``warehouse_id``:
    ``derived_id(derived_id(tenant_id, "stock"), f"{sku_id}:{warehouse_id}")``.

    Deterministic, so the application loads an item by its key without a lookup table, and a
    second "create" of the same item collides on the event store instead of making a twin.
    """
    return derived_id(derived_id(tenant_id, "stock"), f"{sku_id}:{warehouse_id}")


def check_quantity(quantity: int, what: str = "quantity") -> int:
    """A whole number of units, at least 1 (bools are not numbers here)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidQuantity(f"{what} must be a whole number of at least 1, got {quantity!r}")
    return quantity


def _check_reorder_point(reorder_point: int) -> None:
    if isinstance(reorder_point, bool) or not isinstance(reorder_point, int) or reorder_point < 0:
        raise InvalidQuantity("reorder_point must be a whole number of at least 0")


class StockItem(TenantAggregate):
    """Stock of one SKU in one warehouse. Create with `StockItem.register`; its id is
    `stock_item_id` of (tenant, SKU, warehouse). It starts empty: stock arrives by `adjust`."""

    @classmethod
    def register(
        cls, tenant_id: UUID, sku_id: UUID, warehouse_id: UUID, reorder_point: int = 0
    ) -> StockItem:
        _check_reorder_point(reorder_point)
        return cls(
            tenant_id=tenant_id,
            sku_id=sku_id,
            warehouse_id=warehouse_id,
            reorder_point=reorder_point,
        )

    @staticmethod
    def create_id(tenant_id: UUID, sku_id: UUID, warehouse_id: UUID) -> UUID:
        return stock_item_id(tenant_id, sku_id, warehouse_id)

    @event("Registered")
    def __init__(
        self, tenant_id: UUID, sku_id: UUID, warehouse_id: UUID, reorder_point: int = 0
    ) -> None:
        self.sku_id = sku_id
        self.warehouse_id = warehouse_id
        self.on_hand = 0
        self.reserved = 0
        self.reorder_point = reorder_point
        # reservation id -> units it holds here (active holds only)
        self.holds: dict[UUID, int] = {}
        # reservation id -> "released" | "committed": remembered so a redelivery stays a no-op.
        # Grows with every order that touched the item; snapshots bound the replay cost.
        self.settled: dict[UUID, str] = {}

    # -- queries ----------------------------------------------------------------------------------

    @property
    def available(self) -> int:
        """Units that can still be reserved: ``on_hand - reserved``, never negative."""
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.available <= self.reorder_point

    def held_for(self, reservation_id: UUID) -> int:
        """Units the reservation holds on this item (0 if none)."""
        return self.holds.get(reservation_id, 0)

    # -- commands ---------------------------------------------------------------------------------

    def adjust(
        self,
        delta: int,
        reason: AdjustmentReason | str,
        adjusted_by: UUID | None = None,
        note: str | None = None,
    ) -> None:
        """Change on-hand stock by ``delta`` for ``reason``; ``adjusted_by`` is the staff user,
        None when automatic (e.g. a restock after a return to origin).

        Raises `InvalidAdjustment` (422) for an unknown reason, a delta the reason does not allow
        or a zero delta (except for a count), and `AdjustmentBelowReserved` (409) if fewer units
        than are reserved would remain on hand.
        """
        try:
            reason = AdjustmentReason(reason)
        except ValueError:
            allowed = ", ".join(r.value for r in AdjustmentReason)
            raise InvalidAdjustment(f"unknown reason {reason!r}; one of {allowed}") from None
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise InvalidAdjustment("delta must be a whole number")
        if delta == 0 and reason is not AdjustmentReason.COUNT:
            raise InvalidAdjustment("an adjustment of 0 units records nothing")
        sign = _REASON_SIGN[reason]
        if sign and delta * sign < 0:
            direction = "increase" if sign > 0 else "decrease"
            raise InvalidAdjustment(f"a {reason.value} can only {direction} stock")
        on_hand = self.on_hand + delta
        if on_hand < self.reserved:
            raise AdjustmentBelowReserved(
                f"on hand would be {on_hand} with {self.reserved} reserved for orders"
            )
        was_low = self.is_low
        self._adjusted(
            sku_id=self.sku_id,
            warehouse_id=self.warehouse_id,
            delta=delta,
            reason=reason.value,
            adjusted_by=adjusted_by,
            note=note,
            on_hand=on_hand,
            reserved=self.reserved,
            available=on_hand - self.reserved,
        )
        self._signal_if_low(was_low)

    def count(self, counted: int, counted_by: UUID | None = None, note: str | None = None) -> None:
        """Record a cycle count: on-hand becomes ``counted``. A count that matches is recorded
        too (delta 0): the event's timestamp dates the last count."""
        if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
            raise InvalidQuantity("a counted quantity is a whole number of at least 0")
        self.adjust(counted - self.on_hand, AdjustmentReason.COUNT, counted_by, note)

    def change_reorder_point(self, reorder_point: int) -> Outcome:
        _check_reorder_point(reorder_point)
        if reorder_point == self.reorder_point:
            return Outcome.DUPLICATE
        was_low = self.is_low
        self._reorder_point_changed(reorder_point=reorder_point)
        self._signal_if_low(was_low)
        return Outcome.APPLIED

    def reserve(self, reservation_id: UUID, quantity: int) -> Outcome:
        """Hold ``quantity`` units for the reservation. Raises `InsufficientStock` (409) if fewer
        are available. Idempotent: the same reservation again is `Outcome.DUPLICATE` (also after
        it was released or committed: a redelivery must not hold stock again)."""
        check_quantity(quantity)
        held = self.holds.get(reservation_id)
        if held is not None:
            if held != quantity:
                raise ReservationQuantityMismatch(
                    f"reservation {reservation_id} holds {held}, not {quantity}"
                )
            return Outcome.DUPLICATE
        if reservation_id in self.settled:
            return Outcome.DUPLICATE
        if quantity > self.available:
            raise InsufficientStock(
                f"{quantity} requested, {self.available} available of SKU {self.sku_id} "
                f"in warehouse {self.warehouse_id}"
            )
        was_low = self.is_low
        self._reserved(
            sku_id=self.sku_id,
            warehouse_id=self.warehouse_id,
            reservation_id=reservation_id,
            quantity=quantity,
            on_hand=self.on_hand,
            reserved=self.reserved + quantity,
            available=self.available - quantity,
        )
        self._signal_if_low(was_low)
        return Outcome.APPLIED

    def release(self, reservation_id: UUID, quantity: int, reason: str) -> Outcome:
        """Give the reservation's units back to available stock. Idempotent; raises
        `ReservationAlreadySettled` if it was committed, `UnknownReservation` if it never held
        anything here."""
        held = self._held_for_settlement(reservation_id, quantity, _RELEASED)
        if held is None:
            return Outcome.DUPLICATE
        self._released(
            sku_id=self.sku_id,
            warehouse_id=self.warehouse_id,
            reservation_id=reservation_id,
            quantity=held,
            reason=reason,
            on_hand=self.on_hand,
            reserved=self.reserved - held,
            available=self.available + held,
        )
        return Outcome.APPLIED

    def commit(self, reservation_id: UUID, quantity: int) -> Outcome:
        """The reservation became a sale: its units leave on-hand stock (``on_hand -= q``,
        ``reserved -= q``; available is unchanged). Idempotent like `release`."""
        held = self._held_for_settlement(reservation_id, quantity, _COMMITTED)
        if held is None:
            return Outcome.DUPLICATE
        self._committed(
            sku_id=self.sku_id,
            warehouse_id=self.warehouse_id,
            reservation_id=reservation_id,
            quantity=held,
            on_hand=self.on_hand - held,
            reserved=self.reserved - held,
            available=self.available,
        )
        return Outcome.APPLIED

    # -- helpers ----------------------------------------------------------------------------------

    def _held_for_settlement(
        self, reservation_id: UUID, quantity: int, settling: str
    ) -> int | None:
        """Units to settle, or None if this exact settlement already happened."""
        check_quantity(quantity)
        settled = self.settled.get(reservation_id)
        if settled == settling:
            return None
        if settled is not None:
            raise ReservationAlreadySettled(f"reservation {reservation_id} was already {settled}")
        held = self.holds.get(reservation_id)
        if held is None:
            raise UnknownReservation(f"reservation {reservation_id} holds nothing on this item")
        if held != quantity:
            raise ReservationQuantityMismatch(
                f"reservation {reservation_id} holds {held}, not {quantity}"
            )
        return held

    def _signal_if_low(self, was_low: bool) -> None:
        if self.is_low and not was_low:
            self._low_stock_reached(
                sku_id=self.sku_id,
                warehouse_id=self.warehouse_id,
                available=self.available,
                reorder_point=self.reorder_point,
            )

    # -- events -----------------------------------------------------------------------------------
    # Every event names its SKU and warehouse (the item's id is a hash of them), so the relay and
    # the projector can publish and project it alone, without loading the item.
    # Event methods only apply state; every check happens in the commands above, so replaying an
    # old event can never fail on a rule that changed since.

    @event("Adjusted")
    def _adjusted(
        self,
        sku_id: UUID,
        warehouse_id: UUID,
        delta: int,
        reason: str,
        adjusted_by: UUID | None,
        note: str | None,
        on_hand: int,
        reserved: int,
        available: int,
    ) -> None:
        self.on_hand += delta

    @event("ReorderPointChanged")
    def _reorder_point_changed(self, reorder_point: int) -> None:
        self.reorder_point = reorder_point

    @event("Reserved")
    def _reserved(
        self,
        sku_id: UUID,
        warehouse_id: UUID,
        reservation_id: UUID,
        quantity: int,
        on_hand: int,
        reserved: int,
        available: int,
    ) -> None:
        self.holds[reservation_id] = quantity
        self.reserved += quantity

    @event("Released")
    def _released(
        self,
        sku_id: UUID,
        warehouse_id: UUID,
        reservation_id: UUID,
        quantity: int,
        reason: str,
        on_hand: int,
        reserved: int,
        available: int,
    ) -> None:
        del self.holds[reservation_id]
        self.settled[reservation_id] = _RELEASED
        self.reserved -= quantity

    @event("Committed")
    def _committed(
        self,
        sku_id: UUID,
        warehouse_id: UUID,
        reservation_id: UUID,
        quantity: int,
        on_hand: int,
        reserved: int,
        available: int,
    ) -> None:
        del self.holds[reservation_id]
        self.settled[reservation_id] = _COMMITTED
        self.reserved -= quantity
        self.on_hand -= quantity

    @event("LowStockReached")
    def _low_stock_reached(
        self, sku_id: UUID, warehouse_id: UUID, available: int, reorder_point: int
    ) -> None:
        pass
