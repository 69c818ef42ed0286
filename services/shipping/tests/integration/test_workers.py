"""The workers on the real stack: orders.order_confirmed on Kafka → the consumer creates the
shipment → the label worker books its label → the projector shows it in the read model; then
orders.order_cancelled of a shipped order is tracked, not dead-lettered."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaProducer
from shipping.adapters.label_worker import LabelWorker
from shipping.adapters.read_models import SqlShipmentQueries
from shipping.domain.sandbox import SandboxCarrier
from shipping.domain.shipment import ShipmentStatus
from shipping.integration import inbound
from shop_contracts import registry
from shop_contracts.events.orders import (
    Address,
    OrderCancelled,
    OrderConfirmed,
    ShipmentRequestLine,
)
from shop_contracts.ids import derived_id
from shop_contracts.money import Money
from shop_runtime.testing.kafka import KafkaTopics

pytestmark = pytest.mark.integration

TENANT = UUID("cccccccc-0000-4000-8000-00000000000c")


async def wait_for(condition, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_order_confirmed_on_kafka_becomes_a_labelled_shipment(
    settings, shipping_app, engine, project
):
    topics = KafkaTopics(settings.kafka_servers)
    topic = await topics.create(partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_servers)
    await producer.start()
    consumer = inbound.build_consumer(
        shipping_app, group_id=f"shipping-test-{uuid4().hex[:8]}", topics=[topic]
    )
    worker = LabelWorker(shipping_app, SandboxCarrier())
    tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(worker.run())]
    order_id = uuid4()
    shipment_id = derived_id(order_id, "shipment")

    async def send(event, version: int) -> None:
        envelope = registry.envelope_for(
            event,
            tenant_id=TENANT,
            aggregate_id=order_id,
            aggregate_version=version,
            producer="orders",
        )
        await producer.send_and_wait(
            topic.name,
            envelope.to_bytes(),
            key=envelope.kafka_key(),
            headers=envelope.kafka_headers(),
        )

    try:
        confirmed = OrderConfirmed(
            order_id=order_id,
            order_number="42",
            reservation_id=derived_id(order_id, "reservation"),
            payment_id=derived_id(order_id, "payment"),
            total=Money(amount=Decimal("10.00"), currency="INR"),
            lines=[ShipmentRequestLine(sku_id=uuid4(), quantity=1)],
            shipping_address=Address(
                name="A", line1="1 Road", city="Pune", postal_code="411001", country="IN"
            ),
        )
        await send(confirmed, 5)
        await send(confirmed, 5)  # the relay re-sent it: a duplicate

        async def labelled():
            shipment = shipping_app.find_shipment(shipment_id)
            return shipment if shipment and shipment.tracking_number else None

        shipment = await wait_for(labelled)
        assert shipment.status is ShipmentStatus.LABEL_CREATED and shipment.tenant_id == TENANT

        await project()
        page = await SqlShipmentQueries(engine).list_shipments(TENANT, order_id=order_id)
        [view] = page.items
        assert (view.status, view.tracking_number) == ("label_created", shipment.tracking_number)

        # a cancellation racing the carrier's pickup is not an error (tracked, no DLQ)
        from datetime import UTC, datetime

        from shipping.domain.tracking import TrackingCode, TrackingUpdate

        shipping_app.record_tracking(
            shipment_id,
            TENANT,
            TrackingUpdate("pickup-1", TrackingCode.PICKED_UP, datetime.now(UTC)),
        )
        await send(
            OrderCancelled(
                order_id=order_id,
                reason="customer_request",
                reservation_id=derived_id(order_id, "reservation"),
            ),
            6,
        )
        name = consumer.tracking_name(topic.name, 0)
        await wait_for(
            lambda: asyncio.to_thread(
                lambda: (shipping_app.recorder.max_tracking_id(name) or -1) >= 2
            )
        )
        assert shipping_app.shipment(shipment_id, TENANT).status is ShipmentStatus.SHIPPED
        assert shipping_app.shipment(shipment_id, TENANT).version == 4  # created, label, 2 tracking
    finally:
        consumer.stop()
        tasks[1].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
        await topics.close()
