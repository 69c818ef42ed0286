"""The HTTP application every service runs: `create_app(settings, title=..., routers=[...])`.

Layers of a request, outermost first (all pure ASGI: no extra task, contextvars flow through):

1. `RequestContextMiddleware` - correlation id (`X-Correlation-Id`, accepted when it is a sane
   token, generated otherwise, echoed on the response), W3C trace context extracted from
   `traceparent` into a SERVER span, the context variables (`shop_runtime.context`) set for the
   request and restored after, the Prometheus histogram (by route template and status) and one
   access-log line.
2. `RequestGuardMiddleware` - body size (413), Content-Length sanity, strict JSON (400), NUL (422).
3. `IdempotencyMiddleware` - records the response of requests that claimed an `Idempotency-Key`.
4. `ProblemMiddleware` - any exception becomes a problem+json response (domain errors keep their
   status, the rest is a logged 500).
5. FastAPI: exception handlers (validation 422, malformed JSON 400, HTTPException, ProblemError,
   idempotent replay), the app-wide 415 check for JSON bodies, then the routes.

Also served: `/healthz`, `/readyz` (503 problem when a registered check fails), `/metrics`.
"""

from __future__ import annotations

import inspect
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shop_runtime.api_models import ResponseModel, StrictModel
from shop_runtime.auth import InMemoryTenantResolver, TenantResolver, TokenVerifier
from shop_runtime.context import message_context
from shop_runtime.errors import ProblemMiddleware, install_error_handlers
from shop_runtime.health import ReadinessCheck, healthz, readiness, readyz
from shop_runtime.idempotency import IdempotencyMiddleware, IdempotencyStore, install_idempotency
from shop_runtime.metrics import UNMATCHED_ROUTE, metrics_endpoint, observe_request
from shop_runtime.request_guard import RequestGuardMiddleware, require_json_content_type
from shop_runtime.settings import ServiceSettings
from shop_runtime.telemetry import configure_tracing, current_traceparent, extract_context, tracer

__all__ = ["ResponseModel", "StrictModel", "create_app"]

CORRELATION_HEADER = "X-Correlation-Id"
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

access_logger = logging.getLogger("shop_runtime.http")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, service_name: str) -> None:
        self.app = app
        self.service_name = service_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for raw_key, raw_value in scope.get("headers", ()):
            headers.setdefault(raw_key.decode("latin-1").lower(), raw_value.decode("latin-1"))
        offered = headers.get("x-correlation-id", "")
        # A client's id is kept only if it is a plain token: it ends up in logs and events.
        correlation_id = offered if _CORRELATION_ID.match(offered) else uuid.uuid4().hex
        method: str = scope.get("method", "GET")
        parent = extract_context(headers)
        span = tracer().start_span(method, context=parent, kind=SpanKind.SERVER)
        span_token = otel_context.attach(trace.set_span_in_context(span, parent))
        status = 500
        started = time.perf_counter()

        async def send_with_context(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-correlation-id", correlation_id.encode("ascii")),
                ]
            await send(message)

        try:
            with message_context(correlation_id=correlation_id, traceparent=current_traceparent()):
                try:
                    await self.app(scope, receive, send_with_context)
                finally:
                    self._record(scope, span, method, status, time.perf_counter() - started)
        finally:
            span.end()
            otel_context.detach(span_token)

    def _record(
        self, scope: Scope, span: trace.Span, method: str, status: int, seconds: float
    ) -> None:
        route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
        observe_request(self.service_name, method, route, status, seconds)
        span.update_name(f"{method} {route}")
        span.set_attribute("http.request.method", method)
        span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        path: str = scope.get("path", "")
        level = logging.DEBUG if path in _QUIET_PATHS else logging.INFO
        if access_logger.isEnabledFor(level):
            access_logger.log(
                level,
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "path": path[:256],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )


def _fastapi_kwargs() -> dict[str, Any]:
    # FastAPI >= 0.16x can trace by itself; one owner of the server span is enough (ours, above).
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters:
        return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    return {}


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    lifespan: Lifespan | None = None,
    token_verifier: TokenVerifier | None = None,
    tenant_resolver: TenantResolver | None = None,
    idempotency_store: IdempotencyStore | None = None,
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """The FastAPI app of a service with the runtime's error model, guards and endpoints.

    `lifespan` is the service's own (create clients, register readiness checks with
    `readiness(app).add(...)`, set `app.state.idempotency_store`). Without `token_verifier` one is
    built from settings (JWKS at `settings.jwks_url`, fetched on first use). Without
    `tenant_resolver`, an in-memory one that knows no host and accepts any `X-Tenant-Id`.
    """
    configure_tracing(settings.service_name)
    verifier = token_verifier or TokenVerifier.from_settings(settings)

    @asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            await verifier.aclose()

    app = FastAPI(
        title=title,
        version=version,
        lifespan=app_lifespan,
        dependencies=[Depends(require_json_content_type)],
        **_fastapi_kwargs(),
    )
    app.state.settings = settings
    app.state.token_verifier = verifier
    app.state.tenant_resolver = tenant_resolver or InMemoryTenantResolver()
    checks = readiness(app)
    for name, check in (readiness_checks or {}).items():
        checks.add(name, check)

    install_error_handlers(app)
    install_idempotency(app, idempotency_store)
    # add_middleware puts each new one outside the previous: listed innermost first.
    app.add_middleware(ProblemMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RequestGuardMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, service_name=settings.service_name)

    # API routes (not bare Starlette ones) so metrics and logs see their route template.
    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/metrics", metrics_endpoint(), methods=["GET"], include_in_schema=False)
    for router in routers:
        app.include_router(router)
    return app
