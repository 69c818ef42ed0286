"""W3C trace context across HTTP and Kafka, through OpenTelemetry's propagators.

`configure_tracing` installs an SDK TracerProvider once per process, with no exporter: spans exist
(so trace ids reach logs and event envelopes) but nothing leaves the machine. An exporter can be
added later by passing a span processor.

The same helpers serve both carriers: HTTP headers (a str mapping) and Kafka headers
(`list[tuple[str, bytes]]`, the shape aiokafka takes and returns).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from shop_runtime.context import traceparent_var

TRACE_HEADERS = ("traceparent", "tracestate")
_lock = threading.Lock()
_configured = False


def configure_tracing(service_name: str, *, processors: Sequence[SpanProcessor] = ()) -> None:
    """Install the process's TracerProvider (first call wins; later calls are no-ops)."""
    global _configured
    with _lock:
        if _configured:
            return
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        for processor in processors:
            provider.add_span_processor(processor)
        trace.set_tracer_provider(provider)
        _configured = True


def tracer() -> trace.Tracer:
    return trace.get_tracer("shop_runtime")


def inject_headers(
    carrier: MutableMapping[str, str] | None = None, context: Context | None = None
) -> dict[str, str]:
    """Headers (`traceparent`, `tracestate`, ...) describing `context` (default: current)."""
    out: dict[str, str] = dict(carrier or {})
    propagate.inject(out, context=context)
    return out


def extract_context(headers: Mapping[str, str]) -> Context:
    """A context whose parent span is the one the headers name (an empty context if none)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return propagate.extract(lowered, context=Context())


def context_from_traceparent(traceparent: str | None, tracestate: str | None = None) -> Context:
    """Context from an envelope's stored `traceparent` (e.g. relaying an event from the log)."""
    headers: dict[str, str] = {}
    if traceparent:
        headers["traceparent"] = traceparent
        if tracestate:
            headers["tracestate"] = tracestate
    return extract_context(headers)


def current_traceparent(context: Context | None = None) -> str | None:
    """The `traceparent` of the current span (None when there is no valid span)."""
    return inject_headers(context=context).get("traceparent")


def kafka_headers_with_trace(
    headers: Iterable[tuple[str, bytes]] = (), context: Context | None = None
) -> list[tuple[str, bytes]]:
    """Kafka headers plus the trace headers of `context` (default: current), replacing old ones."""
    trace_headers = inject_headers(context=context)
    kept = [(k, v) for k, v in headers if k.lower() not in trace_headers]
    return kept + [(k, v.encode("ascii")) for k, v in trace_headers.items()]


def context_from_kafka_headers(headers: Sequence[tuple[str, bytes]] | None) -> Context:
    """The context a consumed message's headers carry. Undecodable values are ignored."""
    text: dict[str, str] = {}
    for key, value in headers or ():
        if key.lower() in TRACE_HEADERS or key.lower() == "baggage":
            try:
                text[key.lower()] = value.decode("ascii")
            except (UnicodeDecodeError, AttributeError):
                continue
    return extract_context(text)


@contextmanager
def attached(context: Context) -> Iterator[None]:
    """Make `context` current (e.g. while handling a Kafka message), mirrored in traceparent_var."""
    token = otel_context.attach(context)
    tp_token = traceparent_var.set(current_traceparent())
    try:
        yield
    finally:
        traceparent_var.reset(tp_token)
        otel_context.detach(token)
