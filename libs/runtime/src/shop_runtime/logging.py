"""Structured JSON logs on stdout, one object per line.

Every line carries the service name and, when known, the tenant, correlation id and trace/span ids
of the work in progress: they are read from `shop_runtime.context` and the current OpenTelemetry
span at the moment of logging, so nothing has to be bound by hand. Records of the standard library
(uvicorn, sqlalchemy, aiokafka...) go through the same processors and come out as the same JSON.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog
from opentelemetry import trace

from shop_runtime.context import causation_id_var, correlation_id_var, tenant_id_var

_CONTEXT_VARS = (
    ("tenant_id", tenant_id_var),
    ("correlation_id", correlation_id_var),
    ("causation_id", causation_id_var),
)


def _add_request_context(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, var in _CONTEXT_VARS:
        value = var.get()
        if value is not None:
            event_dict.setdefault(key, str(value))
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict.setdefault("trace_id", format(span_context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(span_context.span_id, "016x"))
    return event_dict


def _drop_color_message(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # uvicorn adds an ANSI-coloured duplicate of its message for terminals.
    event_dict.pop("color_message", None)
    return event_dict


def _serializer(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default).decode()


def configure_logging(service_name: str, level: str | int = "INFO") -> None:
    """Route structlog and the standard library to JSON lines on stdout. Safe to call again."""
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        numeric = logging.INFO

    def add_service(
        _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event_dict.setdefault("service", service_name)
        return event_dict

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_service,
        _add_request_context,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Records of the standard library: their `extra={...}` fields become JSON fields too.
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_color_message],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_serializer),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    # uvicorn installs its own handlers; let its records reach ours instead, once.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uv_logger = logging.getLogger(name)
        uv_logger.handlers = []
        uv_logger.propagate = True
    # Our access log (shop_runtime.http) replaces uvicorn's.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> Any:
    """A structlog logger (typed loosely: structlog's wrapper class is configurable)."""
    return structlog.get_logger(name)
