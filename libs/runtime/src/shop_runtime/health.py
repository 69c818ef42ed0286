"""Liveness and readiness.

`/healthz` answers 200 while the process can serve at all (no dependency is checked: a database
outage must not get every replica restarted). `/readyz` runs the registered checks concurrently,
each bounded by a timeout, and answers 503 (problem+json listing each check) when one fails, so the
gateway or orchestrator stops routing to this instance until it recovers.

Checks are registered on the app, typically in the lifespan once the clients exist:
`readiness(app).add("postgres", lambda: ping(engine))`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import orjson
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from shop_runtime.errors import problem_response

ReadinessCheck = Callable[[], Awaitable[object]]

logger = logging.getLogger("shop_runtime.health")


class Readiness:
    """Named async checks; a check passes when it returns, fails when it raises or times out."""

    def __init__(self, timeout_seconds: float = 2.0) -> None:
        self.timeout_seconds = timeout_seconds
        self._checks: dict[str, ReadinessCheck] = {}

    def add(self, name: str, check: ReadinessCheck) -> None:
        self._checks[name] = check

    def remove(self, name: str) -> None:
        self._checks.pop(name, None)

    async def run(self) -> dict[str, str]:
        names = list(self._checks)
        results = await asyncio.gather(*(self._run_one(name, self._checks[name]) for name in names))
        return dict(zip(names, results, strict=True))

    async def _run_one(self, name: str, check: ReadinessCheck) -> str:
        try:
            await asyncio.wait_for(check(), timeout=self.timeout_seconds)
        except TimeoutError:
            logger.warning("readiness check %s timed out", name)
            return "timeout"
        except Exception as exc:
            logger.warning("readiness check %s failed: %s", name, type(exc).__name__)
            return "failed"
        return "ok"


def readiness(app: FastAPI) -> Readiness:
    """The app's readiness registry (created by `create_app`)."""
    registry = getattr(app.state, "readiness", None)
    if not isinstance(registry, Readiness):
        registry = Readiness()
        app.state.readiness = registry
    return registry


async def healthz(request: Request) -> Response:
    return Response(orjson.dumps({"status": "ok"}), media_type="application/json")


async def readyz(request: Request) -> Response:
    app = request.app
    assert isinstance(app, FastAPI)
    results = await readiness(app).run()
    if all(r == "ok" for r in results.values()):
        return Response(
            orjson.dumps({"status": "ready", "checks": results}), media_type="application/json"
        )
    failed = sorted(name for name, r in results.items() if r != "ok")
    return problem_response(
        503,
        "not_ready",
        "Service Unavailable",
        detail="Not ready: " + ", ".join(failed),
        headers={"Retry-After": "5"},
        extensions={"checks": results},
    )
