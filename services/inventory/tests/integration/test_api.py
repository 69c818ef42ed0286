"""Inventory's HTTP API against real Postgres: happy paths, tenant isolation (404), bad input
(4xx problem+json, never 5xx) and permissions (403)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from inventory.application.app import InventoryApp
from shop_runtime.rls import tenant_tables_without_forced_rls
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = pytest.mark.integration

ADMIN = ("inventory.adjust", "inventory.view")


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if code is not None:
        assert body["code"] == code, body
    return body


async def setup_stock(
    client: httpx.AsyncClient, headers: dict[str, str], units: int = 10
) -> tuple[UUID, UUID]:
    created = await client.post(
        "/warehouses", json={"code": f"W-{uuid4().hex[:8]}", "name": "Main"}, headers=headers
    )
    assert created.status_code == 201, created.text
    warehouse_id = UUID(created.json()["warehouse_id"])
    sku_id = uuid4()
    adjusted = await client.post(
        "/stock/adjustments",
        json={
            "sku_id": str(sku_id),
            "warehouse_id": str(warehouse_id),
            "delta": units,
            "reason": "purchase",
            "note": "first delivery",
        },
        headers=headers,
    )
    assert adjusted.status_code == 201, adjusted.text
    assert adjusted.json() == {
        "sku_id": str(sku_id),
        "warehouse_id": str(warehouse_id),
        "on_hand": units,
        "reserved": 0,
        "available": units,
    }
    return warehouse_id, sku_id


async def test_stock_and_reservation_views(
    client: httpx.AsyncClient, token: Any, project: Any, inventory: InventoryApp, saga: Any
) -> None:
    tenant = uuid4()
    headers = token(tenant, *ADMIN)
    warehouse_id, sku_id = await setup_stock(client, headers, 10)
    second = (
        await client.post("/warehouses", json={"code": "second", "name": "Second"}, headers=headers)
    ).json()["warehouse_id"]
    await client.post(
        "/stock/adjustments",
        json={"sku_id": str(sku_id), "warehouse_id": second, "delta": 3, "reason": "purchase"},
        headers=headers,
    )
    order_id = uuid4()
    inventory.reserve(tenant, order_id, saga.order_placed(order_id, [(sku_id, 4)]).lines)
    await project()

    stock = await client.get(f"/stock/{sku_id}", headers=headers)
    assert stock.status_code == 200, stock.text
    body = stock.json()
    assert (body["on_hand"], body["reserved"], body["available"]) == (13, 4, 9)
    levels = {w["warehouse_id"]: w for w in body["warehouses"]}
    assert levels[str(warehouse_id)]["reserved"] == 4
    assert levels[second]["available"] == 3

    reservation = await client.get(f"/reservations/{order_id}", headers=headers)
    assert reservation.status_code == 200, reservation.text
    r = reservation.json()
    assert r["order_id"] == str(order_id)
    assert r["status"] == "active"
    assert r["expires_at"] is not None
    assert r["lines"] == [{"sku_id": str(sku_id), "warehouse_id": str(warehouse_id), "quantity": 4}]


async def test_another_tenants_ids_are_not_found(
    client: httpx.AsyncClient, token: Any, project: Any, inventory: InventoryApp, saga: Any
) -> None:
    tenant_a, tenant_b = uuid4(), uuid4()
    a, b = token(tenant_a, *ADMIN), token(tenant_b, *ADMIN)
    warehouse_id, sku_id = await setup_stock(client, a, 5)
    order_id = uuid4()
    inventory.reserve(tenant_a, order_id, saga.order_placed(order_id, [(sku_id, 1)]).lines)
    await project()

    problem(await client.get(f"/stock/{sku_id}", headers=b), 404, "not_found")
    problem(await client.get(f"/reservations/{order_id}", headers=b), 404, "not_found")
    adjust = {"sku_id": str(sku_id), "warehouse_id": str(warehouse_id), "delta": 1,
              "reason": "purchase"}  # fmt: skip
    problem(await client.post("/stock/adjustments", json=adjust, headers=b), 404, "not_found")
    # Unknown ids of one's own tenant look the same.
    problem(await client.get(f"/stock/{uuid4()}", headers=a), 404)
    problem(await client.get(f"/reservations/{uuid4()}", headers=a), 404)
    # Tenant A's stock is untouched.
    assert (await client.get(f"/stock/{sku_id}", headers=a)).json()["on_hand"] == 5


@pytest.mark.parametrize(
    "body",
    [
        {"delta": "5"},
        {"delta": 2.5},
        {"delta": True},
        {"delta": 10**12},
        {"delta": 5, "unexpected": 1},
        {"sku_id": "not-a-uuid"},
        {"reason": ""},
        {"reason": "stolen"},
        {"reason": "purchase", "delta": -3},
        {"reason": "purchase", "delta": 0},
        {"note": "x" * 2000},
        {"note": "nul \u0000 inside"},
    ],
)
async def test_bad_adjustments_are_422(
    client: httpx.AsyncClient, token: Any, body: dict[str, Any]
) -> None:
    headers = token(uuid4(), *ADMIN)
    warehouse_id, sku_id = await setup_stock(client, headers, 5)
    full = {"sku_id": str(sku_id), "warehouse_id": str(warehouse_id), "delta": 1,
            "reason": "purchase", **body}  # fmt: skip
    problem(await client.post("/stock/adjustments", json=full, headers=headers), 422)


async def test_other_bad_input(client: httpx.AsyncClient, token: Any) -> None:
    headers = token(uuid4(), *ADMIN)
    problem(await client.post("/warehouses", json={"code": "a b!", "name": "X"}, headers=headers),
            422, "invalid_warehouse")  # fmt: skip
    problem(await client.post("/warehouses", json={"code": "ok"}, headers=headers), 422)
    problem(await client.get("/stock/not-a-uuid", headers=headers), 422)
    problem(await client.get("/reservations/123", headers=headers), 422)
    bad_json = await client.post(
        "/warehouses",
        content=b"{not json",
        headers={**headers, "content-type": "application/json"},
    )
    problem(bad_json, 400)
    # Removing more than is on hand (nothing reserved) fails the domain rule, as a 4xx.
    warehouse_id, sku_id = await setup_stock(client, headers, 2)
    over = {"sku_id": str(sku_id), "warehouse_id": str(warehouse_id), "delta": -5,
            "reason": "damage"}  # fmt: skip
    assert (
        400
        <= (await client.post("/stock/adjustments", json=over, headers=headers)).status_code
        < 500
    )


async def test_warehouse_codes_are_unique_per_tenant(client: httpx.AsyncClient, token: Any) -> None:
    headers = token(uuid4(), *ADMIN)
    first = await client.post("/warehouses", json={"code": "blr-1", "name": "B"}, headers=headers)
    again = await client.post("/warehouses", json={"code": "BLR-1", "name": "B"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    problem(
        await client.post("/warehouses", json={"code": "blr-1", "name": "Other"}, headers=headers),
        409,
        "warehouse_exists",
    )


async def test_permissions(client: httpx.AsyncClient, token: Any) -> None:
    tenant = uuid4()
    admin = token(tenant, *ADMIN)
    viewer = token(tenant, "inventory.view")
    nobody = token(tenant, "orders.view")
    warehouse_id, sku_id = await setup_stock(client, admin, 5)

    problem(await client.post("/warehouses", json={"code": "x", "name": "X"}, headers=viewer),
            403, "forbidden")  # fmt: skip
    adjust = {"sku_id": str(sku_id), "warehouse_id": str(warehouse_id), "delta": 1,
              "reason": "purchase"}  # fmt: skip
    problem(await client.post("/stock/adjustments", json=adjust, headers=viewer), 403)
    problem(await client.get(f"/stock/{sku_id}", headers=nobody), 403)
    problem(await client.get(f"/reservations/{uuid4()}", headers=nobody), 403)
    problem(await client.get(f"/stock/{sku_id}"), 401)
    problem(await client.post("/warehouses", json={"code": "x", "name": "X"}), 401)
    wildcard = token(tenant, "inventory.*")
    assert (
        await client.post("/stock/adjustments", json=adjust, headers=wildcard)
    ).status_code == 201


async def test_every_tenant_table_has_forced_rls(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await tenant_tables_without_forced_rls(conn) == []


async def test_rows_are_invisible_without_a_tenant(
    client: httpx.AsyncClient, token: Any, project: Any, engine: AsyncEngine
) -> None:
    from sqlalchemy import text

    await setup_stock(client, token(uuid4(), *ADMIN), 3)
    await project()
    async with engine.connect() as conn:
        for table in ("warehouses", "stock_levels", "reservations", "stock_totals"):
            assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0
