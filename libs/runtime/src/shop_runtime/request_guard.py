"""Refuse hostile or broken input before it reaches routing, handlers or the database.

`RequestGuardMiddleware` (pure ASGI) answers with a problem and never calls the app when:

- the body is larger than `max_body_bytes`: announced by Content-Length (refused before reading) or
  counted while streaming (chunked uploads with no length) -> 413;
- Content-Length is not a single non-negative integer -> 400;
- a JSON body does not parse strictly (orjson: no NaN/Infinity, no invalid UTF-8 or lone surrogates,
  nesting under 1024 levels, numbers that fit a double) -> 400 `malformed_json`;
- a JSON string holds U+0000 (`\\u0000`) -> 422 `nul_character`; the query string or path holds
  a NUL (`%00`) -> 422 `nul_character`. PostgreSQL `text` cannot store U+0000: letting it
  through turns into a 500 deep in a handler.

The body is read whole (it is bounded) and replayed to the app as one message, so handlers see
exactly the bytes that were checked.

`require_json_content_type` is the route-level half: a FastAPI dependency, installed app-wide by
`create_app`, that answers 415 when a route taking a JSON body receives another media type.
"""

from __future__ import annotations

import re

import orjson
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shop_runtime.errors import ProblemError, send_problem

# `\u0000` is an escaped NUL only when its backslash is not itself escaped: preceded by an even
# number of backslashes. Outside strings a backslash is invalid JSON: every match is in a string.
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_BODY_METHODS_WITHOUT_CONTENT = frozenset({"GET", "HEAD", "OPTIONS"})


def is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    if not media.startswith("application/"):
        return False
    subtype = media[len("application/") :]
    return subtype == "json" or subtype.endswith("+json")


def _header(scope: Scope, name: bytes) -> list[bytes]:
    return [v for k, v in scope.get("headers", ()) if k.lower() == name]


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        query: bytes = scope.get("query_string", b"")
        if b"\x00" in query or b"%00" in query:
            await send_problem(
                send, 422, "nul_character", detail="The query string contains a NUL character."
            )
            return
        if "\x00" in scope.get("path", ""):
            await send_problem(
                send, 422, "nul_character", detail="The path contains a NUL character."
            )
            return

        lengths = _header(scope, b"content-length")
        declared: int | None = None
        if lengths:
            raw = lengths[0].strip()
            if len(lengths) > 1 or not raw.isdigit():
                await send_problem(send, 400, "bad_request", detail="Invalid Content-Length.")
                return
            declared = int(raw)
            if declared > self.max_body_bytes:
                await send_problem(send, 413, "payload_too_large", detail=self._too_large())
                return

        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk: bytes = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body_bytes:
                await send_problem(send, 413, "payload_too_large", detail=self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)

        content_type = _header(scope, b"content-type")
        if body and content_type and is_json_media_type(content_type[0].decode("latin-1")):
            try:
                orjson.loads(body)
            except orjson.JSONDecodeError:
                await send_problem(
                    send, 400, "malformed_json", detail="The request body is not valid JSON."
                )
                return
            if _ESCAPED_NUL.search(body):
                await send_problem(
                    send, 422, "nul_character", detail="A JSON string contains a NUL character."
                )
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            # After the body: only a disconnect can come (the server's receive blocks until then).
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"The request body exceeds {self.max_body_bytes} bytes."


async def require_json_content_type(request: Request) -> None:
    """415 when the matched route takes a JSON body and the request's body is of another type."""
    route = request.scope.get("route")
    body_field = getattr(route, "body_field", None)
    if body_field is None or request.method in _BODY_METHODS_WITHOUT_CONTENT:
        return
    # Form endpoints (payment provider webhooks, say) declare it; they are not JSON endpoints.
    if type(getattr(body_field, "field_info", None)).__name__ in {"Form", "File"}:
        return
    body = await request.body()
    if not body:
        return
    if not is_json_media_type(request.headers.get("content-type")):
        raise ProblemError(
            415,
            "unsupported_media_type",
            detail="The request body must be application/json.",
            headers={"Accept": "application/json"},
        )
