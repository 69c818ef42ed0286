"""Bad input through the gateway, on endpoints of several services: malformed JSON, NUL bytes,
oversize bodies, unknown fields, wrong media type, malformed ids → 4xx problem+json, never 5xx."""

from __future__ import annotations

import uuid
from typing import Any

from e2e_support import ADDRESS, Shop, Tenant, assert_problem


async def endpoints(shop: Shop, tenant: Tenant) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """(path, headers, a valid body) of JSON endpoints of six services."""
    customer = await shop.register_customer(tenant)
    # Anonymous calls name the tenant by header: wait until analytics has heard of the new one.
    await shop.wait_tenant_known(tenant, "/api/analytics/clickstream")
    cart_id = await shop.new_cart(customer)
    staff = {"Authorization": f"Bearer {tenant.owner_token}"}
    cust = {"Authorization": f"Bearer {customer.token}"}
    anon = {"X-Tenant-Id": tenant.tenant_id}
    return [
        (
            "/api/tenancy/customers",
            anon,
            {"email": f"x{uuid.uuid4().hex[:6]}@e2e.example.com", "password": "Long-enough-1234"},
        ),
        (
            "/api/tenancy/auth/login",
            anon,
            {"email": "nobody@e2e.example.com", "password": "Long-enough-1234"},
        ),
        ("/api/catalog/products", staff, {"name": "Bad input probe"}),
        ("/api/catalog/brands", staff, {"name": "Bad input brand"}),
        ("/api/inventory/warehouses", staff, {"code": "BADIN", "name": "Bad input"}),
        (
            "/api/orders/carts/" + cart_id + "/items",
            cust,
            {"sku_id": str(uuid.uuid4()), "quantity": 1},
        ),
        (
            "/api/orders/checkout",
            {**cust, "Idempotency-Key": str(uuid.uuid4())},
            {"cart_id": cart_id, "shipping_address": ADDRESS, "payment_token": "tok_approve"},
        ),
        ("/api/analytics/clickstream", anon, {"events": []}),
    ]


async def test_bad_bodies_get_4xx_problems(shop: Shop, tenant: Tenant) -> None:
    for path, headers, valid in await endpoints(shop, tenant):
        json_headers = {**headers, "Content-Type": "application/json"}
        key = next(iter(valid))

        # Each case with a fresh Idempotency-Key where one is needed (a stored 4xx would replay).
        def fresh() -> dict[str, str]:
            h = dict(json_headers)
            if "Idempotency-Key" in h:
                h["Idempotency-Key"] = str(uuid.uuid4())
            return h

        # Malformed JSON.
        for raw in (
            b'{"name": ',
            b"{'single': 'quotes'}",
            b'{"a": NaN}',
            b"\xff\xfe{}",
            b"[" * 2000 + b"]" * 2000,
        ):
            r = await shop.api.post(path, content=raw, headers=fresh())
            assert_problem(r, 400, 422)
        # NUL: escaped in a string, and raw in the body.
        nul = (
            {**valid, key: "a\u0000b"}
            if isinstance(valid[key], str)
            else {**valid, "x": "a\u0000b"}
        )
        r = await shop.api.post(path, json=nul, headers=fresh())
        assert_problem(r, 400, 422)
        r = await shop.api.post(
            path, content=b'{"' + key.encode() + b'": "a\x00b"}', headers=fresh()
        )
        assert_problem(r, 400, 422)
        # Unknown fields.
        r = await shop.api.post(path, json={**valid, "is_admin": True}, headers=fresh())
        assert_problem(r, 400, 422)
        # Wrong types, empty body, not an object.
        r = await shop.api.post(path, json={key: {"nested": [1, 2]}}, headers=fresh())
        assert_problem(r, 400, 422)
        r = await shop.api.post(path, content=b"", headers=fresh())
        assert_problem(r, 400, 422)
        r = await shop.api.post(path, json=[valid], headers=fresh())
        assert_problem(r, 400, 422)
        # Over 1 MiB: the gateway (or the service) answers 413 problem+json.
        big = b'{"' + key.encode() + b'": "' + b"a" * 1_100_000 + b'"}'
        r = await shop.api.post(path, content=big, headers=fresh())
        assert_problem(r, 413)
        # Another media type for a JSON route.
        r = await shop.api.post(
            path,
            content=b"name=x",
            headers={**fresh(), "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert_problem(r, 400, 415, 422)


async def test_bad_ids_and_queries_get_4xx_problems(shop: Shop, tenant: Tenant) -> None:
    staff = tenant.owner_token
    paths = [
        "/api/catalog/products/not-a-uuid",
        "/api/catalog/products/%00",
        f"/api/catalog/products/{uuid.uuid4()}",
        "/api/inventory/stock/not-a-uuid",
        "/api/orders/orders/not-a-uuid",
        f"/api/orders/orders/{uuid.uuid4()}",
        "/api/orders/carts/%00",
        "/api/shipping/shipments/12345",
        "/api/payments/payments/%27%3B--",
        "/api/analytics/reports/revenue?from=yesterday&to=2020-13-45",
        "/api/catalog/search?page=-1&size=100000",
        "/api/catalog/search?q=%00",
        "/api/orders/admin/orders?placed_from=not-a-date",
        "/api/tenancy/me?x=%00",
    ]
    for path in paths:
        r = await shop.api.get(path, token=staff, tenant=tenant.tenant_id)
        assert 400 <= r.status_code < 500, f"GET {path} -> {r.status_code}: {r.text[:300]}"
        assert r.headers.get("content-type", "").startswith("application/problem+json"), (
            path,
            r.headers,
        )
