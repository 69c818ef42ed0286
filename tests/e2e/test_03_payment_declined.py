"""A declined payment: the order is cancelled (payment_failed), its reservation released, and
nothing is captured."""

from __future__ import annotations

from e2e_support import NotYet, Shop, Tenant, wait_until


async def test_declined_payment_cancels_and_releases(shop: Shop, tenant: Tenant) -> None:
    product = await shop.stocked_product(tenant, stock=5, prices=["30.00"])
    customer = await shop.register_customer(tenant)

    placed = await shop.buy(customer, {product.sku_id: 2}, payment_token="tok_decline")
    order_id = str(placed["order_id"])
    order = await shop.wait_order(customer.token, order_id, {"cancelled", "confirmed"})
    assert order["status"] == "cancelled", order
    assert order["cancel_reason"] == "payment_failed", order
    # Stock was reserved first (the saga went through awaiting_payment), then released.
    assert "awaiting_payment" in [h["to_status"] for h in order["history"]], order["history"]

    async def released() -> dict | None:
        s = await shop.stock(tenant, product.sku_id)
        if (s["on_hand"], s["reserved"], s["available"]) == (5, 0, 5):
            return s
        raise NotYet(s)

    await wait_until(released, what="the reservation released (reserved 0, available 5)")

    payments = await shop.payments_of(tenant, order_id)
    assert len(payments) == 1, payments
    payment = payments[0]
    kinds = [t["kind"] for t in payment["transactions"]]
    assert "capture" not in kinds, payment
    auths = [t for t in payment["transactions"] if t["kind"] == "authorize"]
    assert auths and all(t["status"] == "failed" for t in auths), payment
    assert payment["status"] == "failed", payment
