"""`Idempotency-Key` for unsafe endpoints: a retried request gets the first response, byte for byte.

Usage in a service:

    @router.post("/checkout", status_code=201)
    async def checkout(body: CheckoutIn, idem: IdempotencyDep) -> OrderOut:
        order_id = idem.derived_id("order")   # same key -> same id, even after a crash
        ...

How it works. The dependency validates the key (1-255 visible ASCII characters, else 400), computes
the request fingerprint (sha256 over the caller's subject and the canonical JSON body: key order and
whitespace do not matter), and claims `(tenant, "METHOD /route/template", key)` in Postgres with
`INSERT ... ON CONFLICT DO NOTHING` in its own short transaction. Then:

- claimed: the handler runs. `IdempotencyMiddleware` (installed by `create_app`) captures the
  response at the ASGI level - status, headers and body exactly as the client would receive them,
  including 4xx problems - stores it (state `done`) *before* sending it, and mirrors it in Redis.
  A 5xx or an exception deletes the claim instead, so a retry runs again.
- already done with the same fingerprint: the stored response is sent again with
  `Idempotent-Replayed: true`; the handler does not run.
- in progress with the same fingerprint (a concurrent duplicate): the request polls until the first
  finishes (bounded by `wait_timeout_seconds`, then 409 `idempotency_key_in_progress`). A claim
  older than `lease` is considered abandoned (its process died) and is taken over.
- any state with another fingerprint: 422 `idempotency_key_reused`.

Postgres is the record; Redis (optional) only fronts finished responses, and any Redis failure falls
back to Postgres. The table is tenant-scoped with forced RLS like every other tenant table.
Because a crash between the handler's commit and the store of its response leaves a retry free to
run the handler again after the lease, handlers derive their ids from the key (`derived_id`), so
that second run hits the aggregate's uniqueness instead of creating a duplicate.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

import orjson
from fastapi import Depends, FastAPI, Request
from redis.asyncio import Redis
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shop_runtime.auth import CurrentTenant, OptionalPrincipal
from shop_runtime.db import tenant_transaction
from shop_runtime.errors import ProblemError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_SLOT_KEY = "shop.idempotency"
# Headers that describe one transfer, not the response: never stored, recomputed on replay.
_UNSTORED_HEADERS = frozenset(
    {b"content-length", b"date", b"server", b"transfer-encoding", b"connection", b"set-cookie"}
)
_ID_NAMESPACE = uuid.UUID("0b5f6a3e-9a59-4c55-9a4e-6f1d4f1e7c1a")

logger = logging.getLogger("shop_runtime.idempotency")

# For a service's migrations: create this table, then `shop_runtime.rls.enable_tenant_rls(op,
# "idempotency_keys")` - it holds tenants' responses, so it gets forced RLS like any tenant table.
idempotency_metadata = MetaData()

idempotency_keys = Table(
    "idempotency_keys",
    idempotency_metadata,
    Column("tenant_id", PG_UUID(as_uuid=True), nullable=False),
    Column("scope", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("state", Text, nullable=False, server_default="in_progress"),
    Column("status", Integer, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("response_headers", JSONB, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant_id", "scope", "key", name="idempotency_keys_pkey"),
    CheckConstraint("state IN ('in_progress', 'done')", name="idempotency_keys_state"),
)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def to_response(self) -> Response:
        response = Response(content=self.body, status_code=self.status)
        response.raw_headers = [
            (b"content-length", str(len(self.body)).encode()),
            *((k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers),
            (REPLAYED_HEADER.lower().encode(), b"true"),
        ]
        return response


class IdempotentReplay(Exception):
    """Raised by the dependency to short-circuit the handler with the stored response."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("idempotent replay")
        self.stored = stored


def _reused() -> ProblemError:
    return ProblemError(
        422,
        "idempotency_key_reused",
        detail="This Idempotency-Key was already used with a different request.",
    )


class IdempotencyStore:
    def __init__(
        self,
        engine: AsyncEngine,
        redis: Redis[bytes] | None = None,
        *,
        wait_timeout_seconds: float = 10.0,
        poll_interval_seconds: float = 0.02,
        # As long as the gateway lets a request run (proxy_read_timeout 60 s): a claim older than
        # that belongs to a request nobody is waiting for, usually one whose process was killed.
        # Taking it over is safe because handlers derive their ids from the key.
        lease: timedelta = timedelta(seconds=60),
        cache_ttl: timedelta = timedelta(hours=24),
    ) -> None:
        self.engine = engine
        self.redis = redis
        self.wait_timeout_seconds = wait_timeout_seconds
        self.poll_interval_seconds = poll_interval_seconds
        self.lease = lease
        self.cache_ttl = cache_ttl

    async def claim(
        self, tenant_id: uuid.UUID, scope: str, key: str, request_hash: str
    ) -> StoredResponse | None:
        """None: the caller owns the key and must `complete` or `release` it. Else: replay this."""
        cached = await self._cache_get(tenant_id, scope, key)
        if cached is not None:
            cached_hash, stored = cached
            if cached_hash != request_hash:
                raise _reused()
            return stored
        deadline = time.monotonic() + self.wait_timeout_seconds
        interval = self.poll_interval_seconds
        while True:
            outcome = await self._try_claim(tenant_id, scope, key, request_hash)
            if outcome is True:
                return None
            if isinstance(outcome, StoredResponse):
                return outcome
            if time.monotonic() >= deadline:
                raise ProblemError(
                    409,
                    "idempotency_key_in_progress",
                    detail="A request with this Idempotency-Key is still being processed.",
                    headers={"Retry-After": "1"},
                )
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, 0.25)

    async def _try_claim(
        self, tenant_id: uuid.UUID, scope: str, key: str, request_hash: str
    ) -> bool | StoredResponse | None:
        """True: claimed. StoredResponse: finished. None: someone else is still on it."""
        params = {"tenant_id": tenant_id, "scope": scope, "key": key, "hash": request_hash}
        async with tenant_transaction(self.engine, tenant_id) as conn:
            inserted = await conn.execute(
                text(
                    "INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, state)"
                    " VALUES (:tenant_id, :scope, :key, :hash, 'in_progress')"
                    " ON CONFLICT DO NOTHING RETURNING 1"
                ),
                params,
            )
            if inserted.first() is not None:
                return True
            row = (
                await conn.execute(
                    text(
                        "SELECT request_hash, state, status, response_body, response_headers,"
                        " created_at < now() - make_interval(secs => :lease) AS abandoned"
                        " FROM idempotency_keys"
                        " WHERE tenant_id = :tenant_id AND scope = :scope AND key = :key"
                    ),
                    {**params, "lease": self.lease.total_seconds()},
                )
            ).first()
            if row is None:
                return None  # released between our insert and select: try again
            if row.request_hash != request_hash:
                raise _reused()
            if row.state == "done":
                stored = StoredResponse(
                    status=row.status,
                    headers=[(k, v) for k, v in row.response_headers],
                    body=bytes(row.response_body),
                )
                await self._cache_put(tenant_id, scope, key, request_hash, stored)
                return stored
            if row.abandoned:
                taken = await conn.execute(
                    text(
                        "UPDATE idempotency_keys SET created_at = now()"
                        " WHERE tenant_id = :tenant_id AND scope = :scope AND key = :key"
                        " AND state = 'in_progress'"
                        " AND created_at < now() - make_interval(secs => :lease)"
                        " RETURNING 1"
                    ),
                    {**params, "lease": self.lease.total_seconds()},
                )
                if taken.first() is not None:
                    logger.warning("took over an abandoned idempotency claim on %s", scope)
                    return True
            return None

    async def complete(
        self,
        tenant_id: uuid.UUID,
        scope: str,
        key: str,
        request_hash: str,
        response: StoredResponse,
    ) -> None:
        async with tenant_transaction(self.engine, tenant_id) as conn:
            await conn.execute(
                text(
                    "UPDATE idempotency_keys SET state = 'done', status = :status,"
                    " response_body = :body, response_headers = CAST(:headers AS jsonb)"
                    " WHERE tenant_id = :tenant_id AND scope = :scope AND key = :key"
                    " AND request_hash = :hash"
                ),
                {
                    "tenant_id": tenant_id,
                    "scope": scope,
                    "key": key,
                    "hash": request_hash,
                    "status": response.status,
                    "body": response.body,
                    "headers": orjson.dumps(response.headers).decode(),
                },
            )
        await self._cache_put(tenant_id, scope, key, request_hash, response)

    async def release(self, tenant_id: uuid.UUID, scope: str, key: str) -> None:
        async with tenant_transaction(self.engine, tenant_id) as conn:
            await conn.execute(
                text(
                    "DELETE FROM idempotency_keys"
                    " WHERE tenant_id = :tenant_id AND scope = :scope AND key = :key"
                    " AND state = 'in_progress'"
                ),
                {"tenant_id": tenant_id, "scope": scope, "key": key},
            )

    # Redis: a cache of finished responses only. It may lose anything at any time.

    @staticmethod
    def _cache_key(tenant_id: uuid.UUID, scope: str, key: str) -> str:
        digest = hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()
        return f"idem:{tenant_id}:{digest}"

    async def _cache_get(
        self, tenant_id: uuid.UUID, scope: str, key: str
    ) -> tuple[str, StoredResponse] | None:
        if self.redis is None:
            return None
        try:
            raw = await self.redis.get(self._cache_key(tenant_id, scope, key))
            if raw is None:
                return None
            data = orjson.loads(raw)
            return data["h"], StoredResponse(
                status=int(data["s"]),
                headers=[(str(k), str(v)) for k, v in data["hd"]],
                body=base64.b64decode(data["b"]),
            )
        except Exception as exc:
            logger.warning("idempotency cache read failed: %s", type(exc).__name__)
            return None

    async def _cache_put(
        self, tenant_id: uuid.UUID, scope: str, key: str, request_hash: str, stored: StoredResponse
    ) -> None:
        if self.redis is None:
            return
        value = orjson.dumps(
            {
                "h": request_hash,
                "s": stored.status,
                "hd": stored.headers,
                "b": base64.b64encode(stored.body).decode(),
            }
        )
        try:
            await self.redis.set(
                self._cache_key(tenant_id, scope, key),
                value,
                ex=int(self.cache_ttl.total_seconds()),
            )
        except Exception as exc:
            logger.warning("idempotency cache write failed: %s", type(exc).__name__)


@dataclass(frozen=True)
class Idempotency:
    """The claimed key of the current request (what the handler receives)."""

    key: str
    scope: str
    tenant_id: uuid.UUID

    def derived_id(self, purpose: str = "") -> uuid.UUID:
        """A UUID that is the same for every retry of this request (e.g. the new order's id)."""
        return uuid.uuid5(
            _ID_NAMESPACE, f"{self.tenant_id}\x00{self.scope}\x00{self.key}\x00{purpose}"
        )


@dataclass
class _Claim:
    store: IdempotencyStore
    tenant_id: uuid.UUID
    scope: str
    key: str
    request_hash: str


@dataclass
class _Slot:
    claim: _Claim | None = field(default=None)


def _valid_key(value: str) -> bool:
    return 0 < len(value) <= MAX_KEY_LENGTH and all("\x21" <= c <= "\x7e" for c in value)


def _fingerprint(subject: str, content_type: str | None, body: bytes) -> str:
    canonical = body
    if body and content_type and "json" in content_type.lower():
        try:
            canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
        except orjson.JSONDecodeError:
            canonical = body
    digest = hashlib.sha256()
    digest.update(subject.encode())
    digest.update(b"\x00")
    digest.update(canonical)
    return digest.hexdigest()


def _store(request: Request) -> IdempotencyStore:
    store = getattr(request.app.state, "idempotency_store", None)
    if not isinstance(store, IdempotencyStore):
        raise RuntimeError("no IdempotencyStore on app.state.idempotency_store")
    return store


async def idempotency(
    request: Request, tenant_id: CurrentTenant, principal: OptionalPrincipal
) -> Idempotency:
    slot = request.scope.get(_SLOT_KEY)
    if not isinstance(slot, _Slot):
        raise RuntimeError("IdempotencyMiddleware is not installed (build the app with create_app)")
    key = request.headers.get(HEADER)
    if key is None:
        raise ProblemError(400, "idempotency_key_required", detail=f"Send an {HEADER} header.")
    if not _valid_key(key):
        raise ProblemError(
            400,
            "invalid_idempotency_key",
            detail=f"{HEADER} must be 1-{MAX_KEY_LENGTH} visible ASCII characters.",
        )
    route = request.scope.get("route")
    template = getattr(route, "path", None) or request.url.path
    scope = f"{request.method} {template}"
    subject = principal.subject if principal is not None else "anonymous"
    request_hash = _fingerprint(subject, request.headers.get("content-type"), await request.body())
    store = _store(request)
    stored = await store.claim(tenant_id, scope, key, request_hash)
    if stored is not None:
        raise IdempotentReplay(stored)
    slot.claim = _Claim(store, tenant_id, scope, key, request_hash)
    return Idempotency(key=key, scope=scope, tenant_id=tenant_id)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]


async def _replay_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    return exc.stored.to_response()


class IdempotencyMiddleware:
    """Holds back the response of a claimed request until it is recorded (see module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        slot = _Slot()
        scope[_SLOT_KEY] = slot
        start: Message | None = None
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if slot.claim is None:
                await send(message)
            elif message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            else:
                await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            if slot.claim is not None:
                await _shielded_release(slot.claim)
            raise
        claim = slot.claim
        if claim is None:
            return
        if start is None:
            await _shielded_release(claim)
            return
        body = b"".join(parts)
        status = int(start["status"])
        if status >= 500:
            await _shielded_release(claim)
        else:
            stored = StoredResponse(
                status=status,
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in start.get("headers", [])
                    if k.lower() not in _UNSTORED_HEADERS
                ],
                body=body,
            )
            try:
                await asyncio.shield(
                    claim.store.complete(
                        claim.tenant_id, claim.scope, claim.key, claim.request_hash, stored
                    )
                )
            except Exception:
                # The effect happened but is not recorded: free the key rather than leave it
                # blocked until the lease expires; handlers' derived ids absorb the retry.
                logger.exception("could not record the idempotent response of %s", claim.scope)
                await _shielded_release(claim)
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})


async def _shielded_release(claim: _Claim) -> None:
    try:
        await asyncio.shield(claim.store.release(claim.tenant_id, claim.scope, claim.key))
    except Exception:
        logger.exception("could not release the idempotency claim of %s", claim.scope)


def install_idempotency(app: FastAPI, store: IdempotencyStore | None = None) -> None:
    """Replay handler (the middleware itself is placed by `create_app`); `store` may be set later
    (`app.state.idempotency_store`), typically in the lifespan once the engine exists."""
    app.add_exception_handler(IdempotentReplay, _replay_handler)
    if store is not None:
        app.state.idempotency_store = store
