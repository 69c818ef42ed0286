"""Health, readiness, metrics, correlation ids, trace context (HTTP and Kafka) and JSON logs."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import httpx
from opentelemetry import trace
from shop_runtime.health import readiness
from shop_runtime.logging import configure_logging
from shop_runtime.telemetry import (
    attached,
    context_from_kafka_headers,
    context_from_traceparent,
    current_traceparent,
    kafka_headers_with_trace,
    tracer,
)

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
INCOMING = f"00-{TRACE_ID}-b7ad6b7169203331-01"


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_readyz_runs_registered_checks(app, client: httpx.AsyncClient, problem) -> None:
    calls: list[str] = []

    async def db_ping() -> None:
        calls.append("db")

    readiness(app).add("postgres", db_ping)
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"postgres": "ok"}}
    assert calls == ["db"]

    async def kafka_down() -> None:
        raise ConnectionError("broker unreachable")

    async def hangs() -> None:
        await asyncio.sleep(60)

    checks = readiness(app)
    checks.timeout_seconds = 0.1
    checks.add("kafka", kafka_down)
    checks.add("opensearch", hangs)
    r = await client.get("/readyz")
    body = problem(r, 503, "not_ready")
    assert body["checks"] == {"postgres": "ok", "kafka": "failed", "opensearch": "timeout"}
    assert "broker unreachable" not in r.text  # causes are logged, not published

    checks.remove("kafka")
    checks.remove("opensearch")
    assert (await client.get("/readyz")).status_code == 200


async def test_metrics_by_route_template_and_status(client: httpx.AsyncClient) -> None:
    await client.post("/items", json={"name": "a", "qty": 1})
    await client.get("/items/0b5f6a3e-9a59-4c55-9a4e-6f1d4f1e7c1a")  # 404 on a templated route
    await client.get("/no/such/path")
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'route="/items",service="httptest",status="201"' in text
    assert 'route="/items/{item_id}",service="httptest",status="404"' in text
    assert 'route="<unmatched>",service="httptest",status="404"' in text
    assert "/no/such/path" not in text  # raw paths never become labels


async def test_correlation_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    r = await client.get("/trace", headers={"x-correlation-id": "req-123:abc"})
    assert r.headers["x-correlation-id"] == "req-123:abc"
    assert r.json()["correlation_id"] == "req-123:abc"

    generated = (await client.get("/trace")).headers["x-correlation-id"]
    assert len(generated) == 32

    # Junk (spaces, newlines for log injection, overlong) is replaced, not propagated.
    for junk in ["has space", "x" * 200, "a\tb"]:
        r = await client.get("/trace", headers={"x-correlation-id": junk})
        assert r.headers["x-correlation-id"] != junk
        assert r.json()["correlation_id"] == r.headers["x-correlation-id"]


async def test_problem_responses_carry_the_correlation_id(client: httpx.AsyncClient) -> None:
    r = await client.post("/boom", headers={"x-correlation-id": "corr-1"})
    assert r.status_code == 500
    assert r.headers["x-correlation-id"] == "corr-1"


async def test_incoming_traceparent_continues_the_trace(client: httpx.AsyncClient) -> None:
    r = await client.get("/trace", headers={"traceparent": INCOMING})
    seen = r.json()["traceparent"]
    assert seen.split("-")[1] == TRACE_ID  # same trace
    assert seen.split("-")[2] != "b7ad6b7169203331"  # a new (server) span within it


async def test_a_trace_is_started_without_traceparent(client: httpx.AsyncClient) -> None:
    seen = (await client.get("/trace")).json()["traceparent"]
    assert seen is not None and seen.startswith("00-")


def test_kafka_headers_round_trip_the_trace() -> None:
    with tracer().start_as_current_span("relay"):
        headers = kafka_headers_with_trace([("event_type", b"orders.order_placed")])
        sent = current_traceparent()
    assert ("event_type", b"orders.order_placed") in headers
    ctx = context_from_kafka_headers(headers)
    with attached(ctx):
        assert current_traceparent() == sent
    span_context = trace.get_current_span(ctx).get_span_context()
    assert format(span_context.trace_id, "032x") == sent.split("-")[1]


def test_kafka_headers_from_an_envelope_traceparent_replace_stale_ones() -> None:
    ctx = context_from_traceparent(INCOMING)
    headers = kafka_headers_with_trace([("traceparent", b"00-stale-stale-01")], context=ctx)
    assert [v for k, v in headers if k == "traceparent"] == [INCOMING.encode()]


def test_context_from_garbage_kafka_headers_is_empty() -> None:
    ctx = context_from_kafka_headers([("traceparent", b"\xff\xfe"), ("other", b"x")])
    assert not trace.get_current_span(ctx).get_span_context().is_valid
    assert not trace.get_current_span(context_from_kafka_headers(None)).get_span_context().is_valid


async def test_logs_are_json_with_request_context(
    client: httpx.AsyncClient, issuer, capsys
) -> None:
    configure_logging("httptest", "INFO")
    try:
        token = issuer.issue(
            subject="u1",
            tenant_id=uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001"),
        )
        await client.get(
            "/me",
            headers={
                "authorization": f"Bearer {token}",
                "x-correlation-id": "corr-log-1",
                "traceparent": INCOMING,
            },
        )
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    finally:
        logging.getLogger().handlers = []
    access = [line for line in lines if line.get("event") == "request" and line["route"] == "/me"]
    assert access, lines
    entry = access[-1]
    assert entry["service"] == "httptest"
    assert entry["correlation_id"] == "corr-log-1"
    assert entry["tenant_id"] == "aaaaaaaa-0000-4000-8000-000000000001"
    assert entry["trace_id"] == TRACE_ID
    assert entry["status"] == 200
    assert entry["level"] == "info"
