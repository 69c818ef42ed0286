"""One Idempotency-Key sent 20 times at once: one order, one authorization, 20 identical answers;
the same key with another body is refused (422)."""

from __future__ import annotations

import asyncio
import uuid

from e2e_support import ADDRESS, NotYet, Shop, Tenant, assert_problem, expect, items_of, wait_until


async def test_concurrent_duplicates_make_one_order(shop: Shop, tenant: Tenant) -> None:
    product = await shop.stocked_product(tenant, stock=10, prices=["8.00"])
    customer = await shop.register_customer(tenant)
    cart_id = await shop.new_cart(customer)
    await shop.add_to_cart(customer, cart_id, product.sku_id, 1)
    key = f"e2e-{uuid.uuid4()}"

    responses = await asyncio.gather(
        *(
            shop.checkout(customer, cart_id, idempotency_key=key, payment_token="tok_approve")
            for _ in range(20)
        )
    )
    answers = {(r.status_code, r.content) for r in responses}
    assert len(answers) == 1, f"{len(answers)} different answers: {sorted(a[0] for a in answers)}"
    body = expect(responses[0], 201)
    order_id = str(body["order_id"])
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 19

    # One order for this customer (a fresh one: every order it has came from this key).
    await shop.wait_order(customer.token, order_id, {"confirmed"})

    async def listed_orders() -> list[dict] | None:
        r = await shop.api.get("/api/orders/orders", token=customer.token)
        items = items_of(expect(r, 200))
        if items:
            return items
        raise NotYet("the customer's order list is empty")

    listed = await wait_until(listed_orders, what="the order in the customer's order list")
    assert [str(o["order_id"]) for o in listed] == [order_id], listed

    # One payment, authorized once.
    payments = await shop.payments_of(tenant, order_id)
    assert len(payments) == 1, payments
    auths = [t for t in payments[0]["transactions"] if t["kind"] == "authorize"]
    assert len(auths) == 1, payments

    # One unit committed.
    async def committed() -> dict | None:
        s = await shop.stock(tenant, product.sku_id)
        if (s["on_hand"], s["reserved"]) == (9, 0):
            return s
        raise NotYet(s)

    await wait_until(committed, what="exactly one unit committed")

    # Another body under the same key: refused, and still one order.
    other = await shop.api.post(
        "/api/orders/checkout",
        token=customer.token,
        headers={"Idempotency-Key": key},
        json={
            "cart_id": cart_id,
            "shipping_address": {**ADDRESS, "city": "Paris"},
            "payment_token": "tok_visa",
        },
    )
    problem = assert_problem(other, 422)
    assert problem.get("code") == "idempotency_key_reused", problem
    listed = items_of(expect(await shop.api.get("/api/orders/orders", token=customer.token), 200))
    assert len(listed) == 1, listed

    # The original request once more: the first answer, byte for byte.
    again = await shop.checkout(customer, cart_id, idempotency_key=key, payment_token="tok_approve")
    assert (again.status_code, again.content) == (responses[0].status_code, responses[0].content)
