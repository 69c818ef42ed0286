"""The orders API against the real Postgres (a private schema of ``shop_test``, migrated with the
service's own Alembic revisions) and Redis: carts, checkout with idempotency, order reads."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from orders.adapters.catalog_prices import on_product_snapshot
from orders.adapters.projector import OrderProjector
from orders.api.app import create_api
from orders.application.app import OrdersApp
from orders.bootstrap import install, wire_services
from orders.config import OrdersSettings
from redis.asyncio import Redis
from shop_contracts import registry
from shop_contracts.events.catalog import ProductPublished
from shop_runtime.auth import JwksClient, TokenIssuer, TokenVerifier
from shop_runtime.consumer import InboundMessage
from shop_runtime.db import tenant_transaction
from shop_runtime.rls import tenant_tables_without_forced_rls
from shop_runtime.testing.postgres import TestDatabase
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

pytestmark = pytest.mark.integration

ISSUER, AUDIENCE = "shop-tenancy", "shop"
JWKS_URL = "http://tenancy.test/.well-known/jwks.json"
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
ADDRESS = {
    "name": "Asha Rao",
    "line1": "12 MG Road",
    "city": "Bengaluru",
    "postal_code": "560001",
    "country": "IN",
}


class Env:
    def __init__(self, settings: OrdersSettings, db: TestDatabase, app: OrdersApp) -> None:
        self.settings = settings
        self.db = db
        self.app = app
        self.engine: AsyncEngine = db.engine()
        self.issuer = TokenIssuer(issuer=ISSUER, audience=AUDIENCE)
        self.client: httpx.AsyncClient

    def token(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, kind: str = "customer", perms=()
    ) -> dict[str, str]:
        token = self.issuer.issue(
            subject=str(user_id), tenant_id=tenant_id, kind=kind, permissions=list(perms)
        )
        return {"Authorization": f"Bearer {token}"}

    async def publish_product(self, tenant_id: uuid.UUID, price: str = "4.50") -> uuid.UUID:
        """Feed catalog's ProductPublished to the price consumer's handler."""
        sku_id, product_id = uuid.uuid4(), uuid.uuid4()
        event = ProductPublished(
            product_id=product_id,
            product_version=1,
            name="Green tea",
            slug="green-tea",
            skus=[{"sku_id": sku_id, "sku": "GT-1", "price": {"amount": price, "currency": "EUR"}}],
        )
        envelope = registry.envelope_for(
            event,
            tenant_id=tenant_id,
            aggregate_id=product_id,
            aggregate_version=1,
            producer="catalog",
        )
        message = InboundMessage(envelope, event, "catalog.events.v1", 0, 0, None)
        async with tenant_transaction(self.engine, tenant_id) as conn:
            await on_product_snapshot(conn, message)
        return sku_id


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[Env]:
    settings = OrdersSettings(
        postgres_db="shop_test", jwks_url=JWKS_URL, jwt_issuer=ISSUER, jwt_audience=AUDIENCE
    )
    db = TestDatabase.create(settings, prefix="orders")
    config = Config(str(ALEMBIC_INI))
    config.attributes["settings"] = settings
    config.attributes["schema"] = db.schema
    await asyncio.to_thread(command.upgrade, config, "head")
    app = OrdersApp(settings, schema=db.schema)
    e = Env(settings, db, app)
    redis: Redis[bytes] = Redis.from_url(settings.redis_url)

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(e.issuer.jwks())

    jwks_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(
            app=Starlette(routes=[Route("/.well-known/jwks.json", jwks)])
        ),
        base_url="http://tenancy.test",
    )
    verifier = TokenVerifier(
        JwksClient(JWKS_URL, http_client=jwks_http), issuer=ISSUER, audience=AUDIENCE
    )
    api = create_api(settings, token_verifier=verifier)
    install(api, wire_services(settings, app, e.engine, redis), e.engine, redis)
    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://orders.test") as client:
        e.client = client
        try:
            yield e
        finally:
            await redis.aclose()
            await db.dispose()
            app.close()
            db.drop()


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if code is not None:
        assert body["code"] == code, body
    return body


async def new_cart(env: Env, headers: dict[str, str], sku_id: uuid.UUID, qty: int = 2) -> str:
    r = await env.client.post("/carts", headers=headers)
    assert r.status_code == 201, r.text
    cart_id = r.json()["cart_id"]
    r = await env.client.post(
        f"/carts/{cart_id}/items", headers=headers, json={"sku_id": str(sku_id), "quantity": qty}
    )
    assert r.status_code == 200, r.text
    return str(cart_id)


async def test_every_tenant_table_has_forced_rls(env: Env) -> None:
    async with env.db.engine(owner=True).connect() as conn:
        assert await tenant_tables_without_forced_rls(conn, schema=env.db.schema) == []


async def test_cart_operations(env: Env) -> None:
    tenant, customer = uuid.uuid4(), uuid.uuid4()
    me = env.token(tenant, customer)
    sku = await env.publish_product(tenant, "4.50")
    cart_id = await new_cart(env, me, sku, 2)
    r = await env.client.get(f"/carts/{cart_id}", headers=me)
    body = r.json()
    assert body["currency"] == "EUR"
    assert body["subtotal"] == {"amount": "9.00", "currency": "EUR"}
    [line] = body["lines"]
    assert line["name"] == "Green tea" and line["quantity"] == 2
    assert line["unit_price"] == {"amount": "4.50", "currency": "EUR"}
    assert line["line_total"] == {"amount": "9.00", "currency": "EUR"}

    r = await env.client.put(f"/carts/{cart_id}/items/{sku}", headers=me, json={"quantity": 5})
    assert r.json()["lines"][0]["quantity"] == 5
    r = await env.client.post(
        f"/carts/{cart_id}/items", headers=me, json={"sku_id": str(sku), "quantity": 1}
    )
    assert r.json()["subtotal"]["amount"] == "27.00"
    r = await env.client.delete(f"/carts/{cart_id}/items/{sku}", headers=me)
    assert r.status_code == 200 and r.json()["lines"] == []
    # the cart expires: a TTL is set and refreshed on writes
    ttl = await Redis.from_url(env.settings.redis_url).ttl(f"orders:cart:{tenant}:{cart_id}")
    assert 0 < ttl <= env.settings.cart_ttl_seconds


async def test_cart_bad_input_and_other_owners(env: Env) -> None:
    tenant, customer = uuid.uuid4(), uuid.uuid4()
    me = env.token(tenant, customer)
    sku = await env.publish_product(tenant)
    cart_id = await new_cart(env, me, sku, 1)
    items = f"/carts/{cart_id}/items"
    problem(await env.client.post(items, headers=me, json={"sku_id": str(sku), "quantity": 0}), 422)
    problem(await env.client.post(items, headers=me, json={"sku_id": "nope", "quantity": 1}), 422)
    problem(
        await env.client.post(items, headers=me, json={"sku_id": str(sku), "quantity": 1, "x": 1}),
        422,
    )
    problem(
        await env.client.post(items, headers=me, json={"sku_id": str(uuid.uuid4()), "quantity": 1}),
        422,
        "price_unavailable",
    )
    problem(
        await env.client.post(items, headers=me, json={"sku_id": str(sku), "quantity": 11}),
        422,
        "cart_limit_exceeded",
    )
    problem(await env.client.get("/carts/not-a-uuid", headers=me), 422)
    problem(await env.client.get(f"/carts/{cart_id}"), 401)
    # another customer of the tenant, and the same customer id in another tenant: 404
    problem(await env.client.get(f"/carts/{cart_id}", headers=env.token(tenant, uuid.uuid4())), 404)
    problem(
        await env.client.get(f"/carts/{cart_id}", headers=env.token(uuid.uuid4(), customer)), 404
    )
    # staff have no carts
    staff = env.token(tenant, uuid.uuid4(), kind="staff", perms=["*"])
    problem(await env.client.post("/carts", headers=staff), 403, "customer_only")


async def test_checkout_is_idempotent_under_concurrency(env: Env) -> None:
    tenant, customer = uuid.uuid4(), uuid.uuid4()
    me = env.token(tenant, customer)
    sku = await env.publish_product(tenant, "4.50")
    cart_id = await new_cart(env, me, sku, 2)
    body = {"cart_id": cart_id, "shipping_address": ADDRESS, "payment_token": "tok_approve"}
    headers = {**me, "Idempotency-Key": "checkout-1"}
    responses = await asyncio.gather(
        *(env.client.post("/checkout", headers=headers, json=body) for _ in range(20))
    )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    out = responses[0].json()
    assert out["status"] == "pending"
    assert out["total"] == {"amount": "9.00", "currency": "EUR"}
    assert out["order_number"] == "1001"
    # one order in the event store; the cart is gone
    assert env.app.recorder.max_notification_id() is not None
    order = env.app.order(tenant, uuid.UUID(out["order_id"]))
    assert order.payment_token == "tok_approve"
    problem(await env.client.get(f"/carts/{cart_id}", headers=me), 404)

    # same key, another body: refused
    other = {**body, "payment_token": "tok_other"}
    problem(await env.client.post("/checkout", headers=headers, json=other), 422)
    # a new key on a cart that is gone: 404; no key: 400
    problem(
        await env.client.post(
            "/checkout", headers={**me, "Idempotency-Key": "checkout-2"}, json=body
        ),
        404,
    )
    problem(await env.client.post("/checkout", headers=me, json=body), 400)


async def test_checkout_refusals(env: Env) -> None:
    tenant, customer = uuid.uuid4(), uuid.uuid4()
    me = env.token(tenant, customer)
    r = await env.client.post("/carts", headers=me)
    cart_id = r.json()["cart_id"]
    body = {"cart_id": cart_id, "shipping_address": ADDRESS, "payment_token": "tok_approve"}

    async def post(payload: dict[str, Any], key: str) -> httpx.Response:
        return await env.client.post(
            "/checkout", headers={**me, "Idempotency-Key": key}, json=payload
        )

    problem(await post(body, "empty"), 422, "empty_cart")
    sku = await env.publish_product(tenant)
    await env.client.post(
        f"/carts/{cart_id}/items", headers=me, json={"sku_id": str(sku), "quantity": 1}
    )
    problem(
        await post({**body, "payment_token": "4111111111111111"}, "pan"), 422, "card_data_refused"
    )
    problem(await post({**body, "shipping_address": {**ADDRESS, "country": "India"}}, "addr"), 422)
    problem(await post({**body, "extra": True}, "extra"), 422)
    problem(await post({"cart_id": cart_id}, "missing"), 422)


async def test_orders_are_visible_only_to_their_customer_and_staff(env: Env) -> None:
    tenant, customer = uuid.uuid4(), uuid.uuid4()
    me = env.token(tenant, customer)
    sku = await env.publish_product(tenant, "10.00")
    order_ids = []
    for n in range(3):
        cart_id = await new_cart(env, me, sku, 1)
        r = await env.client.post(
            "/checkout",
            headers={**me, "Idempotency-Key": f"k{n}"},
            json={"cart_id": cart_id, "shipping_address": ADDRESS, "payment_token": "tok_approve"},
        )
        assert r.status_code == 201, r.text
        order_ids.append(r.json()["order_id"])
    first = order_ids[0]

    r = await env.client.get(f"/orders/{first}", headers=me)
    assert r.status_code == 200
    order = r.json()
    assert order["status"] == "pending" and order["cancel_reason"] is None
    assert order["history"][0]["to_status"] == "pending"
    assert order["totals"]["total"] == {"amount": "10.00", "currency": "EUR"}
    assert "payment_token" not in order

    problem(await env.client.get(f"/orders/{first}", headers=env.token(tenant, uuid.uuid4())), 404)
    problem(
        await env.client.get(f"/orders/{first}", headers=env.token(uuid.uuid4(), customer)), 404
    )
    staff_no_perm = env.token(tenant, uuid.uuid4(), kind="staff")
    problem(await env.client.get(f"/orders/{first}", headers=staff_no_perm), 403)
    viewer = env.token(tenant, uuid.uuid4(), kind="staff", perms=["orders.view"])
    assert (await env.client.get(f"/orders/{first}", headers=viewer)).status_code == 200
    problem(await env.client.get(f"/orders/{uuid.uuid4()}", headers=viewer), 404)

    # the lists come from the projection
    projector = OrderProjector(env.app, env.engine, reservation_timeout=env.app.reservation_timeout)
    while await projector.run_once():
        pass
    r = await env.client.get("/orders?limit=2", headers=me)
    page = r.json()
    assert [o["order_id"] for o in page["items"]] == order_ids[::-1][:2]
    r = await env.client.get(f"/orders?limit=2&cursor={page['next_cursor']}", headers=me)
    assert [o["order_id"] for o in r.json()["items"]] == [first]
    assert r.json()["next_cursor"] is None
    other_customer = await env.client.get("/orders", headers=env.token(tenant, uuid.uuid4()))
    assert other_customer.json()["items"] == []
    problem(await env.client.get("/orders?cursor=garbage", headers=me), 400, "invalid_cursor")

    # cancel by the customer, then the admin list filters by status
    r = await env.client.post(f"/orders/{first}/cancel", headers=me)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == "customer_request"
    problem(
        await env.client.post(f"/orders/{first}/cancel", headers=env.token(tenant, uuid.uuid4())),
        404,
    )
    while await projector.run_once():
        pass
    r = await env.client.get("/admin/orders?status=cancelled", headers=viewer)
    assert [o["order_id"] for o in r.json()["items"]] == [first]
    today = datetime.now(UTC).date().isoformat()
    r = await env.client.get(
        f"/admin/orders?status=pending&placed_from={today}&placed_to={today}", headers=viewer
    )
    assert len(r.json()["items"]) == 2
    problem(await env.client.get("/admin/orders?status=lost", headers=viewer), 422)
    problem(await env.client.get("/admin/orders?placed_from=yesterday", headers=viewer), 422)
    problem(await env.client.get("/admin/orders", headers=staff_no_perm), 403)
    problem(await env.client.get("/admin/orders", headers=me), 403)
    # another tenant's staff sees none of it
    foreign = env.token(uuid.uuid4(), uuid.uuid4(), kind="staff", perms=["orders.view"])
    assert (await env.client.get("/admin/orders", headers=foreign)).json()["items"] == []
