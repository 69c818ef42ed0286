"""The process entrypoint: API and workers in one process, roles selectable, clean stop."""

from __future__ import annotations

import asyncio
import socket
import sys
import types
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from shop_runtime.entrypoint import ServiceDefinition, Worker, load_service, resolve_port, serve
from shop_runtime.http import create_app
from shop_runtime.settings import ServiceSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Probe:
    def __init__(self) -> None:
        self.worker_started = asyncio.Event()
        self.worker_cancelled = False
        self.resources: list[str] = []

    async def relay(self) -> None:
        self.worker_started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.worker_cancelled = True
            raise

    @asynccontextmanager
    async def shared_clients(self) -> AsyncIterator[None]:
        self.resources.append("open")
        yield
        self.resources.append("closed")


def definition(probe: Probe, settings: ServiceSettings) -> ServiceDefinition:
    return ServiceDefinition(
        name="probe",
        app=create_app(settings, title="probe"),
        workers=[Worker(name="probe-relay", role="relay", run=probe.relay)],
        resources=probe.shared_clients,
    )


async def wait_healthy(port: int) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                return await client.get(f"http://127.0.0.1:{port}/healthz")
            except httpx.TransportError:
                await asyncio.sleep(0.02)
    raise AssertionError("server did not come up")


async def test_api_and_workers_run_together_and_stop_cleanly(settings: ServiceSettings) -> None:
    probe, port, stop = Probe(), free_port(), asyncio.Event()
    running = asyncio.create_task(
        serve(
            definition(probe, settings),
            roles=frozenset({"api", "relay"}),
            host="127.0.0.1",
            port=port,
            stop=stop,
        )
    )
    r = await wait_healthy(port)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    await asyncio.wait_for(probe.worker_started.wait(), 5)
    stop.set()
    assert await asyncio.wait_for(running, 10) == 0
    assert probe.worker_cancelled
    assert probe.resources == ["open", "closed"]


async def test_roles_select_what_runs(settings: ServiceSettings) -> None:
    probe, stop = Probe(), asyncio.Event()
    running = asyncio.create_task(
        serve(
            definition(probe, settings),
            roles=frozenset({"relay"}),
            host="127.0.0.1",
            port=None,
            stop=stop,
        )
    )
    await asyncio.wait_for(probe.worker_started.wait(), 5)
    stop.set()
    assert await asyncio.wait_for(running, 10) == 0
    # Nothing selected for this service: refuse rather than idle.
    assert (
        await serve(
            definition(Probe(), settings),
            roles=frozenset({"projector"}),
            host="127.0.0.1",
            port=None,
        )
        == 2
    )


async def test_a_crashing_worker_stops_the_process_with_failure(settings: ServiceSettings) -> None:
    async def broken() -> None:
        raise RuntimeError("cannot reach kafka")

    port = free_port()
    code = await asyncio.wait_for(
        serve(
            ServiceDefinition(
                name="broken",
                app=create_app(settings, title="broken"),
                workers=[Worker(name="consumer", role="consumer", run=broken)],
            ),
            roles=frozenset({"api", "consumer"}),
            host="127.0.0.1",
            port=port,
        ),
        10,
    )
    assert code == 1


def test_load_service_uses_the_bootstrap_build(monkeypatch: pytest.MonkeyPatch) -> None:
    package = types.ModuleType("fakesvc")
    package.__path__ = []
    bootstrap = types.ModuleType("fakesvc.bootstrap")
    bootstrap.build = lambda s: ServiceDefinition(name=s.service_name)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fakesvc", package)
    monkeypatch.setitem(sys.modules, "fakesvc.bootstrap", bootstrap)
    loaded = load_service("fakesvc", ServiceSettings(service_name="fakesvc"))
    assert loaded.name == "fakesvc"
    with pytest.raises(ValueError):
        load_service("os.path; import x", ServiceSettings())


def test_port_from_flag_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_PORT", "58102")
    assert resolve_port("catalog", None) == 58102
    assert resolve_port("catalog", 9000) == 9000
    monkeypatch.delenv("CATALOG_PORT")
    with pytest.raises(SystemExit):
        resolve_port("catalog", None)


def test_worker_roles_are_checked() -> None:
    async def noop() -> None:
        return None

    with pytest.raises(ValueError):
        Worker(name="x", role="api", run=noop)
