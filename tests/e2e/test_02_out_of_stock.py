"""Checkout of more than is available: the order is cancelled (out_of_stock) and nothing stays
reserved — all or nothing, including the line that was available."""

from __future__ import annotations

from e2e_support import NotYet, Shop, Tenant, wait_until


async def test_checkout_beyond_stock_is_cancelled_and_reserves_nothing(
    shop: Shop, tenant: Tenant
) -> None:
    scarce = await shop.stocked_product(tenant, stock=3, prices=["10.00"])
    plenty = await shop.stocked_product(tenant, stock=20, prices=["5.00"])
    customer = await shop.register_customer(tenant)

    placed = await shop.buy(customer, {scarce.sku_id: 5, plenty.sku_id: 1})
    order = await shop.wait_order(
        customer.token, str(placed["order_id"]), {"cancelled", "confirmed"}
    )
    assert order["status"] == "cancelled", order
    assert order["cancel_reason"] == "out_of_stock", order
    assert "awaiting_payment" not in [h["to_status"] for h in order["history"]], order["history"]

    for product, on_hand in ((scarce, 3), (plenty, 20)):

        async def untouched(sku: str = product.sku_id, expected: int = on_hand) -> dict | None:
            s = await shop.stock(tenant, sku)
            if s["reserved"] == 0 and s["available"] == expected and s["on_hand"] == expected:
                return s
            raise NotYet(s)

        await wait_until(
            untouched, what=f"SKU {product.sku_id}: nothing reserved, {on_hand} available"
        )

    # No payment was ever requested for it.
    assert await shop.payments_of(tenant, str(placed["order_id"])) == []

    # The stock that is there can still be bought.
    again = await shop.buy(customer, {scarce.sku_id: 3})
    confirmed = await shop.wait_order(
        customer.token, str(again["order_id"]), {"confirmed", "cancelled"}
    )
    assert confirmed["status"] == "confirmed", confirmed
