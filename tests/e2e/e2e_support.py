"""Plumbing of the end-to-end tests: a recording gateway client, a poller, signed webhooks and a
`Shop` that builds tenants, catalogs, stock, customers and orders through the public API only.

Everything goes through the gateway (``/api/<service>/...``) exactly as a storefront or an admin
console would; nothing here imports service code or touches a database. The system is eventually
consistent (Kafka between services, projectors behind read models), so every cross-service
expectation is polled with `wait_until` under a bounded timeout, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx

REPO = Path(__file__).resolve().parents[2]
STACK_ENV = REPO / "deploy" / "local" / "stack.env"
SERVICES = ("tenancy", "catalog", "inventory", "orders", "payments", "shipping", "analytics")

# Saga outcomes: an order in one of these has left the checkout process for good.
CHECKOUT_FINAL = frozenset(
    {"confirmed", "cancelled", "shipped", "delivered", "returned", "refunded"}
)
PASSWORD = "E2e-Passw0rd-long-enough"
DEFAULT_WAIT = 30.0

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Analytical Engine St",
    "city": "London",
    "postal_code": "NW1 2DB",
    "country": "GB",
    "phone": "+441234567890",
}

T = TypeVar("T")


class NotYet(Exception):
    """Raised by a `wait_until` predicate: not there yet, and here is what was seen."""


# ------------------------------------------------------------------------------------------ env


def load_stack_env() -> dict[str, str]:
    """The variables of deploy/local/stack.env as bash sees them (the file computes STACK_DIR),
    overridden by anything already in the environment (``make test`` exports the file)."""
    values: dict[str, str] = {}
    if STACK_ENV.exists():
        out = subprocess.run(
            ["bash", "-c", 'set -a; source "$1"; set +a; env -0', "_", str(STACK_ENV)],
            capture_output=True,
            check=True,
            cwd=REPO,
        ).stdout
        for item in out.split(b"\0"):
            key, sep, value = item.decode(errors="replace").partition("=")
            if sep:
                values[key] = value
    values.update(os.environ)
    return values


# ------------------------------------------------------------------------------------ polling


async def wait_until(
    predicate: Callable[[], Awaitable[T | None] | T | None],
    *,
    what: str,
    timeout: float = DEFAULT_WAIT,
    interval: float = 0.2,
) -> T:
    """Call ``predicate`` until it returns something truthy and return that; fail with ``what``
    (and the last value seen) after ``timeout`` seconds. The predicate may raise `NotYet` to say
    what it saw; an `AssertionError` (an unexpected answer) fails at once. The interval grows
    to 1 s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            result = predicate()
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                result = await result
            last = result
            if result:
                return result  # type: ignore[return-value]
        except NotYet as exc:
            last = str(exc)
        except httpx.TransportError as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last!r}"
            )
        await asyncio.sleep(interval)
        interval = min(interval * 1.5, 1.0)


# ----------------------------------------------------------------------------------- webhooks


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """``Shop-Signature`` header value: ``t=<unix>,v1=<hex hmac-sha256 of f"{t}." + body>``."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


# ------------------------------------------------------------------------------------ client


@dataclass
class CallRecord:
    method: str
    path: str
    status: int
    body: str


class Api:
    """httpx.AsyncClient on the gateway that records every 5xx answer (the tests assert there
    are none) and can ride out a service restart (`tolerate_outage`)."""

    def __init__(self, base_url: str, *, max_connections: int = 100) -> None:
        self.base_url = base_url
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(30.0, connect=5.0),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=50),
        )
        self.server_errors: list[CallRecord] = []
        self.calls = 0

    async def aclose(self) -> None:
        await self.client.aclose()

    @staticmethod
    def headers(
        token: str | None = None,
        tenant: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> dict[str, str]:
        h: dict[str, str] = {}
        if token:
            h["Authorization"] = f"Bearer {token}"
        if tenant:
            h["X-Tenant-Id"] = str(tenant)
        if extra:
            h.update(extra)
        return h

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        tenant: str | None = None,
        headers: dict[str, str] | None = None,
        tolerate_outage: float = 0.0,
        **kwargs: Any,
    ) -> httpx.Response:
        """One call. With ``tolerate_outage`` > 0, a gateway 502/503/504 or a refused connection
        (the service behind the path is restarting) is retried for up to that many seconds and
        not recorded as a server error; anything else is."""
        deadline = time.monotonic() + tolerate_outage
        h = self.headers(token, tenant, headers)
        delay = 0.2
        while True:
            try:
                response = await self.client.request(method, path, headers=h, **kwargs)
            except httpx.TransportError:
                if time.monotonic() < deadline:
                    await asyncio.sleep(delay)
                    delay = min(delay * 1.5, 1.0)
                    continue
                raise
            self.calls += 1
            if response.status_code in (502, 503, 504) and time.monotonic() < deadline:
                await asyncio.sleep(delay)
                delay = min(delay * 1.5, 1.0)
                continue
            if response.status_code >= 500:
                self.server_errors.append(
                    CallRecord(method, path, response.status_code, response.text[:500])
                )
            return response

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, **kw)

    async def put(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("PUT", path, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kw)


def expect(response: httpx.Response, *statuses: int) -> Any:
    """The JSON body of ``response``; fail naming the call unless its status is in ``statuses``."""
    if response.status_code not in statuses:
        raise AssertionError(
            f"{response.request.method} {response.request.url.path} -> {response.status_code}"
            f" (expected {'/'.join(map(str, statuses))}): {response.text[:800]}"
        )
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def assert_problem(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """A 4xx answer in problem+json (RFC 9457) with one of ``statuses``."""
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code in statuses, (
        f"{where} -> {response.status_code}, expected {statuses}: {response.text[:500]}"
    )
    ctype = response.headers.get("content-type", "")
    assert ctype.startswith("application/problem+json"), f"{where}: content-type {ctype!r}"
    body = response.json()
    assert body.get("status") == response.status_code, f"{where}: problem body {body}"
    return body


def is_unknown_tenant(response: httpx.Response) -> bool:
    """A 404 saying the service has not (yet) heard of the tenant named by the request."""
    if response.status_code != 404:
        return False
    try:
        return response.json().get("code") == "tenant_not_found"
    except ValueError:
        return False


def items_of(body: Any) -> list[dict[str, Any]]:
    """A list endpoint's items whether it answers ``{"items": [...]}`` or a bare list/object."""
    if body is None:
        return []
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return body["items"]
    return [body]


def money(value: Any) -> Decimal:
    """A Money JSON ({amount, currency}) or a bare amount as a Decimal."""
    if isinstance(value, dict):
        value = value["amount"]
    return Decimal(str(value))


# --------------------------------------------------------------------------------- the shop


@dataclass
class Tenant:
    tenant_id: str
    slug: str
    currency: str
    owner_email: str
    owner_token: str
    primary_domain: str | None = None
    warehouse_id: str | None = None


@dataclass
class Customer:
    user_id: str
    email: str
    token: str


@dataclass
class Product:
    product_id: str
    name: str
    sku_ids: list[str]
    prices: dict[str, Decimal]
    category_id: str | None = None
    brand_id: str | None = None

    @property
    def sku_id(self) -> str:
        return self.sku_ids[0]


@dataclass
class Placed:
    """A checkout request and what became of it."""

    customer: Customer
    lines: dict[str, int]
    idempotency_key: str
    status_code: int = 0
    order_id: str | None = None
    final: dict[str, Any] | None = None
    error: str | None = None
    abandoned: bool = False  # the checkout's answer was lost in a crash (restart test only)


@dataclass
class StockSampler:
    """Polls one SKU's stock while a scenario runs and keeps the smallest values seen."""

    shop: Shop
    tenant: Tenant
    sku_id: str
    min_available: int | None = None
    min_on_hand: int | None = None
    min_reserved: int | None = None
    samples: int = 0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def _run(self) -> None:
        while True:
            r = await self.shop.api.get(
                f"/api/inventory/stock/{self.sku_id}",
                token=self.tenant.owner_token,
                tolerate_outage=60.0,
            )
            if r.status_code == 200:
                s = r.json()
                self.samples += 1
                for attr, key in (
                    ("min_available", "available"),
                    ("min_on_hand", "on_hand"),
                    ("min_reserved", "reserved"),
                ):
                    cur = getattr(self, attr)
                    setattr(self, attr, s[key] if cur is None else min(cur, s[key]))
            await asyncio.sleep(0.25)

    def start(self) -> StockSampler:
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.TransportError):
                await self._task


class Shop:
    """Builds what a test needs through the gateway. Each test makes its own tenant."""

    def __init__(self, api: Api, env: dict[str, str]) -> None:
        self.api = api
        self.env = env

    # ---------------------------------------------------------------- tenancy

    @property
    def platform_token(self) -> str:
        token = self.env.get("PLATFORM_ADMIN_TOKEN")
        if not token:
            raise AssertionError(
                "PLATFORM_ADMIN_TOKEN is not set: export deploy/local/stack.env "
                "(`set -a; source deploy/local/stack.env; set +a`) or run through `make test`"
            )
        return token

    async def create_tenant(
        self,
        *,
        slug: str | None = None,
        name: str | None = None,
        currency: str = "USD",
        primary_domain: str | None = None,
        with_warehouse: bool = True,
    ) -> Tenant:
        slug = slug or f"e2e-{uuid.uuid4().hex[:12]}"
        owner_email = f"owner@{slug}.example.com"
        body: dict[str, Any] = {
            "name": name or f"E2E store {slug}",
            "slug": slug,
            "currency": currency,
            "owner": {"email": owner_email, "password": PASSWORD, "display_name": "E2E Owner"},
        }
        if primary_domain:
            body["primary_domain"] = primary_domain
        created = expect(
            await self.api.post(
                "/api/tenancy/platform/tenants",
                json=body,
                headers={"Authorization": f"Bearer {self.platform_token}"},
            ),
            201,
        )
        tenant_id = str(created["tenant_id"])
        token = await self.login(tenant_id, owner_email)
        tenant = Tenant(
            tenant_id=tenant_id,
            slug=slug,
            currency=currency,
            owner_email=owner_email,
            owner_token=token,
            primary_domain=created.get("primary_domain"),
        )
        if with_warehouse:
            tenant.warehouse_id = await self.create_warehouse(tenant, code="MAIN", name="Main")
        return tenant

    async def login(self, tenant_id: str, email: str, password: str = PASSWORD) -> str:
        """Log in (polling: other services learn about a new tenant from events, and tenancy's
        own login may lag its tenant directory for a moment)."""

        async def attempt() -> str | None:
            r = await self.api.post(
                "/api/tenancy/auth/login",
                tenant=tenant_id,
                json={"email": email, "password": password},
            )
            if r.status_code in (401, 404):
                return None
            body = expect(r, 200)
            assert body["token_type"].lower() == "bearer", body
            return str(body["access_token"])

        return await wait_until(attempt, what=f"login of {email} in tenant {tenant_id}")

    async def register_customer(self, tenant: Tenant, *, email: str | None = None) -> Customer:
        email = email or f"cust-{uuid.uuid4().hex[:10]}@{tenant.slug}.example.com"
        body = expect(
            await self.api.post(
                "/api/tenancy/customers",
                tenant=tenant.tenant_id,
                json={"email": email, "password": PASSWORD, "display_name": "E2E Customer"},
            ),
            201,
        )
        token = await self.login(tenant.tenant_id, email)
        return Customer(user_id=str(body["user_id"]), email=email, token=token)

    async def register_customers(
        self, tenant: Tenant, count: int, concurrency: int = 8
    ) -> list[Customer]:
        sem = asyncio.Semaphore(concurrency)

        async def one() -> Customer:
            async with sem:
                return await self.register_customer(tenant)

        return list(await asyncio.gather(*(one() for _ in range(count))))

    # -------------------------------------------------------------- inventory

    async def create_warehouse(self, tenant: Tenant, *, code: str, name: str) -> str:
        async def attempt() -> str | None:
            r = await self.api.post(
                "/api/inventory/warehouses",
                token=tenant.owner_token,
                json={"code": code, "name": name},
            )
            if r.status_code == 404:  # the tenant is not known to inventory yet
                return None
            return str(expect(r, 201)["warehouse_id"])

        return await wait_until(attempt, what=f"warehouse {code} of tenant {tenant.slug}")

    async def adjust_stock(
        self,
        tenant: Tenant,
        sku_id: str,
        delta: int,
        *,
        reason: str | None = None,
        warehouse_id: str | None = None,
    ) -> dict[str, Any]:
        """Change on-hand stock. Retried only on answers that say nothing happened (404/422 while
        inventory has not heard of the SKU yet), never on one that may have applied it."""
        reason = reason or ("purchase" if delta > 0 else "damage")
        wh = warehouse_id or tenant.warehouse_id
        assert wh, "the tenant has no warehouse"

        async def attempt() -> dict[str, Any] | None:
            r = await self.api.post(
                "/api/inventory/stock/adjustments",
                token=tenant.owner_token,
                json={"sku_id": sku_id, "warehouse_id": wh, "delta": delta, "reason": reason},
            )
            if r.status_code in (404, 409):
                return None
            return expect(r, 201, 200)

        return await wait_until(attempt, what=f"stock adjustment {delta:+d} of SKU {sku_id}")

    async def stock(self, tenant: Tenant, sku_id: str, **kw: Any) -> dict[str, Any]:
        return expect(
            await self.api.get(f"/api/inventory/stock/{sku_id}", token=tenant.owner_token, **kw),
            200,
        )

    # ---------------------------------------------------------------- catalog

    async def create_category(self, tenant: Tenant, name: str, parent_id: str | None = None) -> str:
        body: dict[str, Any] = {"name": name}
        if parent_id:
            body["parent_id"] = parent_id
        r = await self.api.post("/api/catalog/categories", token=tenant.owner_token, json=body)
        return str(expect(r, 201)["category_id"])

    async def create_brand(self, tenant: Tenant, name: str) -> str:
        r = await self.api.post(
            "/api/catalog/brands", token=tenant.owner_token, json={"name": name}
        )
        return str(expect(r, 201)["brand_id"])

    async def create_product(
        self,
        tenant: Tenant,
        *,
        name: str | None = None,
        prices: Iterable[str] = ("19.99",),
        category_id: str | None = None,
        brand_id: str | None = None,
        description: str | None = None,
        publish: bool = True,
        with_taxonomy: bool = True,
    ) -> Product:
        """A product with one SKU per price (SKU codes unique per tenant), published."""
        name = name or f"E2E Widget {uuid.uuid4().hex[:8]}"
        if with_taxonomy and category_id is None:
            category_id = await self.create_category(tenant, f"Cat {uuid.uuid4().hex[:6]}")
        if with_taxonomy and brand_id is None:
            brand_id = await self.create_brand(tenant, f"Brand {uuid.uuid4().hex[:6]}")
        price_list = list(prices)
        body: dict[str, Any] = {"name": name, "description": description or f"{name} for e2e tests"}
        if category_id:
            body["category_id"] = category_id
        if brand_id:
            body["brand_id"] = brand_id
        if len(price_list) > 1:
            body["options"] = [
                {"name": "Size", "values": [f"s{i}" for i in range(len(price_list))]}
            ]
        product_id = str(
            expect(
                await self.api.post("/api/catalog/products", token=tenant.owner_token, json=body),
                201,
            )["product_id"]
        )
        sku_ids: list[str] = []
        sku_prices: dict[str, Decimal] = {}
        for i, price in enumerate(price_list):
            sku_body: dict[str, Any] = {
                "code": f"SKU-{uuid.uuid4().hex[:10].upper()}",
                "price": {"amount": price, "currency": tenant.currency},
            }
            if len(price_list) > 1:
                sku_body["option_values"] = {"Size": f"s{i}"}
            r = await self.api.post(
                f"/api/catalog/products/{product_id}/skus", token=tenant.owner_token, json=sku_body
            )
            sku_id = str(expect(r, 201)["sku_id"])
            sku_ids.append(sku_id)
            sku_prices[sku_id] = Decimal(price)
        if publish:
            expect(
                await self.api.post(
                    f"/api/catalog/products/{product_id}/publish", token=tenant.owner_token
                ),
                200,
            )
        return Product(product_id, name, sku_ids, sku_prices, category_id, brand_id)

    async def stocked_product(
        self, tenant: Tenant, *, stock: int, prices: Iterable[str] = ("19.99",), **kw: Any
    ) -> Product:
        product = await self.create_product(tenant, prices=prices, **kw)
        for sku in product.sku_ids:
            if stock:
                await self.adjust_stock(tenant, sku, stock)
        return product

    async def search(self, tenant: Tenant, **params: Any) -> dict[str, Any]:
        """Anonymous storefront search (tenant by header). Catalog learns of a new tenant from
        tenancy's events: until then it answers 404 tenant_not_found, which is polled."""

        async def attempt() -> dict[str, Any]:
            r = await self.api.get("/api/catalog/search", tenant=tenant.tenant_id, params=params)
            if is_unknown_tenant(r):
                raise NotYet("catalog does not know the tenant yet")
            return expect(r, 200)

        return await wait_until(attempt, what=f"catalog search of tenant {tenant.slug}")

    async def wait_tenant_known(self, tenant: Tenant, path: str) -> None:
        """Poll until the service behind ``path`` (an anonymous, tenant-by-header POST that the
        empty body below cannot change anything with) has learned of the tenant."""

        async def known() -> bool:
            r = await self.api.post(
                path,
                tenant=tenant.tenant_id,
                content=b"{}",
                headers={"Content-Type": "application/json"},
            )
            if is_unknown_tenant(r):
                raise NotYet(f"{path}: tenant_not_found")
            return True

        await wait_until(known, what=f"{path} to know tenant {tenant.slug}")

    # ----------------------------------------------------------------- orders

    async def new_cart(self, customer: Customer, **kw: Any) -> str:
        r = await self.api.post("/api/orders/carts", token=customer.token, **kw)
        return str(expect(r, 201)["cart_id"])

    async def add_to_cart(
        self,
        customer: Customer,
        cart_id: str,
        sku_id: str,
        quantity: int,
        *,
        wait: float = 30.0,
        **kw: Any,
    ) -> dict[str, Any]:
        """Add a line; while orders has not yet learned the SKU's price from catalog's events the
        answer is a 4xx that changes nothing, so that is polled (bounded)."""

        async def attempt() -> dict[str, Any] | None:
            r = await self.api.post(
                f"/api/orders/carts/{cart_id}/items",
                token=customer.token,
                json={"sku_id": sku_id, "quantity": quantity},
                **kw,
            )
            if r.status_code in (404, 409, 422) and wait:
                raise NotYet(f"add to cart -> {r.status_code}: {r.text[:300]}")
            return expect(r, 200, 201)

        return await wait_until(
            attempt, what=f"SKU {sku_id} addable to a cart", timeout=max(wait, 1)
        )

    async def checkout(
        self,
        customer: Customer,
        cart_id: str,
        *,
        payment_token: str = "tok_approve",
        idempotency_key: str | None = None,
        address: dict[str, Any] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        return await self.api.post(
            "/api/orders/checkout",
            token=customer.token,
            headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())},
            json={
                "cart_id": cart_id,
                "shipping_address": address or ADDRESS,
                "payment_token": payment_token,
            },
            **kw,
        )

    async def buy(
        self,
        customer: Customer,
        lines: dict[str, int],
        *,
        payment_token: str = "tok_approve",
    ) -> dict[str, Any]:
        """Cart with ``lines`` (sku → quantity), checkout; the 201 body."""
        cart_id = await self.new_cart(customer)
        for sku, qty in lines.items():
            await self.add_to_cart(customer, cart_id, sku, qty)
        return expect(await self.checkout(customer, cart_id, payment_token=payment_token), 201)

    async def order(self, token: str, order_id: str, **kw: Any) -> dict[str, Any]:
        return expect(await self.api.get(f"/api/orders/orders/{order_id}", token=token, **kw), 200)

    async def wait_order(
        self,
        token: str,
        order_id: str,
        statuses: Iterable[str],
        *,
        timeout: float = DEFAULT_WAIT,
        **kw: Any,
    ) -> dict[str, Any]:
        wanted = set(statuses)

        async def check() -> dict[str, Any] | None:
            order = await self.order(token, order_id, **kw)
            if order.get("status") in wanted:
                return order
            raise NotYet(f"status {order.get('status')!r}, history {order.get('history')}")

        return await wait_until(
            check, what=f"order {order_id} in {sorted(wanted)}", timeout=timeout
        )

    # --------------------------------------------------------- payments, shipping

    async def payments_of(self, tenant: Tenant, order_id: str, **kw: Any) -> list[dict[str, Any]]:
        r = await self.api.get(
            "/api/payments/payments", token=tenant.owner_token, params={"order_id": order_id}, **kw
        )
        if r.status_code == 404:
            return []
        return items_of(expect(r, 200))

    async def shipment_of(
        self, tenant: Tenant, order_id: str, *, timeout: float = DEFAULT_WAIT
    ) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            r = await self.api.get(
                "/api/shipping/shipments", token=tenant.owner_token, params={"order_id": order_id}
            )
            if r.status_code == 404:
                return None
            found = [s for s in items_of(expect(r, 200)) if str(s.get("order_id")) == str(order_id)]
            return found[0] if found else None

        return await wait_until(check, what=f"a shipment for order {order_id}", timeout=timeout)

    async def shipment(self, tenant: Tenant, shipment_id: str) -> dict[str, Any]:
        return expect(
            await self.api.get(f"/api/shipping/shipments/{shipment_id}", token=tenant.owner_token),
            200,
        )

    def carrier_event(
        self,
        shipment: dict[str, Any],
        code: str,
        *,
        event_id: str | None = None,
        occurred_at: datetime | None = None,
        reason_code: str | None = None,
    ) -> bytes:
        """Body of a sandbox carrier tracking callback (the API surface's field names)."""
        payload: dict[str, Any] = {
            "event_id": event_id or f"e2e-{uuid.uuid4().hex}",
            "reference": str(shipment["shipment_id"]),
            "tracking_number": shipment.get("tracking_number"),
            "code": code,
            "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
            "location": "E2E hub",
        }
        if reason_code:
            payload["reason_code"] = reason_code
        return dumps(payload)

    async def post_webhook(
        self,
        path: str,
        body: bytes,
        secret_name: str,
        *,
        tenant: Tenant | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        secret = self.env.get(secret_name)
        if not secret:
            raise AssertionError(f"{secret_name} is not set: export deploy/local/stack.env")
        headers = {
            "Content-Type": "application/json",
            "Shop-Signature": signature or sign(secret, body, timestamp),
        }
        return await self.api.post(
            path, content=body, headers=headers, tenant=tenant.tenant_id if tenant else None
        )

    async def carrier_webhook(self, tenant: Tenant, body: bytes, **kw: Any) -> httpx.Response:
        return await self.post_webhook(
            "/api/shipping/webhooks/carrier/sandbox",
            body,
            "SHIPPING_WEBHOOK_SECRET",
            tenant=tenant,
            **kw,
        )

    async def payment_webhook(self, tenant: Tenant, body: bytes, **kw: Any) -> httpx.Response:
        return await self.post_webhook(
            "/api/payments/webhooks/sandbox", body, "PAYMENTS_WEBHOOK_SECRET", tenant=tenant, **kw
        )

    # -------------------------------------------------------------- analytics

    async def revenue(
        self, tenant: Tenant, *, days_back: int = 1, days_ahead: int = 1
    ) -> list[dict[str, Any]]:
        today = datetime.now(UTC).date()
        params = {
            "from": (today - timedelta(days=days_back)).isoformat(),
            "to": (today + timedelta(days=days_ahead)).isoformat(),
        }
        r = await self.api.get(
            "/api/analytics/reports/revenue", token=tenant.owner_token, params=params
        )
        return items_of(expect(r, 200))


# ------------------------------------------------------------------------- checkout storm


@dataclass
class StormResult:
    placed: list[Placed]
    sold_a: int
    confirmed: list[dict[str, Any]]
    cancelled: list[dict[str, Any]]


async def list_all_orders(
    shop: Shop, tenant: Tenant, *, tolerate_outage: float = 0.0
) -> list[dict[str, Any]]:
    """Every order of the tenant, from staff's list (``GET /admin/orders``, cursor pagination)."""
    out: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        r = await shop.api.get(
            "/api/orders/admin/orders",
            token=tenant.owner_token,
            params=params,
            tolerate_outage=tolerate_outage,
        )
        body = expect(r, 200)
        out.extend(items_of(body))
        cursor = body.get("next_cursor") if isinstance(body, dict) else None
        if not cursor:
            return out
    raise AssertionError("GET /api/orders/admin/orders did not end after 1000 pages")


async def settle_orders(
    shop: Shop,
    tenant: Tenant,
    known: set[str],
    *,
    timeout: float = 60.0,
    tolerate_outage: float = 0.0,
    concurrency: int = 50,
) -> dict[str, dict[str, Any]]:
    """Poll until staff's order list holds every ``known`` order and every order of the tenant is
    in a final state; the full orders (``GET /orders/{id}`` as staff) by id."""
    sem = asyncio.Semaphore(concurrency)
    finals: dict[str, dict[str, Any]] = {}
    state: dict[str, Any] = {}

    async def fetch(oid: str) -> None:
        async with sem:
            order = expect(
                await shop.api.get(
                    f"/api/orders/orders/{oid}",
                    token=tenant.owner_token,
                    tolerate_outage=tolerate_outage,
                ),
                200,
            )
        if order.get("status") in CHECKOUT_FINAL:
            finals[oid] = order
        else:
            state.setdefault("pending", {})[oid] = order.get("status")

    async def check() -> dict[str, dict[str, Any]] | None:
        listed = {
            str(o["order_id"])
            for o in await list_all_orders(shop, tenant, tolerate_outage=tolerate_outage)
        }
        missing = known - listed
        state["pending"] = {}
        await asyncio.gather(*(fetch(oid) for oid in (listed | known) - set(finals)))
        if missing:
            raise NotYet(f"{len(missing)} placed orders not in GET /admin/orders yet")
        if state["pending"]:
            sample = dict(list(state["pending"].items())[:5])
            raise NotYet(f"{len(state['pending'])} orders not final, e.g. {sample}")
        return finals

    return await wait_until(
        check, what="every order of the scenario in a final state", timeout=timeout
    )


async def checkout_storm(
    shop: Shop,
    tenant: Tenant,
    customers: list[Customer],
    sku_a: str,
    sku_b: str,
    *,
    orders: int = 200,
    concurrency: int = 50,
    tolerate_outage: float = 0.0,
    in_progress_patience: float = 15.0,
    on_progress: Callable[[int], Awaitable[None]] | None = None,
    settle_timeout: float = 60.0,
) -> StormResult:
    """``orders`` concurrent checkouts (at most ``concurrency`` in flight), each with its own cart:
    a third buy 1 x A, a third 2 x A (one line: cart lines are per SKU), a third 1 x A + 1 x B.
    Then every order is polled to a final state. ``on_progress(n)`` is awaited after the n-th
    checkout answer (the restart test kills a service from there)."""
    sem = asyncio.Semaphore(concurrency)
    shapes = [{sku_a: 1}, {sku_a: 2}, {sku_a: 1, sku_b: 1}]
    placed = [
        Placed(
            customer=customers[i % len(customers)],
            lines=shapes[i % 3],
            idempotency_key=str(uuid.uuid4()),
        )
        for i in range(orders)
    ]
    answered = 0

    async def place(p: Placed) -> None:
        nonlocal answered
        async with sem:
            try:
                r_cart = await shop.api.post(
                    "/api/orders/carts", token=p.customer.token, tolerate_outage=tolerate_outage
                )
                cart_id = str(expect(r_cart, 201)["cart_id"])
                for sku, qty in p.lines.items():
                    r_add = await shop.api.post(
                        f"/api/orders/carts/{cart_id}/items",
                        token=p.customer.token,
                        json={"sku_id": sku, "quantity": qty},
                        tolerate_outage=tolerate_outage,
                    )
                    expect(r_add, 200, 201)
                # The same Idempotency-Key on every retry: a checkout cut off by a restart is
                # answered (or completed) once, never placed twice.
                give_up: float | None = None
                while True:
                    r = await shop.checkout(
                        p.customer,
                        cart_id,
                        idempotency_key=p.idempotency_key,
                        tolerate_outage=tolerate_outage,
                    )
                    in_progress = r.status_code == 409 and "Retry-After" in r.headers
                    if not (in_progress and tolerate_outage):
                        break
                    # A claim held by a request that died with the process stays "in progress"
                    # until it counts as abandoned (the 60 s lease): wait a little, then let it be.
                    give_up = give_up or time.monotonic() + in_progress_patience
                    if time.monotonic() > give_up:
                        # The claim of a request cut off by the crash is held until it counts as
                        # abandoned; the order, if it was saved, is found in staff's list below.
                        p.abandoned = True
                        return
                    await asyncio.sleep(min(float(r.headers.get("Retry-After") or 1), 2.0))
                p.status_code = r.status_code
                p.order_id = str(expect(r, 201)["order_id"])
            except (AssertionError, httpx.TransportError) as exc:
                p.error = f"{type(exc).__name__}: {exc}"
            finally:
                answered += 1
                if on_progress is not None:
                    await on_progress(answered)

    await asyncio.gather(*(place(p) for p in placed))
    errors = [p.error for p in placed if p.error]
    assert not errors, f"{len(errors)} of {orders} checkouts failed; first: {errors[:3]}"

    # Every order must leave the saga. The tenant is this test's own, so staff's order list is
    # exactly the orders of the scenario, including any whose checkout answer was lost.
    known = {p.order_id for p in placed if p.order_id}
    finals = await settle_orders(
        shop, tenant, known, timeout=settle_timeout, tolerate_outage=tolerate_outage
    )
    for p in placed:
        if p.order_id:
            p.final = finals.get(p.order_id)
    confirmed = [o for o in finals.values() if o["status"] != "cancelled"]
    cancelled = [o for o in finals.values() if o["status"] == "cancelled"]
    sold_a = sum(
        int(line["quantity"])
        for o in confirmed
        for line in o.get("lines", [])
        if str(line.get("sku_id")) == sku_a
    )
    return StormResult(placed=placed, sold_a=sold_a, confirmed=confirmed, cancelled=cancelled)


async def prepare_storm(
    shop: Shop, tenant: Tenant, *, stock: int = 50, customers: int = 20
) -> tuple[Product, Product, list[Customer]]:
    """SKU A (stock ``stock``, the contended one), SKU B (plenty), ``customers`` customers, and
    one warm-up cart so orders has learned both prices before the storm starts."""
    a = await shop.stocked_product(tenant, stock=stock, prices=["12.00"])
    b = await shop.stocked_product(tenant, stock=1000, prices=["3.00"])
    people = await shop.register_customers(tenant, customers)
    warm = await shop.new_cart(people[0])
    await shop.add_to_cart(people[0], warm, a.sku_id, 1)
    await shop.add_to_cart(people[0], warm, b.sku_id, 1)
    return a, b, people


async def assert_storm_invariants(
    shop: Shop,
    tenant: Tenant,
    result: StormResult,
    sku_a: str,
    sku_b: str,
    sampler: StockSampler,
    *,
    stock: int = 50,
) -> None:
    """Test 4's invariants: every order final; cancellations only for stock; exactly ``stock``
    units of A sold; A ends with nothing on hand, reserved or available, never negative on the
    way; B's stock matches what was sold of it."""
    finals = result.confirmed + result.cancelled
    assert all(o["status"] in CHECKOUT_FINAL for o in finals)
    reasons = {o.get("cancel_reason") for o in result.cancelled}
    assert reasons <= {"out_of_stock"}, f"cancelled for other reasons than stock: {reasons}"
    assert result.sold_a == stock, (
        f"{result.sold_a} units of A sold in {len(result.confirmed)} confirmed orders,"
        f" expected {stock}"
    )

    # Stock settles: the 50 sold units committed, nothing held, nothing left.
    async def settled() -> dict | None:
        s = await shop.stock(tenant, sku_a, tolerate_outage=60)
        if s["reserved"] == 0:
            return s
        raise NotYet(s)

    stock_a = await wait_until(
        settled, what="SKU A's reservations all committed or released", timeout=60
    )
    assert (stock_a["on_hand"], stock_a["available"]) == (0, 0), stock_a
    for key in ("min_available", "min_on_hand", "min_reserved"):
        low = getattr(sampler, key)
        assert low is None or low >= 0, f"SKU A {key} = {low} seen during the run"

    sold_b = sum(
        int(line["quantity"])
        for o in result.confirmed
        for line in o.get("lines", [])
        if str(line.get("sku_id")) == sku_b
    )

    async def settled_b() -> dict | None:
        s = await shop.stock(tenant, sku_b, tolerate_outage=60)
        if s["reserved"] == 0 and s["on_hand"] == 1000 - sold_b:
            return s
        raise NotYet(f"{s} (sold {sold_b})")

    await wait_until(
        settled_b, what=f"SKU B: {sold_b} units committed, the rest released", timeout=60
    )
