"""Demo data for the local stack, through the gateway's public API only.

    .venv/bin/python deploy/local/demo_seed.py              # the demo store (skipped if it exists)
    .venv/bin/python deploy/local/demo_seed.py --large 5000 # plus 5000 more products, with progress

Creates the tenant "demo" (primary domain demo.localhost) with an owner, a customer, a warehouse,
a few categories and brands, ~20 published products with SKUs, prices and stock, then prints the
gateway URL and the demo credentials. Idempotent: when the demo tenant already exists the demo
catalog is not created again (``--large`` still adds its products, under fresh names).

Needs the services running (``make run``) and PLATFORM_ADMIN_TOKEN in the environment; when it is
missing the script reads deploy/local/stack.env itself. It talks to a loopback gateway only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

REPO = Path(__file__).resolve().parents[2]
STACK_ENV = REPO / "deploy" / "local" / "stack.env"

DEMO_SLUG = "demo"
DEMO_DOMAIN = "demo.localhost"
DEMO_CURRENCY = "USD"
OWNER_EMAIL = "owner@demo.example.com"
OWNER_PASSWORD = "demo-owner-password"  # noqa: S105 - local demo credentials, printed on purpose
CUSTOMER_EMAIL = "customer@demo.example.com"
CUSTOMER_PASSWORD = "demo-customer-password"  # noqa: S105 - local demo credentials
MAX_LARGE = 100_000
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

CATEGORIES = ["Apparel", "Home & Kitchen", "Electronics", "Books"]
BRANDS = ["Acme", "Globex", "Initech", "Umbrella"]
# (name, category, brand, [(option value, price)], stock per SKU)
PRODUCTS: list[tuple[str, str, str, list[tuple[str, str]], int]] = [
    (
        "Classic Cotton T-Shirt",
        "Apparel",
        "Acme",
        [("S", "19.00"), ("M", "19.00"), ("L", "21.00")],
        40,
    ),
    ("Merino Wool Sweater", "Apparel", "Globex", [("M", "89.00"), ("L", "89.00")], 12),
    ("Rain Jacket", "Apparel", "Umbrella", [("M", "129.00"), ("L", "129.00")], 8),
    ("Running Socks (3 pack)", "Apparel", "Acme", [("One size", "12.50")], 100),
    (
        "Canvas Sneakers",
        "Apparel",
        "Initech",
        [("42", "59.00"), ("43", "59.00"), ("44", "59.00")],
        15,
    ),
    ("Cast Iron Skillet", "Home & Kitchen", "Globex", [("26 cm", "45.00"), ("30 cm", "55.00")], 20),
    ("Pour-Over Coffee Set", "Home & Kitchen", "Acme", [("Standard", "34.90")], 25),
    ("Chef's Knife", "Home & Kitchen", "Initech", [("20 cm", "79.00")], 10),
    ("Linen Tea Towels", "Home & Kitchen", "Umbrella", [("Pair", "14.00")], 60),
    ("Porcelain Teapot", "Home & Kitchen", "Globex", [("1 l", "29.00")], 0),
    ("Wireless Earbuds", "Electronics", "Initech", [("Black", "99.00"), ("White", "99.00")], 30),
    ("USB-C Charger 65W", "Electronics", "Acme", [("EU", "39.00"), ("US", "39.00")], 50),
    (
        "Mechanical Keyboard",
        "Electronics",
        "Globex",
        [("Brown switches", "119.00"), ("Red switches", "119.00")],
        7,
    ),
    ("E-Reader", "Electronics", "Umbrella", [("8 GB", "129.00"), ("32 GB", "159.00")], 9),
    ("Smart Desk Lamp", "Electronics", "Initech", [("Standard", "49.00")], 0),
    (
        "The Pragmatic Gardener",
        "Books",
        "Acme",
        [("Paperback", "18.00"), ("Hardcover", "28.00")],
        35,
    ),
    ("Event Sourcing in Practice", "Books", "Globex", [("Paperback", "42.00")], 14),
    ("A Field Guide to Clouds", "Books", "Umbrella", [("Paperback", "16.50")], 22),
    ("Cooking for Engineers", "Books", "Initech", [("Hardcover", "36.00")], 5),
    ("Poems of the Sea", "Books", "Acme", [("Paperback", "11.00")], 18),
]


class SeedError(RuntimeError):
    pass


def stack_env() -> dict[str, str]:
    """stack.env as bash sees it, overridden by the process environment."""
    values: dict[str, str] = {}
    if STACK_ENV.exists():
        out = subprocess.run(  # noqa: S603 - fixed argv, our own file
            ["bash", "-c", 'set -a; source "$1"; set +a; env -0', "_", str(STACK_ENV)],  # noqa: S607
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


def check(r: httpx.Response, *statuses: int) -> Any:
    if r.status_code not in statuses:
        raise SeedError(
            f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text[:500]}"
        )
    return r.json() if r.content else None


async def retry(
    what: str,
    call: Callable[[], Awaitable[httpx.Response]],
    ok: tuple[int, ...],
    patience: float = 30.0,
) -> Any:
    """Retry a call while it answers 404 (another service has not yet learned of the new tenant
    or SKU from the events: nothing was done) or the service is briefly unavailable."""
    deadline = time.monotonic() + patience
    while True:
        r = await call()
        if r.status_code in ok:
            return r.json() if r.content else None
        if r.status_code not in (404, 502, 503) or time.monotonic() > deadline:
            raise SeedError(f"{what}: {r.status_code} {r.text[:500]}")
        await asyncio.sleep(0.5)


class Seeder:
    def __init__(self, client: httpx.AsyncClient, platform_token: str) -> None:
        self.client = client
        self.platform_token = platform_token
        self.tenant_id = ""
        self.token = ""

    @property
    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def login(self, email: str, password: str, *, by_host: bool = False) -> str:
        headers = {"Host": DEMO_DOMAIN} if by_host else {"X-Tenant-Id": self.tenant_id}
        body = await retry(
            f"login {email}",
            lambda: self.client.post(
                "/api/tenancy/auth/login",
                headers=headers,
                json={"email": email, "password": password},
            ),
            (200,),
        )
        return str(body["access_token"])

    async def ensure_tenant(self) -> bool:
        """Create the demo tenant; False when it already existed."""
        r = await self.client.post(
            "/api/tenancy/platform/tenants",
            headers={"Authorization": f"Bearer {self.platform_token}"},
            json={
                "name": "Demo Store",
                "slug": DEMO_SLUG,
                "currency": DEMO_CURRENCY,
                "primary_domain": DEMO_DOMAIN,
                "owner": {
                    "email": OWNER_EMAIL,
                    "password": OWNER_PASSWORD,
                    "display_name": "Demo Owner",
                },
            },
        )
        if r.status_code == 409:
            self.token = await self.login(OWNER_EMAIL, OWNER_PASSWORD, by_host=True)
            me = check(await self.client.get("/api/tenancy/me", headers=self.staff), 200)
            self.tenant_id = str(me["tenant_id"])
            return False
        self.tenant_id = str(check(r, 201)["tenant_id"])
        self.token = await self.login(OWNER_EMAIL, OWNER_PASSWORD)
        return True

    async def warehouse(self) -> str:
        body = await retry(
            "create warehouse",
            lambda: self.client.post(
                "/api/inventory/warehouses",
                headers=self.staff,
                json={"code": "MAIN", "name": "Main warehouse"},
            ),
            (201,),
        )
        return str(body["warehouse_id"])

    async def customer(self) -> None:
        r = await self.client.post(
            "/api/tenancy/customers",
            headers={"X-Tenant-Id": self.tenant_id},
            json={
                "email": CUSTOMER_EMAIL,
                "password": CUSTOMER_PASSWORD,
                "display_name": "Demo Customer",
            },
        )
        check(r, 201, 409)

    async def named(self, path: str, name: str, id_key: str) -> str:
        r = await self.client.post(f"/api/catalog/{path}", headers=self.staff, json={"name": name})
        return str(check(r, 201)[id_key])

    async def product(
        self,
        name: str,
        category_id: str | None,
        brand_id: str | None,
        variants: list[tuple[str, str]],
        stock: int,
        warehouse_id: str,
    ) -> None:
        body: dict[str, Any] = {"name": name, "description": f"{name}: part of the demo catalog."}
        if category_id:
            body["category_id"] = category_id
        if brand_id:
            body["brand_id"] = brand_id
        if len(variants) > 1:
            body["options"] = [{"name": "Variant", "values": [v for v, _ in variants]}]
        r = await self.client.post("/api/catalog/products", headers=self.staff, json=body)
        product_id = str(check(r, 201)["product_id"])
        sku_ids = []
        for value, price in variants:
            sku: dict[str, Any] = {
                "code": f"DEMO-{uuid.uuid4().hex[:10].upper()}",
                "price": {"amount": price, "currency": DEMO_CURRENCY},
            }
            if len(variants) > 1:
                sku["option_values"] = {"Variant": value}
            r = await self.client.post(
                f"/api/catalog/products/{product_id}/skus", headers=self.staff, json=sku
            )
            sku_ids.append(str(check(r, 201)["sku_id"]))
        check(
            await self.client.post(
                f"/api/catalog/products/{product_id}/publish", headers=self.staff
            ),
            200,
        )
        for sku_id in sku_ids:
            if stock > 0:
                await retry(
                    "stock adjustment",
                    lambda sku_id=sku_id: self.client.post(  # type: ignore[misc]
                        "/api/inventory/stock/adjustments",
                        headers=self.staff,
                        json={
                            "sku_id": sku_id,
                            "warehouse_id": warehouse_id,
                            "delta": stock,
                            "reason": "purchase",
                            "note": "demo seed",
                        },
                    ),
                    (200, 201),
                )


class Progress:
    """rich's progress bar when it is installed, otherwise a plain one on stderr."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.done, self.label = total, 0, label
        self._rich: Any = None
        try:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TimeRemainingColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            self._rich = RichProgress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            )
            self._task = self._rich.add_task(label, total=total)
        except ImportError:
            self._rich = None

    def __enter__(self) -> Progress:
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()
        else:
            sys.stderr.write("\n")

    def advance(self) -> None:
        self.done += 1
        if self._rich is not None:
            self._rich.advance(self._task)
            return
        width = 40
        filled = width * self.done // max(self.total, 1)
        sys.stderr.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
        )
        sys.stderr.flush()


async def seed(gateway: str, large: int, concurrency: int, env: dict[str, str]) -> int:
    token = env.get("PLATFORM_ADMIN_TOKEN")
    if not token:
        raise SeedError(
            "PLATFORM_ADMIN_TOKEN is not set (deploy/local/stack.env or the environment)"
        )
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=gateway, timeout=30.0, limits=limits) as client:
        s = Seeder(client, token)
        created = await s.ensure_tenant()
        warehouse_id = ""
        if created:
            await s.customer()
            warehouse_id = await s.warehouse()
            categories = {n: await s.named("categories", n, "category_id") for n in CATEGORIES}
            brands = {n: await s.named("brands", n, "brand_id") for n in BRANDS}
            with Progress(len(PRODUCTS), "demo catalog") as bar:
                for name, cat, brand, variants, stock in PRODUCTS:
                    await s.product(
                        name, categories[cat], brands[brand], variants, stock, warehouse_id
                    )
                    bar.advance()
        else:
            print("demo tenant exists: demo catalog not created again", flush=True)

        if large:
            if not warehouse_id:
                r = await client.post(
                    "/api/inventory/warehouses",
                    headers=s.staff,
                    json={"code": f"BULK{uuid.uuid4().hex[:4].upper()}", "name": "Bulk warehouse"},
                )
                warehouse_id = str(check(r, 201)["warehouse_id"])
            run = uuid.uuid4().hex[:6]
            category = await s.named("categories", f"Bulk {run}", "category_id")
            sem = asyncio.Semaphore(concurrency)
            with Progress(large, f"--large {large}") as bar:

                async def one(i: int) -> None:
                    async with sem:
                        price = f"{5 + (i * 7) % 200}.{(i * 13) % 100:02d}"
                        await s.product(
                            f"Bulk item {run}-{i:06d}",
                            category,
                            None,
                            [("Default", price)],
                            1 + i % 50,
                            warehouse_id,
                        )
                    bar.advance()

                await asyncio.gather(*(one(i) for i in range(large)))

        host = urlparse(gateway).netloc
        print(
            "\n".join(
                [
                    "",
                    f"Gateway:        {gateway}/api/<service>/",
                    f"Demo tenant:    {DEMO_SLUG}  id {s.tenant_id}",
                    f"Storefront:     Host: {DEMO_DOMAIN}  or  X-Tenant-Id: {s.tenant_id}",
                    f"Owner (staff):  {OWNER_EMAIL} / {OWNER_PASSWORD}",
                    f"Customer:       {CUSTOMER_EMAIL} / {CUSTOMER_PASSWORD}",
                    "Log in:         curl -s -H 'Host: demo.localhost'"
                    " -H 'Content-Type: application/json' "
                    f'-d \'{{"email":"{OWNER_EMAIL}","password":"{OWNER_PASSWORD}"}}\' '
                    f"http://{host}/api/tenancy/auth/login",
                ]
            ),
            flush=True,
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    env = stack_env()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", default=f"http://127.0.0.1:{env.get('GATEWAY_PORT', '58080')}")
    parser.add_argument(
        "--large", type=int, default=0, metavar="N", help=f"also load N products (<= {MAX_LARGE})"
    )
    parser.add_argument(
        "--concurrency", type=int, default=8, help="requests in flight for --large (1-32)"
    )
    args = parser.parse_args(argv)
    if urlparse(args.gateway).hostname not in LOOPBACK:
        parser.error(
            f"refusing a non-loopback gateway {args.gateway!r}: demo data is for the local stack"
        )
    if not 0 <= args.large <= MAX_LARGE:
        parser.error(f"--large must be between 0 and {MAX_LARGE}")
    if not 1 <= args.concurrency <= 32:
        parser.error("--concurrency must be between 1 and 32")
    try:
        return asyncio.run(seed(args.gateway.rstrip("/"), args.large, args.concurrency, env))
    except (SeedError, httpx.TransportError) as exc:
        print(f"demo_seed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
