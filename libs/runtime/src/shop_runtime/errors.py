"""RFC 9457 problem details: the one error shape every service answers with.

A problem carries a stable machine `code` beside the standard members, and `errors[]` for invalid
input. Three ways in:

- raise `ProblemError(status, code, title, ...)` anywhere in a request;
- raise a domain error: any exception whose class has `status: int` and `code: str` (the domain
  layer needs no HTTP import; `str(exc)` becomes the detail, so it must not hold secrets);
- anything else becomes a logged 500 whose body says nothing about the cause.

`ProblemMiddleware` (pure ASGI, installed by `create_app` just outside FastAPI's own exception
middleware) is what turns exceptions into problems, so nothing escapes to the server as a traceback
and every outer layer (idempotency recording, metrics, access log) sees the final status.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are URNs: stable identifiers that do not pretend to be a documentation page.
PROBLEM_TYPE_PREFIX = "urn:shop:problem:"
# A validation error lists at most this many fields: the answer stays small whatever the input.
MAX_FIELD_ERRORS = 20
_MAX_MSG_CHARS = 200

logger = logging.getLogger("shop_runtime.errors")


class FieldError(BaseModel):
    """One invalid input field. The offending value is never echoed back."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details plus a stable `code`; extension members allowed (e.g. `checks`)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raise to answer with a problem; `headers` are added to the response (WWW-Authenticate...)."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str | None = None,
        *,
        detail: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title or code)
        self.status = status
        self.code = code
        self.title = title or _phrase(status)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(
    status: int,
    code: str,
    title: str | None = None,
    *,
    detail: str | None = None,
    instance: str | None = None,
    errors: Sequence[FieldError] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> bytes:
    problem = Problem(
        type=PROBLEM_TYPE_PREFIX + code,
        title=title or _phrase(status),
        status=status,
        code=code,
        detail=detail,
        instance=instance,
        errors=list(errors) if errors is not None else None,
        **dict(extensions or {}),
    )
    return orjson.dumps(problem.model_dump(mode="json", exclude_none=True))


def problem_response(
    status: int,
    code: str,
    title: str | None = None,
    *,
    detail: str | None = None,
    instance: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response:
    body = problem_body(
        status,
        code,
        title,
        detail=detail,
        instance=instance,
        errors=errors,
        extensions=extensions,
    )
    return Response(
        content=body,
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_CONTENT_TYPE,
    )


def response_for_problem(exc: ProblemError, instance: str | None = None) -> Response:
    return problem_response(
        exc.status,
        exc.code,
        exc.title,
        detail=exc.detail,
        instance=instance,
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def send_problem(
    send: Send,
    status: int,
    code: str,
    *,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Answer a problem straight from a pure-ASGI middleware (before any routing happened)."""
    body = problem_body(status, code, detail=detail)
    raw_headers = [
        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def domain_status(exc: BaseException) -> tuple[int, str] | None:
    """(status, code) of a domain error: any exception carrying int `status` and str `code`."""
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    if isinstance(status, int) and not isinstance(status, bool) and isinstance(code, str):
        return (status, code) if 400 <= status <= 599 else None
    return None


def _field_errors(raw: Sequence[Any]) -> list[FieldError]:
    out: list[FieldError] = []
    for err in raw[:MAX_FIELD_ERRORS]:
        if not isinstance(err, Mapping):
            continue
        loc = [p if isinstance(p, int) else str(p)[:64] for p in err.get("loc", ())]
        out.append(
            FieldError(
                loc=loc,
                msg=str(err.get("msg", "invalid"))[:_MAX_MSG_CHARS],
                type=str(err.get("type", "invalid"))[:64],
            )
        )
    return out


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    # FastAPI reports undecodable JSON as a validation error; it is a malformed request (400).
    if any(isinstance(e, Mapping) and e.get("type") == "json_invalid" for e in raw):
        return problem_response(400, "malformed_json", detail="The request body is not valid JSON.")
    return problem_response(
        422,
        "validation_failed",
        "Unprocessable Content",
        detail="The request has invalid fields.",
        errors=_field_errors(raw),
    )


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        406: "not_acceptable",
        409: "conflict",
        413: "payload_too_large",
        415: "unsupported_media_type",
        422: "validation_failed",
        429: "too_many_requests",
    }.get(exc.status_code, "http_error")
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == _phrase(exc.status_code):
        detail = None
    return problem_response(exc.status_code, code, detail=detail, headers=exc.headers)


async def _problem_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return response_for_problem(exc)


async def _last_resort_handler(request: Request, exc: Exception) -> Response:
    # Only reached for failures outside ProblemMiddleware (i.e. in an outer middleware).
    logger.error("unhandled error outside the request pipeline", exc_info=exc)
    return problem_response(500, "internal_error", detail="An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    """Problem responses for FastAPI's own exceptions, ProblemError, and a last-resort 500."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(ProblemError, _problem_handler)
    app.add_exception_handler(Exception, _last_resort_handler)


class ProblemMiddleware:
    """Turns every exception left by the app into a problem response.

    Domain errors (`status`/`code` attributes) keep their status; anything else is logged with its
    traceback and answered 500 without details. If the response had already started there is nothing
    honest left to send, so the connection is left to the server (the error is still logged).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                logger.error("error after the response started", exc_info=exc)
                raise
            response = self._response_for(exc)
            await response(scope, receive, send)

    @staticmethod
    def _response_for(exc: Exception) -> Response:
        if isinstance(exc, ProblemError):
            return response_for_problem(exc)
        known = domain_status(exc)
        if known is not None:
            status, code = known
            if status >= 500:
                logger.error("domain error %s", code, exc_info=exc)
            detail = str(exc) or None
            return problem_response(
                status, code, detail=detail[:_MAX_MSG_CHARS] if detail else None
            )
        logger.error("unhandled error", exc_info=exc)
        return problem_response(500, "internal_error", detail="An unexpected error occurred.")
