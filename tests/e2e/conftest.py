"""End-to-end fixtures: the running stack behind the gateway, a recording client, a `Shop` that
builds tenants/catalog/stock/customers through the API, and a fresh tenant per test.

The stack: if any service's ``/api/<svc>/healthz`` does not answer through the gateway, the
session runs ``deploy/local/secrets.sh`` (when it exists), the migrations and
``deploy/local/services.sh up`` — unless ``E2E_NO_START=1``, in which case it fails saying what is
down. Services this session started (all of them, from nothing) are stopped again at the end with
``services.sh down`` unless ``E2E_KEEP_SERVICES=1``; a stack that was partly up is left as found.

Every e2e test is marked ``e2e`` and also ``integration`` (so ``make test-unit``, which deselects
``integration``, leaves them out) and carries a 150 s timeout on its body.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

# The tests import their plumbing as a plain module (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_support import (
    REPO,
    SERVICES,
    Api,
    Shop,
    Tenant,
    load_stack_env,
)

E2E_TIMEOUT = 150


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end flow through the gateway against the running services"
    )


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: "not integration" must see the mark
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.integration)
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT, func_only=True))


# ------------------------------------------------------------------------------------ stack


def _gateway(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env.get('GATEWAY_PORT', '58080')}"


def services_down(env: dict[str, str]) -> list[str]:
    """Services whose health check does not answer 200 through the gateway."""
    down = []
    with httpx.Client(base_url=_gateway(env), timeout=3.0) as client:
        for svc in env.get("SERVICES", " ".join(SERVICES)).split():
            try:
                ok = client.get(f"/api/{svc}/healthz").status_code == 200
            except httpx.TransportError:
                ok = False
            if not ok:
                down.append(svc)
    return down


def _run(cmd: str, timeout: float) -> None:
    """A shell command from the repo root with stack.env exported; fail with its output."""
    script = f"set -a; source deploy/local/stack.env; set +a; {cmd}"
    proc = subprocess.run(
        ["bash", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        pytest.fail(
            f"`{cmd}` failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}",
            pytrace=False,
        )


def start_stack() -> None:
    if (REPO / "deploy" / "local" / "secrets.sh").exists():
        _run("bash deploy/local/secrets.sh", timeout=120)
    _run(".venv/bin/python -m shop_runtime.migrate_all", timeout=300)
    _run("bash deploy/local/services.sh up", timeout=600)


def stop_stack() -> None:
    _run("bash deploy/local/services.sh down", timeout=120)


@pytest.fixture(scope="session")
def stack() -> Iterator[dict[str, str]]:
    """Makes sure every service answers through the gateway; yields the environment (stack.env
    plus the process environment) the tests read their secrets from."""
    env = load_stack_env()
    down = services_down(env)
    started_all = False
    if down:
        if os.environ.get("E2E_NO_START") == "1":
            pytest.fail(
                f"services not answering through the gateway: {down} (E2E_NO_START=1; "
                "start them with `make run` or `bash deploy/local/services.sh up`)",
                pytrace=False,
            )
        all_services = env.get("SERVICES", " ".join(SERVICES)).split()
        started_all = sorted(down) == sorted(all_services)
        start_stack()
        env = load_stack_env()  # secrets.sh may have produced new values
        still = services_down(env)
        if still:
            pytest.fail(f"services still down after services.sh up: {still}", pytrace=False)
    yield env
    if started_all and os.environ.get("E2E_KEEP_SERVICES") != "1":
        stop_stack()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def api(stack: dict[str, str]) -> AsyncIterator[Api]:
    """httpx.AsyncClient on the gateway (http://127.0.0.1:58080), recording 5xx answers."""
    client = Api(_gateway(stack))
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def shop(api: Api, stack: dict[str, str]) -> Shop:
    return Shop(api, stack)


@pytest.fixture(autouse=True)
def no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """No call of a test may get a 5xx (calls made with ``tolerate_outage`` during a deliberate
    restart are exempt: they retry instead of recording the gateway's 502)."""
    if "api" not in request.fixturenames:
        yield
        return
    api: Api = request.getfixturevalue("api")
    mark = len(api.server_errors)
    yield
    new = api.server_errors[mark:]
    assert not new, f"{len(new)} calls answered 5xx; first: {new[:3]}"


@pytest_asyncio.fixture(loop_scope="session")
async def tenant(shop: Shop) -> Tenant:
    """A fresh tenant (its own slug), the owner logged in, one warehouse."""
    return await shop.create_tenant()
