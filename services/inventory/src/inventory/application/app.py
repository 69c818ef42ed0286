"""The inventory application: warehouses, stock adjustments and order reservations.

Every decision is made from the event store (never from a read model) and saved in ONE
``save(...)`` of every aggregate it touched: a reservation with each stock item it holds units on.
Each stream is checked for its expected version on save, so two decisions that read the same
stock item cannot both be saved: the loser gets a version conflict and `execute` re-runs the whole
read-decide-save function on fresh state. That is why ``available`` never goes negative, whatever
runs concurrently (API adjustments, consumers in several processes, the expiry sweeper).

The ``decide_*`` methods load and decide without saving (they return the changed aggregates):
Kafka handlers return them to the runtime's consumer, which saves them atomically with its
tracking record and retries the same way. The commands (`reserve`, `commit`, `release`,
`expire`) wrap them for direct calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.utils import EnvType
from shop_runtime.aggregate import NotFound, TenantAggregate, ensure_tenant
from shop_runtime.eventstore import ServiceApplication
from shop_runtime.settings import ServiceSettings

from inventory.config import InventorySettings
from inventory.domain.errors import InventoryError
from inventory.domain.outcome import Outcome
from inventory.domain.reservation import (
    ReleaseReason,
    RequestedLine,
    Reservation,
    plan_reservation,
)
from inventory.domain.stock_item import StockItem
from inventory.domain.warehouse import Warehouse, WarehouseDirectory, normalized_code

__all__ = ["InventoryApp", "StockLevel", "WarehouseExists"]

log = logging.getLogger(__name__)

TAgg = TypeVar("TAgg", bound=TenantAggregate)


class WarehouseExists(InventoryError):
    """A warehouse with this code exists (with another name)."""

    code = "warehouse_exists"


@dataclass(frozen=True, slots=True)
class StockLevel:
    """Levels of one SKU in one warehouse."""

    sku_id: UUID
    warehouse_id: UUID
    on_hand: int
    reserved: int
    available: int

    @classmethod
    def of(cls, item: StockItem) -> StockLevel:
        return cls(item.sku_id, item.warehouse_id, item.on_hand, item.reserved, item.available)


class InventoryApp(ServiceApplication):
    """Event store of inventory (tables ``inventory_events``, ``_tracking``, ``_processed``)."""

    name = "Inventory"
    settings: InventorySettings

    # Upper bound of one backoff sleep between re-runs after a version conflict (seconds).
    retry_backoff_cap: ClassVar[float] = 0.05

    def __init__(
        self,
        settings: ServiceSettings | None = None,
        *,
        name: str | None = None,
        env: EnvType | None = None,
        schema: str = "public",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        inventory_settings = InventorySettings.from_settings(
            settings if settings is not None else InventorySettings()
        )
        super().__init__(inventory_settings, name=name, env=env, schema=schema)
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))

    @property
    def reservation_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.reservation_ttl_seconds)

    # -- loading -----------------------------------------------------------------------------------

    def _find(self, aggregate_id: UUID, tenant_id: UUID, cls: type[TAgg]) -> TAgg | None:
        """The aggregate if it exists for this tenant, else None (another tenant's: NotFound)."""
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{cls.__name__} {aggregate_id} not found")
        return ensure_tenant(aggregate, tenant_id)

    def _stock_items_by_sku(
        self, tenant_id: UUID, sku_ids: Iterable[UUID]
    ) -> dict[UUID, list[StockItem]]:
        """Stock items of each SKU in the tenant's active warehouses (those that exist)."""
        directory = self._find(
            WarehouseDirectory.create_id(tenant_id), tenant_id, WarehouseDirectory
        )
        warehouses = directory.active_ids() if directory is not None else []
        found: dict[UUID, list[StockItem]] = {}
        for sku_id in sku_ids:
            items = []
            for warehouse_id in warehouses:
                item_id = StockItem.create_id(tenant_id, sku_id, warehouse_id)
                item = self._find(item_id, tenant_id, StockItem)
                if item is not None:
                    items.append(item)
            found[sku_id] = items
        return found

    # -- warehouses and stock ----------------------------------------------------------------------

    def register_warehouse(self, tenant_id: UUID, code: str, name: str) -> Warehouse:
        """Register a warehouse. Registering the same code with the same name again returns the
        existing one (a retried request); with another name it is `WarehouseExists` (409)."""
        code = normalized_code(code)
        warehouse_id = Warehouse.create_id(tenant_id, code)

        def run() -> Warehouse:
            existing = self._find(warehouse_id, tenant_id, Warehouse)
            if existing is not None:
                if existing.name == name.strip():
                    return existing
                raise WarehouseExists(f"warehouse {code} exists")
            warehouse = Warehouse.register(tenant_id, code, name)
            directory_id = WarehouseDirectory.create_id(tenant_id)
            directory = self._find(directory_id, tenant_id, WarehouseDirectory)
            if directory is None:
                directory = WarehouseDirectory(tenant_id=tenant_id)
            directory.track(warehouse)
            self.save(warehouse, directory)
            return warehouse

        return self.execute(run)

    def warehouse(self, tenant_id: UUID, warehouse_id: UUID) -> Warehouse:
        return self.get_for_tenant(warehouse_id, tenant_id, Warehouse)

    def adjust_stock(
        self,
        tenant_id: UUID,
        sku_id: UUID,
        warehouse_id: UUID,
        delta: int,
        reason: str,
        *,
        adjusted_by: UUID | None = None,
        note: str | None = None,
    ) -> StockLevel:
        """Change on-hand stock of a SKU in a warehouse (the stock item is created by its first
        adjustment). 404 for an unknown warehouse; 422 for a bad reason or delta; 409 if fewer
        units than are reserved would remain."""

        def run() -> StockLevel:
            self.get_for_tenant(warehouse_id, tenant_id, Warehouse)
            item_id = StockItem.create_id(tenant_id, sku_id, warehouse_id)
            item = self._find(item_id, tenant_id, StockItem)
            if item is None:
                item = StockItem.register(tenant_id, sku_id, warehouse_id)
            item.adjust(delta, reason, adjusted_by, note)
            self.save(item)
            return StockLevel.of(item)

        return self.execute(run)

    def stock_levels(self, tenant_id: UUID, sku_id: UUID) -> list[StockLevel]:
        """Levels of a SKU in each of the tenant's active warehouses, from the event store."""
        items = self._stock_items_by_sku(tenant_id, [sku_id])[sku_id]
        return [StockLevel.of(item) for item in items]

    # -- reservations: decisions (unsaved) ---------------------------------------------------------

    def decide_reservation(
        self,
        tenant_id: UUID,
        order_id: UUID,
        lines: Sequence[RequestedLine],
        now: datetime | None = None,
    ) -> list[Aggregate]:
        """Hold every line of the order (summed per SKU) or none; the aggregates to save.

        A reservation that exists already (a redelivered ``orders.order_placed``) is left as it
        is: nothing to save.
        """
        reservation_id = Reservation.create_id(order_id)
        if self._find(reservation_id, tenant_id, Reservation) is not None:
            return []
        reservation = Reservation.request(tenant_id, order_id, lines)
        items = self._stock_items_by_sku(tenant_id, [ln.sku_id for ln in reservation.requested])
        result = plan_reservation(reservation.requested, items)
        expires_at = (now or self.clock()) + self.reservation_ttl
        reservation.apply(result, expires_at=expires_at)
        return [reservation, *result.stock_items]

    def decide_commit(self, tenant_id: UUID, reservation_id: UUID) -> list[Aggregate]:
        """The order was confirmed: the held units become a sale."""
        reservation = self._find(reservation_id, tenant_id, Reservation)
        if reservation is None:
            log.warning("commit of unknown reservation %s: ignored", reservation_id)
            return []
        items = self._held_items(reservation)
        outcome = reservation.commit(items)
        return self._changed(reservation, items, outcome, "commit")

    def decide_release(
        self,
        tenant_id: UUID,
        reservation_id: UUID,
        reason: ReleaseReason | str = ReleaseReason.ORDER_CANCELLED,
    ) -> list[Aggregate]:
        """Give the held units back (order cancelled). A failed reservation held nothing."""
        reservation = self._find(reservation_id, tenant_id, Reservation)
        if reservation is None:
            log.warning("release of unknown reservation %s: ignored", reservation_id)
            return []
        items = self._held_items(reservation)
        outcome = reservation.release(reason, items)
        return self._changed(reservation, items, outcome, "release")

    def decide_expiry(
        self, tenant_id: UUID, reservation_id: UUID, now: datetime | None = None
    ) -> list[Aggregate]:
        """Release an active reservation whose hold ran out (reason ``expired``); anything else
        (committed or released meanwhile, not yet due) is left alone."""
        reservation = self._find(reservation_id, tenant_id, Reservation)
        if reservation is None or not reservation.is_expired(now or self.clock()):
            return []
        items = self._held_items(reservation)
        outcome = reservation.release(ReleaseReason.EXPIRED, items)
        return self._changed(reservation, items, outcome, "expire")

    def _held_items(self, reservation: Reservation) -> list[StockItem]:
        return [
            self.get_for_tenant(item_id, reservation.tenant_id, StockItem)
            for item_id in reservation.stock_item_ids()
        ]

    @staticmethod
    def _changed(
        reservation: Reservation, items: list[StockItem], outcome: Outcome, what: str
    ) -> list[Aggregate]:
        if outcome is Outcome.APPLIED:
            return [reservation, *items]
        if outcome is Outcome.REJECTED_LATE:
            # e.g. an order confirmed after its hold expired: stock is no longer held for it.
            # Nothing is recorded; this needs a person (or a compensation) - say so loudly.
            log.error(
                "%s of reservation %s (order %s) rejected: it is %s",
                what,
                reservation.id,
                reservation.order_id,
                reservation.status.value,
            )
        return []

    # -- reservations: commands (decide + save, retried on conflicts) ------------------------------

    def _run(self, decide: Callable[[], list[Aggregate]]) -> None:
        def run() -> None:
            changed = decide()
            if changed:
                self.save(*changed)

        self.execute(run)

    def reserve(
        self, tenant_id: UUID, order_id: UUID, lines: Sequence[RequestedLine]
    ) -> Reservation:
        """Reserve an order's lines all-or-nothing; the reservation (active or failed)."""
        self._run(lambda: self.decide_reservation(tenant_id, order_id, lines))
        return self.reservation(tenant_id, Reservation.create_id(order_id))

    def commit(self, tenant_id: UUID, reservation_id: UUID) -> Reservation:
        self._run(lambda: self.decide_commit(tenant_id, reservation_id))
        return self.reservation(tenant_id, reservation_id)

    def release(
        self,
        tenant_id: UUID,
        reservation_id: UUID,
        reason: ReleaseReason | str = ReleaseReason.ORDER_CANCELLED,
    ) -> Reservation:
        self._run(lambda: self.decide_release(tenant_id, reservation_id, reason))
        return self.reservation(tenant_id, reservation_id)

    def expire(self, tenant_id: UUID, reservation_id: UUID, now: datetime | None = None) -> bool:
        """Release the reservation if its hold ran out; whether it was released now."""
        released: list[bool] = []

        def decide() -> list[Aggregate]:
            changed = self.decide_expiry(tenant_id, reservation_id, now)
            released[:] = [bool(changed)]
            return changed

        self._run(decide)
        return bool(released and released[0])

    # -- queries -----------------------------------------------------------------------------------

    def reservation(self, tenant_id: UUID, reservation_id: UUID) -> Reservation:
        return self.get_for_tenant(reservation_id, tenant_id, Reservation)

    def stock_item(self, tenant_id: UUID, sku_id: UUID, warehouse_id: UUID) -> StockItem:
        item_id = StockItem.create_id(tenant_id, sku_id, warehouse_id)
        return self.get_for_tenant(item_id, tenant_id, StockItem)
