"""Aggregate events → public contract events of ``inventory.events.v1`` (for the relay).

| aggregate event | contract events |
|---|---|
| ``StockItem.Adjusted`` | ``inventory.stock_adjusted`` + ``inventory.stock_level_changed`` |
| ``StockItem.Reserved`` / ``Released`` / ``Committed`` | ``inventory.stock_level_changed`` |
| ``StockItem.LowStockReached`` | ``inventory.low_stock`` |
| ``Reservation.Held`` | ``inventory.stock_reserved`` |
| ``Reservation.Failed`` | ``inventory.reservation_failed`` |
| ``Reservation.Committed`` | ``inventory.reservation_committed`` |
| ``Reservation.Released`` | ``inventory.reservation_released`` |
| anything else (registrations, ``Reservation.Requested``, warehouses) | private |

``inventory.stock_level_changed`` is published for every change of a stock item's levels, with the
stock item as aggregate: its ``aggregate_version`` orders the levels of one item, so a consumer
(search) can keep the newest with an external version. An adjustment therefore gives two contract
events; `InventoryRelay` publishes both, the second with its own deterministic event id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from shop_contracts import ContractEvent
from shop_contracts.events.inventory import (
    LowStock,
    ReservationCommitted,
    ReservationFailed,
    ReservationLine,
    ReservationReleased,
    Shortage,
    StockAdjusted,
    StockLevelChanged,
    StockReserved,
)
from shop_contracts.topics import INVENTORY_EVENTS
from shop_runtime.eventstore import ServiceApplication
from shop_runtime.relay import OutboundRecord, Relay

__all__ = ["InventoryRelay", "translate", "translate_all"]

_LEVEL_EVENTS = frozenset(
    {"StockItem.Adjusted", "StockItem.Reserved", "StockItem.Released", "StockItem.Committed"}
)


def _lines(lines: Sequence[dict[str, Any]]) -> list[ReservationLine]:
    return [
        ReservationLine(
            sku_id=ln["sku_id"], warehouse_id=ln["warehouse_id"], quantity=ln["quantity"]
        )
        for ln in lines
    ]


def translate_all(domain_event: DomainEventProtocol[UUID]) -> list[ContractEvent]:
    """Every contract event one aggregate event gives, in publishing order (may be empty)."""
    name = type(domain_event).__qualname__
    e: Any = domain_event
    published: list[ContractEvent] = []
    if name == "StockItem.Adjusted":
        published.append(
            StockAdjusted(
                sku_id=e.sku_id,
                warehouse_id=e.warehouse_id,
                delta=e.delta,
                on_hand=e.on_hand,
                reserved=e.reserved,
                available=e.available,
                reason=e.reason,
                adjusted_by=e.adjusted_by,
            )
        )
    if name in _LEVEL_EVENTS:
        published.append(
            StockLevelChanged(
                sku_id=e.sku_id,
                warehouse_id=e.warehouse_id,
                on_hand=e.on_hand,
                reserved=e.reserved,
                available=e.available,
            )
        )
    elif name == "StockItem.LowStockReached":
        published.append(
            LowStock(
                sku_id=e.sku_id,
                warehouse_id=e.warehouse_id,
                available=e.available,
                reorder_point=e.reorder_point,
            )
        )
    elif name == "Reservation.Held":
        published.append(
            StockReserved(
                reservation_id=e.originator_id,
                order_id=e.order_id,
                lines=_lines(e.lines),
                expires_at=e.expires_at,
            )
        )
    elif name == "Reservation.Failed":
        published.append(
            ReservationFailed(
                reservation_id=e.originator_id,
                order_id=e.order_id,
                reason=e.reason,
                shortages=[
                    Shortage(
                        sku_id=s["sku_id"],
                        requested=s["requested"],
                        available=max(0, s["available"]),
                    )
                    for s in e.shortages
                ],
            )
        )
    elif name == "Reservation.Committed":
        published.append(
            ReservationCommitted(
                reservation_id=e.originator_id, order_id=e.order_id, lines=_lines(e.lines)
            )
        )
    elif name == "Reservation.Released":
        published.append(
            ReservationReleased(
                reservation_id=e.originator_id,
                order_id=e.order_id,
                reason=e.reason,
                lines=_lines(e.lines),
            )
        )
    return published


def translate(domain_event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """The first contract event of `translate_all` (the runtime's one-to-one `Translate`)."""
    published = translate_all(domain_event)
    return published[0] if published else None


class InventoryRelay(Relay):
    """The runtime's relay, publishing every contract event of `translate_all` (an adjustment
    gives two). The first keeps the relay's deterministic event id; each further one gets
    ``uuid5(first id, event_type)``: deterministic too (a re-sent batch keeps its ids, consumers
    deduplicate) and distinct (a consumer of both types must not drop one as a duplicate)."""

    def __init__(self, app: ServiceApplication, **kwargs: Any) -> None:
        super().__init__(app, topic=INVENTORY_EVENTS, translate=translate, **kwargs)

    def translate_notifications(
        self, notifications: Sequence[Notification]
    ) -> list[OutboundRecord]:
        records: list[OutboundRecord] = []
        for notification in notifications:
            domain_event = self.app.mapper.to_domain_event(notification)
            for index, contract in enumerate(translate_all(domain_event)):
                envelope = self.envelope_for(domain_event, contract)
                if index:
                    event_id = uuid5(envelope.event_id, envelope.event_type)
                    envelope = envelope.model_copy(update={"event_id": event_id})
                records.append(
                    OutboundRecord(
                        notification_id=notification.id,
                        envelope=envelope,
                        key=envelope.kafka_key(),
                        value=envelope.to_bytes(),
                        headers=envelope.kafka_headers(),
                    )
                )
        return records
