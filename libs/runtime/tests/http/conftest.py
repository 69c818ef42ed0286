"""Fixtures of the HTTP runtime tests: a token issuer with a JWKS served over HTTP, a test app
built with `create_app`, and (integration) the idempotency table in the `shop_test` database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import Field
from shop_runtime.api_models import StrictModel
from shop_runtime.auth import (
    CurrentPrincipal,
    CurrentTenant,
    InMemoryTenantResolver,
    JwksClient,
    Principal,
    TokenIssuer,
    TokenVerifier,
    require_permission,
)
from shop_runtime.context import correlation_id_var, tenant_id_var
from shop_runtime.errors import ProblemError
from shop_runtime.http import create_app
from shop_runtime.settings import ServiceSettings
from shop_runtime.telemetry import current_traceparent
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

ISSUER = "shop-tenancy"
AUDIENCE = "shop"
JWKS_URL = "http://tenancy.test/.well-known/jwks.json"
MAX_BODY = 4096
TENANT_A = uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001")
TENANT_B = uuid.UUID("bbbbbbbb-0000-4000-8000-000000000002")
SHOP_HOST = "shop-a.example.com"


class ItemIn(StrictModel):
    name: str = Field(max_length=100)
    qty: int = Field(ge=0, le=1_000_000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    price: float | None = None


class NotFoundError(Exception):
    """Stands for the event runtime's domain errors: class attributes status and code."""

    status = 404
    code = "not_found"


def build_router() -> APIRouter:
    router = APIRouter()

    @router.post("/items", status_code=201)
    async def create_item(body: ItemIn) -> dict[str, Any]:
        return {"name": body.name, "qty": body.qty, "tags": body.tags}

    @router.get("/search")
    async def search(q: str = "") -> dict[str, Any]:
        return {"q": q}

    @router.get("/items/{item_id}")
    async def get_item(item_id: uuid.UUID) -> dict[str, Any]:
        raise NotFoundError(f"item {item_id} does not exist")

    @router.post("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail: password=hunter2")

    @router.get("/me")
    async def me(principal: CurrentPrincipal, tenant: CurrentTenant) -> dict[str, Any]:
        return {
            "sub": principal.subject,
            "tenant": str(tenant),
            "ctx_tenant": str(tenant_id_var.get()),
            "kind": principal.kind,
        }

    @router.get("/orders")
    async def orders(
        principal: Annotated[Principal, require_permission("orders.view")],
    ) -> dict[str, Any]:
        return {"sub": principal.subject}

    @router.post("/inventory/adjust", dependencies=[require_permission("inventory.adjust")])
    async def adjust(body: ItemIn) -> dict[str, Any]:
        return {"ok": True}

    @router.get("/storefront")
    async def storefront(tenant: CurrentTenant) -> dict[str, Any]:
        return {"tenant": str(tenant)}

    @router.get("/trace")
    async def trace_info(request: Request) -> dict[str, Any]:
        return {
            "traceparent": current_traceparent(),
            "correlation_id": correlation_id_var.get(),
        }

    @router.post("/conflict")
    async def conflict() -> None:
        raise ProblemError(409, "conflict", detail="Version conflict.")

    return router


def jwks_http_client(issuer: TokenIssuer, fetches: list[int] | None = None) -> httpx.AsyncClient:
    """An HTTP client whose requests reach a tiny JWKS server app (in process)."""

    async def jwks(request: Request) -> JSONResponse:
        if fetches is not None:
            fetches.append(1)
        return JSONResponse(issuer.jwks())

    server = Starlette(routes=[Route("/.well-known/jwks.json", jwks)])
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server), base_url="http://tenancy.test"
    )


@pytest.fixture(scope="session")
def settings() -> ServiceSettings:
    return ServiceSettings(
        service_name="httptest",
        postgres_db="shop_test",
        jwks_url=JWKS_URL,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        max_body_bytes=MAX_BODY,
    )


@pytest.fixture(scope="session")
def issuer() -> TokenIssuer:
    return TokenIssuer(issuer=ISSUER, audience=AUDIENCE)


AppFactory = Callable[..., FastAPI]


@pytest.fixture
def make_app(settings: ServiceSettings, issuer: TokenIssuer) -> AppFactory:
    def factory(
        routers: Sequence[APIRouter] | None = None, fetches: list[int] | None = None, **kwargs: Any
    ) -> FastAPI:
        verifier = TokenVerifier(
            JwksClient(JWKS_URL, http_client=jwks_http_client(issuer, fetches)),
            issuer=ISSUER,
            audience=AUDIENCE,
        )
        kwargs.setdefault("token_verifier", verifier)
        kwargs.setdefault(
            "tenant_resolver",
            InMemoryTenantResolver(hosts={SHOP_HOST: TENANT_A}, active=[TENANT_A, TENANT_B]),
        )
        return create_app(
            settings,
            title="test",
            routers=list(routers) if routers is not None else [build_router()],
            **kwargs,
        )

    return factory


@pytest.fixture
async def app(make_app: AppFactory) -> FastAPI:
    return make_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: what the client sees is what a real server would send.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
        yield c


ProblemCheck = Callable[..., dict[str, Any]]


def _assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:shop:problem:")
    if code is not None:
        assert body["code"] == code
    return body


@pytest.fixture(scope="session")
def problem() -> ProblemCheck:
    """`problem(response, status, code)`: asserts an RFC 9457 answer and returns its body."""
    return _assert_problem
