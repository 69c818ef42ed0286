"""Subscriptions of inventory: the one place that lists what it consumes, and from where.

Consumer group ``inventory`` on ``orders.events.v1`` (event-store sink: effects, tracking and the
processed event id commit together, so a redelivery is a no-op):

* ``orders.order_placed``    → reserve the order, all or nothing;
* ``orders.order_confirmed`` → commit the reservation;
* ``orders.order_cancelled`` → release the reservation (reason ``order_cancelled``).

Every other event type of the topic is skipped (and tracked) by the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate
from shop_contracts import ContractEvent, Topic
from shop_contracts.events.orders import OrderCancelled, OrderConfirmed, OrderPlaced
from shop_contracts.topics import ORDERS_EVENTS
from shop_runtime.consumer import EventStoreConsumer, EventStoreHandler, InboundMessage

from inventory.application import policies
from inventory.application.app import InventoryApp

__all__ = ["GROUP_ID", "TOPICS", "build_consumer", "register"]

GROUP_ID = "inventory"
TOPICS = (ORDERS_EVENTS,)

E = TypeVar("E", bound=ContractEvent)


def _handler(
    app: InventoryApp,
    event_type: type[E],
    policy: Callable[[InventoryApp, Any, E], list[Aggregate]],
) -> EventStoreHandler:
    def handle(message: InboundMessage) -> list[Aggregate]:
        event = message.event
        if not isinstance(event, event_type):
            raise TypeError(f"expected {event_type.__name__}, got {type(event).__name__}")
        return policy(app, message.tenant_id, event)

    return handle


def register(consumer: EventStoreConsumer, app: InventoryApp) -> None:
    """Register inventory's handlers on ``consumer``."""
    consumer.on("orders.order_placed", _handler(app, OrderPlaced, policies.on_order_placed))
    consumer.on(
        "orders.order_confirmed", _handler(app, OrderConfirmed, policies.on_order_confirmed)
    )
    consumer.on(
        "orders.order_cancelled", _handler(app, OrderCancelled, policies.on_order_cancelled)
    )


def build_consumer(
    app: InventoryApp,
    *,
    group_id: str = GROUP_ID,
    topics: Sequence[Topic | str] = TOPICS,
    **kwargs: Any,
) -> EventStoreConsumer:
    """The ``inventory`` consumer group on ``orders.events.v1`` with every handler registered
    (tests name their own group and topics)."""
    consumer = EventStoreConsumer(app, group_id=group_id, topics=list(topics), **kwargs)
    register(consumer, app)
    return consumer
