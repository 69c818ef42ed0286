"""Reservation: the stock held for one order, all lines or none, until it expires.

One reservation per order, with id ``derived_id(order_id, "reservation")``
(`Reservation.create_id`), so a redelivered ``orders.order_placed`` finds the existing one
instead of holding stock twice.

Lifecycle (`TABLE`)::

    requested ──hold──> active ──commit──> committed
        │                  └────release──> released (order_cancelled | expired | payment_failed)
        └──fail──> failed (out_of_stock, with shortages)

``requested`` is never saved on its own: the application creates the reservation and applies the
plan (or the shortages) before it saves, together with every stock item the plan touched::

    reservation = Reservation.request(tenant_id, order_id, order_lines)
    result = plan_reservation(reservation.requested, stock_items_by_sku)
    reservation.apply(result, expires_at=now + hold_for)
    app.save(reservation, *result.stock_items)   # one transaction; a conflict retries it all

If a command raises, discard every aggregate it touched: some may hold pending events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Protocol
from uuid import UUID

from eventsourcing.domain import event
from shop_contracts.ids import derived_id
from shop_runtime.aggregate import TenantAggregate, ensure_tenant

from inventory.domain.errors import IllegalTransition, InvalidQuantity, InvalidReason
from inventory.domain.outcome import Outcome
from inventory.domain.stock_item import StockItem, check_quantity

__all__ = [
    "OUT_OF_STOCK",
    "TABLE",
    "HeldLine",
    "PlannedLine",
    "ReleaseReason",
    "RequestedLine",
    "Reservation",
    "ReservationCommand",
    "ReservationPlan",
    "ReservationStatus",
    "Shortage",
    "Shortages",
    "SkuQuantity",
    "plan_reservation",
    "reservation_id_for",
    "sum_by_sku",
]

OUT_OF_STOCK: Final = "out_of_stock"


def reservation_id_for(order_id: UUID) -> UUID:
    """``derived_id(order_id, "reservation")``: the same in orders and inventory."""
    return derived_id(order_id, "reservation")


class ReservationStatus(StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    FAILED = "failed"
    COMMITTED = "committed"
    RELEASED = "released"


class ReleaseReason(StrEnum):
    ORDER_CANCELLED = "order_cancelled"
    EXPIRED = "expired"
    PAYMENT_FAILED = "payment_failed"


class ReservationCommand(StrEnum):
    HOLD = "hold"
    FAIL = "fail"
    COMMIT = "commit"
    RELEASE = "release"


_S = ReservationStatus
_C = ReservationCommand

TABLE: Final[Mapping[tuple[ReservationCommand, ReservationStatus], ReservationStatus | Outcome]] = {
    # A target status: the command applies and moves the reservation there.
    (_C.HOLD, _S.REQUESTED): _S.ACTIVE,
    (_C.FAIL, _S.REQUESTED): _S.FAILED,
    (_C.COMMIT, _S.ACTIVE): _S.COMMITTED,
    (_C.RELEASE, _S.ACTIVE): _S.RELEASED,
    # An outcome: the command changes nothing and says why.
    (_C.HOLD, _S.ACTIVE): Outcome.DUPLICATE,
    (_C.HOLD, _S.FAILED): Outcome.DUPLICATE,
    (_C.HOLD, _S.COMMITTED): Outcome.DUPLICATE,
    (_C.HOLD, _S.RELEASED): Outcome.DUPLICATE,
    (_C.FAIL, _S.ACTIVE): Outcome.DUPLICATE,
    (_C.FAIL, _S.FAILED): Outcome.DUPLICATE,
    (_C.FAIL, _S.COMMITTED): Outcome.DUPLICATE,
    (_C.FAIL, _S.RELEASED): Outcome.DUPLICATE,
    (_C.COMMIT, _S.COMMITTED): Outcome.DUPLICATE,
    # The order was confirmed after its reservation expired or was released: stock is no longer
    # held for it; the application must alert (or try to reserve again).
    (_C.COMMIT, _S.RELEASED): Outcome.REJECTED_LATE,
    (_C.COMMIT, _S.FAILED): Outcome.REJECTED_LATE,
    (_C.RELEASE, _S.RELEASED): Outcome.DUPLICATE,
    # The normal end of an out-of-stock order: its cancellation asks to release what was never held.
    (_C.RELEASE, _S.FAILED): Outcome.IGNORED,
    # A cancellation after the sale: the units left stock; putting them back is a restock.
    (_C.RELEASE, _S.COMMITTED): Outcome.REJECTED_LATE,
}
"""Every (command, status) pair the reservation accepts; a pair that is missing raises
`IllegalTransition` (409)."""


class RequestedLine(Protocol):
    """Anything with a SKU and a quantity: an order line of the ``orders.order_placed`` contract
    fits, so does `PlannedLine`."""

    @property
    def sku_id(self) -> UUID: ...

    @property
    def quantity(self) -> int: ...


@dataclass(frozen=True, slots=True)
class SkuQuantity:
    """A quantity of one SKU (a requested line, summed over the order's lines)."""

    sku_id: UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class PlannedLine:
    """Units of one SKU to hold in one warehouse, on ``stock_item``."""

    sku_id: UUID
    warehouse_id: UUID
    quantity: int
    stock_item: StockItem = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ReservationPlan:
    """Every SKU of the order can be held, each in one warehouse."""

    lines: tuple[PlannedLine, ...]

    @property
    def stock_items(self) -> tuple[StockItem, ...]:
        """The stock items the plan reserves on: save them with the reservation."""
        return tuple(line.stock_item for line in self.lines)


@dataclass(frozen=True, slots=True)
class Shortage:
    """A SKU that no single warehouse has enough of. ``available`` is the most one warehouse
    could hold (what the customer could order now), not the sum over warehouses."""

    sku_id: UUID
    requested: int
    available: int


@dataclass(frozen=True, slots=True)
class Shortages:
    """The order cannot be held; every short SKU is listed (not only the first)."""

    shortages: tuple[Shortage, ...]
    reason: str = OUT_OF_STOCK

    @property
    def stock_items(self) -> tuple[StockItem, ...]:
        return ()


def sum_by_sku(lines: Iterable[RequestedLine]) -> tuple[SkuQuantity, ...]:
    """One quantity per SKU, in order of first appearance: two lines of one SKU are held as one
    quantity (holding them separately could pass each line while the sum is short)."""
    totals: dict[UUID, int] = {}
    for line in lines:
        check_quantity(line.quantity)
        totals[line.sku_id] = totals.get(line.sku_id, 0) + line.quantity
    if not totals:
        raise InvalidQuantity("a reservation needs at least one line")
    return tuple(SkuQuantity(sku, quantity) for sku, quantity in totals.items())


def plan_reservation(
    order_lines: Iterable[RequestedLine],
    stock_items_by_sku: Mapping[UUID, Iterable[StockItem]],
) -> ReservationPlan | Shortages:
    """Decide where to hold each SKU of an order, all or nothing. Pure: mutates nothing.

    Lines sharing a SKU are summed. Each SKU is held in ONE warehouse: among the stock items with
    enough available, the one with the most available (ties: lowest warehouse id, so the choice
    is deterministic). If no single warehouse has enough, the SKU is short even if several
    together would have: splitting a line across warehouses (and shipments) comes later.
    ``stock_items_by_sku`` should hold only items of active warehouses; a SKU missing from it is
    short with 0 available.
    """
    planned: list[PlannedLine] = []
    shortages: list[Shortage] = []
    for wanted in sum_by_sku(order_lines):
        items = list(stock_items_by_sku.get(wanted.sku_id, ()))
        for item in items:
            if item.sku_id != wanted.sku_id:
                raise ValueError(f"stock item {item.id} is not of SKU {wanted.sku_id}")
        candidates = sorted(items, key=lambda item: (-item.available, str(item.warehouse_id)))
        best = candidates[0] if candidates else None
        if best is not None and best.available >= wanted.quantity:
            planned.append(PlannedLine(wanted.sku_id, best.warehouse_id, wanted.quantity, best))
        else:
            available = max(best.available, 0) if best is not None else 0
            shortages.append(Shortage(wanted.sku_id, wanted.quantity, available))
    if shortages:
        return Shortages(tuple(shortages))
    return ReservationPlan(tuple(planned))


def _line_dicts(lines: Iterable[PlannedLine]) -> list[dict[str, Any]]:
    return [
        {"sku_id": ln.sku_id, "warehouse_id": ln.warehouse_id, "quantity": ln.quantity}
        for ln in lines
    ]


class Reservation(TenantAggregate):
    """Events (all carry ``order_id`` so the relay can publish each one alone):

    * ``Requested(order_id, lines=[{sku_id, quantity}])``: the order's quantities, summed by SKU;
    * ``Held(order_id, lines=[{sku_id, warehouse_id, quantity}], expires_at)``
      → ``inventory.stock_reserved``;
    * ``Failed(order_id, reason, shortages=[{sku_id, requested, available}])``
      → ``inventory.reservation_failed``;
    * ``Committed(order_id, lines)`` → ``inventory.reservation_committed``;
    * ``Released(order_id, reason, lines)`` → ``inventory.reservation_released``.
    """

    @staticmethod
    def create_id(order_id: UUID) -> UUID:
        return reservation_id_for(order_id)

    @classmethod
    def request(
        cls, tenant_id: UUID, order_id: UUID, order_lines: Iterable[RequestedLine]
    ) -> Reservation:
        lines = [{"sku_id": ln.sku_id, "quantity": ln.quantity} for ln in sum_by_sku(order_lines)]
        return cls(tenant_id=tenant_id, order_id=order_id, lines=lines)

    @event("Requested")
    def __init__(self, tenant_id: UUID, order_id: UUID, lines: list[dict[str, Any]]) -> None:
        self.order_id = order_id
        self.status = ReservationStatus.REQUESTED
        self.requested = tuple(SkuQuantity(d["sku_id"], d["quantity"]) for d in lines)
        self.held: tuple[HeldLine, ...] = ()
        self.expires_at: datetime | None = None
        self.failure_reason: str | None = None
        self.shortages: tuple[Shortage, ...] = ()
        self.release_reason: str | None = None

    # -- queries ----------------------------------------------------------------------------------

    def is_expired(self, now: datetime) -> bool:
        """Whether an active reservation's hold ran out at ``now`` (the sweeper then releases it
        with reason ``expired``). Only an active reservation can expire."""
        return (
            self.status is ReservationStatus.ACTIVE
            and self.expires_at is not None
            and now >= self.expires_at
        )

    def stock_item_ids(self) -> list[UUID]:
        """Ids of the stock items the reservation holds units on: load them for commit/release."""
        return [ln.stock_item_id(self.tenant_id) for ln in self.held]

    # -- commands ---------------------------------------------------------------------------------

    def apply(self, result: ReservationPlan | Shortages, expires_at: datetime) -> Outcome:
        """Hold the plan (reserving on each of its stock items) or record the shortages."""
        if isinstance(result, Shortages):
            outcome = self._decide(ReservationCommand.FAIL)
            if outcome is Outcome.APPLIED:
                self._failed(
                    order_id=self.order_id,
                    reason=result.reason,
                    shortages=[
                        {"sku_id": s.sku_id, "requested": s.requested, "available": s.available}
                        for s in result.shortages
                    ],
                )
            return outcome
        outcome = self._decide(ReservationCommand.HOLD)
        if outcome is not Outcome.APPLIED:
            return outcome
        planned = {ln.sku_id: ln.quantity for ln in result.lines}
        if planned != {ln.sku_id: ln.quantity for ln in self.requested}:
            raise ValueError("the plan does not match the reservation's requested lines")
        for line in result.lines:
            ensure_tenant(line.stock_item, self.tenant_id)
            line.stock_item.reserve(self.id, line.quantity)
        self._held(order_id=self.order_id, lines=_line_dicts(result.lines), expires_at=expires_at)
        return outcome

    def commit(self, stock_items: Iterable[StockItem]) -> Outcome:
        """The order was confirmed: the held units become a sale on each stock item."""
        outcome = self._decide(ReservationCommand.COMMIT)
        if outcome is Outcome.APPLIED:
            for line, item in self._match(stock_items):
                item.commit(self.id, line.quantity)
            self._committed(order_id=self.order_id, lines=self._held_dicts())
        return outcome

    def release(self, reason: ReleaseReason | str, stock_items: Iterable[StockItem]) -> Outcome:
        """Give the held units back to available stock (order cancelled, expired, payment
        failed)."""
        try:
            reason = ReleaseReason(reason)
        except ValueError:
            allowed = ", ".join(r.value for r in ReleaseReason)
            raise InvalidReason(f"unknown release reason {reason!r}; one of {allowed}") from None
        outcome = self._decide(ReservationCommand.RELEASE)
        if outcome is Outcome.APPLIED:
            for line, item in self._match(stock_items):
                item.release(self.id, line.quantity, reason.value)
            self._released(order_id=self.order_id, reason=reason.value, lines=self._held_dicts())
        return outcome

    # -- helpers ----------------------------------------------------------------------------------

    def _decide(self, command: ReservationCommand) -> Outcome:
        decision = TABLE.get((command, self.status))
        if decision is None:
            raise IllegalTransition(
                f"cannot {command.value} a reservation that is {self.status.value}"
            )
        if isinstance(decision, Outcome):
            return decision
        return Outcome.APPLIED

    def _match(self, stock_items: Iterable[StockItem]) -> list[tuple[HeldLine, StockItem]]:
        by_id = {ensure_tenant(item, self.tenant_id).id: item for item in stock_items}
        pairs = []
        for line in self.held:
            item = by_id.get(line.stock_item_id(self.tenant_id))
            if item is None:
                raise ValueError(
                    f"stock item of SKU {line.sku_id} in warehouse {line.warehouse_id} not given"
                )
            pairs.append((line, item))
        return pairs

    def _held_dicts(self) -> list[dict[str, Any]]:
        return [
            {"sku_id": ln.sku_id, "warehouse_id": ln.warehouse_id, "quantity": ln.quantity}
            for ln in self.held
        ]

    # -- events -----------------------------------------------------------------------------------

    @event("Held")
    def _held(self, order_id: UUID, lines: list[dict[str, Any]], expires_at: datetime) -> None:
        self.status = ReservationStatus.ACTIVE
        self.held = tuple(HeldLine(d["sku_id"], d["warehouse_id"], d["quantity"]) for d in lines)
        self.expires_at = expires_at

    @event("Failed")
    def _failed(self, order_id: UUID, reason: str, shortages: list[dict[str, Any]]) -> None:
        self.status = ReservationStatus.FAILED
        self.failure_reason = reason
        self.shortages = tuple(
            Shortage(d["sku_id"], d["requested"], d["available"]) for d in shortages
        )

    @event("Committed")
    def _committed(self, order_id: UUID, lines: list[dict[str, Any]]) -> None:
        self.status = ReservationStatus.COMMITTED

    @event("Released")
    def _released(self, order_id: UUID, reason: str, lines: list[dict[str, Any]]) -> None:
        self.status = ReservationStatus.RELEASED
        self.release_reason = reason


@dataclass(frozen=True, slots=True)
class HeldLine:
    """Units of one SKU held in one warehouse (a line of ``inventory.stock_reserved``)."""

    sku_id: UUID
    warehouse_id: UUID
    quantity: int

    def stock_item_id(self, tenant_id: UUID) -> UUID:
        return StockItem.create_id(tenant_id, self.sku_id, self.warehouse_id)
