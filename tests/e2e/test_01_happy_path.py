"""A customer's whole journey through the gateway: register, browse, search (with availability),
cart, checkout, confirmation, shipment driven by signed carrier webhooks, delivery, and the
order's revenue in the analytics report."""

from __future__ import annotations

import uuid
from decimal import Decimal

from e2e_support import NotYet, Shop, Tenant, expect, money, wait_until


def _ids(result: dict) -> set[str]:
    return {str(item.get("product_id") or item.get("id")) for item in result.get("items", [])}


async def test_customer_buys_and_receives_an_order(shop: Shop, tenant: Tenant) -> None:
    customer = await shop.register_customer(tenant)
    word = f"teapot{uuid.uuid4().hex[:8]}"
    product = await shop.create_product(tenant, name=f"Happy {word} Porcelain", prices=["24.50"])
    sku = product.sku_id

    # Browse: the storefront's product page (anonymous, tenant by header), published only.
    async def page() -> dict | None:
        r = await shop.api.get(
            f"/api/catalog/products/{product.product_id}", tenant=tenant.tenant_id
        )
        if r.status_code == 404:
            raise NotYet("product page 404")
        return expect(r, 200)

    detail = await wait_until(page, what="the published product page")
    assert detail["name"] == product.name
    assert [str(s["sku_id"]) for s in detail["skus"]] == [sku]
    assert money(detail["skus"][0]["price"]) == Decimal("24.50")

    # Search finds it; it has no stock yet, so the in-stock filter leaves it out ...
    async def found(**params: str) -> dict | None:
        result = await shop.search(tenant, q=word, **params)
        if product.product_id in _ids(result):
            return result
        raise NotYet(f"search {params or ''} -> {result.get('total')} hits {sorted(_ids(result))}")

    await wait_until(found, what=f"search q={word} to find the product")
    in_stock = await shop.search(tenant, q=word, in_stock="true")
    assert product.product_id not in _ids(in_stock), (
        f"out-of-stock product listed in_stock: {in_stock}"
    )

    # ... and once stock arrives, it does.
    adjusted = await shop.adjust_stock(tenant, sku, 5)
    assert adjusted["on_hand"] == 5 and adjusted["available"] == 5, adjusted
    await wait_until(
        lambda: found(in_stock="true"), what="search in_stock=true to list the product"
    )

    # Cart and checkout.
    cart_id = await shop.new_cart(customer)
    await shop.add_to_cart(customer, cart_id, sku, 2)
    cart = expect(await shop.api.get(f"/api/orders/carts/{cart_id}", token=customer.token), 200)
    assert [(str(ln["sku_id"]), ln["quantity"]) for ln in cart["lines"]] == [(sku, 2)], cart
    assert money(cart["subtotal"]) == Decimal("49.00"), cart

    placed = expect(await shop.checkout(customer, cart_id, payment_token="tok_approve"), 201)
    order_id = str(placed["order_id"])
    assert placed["status"] == "pending", placed
    total = money(placed["total"])
    assert total >= Decimal("49.00"), placed

    order = await shop.wait_order(customer.token, order_id, {"confirmed"})
    assert order["cancel_reason"] is None, order
    statuses = [h["to_status"] for h in order["history"]]
    assert statuses[-2:] == ["awaiting_payment", "confirmed"], order["history"]

    # Stock is committed: two units gone for good, nothing held.
    async def committed() -> dict | None:
        s = await shop.stock(tenant, sku)
        if (s["on_hand"], s["reserved"], s["available"]) == (3, 0, 3):
            return s
        raise NotYet(s)

    await wait_until(committed, what="the reservation to be committed (on_hand 3, reserved 0)")

    # The payment was authorized once, for the order's total.
    payments = await shop.payments_of(tenant, order_id)
    assert len(payments) == 1, payments
    auths = [t for t in payments[0]["transactions"] if t["kind"] == "authorize"]
    assert [t["status"] for t in auths] == ["succeeded"], payments
    assert money(payments[0]["amount"]) == total, payments

    # Shipping: a shipment with a label; the carrier's signed webhooks move it (and the order).
    async def labelled() -> dict | None:
        s = await shop.shipment_of(tenant, order_id)
        if s.get("tracking_number"):
            return s
        raise NotYet(f"shipment {s.get('status')} without tracking number")

    shipment = await wait_until(labelled, what="a shipment label (tracking number)")
    r = await shop.carrier_webhook(tenant, shop.carrier_event(shipment, "picked_up"))
    expect(r, 200)
    await shop.wait_order(customer.token, order_id, {"shipped"})

    r = await shop.carrier_webhook(tenant, shop.carrier_event(shipment, "delivered"))
    expect(r, 200)
    delivered = await shop.wait_order(customer.token, order_id, {"delivered"})
    statuses = [h["to_status"] for h in delivered["history"]]
    assert statuses[-3:] == ["confirmed", "shipped", "delivered"], delivered["history"]
    shipment = await shop.shipment(tenant, str(shipment["shipment_id"]))
    assert shipment["status"] == "delivered", shipment

    # The money was taken (on confirmation or on shipment, per the store's policy), once.
    async def captured() -> dict | None:
        payments = await shop.payments_of(tenant, order_id)
        if payments and payments[0]["status"] == "captured":
            return payments[0]
        raise NotYet(payments)

    payment = await wait_until(captured, what="the payment captured")
    captures = [t for t in payment["transactions"] if t["kind"] == "capture"]
    assert [t["status"] for t in captures] == ["succeeded"], payment
    assert money(captures[0]["amount"]) == total, payment

    # Analytics: this tenant's only order, counted on its day (UTC) with its total.
    async def reported() -> list | None:
        rows = await shop.revenue(tenant)
        if sum(int(r["orders"]) for r in rows) >= 1:
            return rows
        raise NotYet(rows)

    rows = await wait_until(reported, what="the order in the revenue report", timeout=60)
    assert sum(int(r["orders"]) for r in rows) == 1, rows
    assert sum(int(r["units"]) for r in rows) == 2, rows
    assert sum((money(r["revenue"]) for r in rows), Decimal(0)) == total, rows
    assert {r["currency"] for r in rows} == {tenant.currency}, rows
