"""The tenancy API against real Postgres (a throw-away schema of the shop_test database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from shop_runtime.auth import JwksClient, TokenVerifier
from shop_runtime.migrations import create_runtime_tables
from shop_runtime.rls import enable_tenant_rls, tenant_tables_without_forced_rls
from shop_runtime.testing.postgres import TestDatabase, shop_test_settings
from sqlalchemy.ext.asyncio import AsyncEngine
from tenancy.adapters.passwords import Argon2PasswordHasher
from tenancy.adapters.projector import TenancyProjector
from tenancy.adapters.read_models import metadata
from tenancy.adapters.signing import load_token_issuer
from tenancy.api.app import create_api
from tenancy.application.app import TenancyApp
from tenancy.bootstrap import services_for
from tenancy.config import TenancySettings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

PLATFORM_TOKEN = "test-platform-token-0123456789"
PLATFORM = {"Authorization": f"Bearer {PLATFORM_TOKEN}"}


@dataclass
class Stack:
    client: httpx.AsyncClient
    app: TenancyApp
    engine: AsyncEngine
    settings: TenancySettings
    services: Any


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    key_path = Path(tmp_path_factory.mktemp("keys")) / "jwt.pem"
    key_path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    base = shop_test_settings(service_name="tenancy")
    settings = TenancySettings(
        **base.model_dump(exclude={"service_name"}),
        jwt_private_key_path=key_path,
        platform_admin_token=SecretStr(PLATFORM_TOKEN),
    )
    db = TestDatabase.create(settings, prefix="tenancy")
    owner = db.engine(owner=True, pool_size=1)
    async with owner.begin() as conn:
        await conn.run_sync(create_runtime_tables)
        await conn.run_sync(lambda c: metadata.create_all(c))
        await conn.run_sync(lambda c: enable_tenant_rls(c, "users"))
        assert await tenant_tables_without_forced_rls(conn, schema=db.schema) == []
    issuer = load_token_issuer(key_path, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    app = db.app(
        TenancyApp,
        name="TenancyApp",
        hasher=Argon2PasswordHasher(time_cost=1, memory_cost=8192),
        tokens=issuer,
    )
    engine = db.engine()
    services = services_for(app, engine)
    api = create_api(settings, issuer=issuer, services=lambda: services)
    try:
        async with api.router.lifespan_context(api):
            transport = httpx.ASGITransport(app=api)
            async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as client:
                yield Stack(client, app, engine, settings, services)
    finally:
        app.close()
        await db.dispose()
        db.drop()


async def new_tenant(stack: Stack, **overrides: Any) -> dict[str, Any]:
    slug = overrides.pop("slug", f"s-{uuid4().hex[:10]}")
    body: dict[str, Any] = {
        "name": "Store",
        "slug": slug,
        "currency": "EUR",
        "primary_domain": f"{slug}.shops.test",
        "owner": {"email": f"owner@{slug}.test", "password": "owner-password"},
    }
    body.update(overrides)
    response = await stack.client.post("/platform/tenants", json=body, headers=PLATFORM)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    created["owner_email"] = body["owner"]["email"]
    return created


async def login(stack: Stack, tenant_id: str, email: str, password: str) -> httpx.Response:
    return await stack.client.post(
        "/auth/login",
        json={"email": email, "password": password},
        headers={"X-Tenant-Id": tenant_id},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_bootstrap_is_unique_and_guarded(stack: Stack) -> None:
    created = await new_tenant(stack)
    assert created["primary_domain"] == f"{created['slug']}.shops.test"
    body = {
        "name": "Again",
        "slug": created["slug"],
        "currency": "EUR",
        "owner": {"email": "x@y.test", "password": "password-1"},
    }
    again = await stack.client.post("/platform/tenants", json=body, headers=PLATFORM)
    assert again.status_code == 409 and again.json()["code"] == "slug_taken"
    stolen_domain = {
        **body,
        "slug": f"o-{uuid4().hex[:8]}",
        "primary_domain": created["primary_domain"],
    }
    taken = await stack.client.post("/platform/tenants", json=stolen_domain, headers=PLATFORM)
    assert taken.status_code == 409 and taken.json()["code"] == "domain_taken"
    # The failed claim rolled back: that slug is still free.
    free = await stack.client.post(
        "/platform/tenants", json={**stolen_domain, "primary_domain": None}, headers=PLATFORM
    )
    assert free.status_code == 201

    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        refused = await stack.client.post("/platform/tenants", json=body, headers=headers)
        assert refused.status_code == 401
    bad_inputs = [
        {**body, "slug": "Not A Slug!"},
        {**body, "slug": "fine-slug", "currency": "EURO"},
        {**body, "slug": "fine-slug", "tenant_id": str(uuid4())},
        {**body, "slug": "fine-slug", "owner": {"email": "nope", "password": "password-1"}},
        {**body, "slug": "fine-slug", "owner": {"email": "a@b.test", "password": "short"}},
        {k: v for k, v in body.items() if k != "owner"},
    ]
    for bad in bad_inputs:
        response = await stack.client.post("/platform/tenants", json=bad, headers=PLATFORM)
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    malformed = await stack.client.post(
        "/platform/tenants",
        content=b"{not json",
        headers={**PLATFORM, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400


async def test_login_refresh_rotation_and_jwks(stack: Stack) -> None:
    created = await new_tenant(stack)
    tenant_id, email = created["tenant_id"], created["owner_email"]
    response = await login(stack, tenant_id, email, "owner-password")
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900

    # Other services verify with the published JWKS.
    jwks = JwksClient(f"{stack.client.base_url}/.well-known/jwks.json", http_client=stack.client)
    verifier = TokenVerifier(
        jwks, issuer=stack.settings.jwt_issuer, audience=stack.settings.jwt_audience
    )
    principal = await verifier.verify(tokens["access_token"])
    assert principal.tenant_id == UUID(tenant_id)
    assert principal.subject == created["owner_user_id"]
    assert principal.kind == "staff" and "owner" in principal.roles

    me = await stack.client.get("/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == email and "users.manage" in me.json()["permissions"]

    # By Host (the store's primary domain) instead of X-Tenant-Id.
    by_host = await stack.client.post(
        "/auth/login",
        json={"email": email, "password": "owner-password"},
        headers={"Host": created["primary_domain"]},
    )
    assert by_host.status_code == 200

    first = tokens["refresh_token"]
    second = await stack.client.post("/auth/refresh", json={"refresh_token": first})
    assert second.status_code == 200
    rotated = second.json()["refresh_token"]
    assert rotated != first
    assert (await verifier.verify(second.json()["access_token"])).subject == principal.subject

    reused = await stack.client.post("/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401 and reused.json()["code"] == "invalid_refresh_token"
    # Reuse revoked the family: the newest token is dead too.
    after = await stack.client.post("/auth/refresh", json={"refresh_token": rotated})
    assert after.status_code == 401 and after.json() == reused.json()
    for bad in [f"{uuid4()}.secret", "garbage"]:
        refused = await stack.client.post("/auth/refresh", json={"refresh_token": bad})
        assert refused.status_code == 401


async def test_login_failures_and_cross_tenant(stack: Stack) -> None:
    first, second = await new_tenant(stack), await new_tenant(stack)
    wrong = await login(stack, first["tenant_id"], first["owner_email"], "not-the-password")
    unknown = await login(stack, first["tenant_id"], "nobody@nowhere.test", "owner-password")
    elsewhere = await login(stack, second["tenant_id"], first["owner_email"], "owner-password")
    for response in (wrong, unknown, elsewhere):
        assert response.status_code == 401
    assert wrong.json() == unknown.json() == elsewhere.json()

    no_tenant = await login(stack, str(uuid4()), first["owner_email"], "owner-password")
    assert no_tenant.status_code == 404
    bad_header = await login(stack, "not-a-uuid", first["owner_email"], "owner-password")
    assert bad_header.status_code == 400
    unknown_host = await stack.client.post(
        "/auth/login",
        json={"email": first["owner_email"], "password": "owner-password"},
        headers={"Host": "unknown.example.test"},
    )
    assert unknown_host.status_code == 404

    # A suspended store signs nobody in; reactivated, it does again.
    suspended = await stack.client.post(
        f"/platform/tenants/{first['tenant_id']}/suspend",
        json={"reason": "unpaid"},
        headers=PLATFORM,
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    stack.services.resolver.invalidate()
    refused = await login(stack, first["tenant_id"], first["owner_email"], "owner-password")
    assert refused.status_code == 404
    await stack.client.post(f"/platform/tenants/{first['tenant_id']}/reactivate", headers=PLATFORM)
    stack.services.resolver.invalidate()
    assert (
        await login(stack, first["tenant_id"], first["owner_email"], "owner-password")
    ).status_code == 200


async def test_accounts_permissions_and_read_model(stack: Stack) -> None:
    store, other = await new_tenant(stack), await new_tenant(stack)
    owner_token = (
        await login(stack, store["tenant_id"], store["owner_email"], "owner-password")
    ).json()["access_token"]
    headers = {"X-Tenant-Id": store["tenant_id"]}

    signup = {"email": "Buyer@Example.test", "password": "buyer-password"}
    created = await stack.client.post("/customers", json=signup, headers=headers)
    assert created.status_code == 201
    duplicate = await stack.client.post(
        "/customers", json={**signup, "email": "buyer@example.test"}, headers=headers
    )
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "email_taken"
    bad = await stack.client.post(
        "/customers", json={"email": "x", "password": "buyer-password"}, headers=headers
    )
    assert bad.status_code == 422
    extra = await stack.client.post(
        "/customers", json={**signup, "tenant_id": other["tenant_id"]}, headers=headers
    )
    assert extra.status_code == 422

    customer = (
        await login(stack, store["tenant_id"], "buyer@example.test", "buyer-password")
    ).json()
    staff = {"email": "clerk@store.test", "password": "clerk-password", "roles": ["fulfillment"]}
    forbidden = await stack.client.post(
        "/users", json=staff, headers=bearer(customer["access_token"])
    )
    assert forbidden.status_code == 403
    anonymous = await stack.client.post("/users", json=staff)
    assert anonymous.status_code == 401
    made = await stack.client.post("/users", json=staff, headers=bearer(owner_token))
    assert made.status_code == 201
    bad_role = await stack.client.post(
        "/users",
        json={**staff, "email": "x@store.test", "roles": ["emperor"]},
        headers=bearer(owner_token),
    )
    assert bad_role.status_code == 422

    me = (await stack.client.get("/me", headers=bearer(customer["access_token"]))).json()
    assert (
        me["kind"] == "customer"
        and me["permissions"] == []
        and me["tenant_id"] == store["tenant_id"]
    )

    # Read models: the projector catches up; RLS keeps each store to its own users.
    projector = TenancyProjector(stack.app, stack.engine)
    while await projector.run_once():
        pass
    listed = await stack.client.get("/users", headers=bearer(owner_token))
    assert listed.status_code == 200
    emails = sorted(u["email"] for u in listed.json()["items"])
    assert emails == sorted([store["owner_email"], "buyer@example.test", "clerk@store.test"])
    page = await stack.client.get("/users?limit=1&kind=staff", headers=bearer(owner_token))
    assert len(page.json()["items"]) == 1 and page.json()["next_cursor"]
    nxt = await stack.client.get(
        f"/users?limit=1&kind=staff&cursor={page.json()['next_cursor']}",
        headers=bearer(owner_token),
    )
    assert nxt.json()["items"][0]["email"] != page.json()["items"][0]["email"]

    other_token = (
        await login(stack, other["tenant_id"], other["owner_email"], "owner-password")
    ).json()["access_token"]
    theirs = await stack.client.get("/users", headers=bearer(other_token))
    assert [u["email"] for u in theirs.json()["items"]] == [other["owner_email"]]
    # Another store's user id through /me is simply not found.
    forged = await stack.client.get(
        "/platform/tenants/" + store["tenant_id"], headers=bearer(other_token)
    )
    assert forged.status_code == 401
