"""Access tokens: verification against tenancy's JWKS, FastAPI dependencies, tenant resolution.

Token profile (RFC 9068 style), checked in this order; any failure is a 401 problem:

- JOSE header: `alg` equal to the pinned `settings.jwt_algorithm` (EdDSA) - compared *before* any
  key is looked up, so `none`, `HS256` signed with the public key, or `RS256` are refused whatever
  key would verify them; `typ` = `at+jwt` (the access-token type; refresh and ID tokens are other
  types and are never accepted as access tokens); `kid` present.
- The key comes from the JWKS by `kid`; only keys whose algorithm is the pinned one are kept.
- Signature, `exp` (required), `iat`, `iss`, `aud`, with 30 s leeway.
- Claims: `sub`, `kind` ("staff" | "customer" | "platform"), `tid` (tenant id, required unless
  platform), `roles`, `perms` (permission codes of the seeds' RBAC, e.g. `orders.view`; `*` grants
  all, `orders.*` all of a module), optional `jti`.

The tenant of an authenticated call is the token's `tid`, and nothing else: `X-Tenant-Id` and
`Host` are ignored when a token names a tenant, and no tenant is ever read from a body. Anonymous
storefront calls name their tenant by `X-Tenant-Id` or by `Host` through a `TenantResolver`.

`TokenIssuer` signs tokens with an Ed25519 key and publishes the JWKS: tenancy uses it to issue real
tokens, tests use it to mint good and bad ones.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from jwt.algorithms import OKPAlgorithm
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shop_runtime.context import tenant_id_var
from shop_runtime.errors import ProblemError
from shop_runtime.settings import ServiceSettings

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
MAX_TOKEN_CHARS = 8192
TENANT_HEADER = "X-Tenant-Id"

logger = logging.getLogger("shop_runtime.auth")

Kind = Literal["staff", "customer", "platform"]


class AuthenticationError(ProblemError):
    """401 with the challenge RFC 6750 asks for."""

    def __init__(self, detail: str, *, invalid_token: bool = True) -> None:
        challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
        super().__init__(
            401,
            "unauthorized",
            detail=detail,
            headers={"WWW-Authenticate": challenge},
        )


class Principal(BaseModel):
    """Who is calling, as the verified token says."""

    model_config = ConfigDict(frozen=True)

    subject: str
    kind: Kind
    tenant_id: uuid.UUID | None
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    token_id: str | None = None
    expires_at: datetime

    def has_permission(self, permission: str) -> bool:
        if "*" in self.permissions or permission in self.permissions:
            return True
        module = permission.split(".", 1)[0]
        return f"{module}.*" in self.permissions


class _AccessClaims(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sub: str = Field(min_length=1, max_length=255)
    kind: Kind
    tid: uuid.UUID | None = None
    roles: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=100)
    perms: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=500)
    jti: str | None = Field(default=None, max_length=255)
    exp: int

    @model_validator(mode="after")
    def _tenant_required(self) -> _AccessClaims:
        if self.kind != "platform" and self.tid is None:
            raise ValueError("tid is required for staff and customer tokens")
        return self


# ------------------------------------------------------------------------------------------------
# Keys


class KeySource(Protocol):
    async def get_key(self, kid: str) -> jwt.PyJWK: ...


class UnknownKeyError(Exception):
    pass


class KeysUnavailableError(Exception):
    pass


def _parse_jwks(document: Any, algorithm: str) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    for entry in document["keys"]:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(dict(entry), algorithm=entry.get("alg"))
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            continue
        # A key of another algorithm is dropped: the pinned algorithm alone decides what verifies.
        if key.algorithm_name != algorithm:
            continue
        keys[entry["kid"]] = key
    return keys


class JwksClient:
    """Keys of a JWKS URL cached by `kid`.

    Refetched when the TTL has passed, or when a token names an unknown `kid` (a key rotation),
    but no more often than `min_refresh_interval_seconds`, so a flood of tokens with random `kid`s
    cannot turn into a flood of requests to tenancy. Concurrent misses share one fetch. When a
    refresh fails the previous keys stay in use; with no keys at all verification answers 503.
    """

    def __init__(
        self,
        url: str,
        *,
        algorithm: str = "EdDSA",
        http_client: httpx.AsyncClient | None = None,
        ttl_seconds: float = 300.0,
        min_refresh_interval_seconds: float = 30.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.algorithm = algorithm
        self.ttl_seconds = ttl_seconds
        self.min_refresh_interval_seconds = min_refresh_interval_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._client = http_client
        self._owns_client = http_client is None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    async def get_key(self, kid: str) -> jwt.PyJWK:
        now = self._clock()
        fresh = self._fetched_at is not None and now - self._fetched_at < self.ttl_seconds
        if fresh and kid in self._keys:
            return self._keys[kid]
        if self._may_refresh(now):
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            if not self._keys:
                raise KeysUnavailableError(self.url)
            raise UnknownKeyError(kid)
        return key

    def _may_refresh(self, now: float) -> bool:
        return (
            self._attempted_at is None
            or now - self._attempted_at >= self.min_refresh_interval_seconds
        )

    async def _refresh(self) -> None:
        started = self._attempted_at
        async with self._lock:
            if self._attempted_at != started:
                return  # another request refreshed while this one waited
            self._attempted_at = self._clock()
            try:
                client = self._http()
                response = await client.get(self.url, timeout=self._timeout)
                response.raise_for_status()
                if len(response.content) > 256 * 1024:
                    raise ValueError("JWKS document too large")
                keys = _parse_jwks(response.json(), self.algorithm)
            except (httpx.HTTPError, ValueError) as exc:
                logger.warning("JWKS fetch from %s failed: %s", self.url, type(exc).__name__)
                return
            self.fetch_count += 1
            self._keys = keys
            self._fetched_at = self._attempted_at

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None


# ------------------------------------------------------------------------------------------------
# Verification


class TokenVerifier:
    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        algorithm: str = "EdDSA",
        leeway_seconds: float = 30.0,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.algorithm = algorithm
        self.leeway_seconds = leeway_seconds

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, *, http_client: httpx.AsyncClient | None = None
    ) -> TokenVerifier:
        jwks = JwksClient(
            settings.jwks_url, algorithm=settings.jwt_algorithm, http_client=http_client
        )
        return cls(
            jwks,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            algorithm=settings.jwt_algorithm,
        )

    async def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthenticationError("The token is too large.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError("The token is malformed.") from None
        if header.get("alg") != self.algorithm:
            raise AuthenticationError("The token's algorithm is not accepted.")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in {ACCESS_TOKEN_TYPE, "application/at+jwt"}:
            raise AuthenticationError("The token is not an access token.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("The token names no key.")
        try:
            key = await self.keys.get_key(kid)
        except UnknownKeyError:
            raise AuthenticationError("The token's key is unknown.") from None
        except KeysUnavailableError:
            raise ProblemError(
                503,
                "auth_unavailable",
                detail="Token keys are unavailable; retry later.",
                headers={"Retry-After": "5"},
            ) from None
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("The token has expired.") from None
        except jwt.PyJWTError:
            raise AuthenticationError("The token is invalid.") from None
        try:
            parsed = _AccessClaims.model_validate(claims)
        except ValidationError:
            raise AuthenticationError("The token's claims are invalid.") from None
        return Principal(
            subject=parsed.sub,
            kind=parsed.kind,
            tenant_id=parsed.tid,
            roles=frozenset(parsed.roles),
            permissions=frozenset(parsed.perms),
            token_id=parsed.jti,
            expires_at=datetime.fromtimestamp(parsed.exp, tz=UTC),
        )

    async def aclose(self) -> None:
        closer = getattr(self.keys, "aclose", None)
        if closer is not None:
            await closer()


# ------------------------------------------------------------------------------------------------
# Tenant resolution for anonymous calls


class TenantResolver(Protocol):
    """Maps a storefront's domain to its tenant; tenancy provides the real one (cached in Redis)."""

    async def tenant_for_host(self, host: str) -> uuid.UUID | None: ...

    async def is_active(self, tenant_id: uuid.UUID) -> bool: ...


class InMemoryTenantResolver:
    """Hosts from a dict. With `active=None` every well-formed tenant id is accepted (until tenancy
    publishes its tenants); otherwise only the listed ones and the hosts' tenants."""

    def __init__(
        self,
        hosts: Mapping[str, uuid.UUID] | None = None,
        active: Iterable[uuid.UUID] | None = None,
    ) -> None:
        self._hosts = {normalize_host(h): t for h, t in (hosts or {}).items()}
        self._active = None if active is None else set(active) | set(self._hosts.values())

    def add_host(self, host: str, tenant_id: uuid.UUID) -> None:
        self._hosts[normalize_host(host)] = tenant_id
        if self._active is not None:
            self._active.add(tenant_id)

    async def tenant_for_host(self, host: str) -> uuid.UUID | None:
        return self._hosts.get(normalize_host(host))

    async def is_active(self, tenant_id: uuid.UUID) -> bool:
        return self._active is None or tenant_id in self._active


def normalize_host(host: str) -> str:
    """`Shop.Example.com.:443` -> `shop.example.com`: ports and the root dot are not the domain."""
    host = host.strip().lower()
    if host.startswith("["):  # IPv6 literal
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


# ------------------------------------------------------------------------------------------------
# FastAPI dependencies


def _verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("no TokenVerifier on app.state.token_verifier (see create_app)")
    return verifier


def _resolver(request: Request) -> TenantResolver:
    resolver: TenantResolver | None = getattr(request.app.state, "tenant_resolver", None)
    if resolver is None:
        raise RuntimeError("no TenantResolver on app.state.tenant_resolver (see create_app)")
    return resolver


def _set_tenant(request: Request, tenant_id: uuid.UUID) -> None:
    request.state.tenant_id = tenant_id
    tenant_id_var.set(tenant_id)


async def optional_principal(request: Request) -> Principal | None:
    """The verified caller, or None without an Authorization header. A bad token is still a 401."""
    authorization = request.headers.get("authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("Use a Bearer token.", invalid_token=False)
    principal = await _verifier(request).verify(token)
    request.state.principal = principal
    if principal.tenant_id is not None:
        _set_tenant(request, principal.tenant_id)
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


async def current_principal(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise AuthenticationError("Authentication is required.", invalid_token=False)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_permission(*permissions: str) -> DependsParam:
    """`Depends` that yields the principal if it holds every one of `permissions`, else 403.

    Use as `principal: Annotated[Principal, require_permission("orders.view")]` or in a route's
    `dependencies=[require_permission("orders.view")]`.
    """

    async def check(principal: CurrentPrincipal) -> Principal:
        missing = [p for p in permissions if not principal.has_permission(p)]
        if missing:
            raise ProblemError(
                403, "forbidden", detail="Missing permission: " + ", ".join(sorted(missing))
            )
        return principal

    depends: DependsParam = Depends(check)
    return depends


async def current_tenant(request: Request, principal: OptionalPrincipal) -> uuid.UUID:
    """The tenant of the call: the token's, else (anonymous) `X-Tenant-Id`, else the `Host` domain.

    Platform principals (no `tid`) act on the tenant they name in `X-Tenant-Id`.
    """
    if principal is not None and principal.tenant_id is not None:
        return principal.tenant_id  # the token wins; headers are not even read
    header = request.headers.get(TENANT_HEADER)
    resolver = _resolver(request)
    tenant_id: uuid.UUID | None
    if header is not None:
        try:
            tenant_id = uuid.UUID(header.strip())
        except ValueError:
            raise ProblemError(
                400, "invalid_tenant_id", detail=f"{TENANT_HEADER} must be a UUID."
            ) from None
        if not await resolver.is_active(tenant_id):
            raise ProblemError(404, "tenant_not_found", detail="Unknown tenant.")
    elif principal is not None:
        raise ProblemError(400, "tenant_required", detail=f"Name the tenant in {TENANT_HEADER}.")
    else:
        host = request.headers.get("host", "")
        tenant_id = await resolver.tenant_for_host(host) if host else None
        if tenant_id is None:
            raise ProblemError(
                404, "tenant_not_found", detail="No store is served at this address."
            )
    _set_tenant(request, tenant_id)
    return tenant_id


CurrentTenant = Annotated[uuid.UUID, Depends(current_tenant)]


# ------------------------------------------------------------------------------------------------
# Issuing


class TokenIssuer:
    """Signs access tokens with Ed25519 and publishes the matching JWKS.

    `rotate()` starts signing with a new key while the JWKS keeps the previous public keys (up to
    `keep_previous`) so tokens signed just before a rotation still verify until they expire.
    """

    algorithm = "EdDSA"

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        private_key: Ed25519PrivateKey | None = None,
        kid: str | None = None,
        default_ttl: timedelta = timedelta(minutes=15),
        keep_previous: int = 2,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.default_ttl = default_ttl
        self.keep_previous = keep_previous
        self._key = private_key or Ed25519PrivateKey.generate()
        self.kid = kid or uuid.uuid4().hex
        self._previous: list[tuple[str, Ed25519PrivateKey]] = []

    @classmethod
    def from_settings(cls, settings: ServiceSettings, **kwargs: Any) -> TokenIssuer:
        return cls(issuer=settings.jwt_issuer, audience=settings.jwt_audience, **kwargs)

    @classmethod
    def from_pem(
        cls, pem: bytes, *, issuer: str, audience: str, kid: str, **kwargs: Any
    ) -> TokenIssuer:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(issuer=issuer, audience=audience, private_key=key, kid=kid, **kwargs)

    def private_key_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_key_pem(self) -> bytes:
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def rotate(self) -> str:
        self._previous.insert(0, (self.kid, self._key))
        del self._previous[self.keep_previous :]
        self._key = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex
        return self.kid

    def issue(
        self,
        *,
        subject: str,
        tenant_id: uuid.UUID | None,
        kind: Kind = "staff",
        roles: Sequence[str] = (),
        permissions: Sequence[str] = (),
        ttl: timedelta | None = None,
        token_id: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> str:
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "kind": kind,
            "roles": list(roles),
            "perms": list(permissions),
            "iat": int(issued.timestamp()),
            "exp": int((issued + (ttl or self.default_ttl)).timestamp()),
            "jti": token_id or uuid.uuid4().hex,
        }
        if tenant_id is not None:
            claims["tid"] = str(tenant_id)
        claims.update(extra_claims or {})
        headers: dict[str, Any] = {"kid": self.kid, "typ": ACCESS_TOKEN_TYPE}
        headers.update(extra_headers or {})
        return jwt.encode(claims, self._key, algorithm=self.algorithm, headers=headers)

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in [(self.kid, self._key), *self._previous]:
            jwk = OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
            jwk.update({"kid": kid, "use": "sig", "alg": self.algorithm})
            keys.append(jwk)
        return {"keys": keys}

    async def get_key(self, kid: str) -> jwt.PyJWK:
        """KeySource over this issuer's own keys (in-process verification, tests)."""
        for entry in self.jwks()["keys"]:
            if entry["kid"] == kid:
                return jwt.PyJWK(entry)
        raise UnknownKeyError(kid)
