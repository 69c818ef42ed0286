"""How inventory reacts to other services' events (the checkout saga, ARCHITECTURE.md §6).

Each policy is a synchronous function: it loads what it needs, decides, and returns the changed
aggregates WITHOUT saving them; the caller (the runtime's `EventStoreConsumer`) saves them with its
tracking record in one transaction, and re-runs the policy on a version conflict. A redelivered
message changes nothing: the reservation's id is derived from the order's, and every reservation
command is idempotent.
"""

from __future__ import annotations

import logging
from uuid import UUID

from eventsourcing.domain import Aggregate
from shop_contracts.events.orders import OrderCancelled, OrderConfirmed, OrderPlaced

from inventory.application.app import InventoryApp
from inventory.domain.reservation import ReleaseReason, reservation_id_for

__all__ = ["on_order_cancelled", "on_order_confirmed", "on_order_placed"]

log = logging.getLogger(__name__)


def on_order_placed(app: InventoryApp, tenant_id: UUID, event: OrderPlaced) -> list[Aggregate]:
    """Reserve the whole order (lines of one SKU summed) or nothing: publishes
    ``inventory.stock_reserved`` or ``inventory.reservation_failed``."""
    return app.decide_reservation(tenant_id, event.order_id, event.lines)


def on_order_confirmed(
    app: InventoryApp, tenant_id: UUID, event: OrderConfirmed
) -> list[Aggregate]:
    """The order will ship: the reservation's units leave on-hand stock."""
    return app.decide_commit(tenant_id, _reservation_id(event.order_id, event.reservation_id))


def on_order_cancelled(
    app: InventoryApp, tenant_id: UUID, event: OrderCancelled
) -> list[Aggregate]:
    """Give the order's units back (nothing to do if the reservation had failed)."""
    return app.decide_release(
        tenant_id,
        _reservation_id(event.order_id, event.reservation_id),
        ReleaseReason.ORDER_CANCELLED,
    )


def _reservation_id(order_id: UUID, given: UUID) -> UUID:
    """Inventory made the reservation under the id derived from the order; orders names the same
    one. Should they ever differ, the derived id is the one that holds the stock."""
    derived = reservation_id_for(order_id)
    if given != derived:
        log.warning(
            "order %s names reservation %s, not %s; using %s", order_id, given, derived, derived
        )
    return derived
