"""The catalog API against the real Postgres, Redis and OpenSearch of the local stack.

The workers are driven by hand: the read-model projector with ``run_once``, the search projector
with the envelopes the relay would publish (``Relay.translate_notifications``), so each test
controls when a change becomes visible.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from catalog.adapters.product_cache import ProductCache, product_key
from catalog.adapters.projector import CatalogProjector
from catalog.adapters.read_models import metadata
from catalog.adapters.search_index import SearchIndex
from catalog.adapters.search_projector import SearchProjector
from catalog.adapters.search_sink import search_sink
from catalog.adapters.storefront import Storefront
from catalog.adapters.unique_keys import PostgresUniqueKeys
from catalog.api.app import create_api
from catalog.api.deps import CatalogComponents
from catalog.application.app import CatalogApp
from catalog.config import CatalogSettings
from catalog.integration.outbound import translate
from opensearchpy import AsyncOpenSearch
from redis.asyncio import Redis
from shop_contracts import registry
from shop_contracts.events.inventory import StockLevelChanged
from shop_contracts.topics import CATALOG_EVENTS
from shop_runtime.auth import TokenIssuer, TokenVerifier
from shop_runtime.migrations import create_runtime_tables
from shop_runtime.relay import Relay
from shop_runtime.rls import enable_tenant_rls, tenant_tables_without_forced_rls
from shop_runtime.tenant_directory import create_tenant_directory_tables
from shop_runtime.testing.postgres import TestDatabase

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


class Stack:
    def __init__(self) -> None:
        self.settings = CatalogSettings(
            postgres_db="shop_test", search_index_prefix=f"test_cat_{uuid.uuid4().hex[:10]}_"
        )
        self.db = TestDatabase.create(self.settings, prefix="catalog")
        self.issuer = TokenIssuer(
            issuer=self.settings.jwt_issuer, audience=self.settings.jwt_audience
        )

    async def open(self) -> None:
        owner = self.db.engine(owner=True, pool_size=1)

        def migrate(conn: Any) -> None:
            create_runtime_tables(conn)
            create_tenant_directory_tables(conn)
            metadata.create_all(conn)
            for table in metadata.sorted_tables:
                enable_tenant_rls(conn, table.name)

        async with owner.begin() as conn:
            await conn.run_sync(migrate)
        self.engine = self.db.engine()
        self.keys = PostgresUniqueKeys(self.db.libpq_dsn())
        self.keys.open()
        self.app = self.db.app(CatalogApp, unique_keys=self.keys)
        self.redis: Redis[bytes] = Redis.from_url(self.settings.redis_url)
        self.cache = ProductCache(self.redis, ttl_seconds=60)
        self.os = AsyncOpenSearch(self.settings.opensearch_url, timeout=30)
        self.index = SearchIndex(self.os, prefix=self.settings.search_index_prefix)
        await self.index.ensure_index()
        self.projector = CatalogProjector(self.app, self.engine, cache=self.cache)
        self.relay = Relay(self.app, topic=CATALOG_EVENTS, translate=translate)
        self.relayed = 0
        self.sink = search_sink(SearchProjector(self.index))
        components = CatalogComponents(
            settings=self.settings,
            app=self.app,
            queries=Storefront(self.engine, cache=self.cache, search_index=self.index),
        )
        verifier = TokenVerifier(
            self.issuer, issuer=self.settings.jwt_issuer, audience=self.settings.jwt_audience
        )
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_api(components, token_verifier=verifier)),
            base_url="http://catalog.test",
        )

    async def close(self) -> None:
        await self.http.aclose()
        await self.index.drop()
        await self.os.close()
        await self.redis.aclose()  # type: ignore[attr-defined]
        self.app.close()
        self.keys.close()
        await self.db.dispose()
        self.db.drop()

    def token(self, tenant: uuid.UUID, *perms: str) -> dict[str, str]:
        token = self.issuer.issue(
            subject=str(uuid.uuid4()), tenant_id=tenant, permissions=list(perms)
        )
        return {"Authorization": f"Bearer {token}"}

    async def project(self) -> None:
        while await self.projector.run_once():
            pass

    async def index_events(self) -> None:
        """What the relay would publish since last time, through the search sink."""
        notifications = self.app.recorder.select_notifications(
            start=self.relayed, limit=10_000, inclusive_of_start=False
        )
        if notifications:
            self.relayed = notifications[-1].id
            records = self.relay.translate_notifications(notifications)
            assert await self.sink([r.envelope for r in records]) == []
        await self.index.refresh()


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[Stack]:
    s = Stack()
    await s.open()
    try:
        yield s
    finally:
        await s.close()


async def make_product(
    stack: Stack, tenant: uuid.UUID, name: str = "Trail Shirt", publish: bool = True
) -> dict[str, Any]:
    admin = stack.token(tenant, "catalog.manage")
    root = await stack.http.post(
        "/categories", json={"name": f"Clothing {uuid.uuid4().hex[:6]}"}, headers=admin
    )
    assert root.status_code == 201, root.text
    leaf = await stack.http.post(
        "/categories",
        json={"name": f"Shirts {uuid.uuid4().hex[:6]}", "parent_id": root.json()["category_id"]},
        headers=admin,
    )
    assert leaf.status_code == 201, leaf.text
    assert [p["category_id"] for p in leaf.json()["path"]] == [
        root.json()["category_id"],
        leaf.json()["category_id"],
    ]
    brand = await stack.http.post(
        "/brands", json={"name": f"Acme {uuid.uuid4().hex[:6]}"}, headers=admin
    )
    assert brand.status_code == 201, brand.text
    product = await stack.http.post(
        "/products",
        json={
            "name": name,
            "slug": f"{name.lower().replace(' ', '-')}-{uuid.uuid4().hex[:6]}",
            "brand_id": brand.json()["brand_id"],
            "category_id": leaf.json()["category_id"],
            "options": [{"name": "Color", "values": ["Red", "Blue"]}],
        },
        headers=admin,
    )
    assert product.status_code == 201, product.text
    product_id = product.json()["product_id"]
    skus = []
    for color in ("Red", "Blue"):
        sku = await stack.http.post(
            f"/products/{product_id}/skus",
            json={
                "code": f"TS-{color}-{uuid.uuid4().hex[:6]}",
                "price": {"amount": "20.00", "currency": "EUR"},
                "option_values": {"Color": color},
            },
            headers=admin,
        )
        assert sku.status_code == 201, sku.text
        skus.append(sku.json()["sku_id"])
    if publish:
        published = await stack.http.post(f"/products/{product_id}/publish", headers=admin)
        assert published.status_code == 200, published.text
    return {
        "product_id": product_id,
        "skus": skus,
        "brand_id": brand.json()["brand_id"],
        "root_id": root.json()["category_id"],
        "leaf_id": leaf.json()["category_id"],
        "admin": admin,
    }


async def test_read_models_have_forced_rls(stack: Stack) -> None:
    async with stack.engine.connect() as conn:
        assert await tenant_tables_without_forced_rls(conn) == []


async def test_product_detail_is_cached_and_invalidated_by_a_price_change(stack: Stack) -> None:
    tenant = uuid.uuid4()
    p = await make_product(stack, tenant)
    anonymous = {"X-Tenant-Id": str(tenant)}
    # Not projected yet: not visible.
    assert (
        await stack.http.get(f"/products/{p['product_id']}", headers=anonymous)
    ).status_code == 404
    await stack.project()
    first = await stack.http.get(f"/products/{p['product_id']}", headers=anonymous)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "published"
    assert body["brand"]["brand_id"] == p["brand_id"]
    assert [c["category_id"] for c in body["category"]["path"]] == [p["root_id"], p["leaf_id"]]
    assert {s["price"]["amount"] for s in body["skus"]} == {"20.00"}
    assert await stack.redis.get(product_key(tenant, p["product_id"])) is not None

    changed = await stack.http.post(
        f"/products/{p['product_id']}/skus/{p['skus'][0]}/price",
        json={"price": {"amount": "15.50", "currency": "EUR"}},
        headers=p["admin"],
    )
    assert changed.status_code == 200, changed.text
    # Still the cached copy until the projector commits the change...
    cached = await stack.http.get(f"/products/{p['product_id']}", headers=anonymous)
    assert {s["price"]["amount"] for s in cached.json()["skus"]} == {"20.00"}
    await stack.project()
    # ... which deletes the key: the next read sees the new price.
    assert await stack.redis.get(product_key(tenant, p["product_id"])) is None
    fresh = await stack.http.get(f"/products/{p['product_id']}", headers=anonymous)
    prices = {s["sku_id"]: s["price"]["amount"] for s in fresh.json()["skus"]}
    assert prices == {p["skus"][0]: "15.50", p["skus"][1]: "20.00"}

    listed = await stack.http.get(
        "/products", params={"category_id": p["root_id"]}, headers=anonymous
    )
    assert [i["product_id"] for i in listed.json()["items"]] == [p["product_id"]]
    by_other_brand = await stack.http.get(
        "/products", params={"brand_id": str(uuid.uuid4())}, headers=anonymous
    )
    assert by_other_brand.json() == {"items": [], "next_cursor": None}


async def test_list_paginates_with_a_cursor(stack: Stack) -> None:
    tenant = uuid.uuid4()
    ids = {(await make_product(stack, tenant, name=f"Item {i}"))["product_id"] for i in range(3)}
    await stack.project()
    headers = {"X-Tenant-Id": str(tenant)}
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await stack.http.get("/products", params=params, headers=headers)).json()
        seen += [i["product_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    bad = await stack.http.get("/products", params={"cursor": "nope!"}, headers=headers)
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_cursor"


async def test_search_finds_the_product_and_follows_stock_levels(stack: Stack) -> None:
    tenant = uuid.uuid4()
    p = await make_product(stack, tenant, name="Merino Hoodie")
    await stack.index_events()
    headers = {"X-Tenant-Id": str(tenant)}
    found = await stack.http.get("/search", params={"q": "merino"}, headers=headers)
    assert found.status_code == 200, found.text
    body = found.json()
    assert [i["product_id"] for i in body["items"]] == [p["product_id"]]
    assert body["total"] == 1 and body["page"] == 1
    assert body["index_freshness"]["last_event_at"] is not None
    by_parent = await stack.http.get(
        "/search", params={"category_id": p["root_id"], "brand_id": p["brand_id"]}, headers=headers
    )
    assert by_parent.json()["total"] == 1
    in_stock = await stack.http.get("/search", params={"in_stock": "true"}, headers=headers)
    assert in_stock.json()["total"] == 0

    level = registry.envelope_for(
        StockLevelChanged(
            sku_id=uuid.UUID(p["skus"][1]),
            warehouse_id=uuid.uuid4(),
            on_hand=5,
            reserved=2,
            available=3,
        ),
        tenant_id=tenant,
        aggregate_id=uuid.uuid4(),
        aggregate_version=2,
        producer="inventory",
    )
    assert await stack.sink([level]) == []
    await stack.index.refresh()
    in_stock = await stack.http.get(
        "/search", params={"in_stock": "true", "option": "Color:Blue"}, headers=headers
    )
    assert [i["product_id"] for i in in_stock.json()["items"]] == [p["product_id"]]
    red_in_stock = await stack.http.get(
        "/search", params={"in_stock": "true", "option": "Color:Red"}, headers=headers
    )
    assert red_in_stock.json()["total"] == 0

    # Another tenant never sees it.
    other = await stack.http.get(
        "/search", params={"q": "merino"}, headers={"X-Tenant-Id": str(uuid.uuid4())}
    )
    assert other.json()["total"] == 0

    # Unpublished: gone from search and from the storefront.
    assert (
        await stack.http.post(f"/products/{p['product_id']}/unpublish", headers=p["admin"])
    ).status_code == 200
    await stack.index_events()
    await stack.project()
    gone = await stack.http.get("/search", params={"q": "merino"}, headers=headers)
    assert gone.json()["total"] == 0
    assert (
        await stack.http.get(f"/products/{p['product_id']}", headers=headers)
    ).status_code == 404


async def test_isolation_permissions_and_bad_input(stack: Stack) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    p = await make_product(stack, tenant, name="Camp Mug")
    draft = await make_product(stack, tenant, name="Draft Mug", publish=False)
    await stack.project()
    # Another tenant's product id: 404 on reads and writes.
    assert (
        await stack.http.get(f"/products/{p['product_id']}", headers={"X-Tenant-Id": str(other)})
    ).status_code == 404
    other_admin = stack.token(other, "catalog.manage")
    foreign = await stack.http.post(f"/products/{p['product_id']}/publish", headers=other_admin)
    assert foreign.status_code == 404
    assert foreign.headers["content-type"].startswith("application/problem+json")
    # Never published: 404.
    assert (
        await stack.http.get(
            f"/products/{draft['product_id']}", headers={"X-Tenant-Id": str(tenant)}
        )
    ).status_code == 404
    # Permissions.
    viewer = stack.token(tenant)
    assert (await stack.http.post("/brands", json={"name": "X"}, headers=viewer)).status_code == 403
    assert (await stack.http.post("/brands", json={"name": "X"})).status_code == 401
    # Bad input.
    admin = p["admin"]
    assert (
        await stack.http.post("/brands", json={"name": "X", "nope": 1}, headers=admin)
    ).status_code == 422
    bad_price = await stack.http.post(
        f"/products/{p['product_id']}/skus",
        json={
            "code": "F-1",
            "price": {"amount": 12.5, "currency": "EUR"},
            "option_values": {"Color": "Red"},
        },
        headers=admin,
    )
    assert bad_price.status_code == 422
    assert (
        await stack.http.get(
            "/search", params={"size": "1000"}, headers={"X-Tenant-Id": str(tenant)}
        )
    ).status_code == 422
    assert (
        await stack.http.get("/products/not-a-uuid", headers={"X-Tenant-Id": str(tenant)})
    ).status_code == 422
    # Slugs and SKU codes are unique per tenant (409), but not across tenants.
    brand = await stack.http.post("/brands", json={"name": "Same", "slug": "same"}, headers=admin)
    assert brand.status_code == 201
    again = await stack.http.post("/brands", json={"name": "Same", "slug": "same"}, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "slug_taken"
    assert (
        await stack.http.post("/brands", json={"name": "Same", "slug": "same"}, headers=other_admin)
    ).status_code == 201
    # A category cannot move under its own descendant.
    cycle = await stack.http.post(
        f"/categories/{p['root_id']}/move", json={"parent_id": p["leaf_id"]}, headers=admin
    )
    assert cycle.status_code == 422 and cycle.json()["code"] == "category_cycle"
