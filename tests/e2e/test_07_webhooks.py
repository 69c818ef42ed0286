"""Signed webhooks: a replayed provider/carrier event changes nothing; a tampered, unsigned or
stale signature is refused with 400 problem+json (payments and shipping)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from e2e_support import NotYet, Shop, Tenant, assert_problem, dumps, expect, sign, wait_until


async def confirmed_order(shop: Shop, tenant: Tenant) -> tuple[str, str]:
    product = await shop.stocked_product(tenant, stock=5, prices=["15.00"])
    customer = await shop.register_customer(tenant)
    placed = await shop.buy(customer, {product.sku_id: 1})
    order_id = str(placed["order_id"])
    await shop.wait_order(customer.token, order_id, {"confirmed"})
    return order_id, customer.token


async def labelled_shipment(shop: Shop, tenant: Tenant, order_id: str) -> dict[str, Any]:
    async def labelled() -> dict[str, Any] | None:
        s = await shop.shipment_of(tenant, order_id)
        if s.get("tracking_number"):
            return s
        raise NotYet(f"shipment {s.get('status')} without tracking number")

    return await wait_until(labelled, what="a shipment label")


BAD_SIGNATURES = {
    "tampered body": "tampered",
    "wrong secret": "wrong_secret",
    "no v1": "no_v1",
    "garbage header": "garbage",
    "stale (1 h old)": "stale",
    "from the future (1 h ahead)": "future",
}


def bad_signature(kind: str, secret: str, body: bytes) -> tuple[bytes, str]:
    """(body to send, header) for one kind of bad delivery."""
    now = int(time.time())
    if kind == "tampered":
        return body.replace(b"}", b',"x":1}', 1), sign(secret, body, now)
    if kind == "wrong_secret":
        return body, sign(secret + "x", body, now)
    if kind == "no_v1":
        return body, f"t={now}"
    if kind == "garbage":
        return body, "not a signature"
    if kind == "stale":
        return body, sign(secret, body, now - 3600)
    if kind == "future":
        return body, sign(secret, body, now + 3600)
    raise AssertionError(kind)


async def test_bad_signatures_are_refused(shop: Shop, tenant: Tenant) -> None:
    ship_body = dumps(
        {
            "event_id": f"e2e-{uuid.uuid4().hex}",
            "reference": str(uuid.uuid4()),
            "tracking_number": "SBX0000",
            "code": "picked_up",
            "occurred_at": "2030-01-01T00:00:00+00:00",
        }
    )
    pay_body = dumps(
        {
            "id": f"evt_{uuid.uuid4().hex[:24]}",
            "type": "payment.captured",
            "created": int(time.time()),
            "data": {"reference": "x"},
        }
    )
    cases = [
        ("/api/shipping/webhooks/carrier/sandbox", "SHIPPING_WEBHOOK_SECRET", ship_body),
        ("/api/payments/webhooks/sandbox", "PAYMENTS_WEBHOOK_SECRET", pay_body),
    ]
    for path, secret_name, body in cases:
        # Webhooks name their tenant by header: wait until the service has heard of the new one.
        await shop.wait_tenant_known(tenant, path)
        for label, kind in BAD_SIGNATURES.items():
            sent, header = bad_signature(kind, shop.env[secret_name], body)
            headers = {"Content-Type": "application/json", "Shop-Signature": header}
            r = await shop.api.post(path, content=sent, headers=headers, tenant=tenant.tenant_id)
            problem = assert_problem(r, 400)
            expected = "stale_signature" if kind in ("stale", "future") else "invalid_signature"
            assert problem.get("code") == expected, (path, label, problem)
    # Without any signature header at all.
    for path, _secret, body in cases:
        r = await shop.api.post(
            path,
            content=body,
            headers={"Content-Type": "application/json"},
            tenant=tenant.tenant_id,
        )
        assert_problem(r, 400)


async def test_replayed_carrier_event_changes_nothing(shop: Shop, tenant: Tenant) -> None:
    order_id, customer_token = await confirmed_order(shop, tenant)
    shipment = await labelled_shipment(shop, tenant, order_id)
    shipment_id = str(shipment["shipment_id"])

    picked = shop.carrier_event(shipment, "picked_up", event_id=f"e2e-pick-{uuid.uuid4().hex}")
    expect(await shop.carrier_webhook(tenant, picked), 200)
    order = await shop.wait_order(customer_token, order_id, {"shipped"})
    before = await shop.shipment(tenant, shipment_id)
    assert before["status"] == "shipped", before

    # The same delivery again (a carrier retry: same event id and body, signed anew).
    replay = await shop.carrier_webhook(tenant, picked)
    expect(replay, 200)

    # A new event as a marker: once it is recorded, anything the replay did would be too.
    marker = shop.carrier_event(shipment, "in_transit", event_id=f"e2e-transit-{uuid.uuid4().hex}")
    expect(await shop.carrier_webhook(tenant, marker), 200)

    async def marked() -> dict[str, Any] | None:
        s = await shop.shipment(tenant, shipment_id)
        if len(s["tracking_events"]) > len(before["tracking_events"]):
            return s
        raise NotYet(f"{len(s['tracking_events'])} tracking events")

    after = await wait_until(marked, what="the marker tracking event recorded")
    assert len(after["tracking_events"]) == len(before["tracking_events"]) + 1, (before, after)
    assert after["status"] == "shipped", after
    order_after = await shop.order(customer_token, order_id)
    assert order_after["history"] == order["history"], (order["history"], order_after["history"])


async def test_replayed_payment_event_changes_nothing(shop: Shop, tenant: Tenant) -> None:
    order_id, _ = await confirmed_order(shop, tenant)

    async def settled_payment() -> dict[str, Any] | None:
        payments = await shop.payments_of(tenant, order_id)
        if payments and all(t["status"] != "pending" for t in payments[0]["transactions"]):
            return payments[0]
        raise NotYet(payments)

    payment = await wait_until(settled_payment, what="the order's payment with nothing pending")
    payment_id = str(payment["payment_id"])
    # Events with an effect: the provider reports a capture (if the store captures on shipment) or
    # partial refunds (if it captured on confirmation).
    captured_first = payment["status"] == "captured"
    if not captured_first:
        assert payment["status"] == "authorized", payment

    def event(n: int) -> bytes:
        if not captured_first and n == 0:
            kind, data = "payment.captured", {"payment_id": payment_id}
        else:
            kind, data = "payment.refunded", {"payment_id": payment_id, "amount": "1.00"}
        return dumps(
            {
                "id": f"evt_e2e_{uuid.uuid4().hex[:20]}",
                "type": kind,
                "created": int(time.time()),
                "data": data,
            }
        )

    path = f"/api/payments/payments/{payment_id}"

    async def transactions(count: int) -> dict[str, Any] | None:
        p = expect(await shop.api.get(path, token=tenant.owner_token), 200)
        if len(p["transactions"]) >= count:
            return p
        raise NotYet(f"{len(p['transactions'])} transactions: {p['transactions']}")

    body = event(0)
    first = expect(await shop.payment_webhook(tenant, body), 200)
    assert first.get("status") == "processed", first
    n0 = len(payment["transactions"])
    await wait_until(lambda: transactions(n0 + 1), what="the webhook's effect on the payment")

    # The provider retries the same event (same id and body, signed anew): nothing changes.
    replay = expect(await shop.payment_webhook(tenant, body), 200)
    assert replay.get("status") == "duplicate", replay

    # A new event as a marker: once its effect shows, any effect of the replay would too.
    marker = expect(await shop.payment_webhook(tenant, event(1)), 200)
    assert marker.get("status") == "processed", marker
    final = await wait_until(lambda: transactions(n0 + 2), what="the marker event's effect")
    assert len(final["transactions"]) == n0 + 2, final
