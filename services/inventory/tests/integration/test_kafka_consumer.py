"""The saga through real Kafka: orders' events produced to a topic, inventory's consumer group
reserving, committing and releasing, a re-sent duplicate applied once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import uuid4

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from inventory.application.app import InventoryApp
from inventory.domain.reservation import Reservation, ReservationStatus
from inventory.integration.inbound import build_consumer
from shop_contracts import registry
from shop_runtime.testing.kafka import KafkaTopics

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session")
async def topics(inventory: InventoryApp) -> AsyncIterator[KafkaTopics]:
    created = KafkaTopics(inventory.settings.kafka_servers)
    try:
        yield created
    finally:
        await created.close()


async def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def test_the_saga_over_kafka(inventory: InventoryApp, topics: KafkaTopics, saga: Any) -> None:
    topic = await topics.create(partitions=3)
    tenant, sku = uuid4(), uuid4()
    warehouse = inventory.register_warehouse(tenant, "main", "Main").id
    inventory.adjust_stock(tenant, sku, warehouse, 5, "purchase")
    kept, dropped = uuid4(), uuid4()

    def envelope(event: Any) -> Any:
        return registry.envelope_for(
            event, tenant_id=tenant, aggregate_id=event.order_id, aggregate_version=1,
            producer="orders", event_id=uuid4(),
        )  # fmt: skip

    placed_kept = envelope(saga.order_placed(kept, [(sku, 2), (sku, 1)]))
    sequence = [
        placed_kept,
        envelope(saga.order_placed(dropped, [(sku, 2)])),
        placed_kept,  # the relay re-sent it: same event id, new offset
        envelope(saga.order_confirmed(kept, [(sku, 3)])),
        envelope(saga.order_cancelled(dropped)),
    ]
    producer = AIOKafkaProducer(
        bootstrap_servers=inventory.settings.kafka_servers, enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        for env in sequence:
            await producer.send_and_wait(
                topic.name, env.to_bytes(), key=env.kafka_key(), headers=env.kafka_headers()
            )
    finally:
        await producer.stop()

    def status(order_id: Any) -> ReservationStatus | None:
        try:
            return inventory.reservation(tenant, Reservation.create_id(order_id)).status
        except Exception:
            return None

    consumer = build_consumer(inventory, group_id=f"inventory-{uuid4().hex[:8]}", topics=[topic])
    task = asyncio.create_task(consumer.run())
    try:
        await wait_for(
            lambda: (
                status(kept) is ReservationStatus.COMMITTED
                and status(dropped) is ReservationStatus.RELEASED
            )
        )
    finally:
        consumer.stop()
        await task
    item = inventory.stock_item(tenant, sku, warehouse)
    assert (item.on_hand, item.reserved, item.available) == (2, 0, 2)
