"""Idempotency-Key against the real Postgres (`shop_test`, a private schema) and Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import Field
from redis.asyncio import Redis
from shop_runtime.api_models import StrictModel
from shop_runtime.auth import CurrentTenant, TokenIssuer
from shop_runtime.errors import ProblemError
from shop_runtime.idempotency import (
    IdempotencyDep,
    IdempotencyStore,
    idempotency_keys,
    idempotency_metadata,
)
from shop_runtime.rls import enable_tenant_rls, tenant_tables_without_forced_rls
from shop_runtime.testing.postgres import TestDatabase
from shop_runtime.testing.postgres import test_settings as runtime_settings
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = pytest.mark.integration

TENANT_A = uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001")
TENANT_B = uuid.UUID("bbbbbbbb-0000-4000-8000-000000000002")


class CheckoutIn(StrictModel):
    cart_id: str = Field(max_length=64)
    total: int = Field(ge=0)


calls: Counter[tuple[str, str]] = Counter()
attempts: Counter[str] = Counter()


def checkout_router() -> APIRouter:
    router = APIRouter()

    @router.post("/checkout", status_code=201)
    async def checkout(body: CheckoutIn, idem: IdempotencyDep, tenant: CurrentTenant) -> Any:
        calls[(str(tenant), idem.key)] += 1
        await asyncio.sleep(0.2)  # long enough for duplicates to arrive while it runs
        return {
            "order_id": str(idem.derived_id("order")),
            "nonce": uuid.uuid4().hex,  # differs on every real execution
            "cart_id": body.cart_id,
        }

    @router.post("/flaky", status_code=201)
    async def flaky(body: CheckoutIn, idem: IdempotencyDep) -> Any:
        attempts[idem.key] += 1
        if attempts[idem.key] == 1:
            raise RuntimeError("provider timeout")
        return {"attempt": attempts[idem.key]}

    @router.post("/out-of-stock")
    async def out_of_stock(body: CheckoutIn, idem: IdempotencyDep) -> Any:
        attempts[idem.key] += 1
        raise ProblemError(409, "out_of_stock", detail=f"attempt {attempts[idem.key]}")

    return router


@pytest.fixture(scope="module")
async def database() -> AsyncIterator[TestDatabase]:
    db = TestDatabase.create(runtime_settings(service_name="httptest"), prefix="http")
    owner = db.engine(owner=True, pool_size=1)
    async with owner.begin() as conn:
        await conn.run_sync(idempotency_metadata.create_all)
        await conn.run_sync(lambda c: enable_tenant_rls(c, "idempotency_keys"))
    yield db
    await db.dispose()
    db.drop()


@pytest.fixture(scope="module")
async def engine(database: TestDatabase) -> AsyncEngine:
    return database.engine(pool_size=5)


@pytest.fixture(scope="module")
async def redis() -> AsyncIterator[Redis | None]:
    client: Redis = Redis.from_url(runtime_settings().redis_url)
    try:
        await client.ping()
    except Exception:
        await client.aclose()
        yield None  # Redis is optional: the Postgres path is what these tests are about
        return
    yield client
    await client.aclose()


@pytest.fixture(params=["postgres", "postgres+redis"])
async def idem_app(request, make_app, engine: AsyncEngine, redis) -> FastAPI:
    if request.param == "postgres+redis" and redis is None:
        pytest.skip("Redis not reachable")
    store = IdempotencyStore(engine, redis if request.param == "postgres+redis" else None)
    return make_app(routers=[checkout_router()], idempotency_store=store)


@pytest.fixture
async def idem_client(idem_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=idem_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
        yield c


def headers(key: str, tenant: uuid.UUID = TENANT_A) -> dict[str, str]:
    return {"idempotency-key": key, "x-tenant-id": str(tenant)}


async def test_table_has_forced_rls(database: TestDatabase) -> None:
    owner = database.engine(owner=True, pool_size=1)
    async with owner.connect() as conn:
        assert await tenant_tables_without_forced_rls(conn, schema=database.schema) == []


async def test_concurrent_duplicates_run_the_handler_once(idem_client: httpx.AsyncClient) -> None:
    key = f"k-{uuid.uuid4()}"
    responses = await asyncio.gather(
        *(
            idem_client.post("/checkout", json={"cart_id": "c1", "total": 10}, headers=headers(key))
            for _ in range(20)
        )
    )
    assert calls[(str(TENANT_A), key)] == 1
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1  # byte-identical bodies
    replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert len(replayed) == 19
    first = next(r for r in responses if "idempotent-replayed" not in r.headers)
    for r in replayed:
        assert r.headers["content-type"] == first.headers["content-type"]
        assert r.headers["x-correlation-id"] != first.headers["x-correlation-id"]  # per request

    # And a later retry, long after: still the first response, handler still not re-run.
    later = await idem_client.post(
        "/checkout", json={"total": 10, "cart_id": "c1"}, headers=headers(key)
    )
    assert later.content == first.content
    assert later.headers["idempotent-replayed"] == "true"
    assert calls[(str(TENANT_A), key)] == 1


async def test_same_key_different_body_is_422(idem_client: httpx.AsyncClient, problem) -> None:
    key = f"k-{uuid.uuid4()}"
    r = await idem_client.post(
        "/checkout", json={"cart_id": "c1", "total": 10}, headers=headers(key)
    )
    assert r.status_code == 201
    r = await idem_client.post(
        "/checkout", json={"cart_id": "c1", "total": 99}, headers=headers(key)
    )
    problem(r, 422, "idempotency_key_reused")
    assert calls[(str(TENANT_A), key)] == 1


async def test_different_body_while_first_is_running_is_422(
    idem_client: httpx.AsyncClient, problem
) -> None:
    key = f"k-{uuid.uuid4()}"
    first = asyncio.create_task(
        idem_client.post("/checkout", json={"cart_id": "c1", "total": 1}, headers=headers(key))
    )
    await asyncio.sleep(0.05)
    r = await idem_client.post(
        "/checkout", json={"cart_id": "c2", "total": 1}, headers=headers(key)
    )
    problem(r, 422, "idempotency_key_reused")
    assert (await first).status_code == 201


async def test_tenants_have_independent_keys(idem_client: httpx.AsyncClient) -> None:
    key = f"k-{uuid.uuid4()}"
    body = {"cart_id": "c1", "total": 10}
    a, b = await asyncio.gather(
        idem_client.post("/checkout", json=body, headers=headers(key, TENANT_A)),
        idem_client.post("/checkout", json=body, headers=headers(key, TENANT_B)),
    )
    assert a.status_code == b.status_code == 201
    assert "idempotent-replayed" not in a.headers and "idempotent-replayed" not in b.headers
    assert a.json()["order_id"] != b.json()["order_id"]
    assert calls[(str(TENANT_A), key)] == 1 and calls[(str(TENANT_B), key)] == 1


async def test_another_user_cannot_replay_someone_elses_response(
    idem_client: httpx.AsyncClient, issuer: TokenIssuer, problem
) -> None:
    key = f"k-{uuid.uuid4()}"
    body = {"cart_id": "c1", "total": 10}

    def as_user(sub: str) -> dict[str, str]:
        token = issuer.issue(subject=sub, tenant_id=TENANT_A, kind="customer")
        return {"idempotency-key": key, "authorization": f"Bearer {token}"}

    assert (
        await idem_client.post("/checkout", json=body, headers=as_user("u1"))
    ).status_code == 201
    r = await idem_client.post("/checkout", json=body, headers=as_user("u2"))
    problem(r, 422, "idempotency_key_reused")


async def test_failed_first_attempt_lets_the_retry_run(
    idem_client: httpx.AsyncClient, engine: AsyncEngine, problem
) -> None:
    key = f"k-{uuid.uuid4()}"
    body = {"cart_id": "c1", "total": 10}
    problem(
        await idem_client.post("/flaky", json=body, headers=headers(key)), 500, "internal_error"
    )
    async with engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(TENANT_A)}
        )
        rows = await conn.scalar(
            select(func.count()).select_from(idempotency_keys).where(idempotency_keys.c.key == key)
        )
    assert rows == 0  # the claim was released
    r = await idem_client.post("/flaky", json=body, headers=headers(key))
    assert r.status_code == 201
    assert r.json() == {"attempt": 2}
    again = await idem_client.post("/flaky", json=body, headers=headers(key))
    assert again.json() == {"attempt": 2}
    assert again.headers["idempotent-replayed"] == "true"


async def test_4xx_responses_are_stored_and_replayed(
    idem_client: httpx.AsyncClient, problem
) -> None:
    key = f"k-{uuid.uuid4()}"
    body = {"cart_id": "c1", "total": 10}
    first = await idem_client.post("/out-of-stock", json=body, headers=headers(key))
    problem(first, 409, "out_of_stock")
    second = await idem_client.post("/out-of-stock", json=body, headers=headers(key))
    assert second.status_code == 409
    assert second.content == first.content  # "attempt 1": the handler did not run again
    assert second.headers["content-type"] == "application/problem+json"
    assert second.headers["idempotent-replayed"] == "true"


async def test_key_is_scoped_by_route(idem_client: httpx.AsyncClient) -> None:
    key = f"k-{uuid.uuid4()}"
    body = {"cart_id": "c1", "total": 10}
    assert (
        await idem_client.post("/out-of-stock", json=body, headers=headers(key))
    ).status_code == 409
    r = await idem_client.post("/checkout", json=body, headers=headers(key))
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, "idempotency_key_required"),
        ("", "invalid_idempotency_key"),
        ("x" * 256, "invalid_idempotency_key"),
        ("has space", "invalid_idempotency_key"),
        ("tab\tkey", "invalid_idempotency_key"),
    ],
)
async def test_invalid_keys_are_400(
    idem_client: httpx.AsyncClient, problem, key: str | None, code: str
) -> None:
    h = {"x-tenant-id": str(TENANT_A)}
    if key is not None:
        h["idempotency-key"] = key
    r = await idem_client.post("/checkout", json={"cart_id": "c", "total": 1}, headers=h)
    problem(r, 400, code)


async def test_key_of_255_visible_characters_is_accepted(idem_client: httpx.AsyncClient) -> None:
    key = ("K" + uuid.uuid4().hex) * 8
    key = key[:255]
    r = await idem_client.post("/checkout", json={"cart_id": "c", "total": 1}, headers=headers(key))
    assert r.status_code == 201


async def test_rls_hides_other_tenants_keys(
    idem_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    key = f"k-{uuid.uuid4()}"
    await idem_client.post("/checkout", json={"cart_id": "c", "total": 1}, headers=headers(key))
    count = select(func.count()).select_from(idempotency_keys).where(idempotency_keys.c.key == key)
    async with engine.begin() as conn:
        assert await conn.scalar(count) == 0  # no tenant set: nothing visible
        await conn.execute(
            text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(TENANT_B)}
        )
        assert await conn.scalar(count) == 0
    async with engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(TENANT_A)}
        )
        assert await conn.scalar(count) == 1


async def test_abandoned_claim_is_taken_over_after_the_lease(make_app, engine: AsyncEngine) -> None:
    from datetime import timedelta

    key = f"k-{uuid.uuid4()}"
    store = IdempotencyStore(engine, lease=timedelta(seconds=1), wait_timeout_seconds=0.3)
    app = make_app(routers=[checkout_router()], idempotency_store=store)
    # A process claimed the key and died: the row stays in progress.
    assert await store.claim(TENANT_A, "POST /checkout", key, "h") is None
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
        body = {"cart_id": "c", "total": 1}
        r = await c.post("/checkout", json=body, headers=headers(key))
        assert r.status_code == 422  # different fingerprint ("h"): refused, never taken over

        key2 = f"k-{uuid.uuid4()}"
        from shop_runtime.idempotency import _fingerprint

        fp = _fingerprint("anonymous", "application/json", b'{"cart_id":"c","total":1}')
        assert await store.claim(TENANT_A, "POST /checkout", key2, fp) is None
        r = await c.post("/checkout", json=body, headers=headers(key2))
        assert r.status_code == 409  # still within the lease: "in progress", retry later
        assert r.headers["retry-after"] == "1"
        await asyncio.sleep(1.1)
        r = await c.post("/checkout", json=body, headers=headers(key2))
        assert r.status_code == 201  # lease expired: this request took over and ran
