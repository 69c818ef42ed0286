"""What the relay publishes: every contract event of an aggregate event, with distinct,
deterministic event ids, ordered per stock item by aggregate version."""

from __future__ import annotations

from uuid import uuid4

from inventory.application.app import InventoryApp
from inventory.integration.outbound import InventoryRelay
from shop_contracts import registry


def test_an_adjustment_publishes_the_adjustment_and_the_level() -> None:
    app = InventoryApp.in_memory()
    tenant, sku = uuid4(), uuid4()
    warehouse = app.register_warehouse(tenant, "w1", "W1").id
    app.adjust_stock(tenant, sku, warehouse, 4, "purchase")
    app.adjust_stock(tenant, sku, warehouse, -1, "damage")

    relay = InventoryRelay(app)
    notifications = app.recorder.select_notifications(start=1, limit=100)
    records = relay.translate_notifications(notifications)
    envelopes = [r.envelope for r in records]
    assert [e.event_type for e in envelopes] == [
        "inventory.stock_adjusted",
        "inventory.stock_level_changed",
        "inventory.stock_adjusted",
        "inventory.stock_level_changed",
    ]
    assert len({e.event_id for e in envelopes}) == 4
    # Re-translating (a re-sent batch) gives the same ids.
    again = relay.translate_notifications(notifications)
    assert [r.envelope.event_id for r in again] == [e.event_id for e in envelopes]
    levels = [e for e in envelopes if e.event_type == "inventory.stock_level_changed"]
    assert levels[0].aggregate_id == levels[1].aggregate_id
    assert levels[0].aggregate_version < levels[1].aggregate_version
    assert [registry.decode(e).model_dump()["available"] for e in levels] == [4, 3]  # type: ignore[index]
    assert all(e.tenant_id == tenant for e in envelopes)
    assert {r.key for r in records} == {levels[0].kafka_key()}


def test_warehouses_are_private() -> None:
    app = InventoryApp.in_memory()
    app.register_warehouse(uuid4(), "w1", "W1")
    notifications = app.recorder.select_notifications(start=1, limit=100)
    assert InventoryRelay(app).translate_notifications(notifications) == []
