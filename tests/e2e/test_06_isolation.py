"""Tenant isolation: tenant A's tokens never reach tenant B's product, cart, order, shipment,
payment or stock (404, never 403); A's search and analytics show nothing of B."""

from __future__ import annotations

import uuid
from decimal import Decimal

from e2e_support import NotYet, Shop, assert_problem, expect, items_of, money, wait_until


async def test_tenant_a_cannot_see_tenant_b(shop: Shop) -> None:
    a = await shop.create_tenant()
    b = await shop.create_tenant()
    word = f"isol{uuid.uuid4().hex[:8]}"

    # Tenant B: a product, a customer with a cart, a confirmed (shipped-to-be) order.
    b_product = await shop.stocked_product(b, stock=5, prices=["40.00"], name=f"Secret {word} lamp")
    b_customer = await shop.register_customer(b)
    b_cart = await shop.new_cart(b_customer)
    await shop.add_to_cart(b_customer, b_cart, b_product.sku_id, 1)
    b_order_cart = await shop.new_cart(b_customer)
    await shop.add_to_cart(b_customer, b_order_cart, b_product.sku_id, 1)
    placed = expect(await shop.checkout(b_customer, b_order_cart), 201)
    b_order = str(placed["order_id"])
    await shop.wait_order(b_customer.token, b_order, {"confirmed"})
    b_shipment = str((await shop.shipment_of(b, b_order))["shipment_id"])
    b_payment = str((await shop.payments_of(b, b_order))[0]["payment_id"])

    # B's data is really there (so A seeing nothing means something): searchable, reported.
    async def b_found() -> dict | None:
        res = await shop.search(b, q=word)
        if res.get("total", 0) >= 1:
            return res
        raise NotYet(res)

    await wait_until(b_found, what="tenant B's product in B's search")

    async def b_reported() -> list | None:
        rows = await shop.revenue(b)
        if sum(int(r["orders"]) for r in rows) >= 1:
            return rows
        raise NotYet(rows)

    await wait_until(b_reported, what="tenant B's order in B's revenue report", timeout=60)

    # Tenant A: its owner and a customer.
    a_customer = await shop.register_customer(a)
    staff, cust = a.owner_token, a_customer.token
    p, sku = b_product.product_id, b_product.sku_id
    probes = [
        ("GET", f"/api/catalog/products/{p}", staff, None),
        ("GET", f"/api/catalog/products/{p}", cust, None),
        ("POST", f"/api/catalog/products/{p}/publish", staff, None),
        (
            "POST",
            f"/api/catalog/products/{p}/skus",
            staff,
            {"code": "X-1", "price": {"amount": "1.00", "currency": a.currency}},
        ),
        (
            "POST",
            f"/api/catalog/products/{p}/skus/{sku}/price",
            staff,
            {"price": {"amount": "1.00", "currency": a.currency}},
        ),
        ("GET", f"/api/orders/carts/{b_cart}", cust, None),
        ("POST", f"/api/orders/carts/{b_cart}/items", cust, {"sku_id": sku, "quantity": 1}),
        ("PUT", f"/api/orders/carts/{b_cart}/items/{sku}", cust, {"quantity": 2}),
        ("DELETE", f"/api/orders/carts/{b_cart}/items/{sku}", cust, None),
        ("GET", f"/api/orders/orders/{b_order}", cust, None),
        ("GET", f"/api/orders/orders/{b_order}", staff, None),
        ("POST", f"/api/orders/orders/{b_order}/cancel", staff, None),
        ("POST", f"/api/orders/orders/{b_order}/cancel", cust, None),
        ("GET", f"/api/shipping/shipments/{b_shipment}", staff, None),
        ("GET", f"/api/payments/payments/{b_payment}", staff, None),
        ("GET", f"/api/inventory/reservations/{b_order}", staff, None),
    ]
    for method, path, token, body in probes:
        r = await shop.api.request(method, path, token=token, json=body)
        assert_problem(r, 404)
        # The token's tenant wins over a header naming B.
        r = await shop.api.request(method, path, token=token, tenant=b.tenant_id, json=body)
        assert_problem(r, 404)

    # Checkout of B's cart with A's customer: 404 too (and no order made).
    r = await shop.checkout(a_customer, b_cart)
    assert_problem(r, 404)

    # Lists filtered by B's ids: empty (or 404), never B's rows.
    r = await shop.api.get("/api/shipping/shipments", token=staff, params={"order_id": b_order})
    assert r.status_code == 404 or items_of(expect(r, 200)) == [], r.text
    r = await shop.api.get("/api/payments/payments", token=staff, params={"order_id": b_order})
    assert r.status_code == 404 or items_of(expect(r, 200)) == [], r.text
    r = await shop.api.get(f"/api/inventory/stock/{sku}", token=staff)
    if r.status_code != 404:
        s = expect(r, 200)
        assert (s["on_hand"], s["reserved"], s["warehouses"]) == (0, 0, []), s
    assert items_of(expect(await shop.api.get("/api/orders/orders", token=cust), 200)) == []
    admin = items_of(expect(await shop.api.get("/api/orders/admin/orders", token=staff), 200))
    assert admin == [], admin
    listed = items_of(expect(await shop.api.get("/api/catalog/products", tenant=a.tenant_id), 200))
    assert p not in {str(x.get("product_id")) for x in listed}, listed

    # Search and analytics of A: nothing of B.
    for params in ({"q": word}, {"q": word, "in_stock": "true"}, {}):
        res = await shop.search(a, **params)
        assert res.get("total", 0) == 0 and res.get("items") == [], res
    res = expect(
        await shop.api.get(
            "/api/catalog/search", token=staff, tenant=b.tenant_id, params={"q": word}
        ),
        200,
    )
    assert res.get("total", 0) == 0, res
    rows = await shop.revenue(a)
    assert sum((money(r["revenue"]) for r in rows), Decimal(0)) == 0, rows
    assert sum(int(r["orders"]) for r in rows) == 0, rows

    # And B's order is untouched by A's attempts.
    order = await shop.order(b_customer.token, b_order)
    assert order["status"] == "confirmed", order
