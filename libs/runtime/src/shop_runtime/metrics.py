"""Prometheus metrics of the HTTP layer, and the `/metrics` exposition.

The metric objects live in the process's default registry, so the relay, consumers and projectors
of the same process show up on the same `/metrics` page. Labels are bounded: the route is the
template (`/orders/{order_id}`), never the raw path, and unmatched paths share one label.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

UNMATCHED_ROUTE = "<unmatched>"

HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from request start to the last response byte, by route template and status.",
    labelnames=("service", "method", "route", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUEST_DURATION.labels(service, method, route, str(status)).observe(seconds)


def metrics_endpoint(
    registry: CollectorRegistry = REGISTRY,
) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
