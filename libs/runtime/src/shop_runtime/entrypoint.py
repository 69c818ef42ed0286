"""Process entrypoint of every service: `python -m shop_runtime.entrypoint --service catalog`.

It imports `<service>.bootstrap`, calls `build(settings)` and runs what it returns - the HTTP API
(uvicorn on 127.0.0.1) and the background workers (relay, consumers, projectors) - in one process,
or only the roles named by `--roles api,relay,consumer,projector` so they can be scaled apart.

Port: `--port`, else the environment variable `<SERVICE>_PORT` (e.g. `CATALOG_PORT`, as in
deploy/local/stack.env). SIGTERM/SIGINT stop everything gracefully: uvicorn drains requests and runs
the app's lifespan shutdown, workers are cancelled (cancellation is their stop signal: they commit
nothing they have not finished), then the service's own lifespan closes shared clients. A worker
that crashes stops the process with exit code 1, so the supervisor restarts it instead of leaving a
half-working process behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI

from shop_runtime.logging import configure_logging
from shop_runtime.settings import ServiceSettings
from shop_runtime.telemetry import configure_tracing

ROLES = ("api", "relay", "consumer", "projector")
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

logger = logging.getLogger("shop_runtime.entrypoint")

WorkerFn = Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Worker:
    """A background loop of one role; runs until cancelled."""

    name: str
    role: str
    run: WorkerFn

    def __post_init__(self) -> None:
        if self.role not in ROLES or self.role == "api":
            raise ValueError(f"worker role must be one of relay, consumer, projector: {self.role}")


@dataclass(frozen=True)
class ServiceDefinition:
    """What `<service>.bootstrap.build(settings)` returns.

    `resources` (optional) is entered once per process before the API and the workers start and left
    after they stop: the place for clients both share (engines, Kafka producer, Redis).
    """

    name: str
    app: FastAPI | None = None
    workers: Sequence[Worker] = field(default_factory=tuple)
    resources: Callable[[], AbstractAsyncContextManager[None]] | None = None


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: this module owns the process's shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29
        return None


def load_service(name: str, settings: ServiceSettings) -> ServiceDefinition:
    if not _SERVICE_NAME.match(name):
        raise ValueError(f"not a service name: {name!r}")
    module = importlib.import_module(f"{name}.bootstrap")
    definition = module.build(settings)
    if not isinstance(definition, ServiceDefinition):
        raise TypeError(f"{name}.bootstrap.build() must return a ServiceDefinition")
    return definition


def resolve_port(service: str, port: int | None) -> int:
    if port is not None:
        return port
    value = os.environ.get(f"{service.upper()}_PORT")
    if not value:
        raise SystemExit(f"no port: pass --port or set {service.upper()}_PORT")
    return int(value)


@contextlib.asynccontextmanager
async def _no_resources() -> AsyncIterator[None]:
    yield


async def serve(
    definition: ServiceDefinition,
    *,
    roles: frozenset[str],
    host: str,
    port: int | None,
    log_level: str = "info",
    stop: asyncio.Event | None = None,
) -> int:
    """Run the selected roles until SIGTERM/SIGINT (or `stop` is set) or a crash; the exit code."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        return await _run_roles(definition, roles, host, port, log_level, stop)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _run_roles(
    definition: ServiceDefinition,
    roles: frozenset[str],
    host: str,
    port: int | None,
    log_level: str,
    stop: asyncio.Event,
) -> int:
    resources = definition.resources or _no_resources
    async with resources():
        server: _Server | None = None
        tasks: dict[asyncio.Task[Any], str] = {}
        if "api" in roles and definition.app is not None:
            if port is None:
                raise ValueError("the api role needs a port")
            config = uvicorn.Config(
                definition.app,
                host=host,
                port=port,
                log_config=None,
                log_level=log_level.lower(),
                access_log=False,
                server_header=False,
                lifespan="on",
                # Longer than the gateway's upstream keepalive (nginx: 60 s). With uvicorn's 5 s
                # default, nginx reuses a connection uvicorn is closing and a POST fails with 502.
                timeout_keep_alive=75,
            )
            server = _Server(config)
            tasks[asyncio.create_task(server.serve(), name="api")] = "api"
        for worker in definition.workers:
            if worker.role in roles:
                tasks[asyncio.create_task(worker.run(), name=worker.name)] = worker.name
        if not tasks:
            logger.error("nothing to run for roles %s", ",".join(sorted(roles)))
            return 2
        logger.info("started %s: %s", definition.name, ", ".join(tasks.values()))

        stopper = asyncio.create_task(stop.wait(), name="stop")
        done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
        exit_code = 0
        for task in done:
            if task is stopper:
                continue
            # Any role ending on its own is a failure: they all run until told to stop.
            exit_code = 1
            exc = task.exception() if not task.cancelled() else None
            logger.error("%s stopped unexpectedly", tasks[task], exc_info=exc)
        stopper.cancel()

        if server is not None:
            server.should_exit = True
        for task, name in tasks.items():
            if name != "api":
                task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for name, result in zip(tasks.values(), results, strict=True):
            if isinstance(result, Exception):
                logger.error("%s failed while stopping", name, exc_info=result)
        if server is not None and not server.started and exit_code == 0:
            exit_code = 1  # e.g. the port was taken
        logger.info("stopped %s", definition.name)
        return exit_code


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shop_runtime.entrypoint")
    parser.add_argument("--service", required=True, help="tenancy, catalog, inventory, ...")
    parser.add_argument(
        "--roles",
        default=",".join(ROLES),
        help="comma-separated subset of: " + ",".join(ROLES),
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)

    roles = frozenset(r.strip() for r in args.roles.split(",") if r.strip())
    unknown = roles - set(ROLES)
    if unknown:
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}")

    configure_logging(args.service, args.log_level)
    configure_tracing(args.service)
    settings = ServiceSettings(service_name=args.service)
    definition = load_service(args.service, settings)
    port = resolve_port(args.service, args.port) if "api" in roles and definition.app else None
    code = asyncio.run(
        serve(definition, roles=roles, host=args.host, port=port, log_level=args.log_level)
    )
    sys.exit(code)


if __name__ == "__main__":
    # Run through the importable module, not `__main__`: bootstraps return its ServiceDefinition.
    from shop_runtime.entrypoint import main as _main

    _main()
