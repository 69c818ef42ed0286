"""Every subscription of shipping, in one place: orders.events.v1 → commands on shipments.

Consumer group ``shipping`` (an `EventStoreConsumer`): the shipments a handler returns are saved
with the Kafka position and the message's event id in one transaction, so a redelivery or a re-sent
duplicate changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shop_contracts import Topic
from shop_contracts.events.orders import OrderCancelled, OrderConfirmed
from shop_contracts.topics import ORDERS_EVENTS
from shop_runtime.consumer import EventStoreConsumer, InboundMessage

from shipping.application.app import ShippingApp
from shipping.application.policies import cancel_shipment_of_order, create_shipment_for_order

__all__ = ["CONSUMER_GROUP", "build_consumer", "register"]

CONSUMER_GROUP = "shipping"


def register(consumer: EventStoreConsumer, app: ShippingApp) -> None:
    """Register shipping's handlers on ``consumer``."""

    def on_order_confirmed(message: InboundMessage) -> list[Any]:
        assert isinstance(message.event, OrderConfirmed)
        return list(create_shipment_for_order(app, message.tenant_id, message.event))

    def on_order_cancelled(message: InboundMessage) -> list[Any]:
        assert isinstance(message.event, OrderCancelled)
        return list(cancel_shipment_of_order(app, message.tenant_id, message.event))

    consumer.on("orders.order_confirmed", on_order_confirmed)
    consumer.on("orders.order_cancelled", on_order_cancelled)


def build_consumer(
    app: ShippingApp,
    *,
    group_id: str = CONSUMER_GROUP,
    topics: Sequence[Topic | str] = (ORDERS_EVENTS,),
    **kwargs: Any,
) -> EventStoreConsumer:
    """The ``shipping`` consumer group on orders.events.v1, handlers registered (tests may name
    another group and topic)."""
    consumer = EventStoreConsumer(app, group_id=group_id, topics=topics, **kwargs)
    register(consumer, app)
    return consumer
