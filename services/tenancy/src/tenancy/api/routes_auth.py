"""Sign-in, token refresh, the caller's own account, and the JWKS other services verify with."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import anyio
from fastapi import APIRouter
from shop_runtime.auth import CurrentPrincipal, CurrentTenant
from shop_runtime.errors import ProblemError

from tenancy.api.deps import Issuer, Services
from tenancy.api.models import LoginIn, MeOut, RefreshIn, TokensOut
from tenancy.application.app import IssuedTokens
from tenancy.domain.errors import InvalidRefreshToken

log = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])


def _tokens_out(tokens: IssuedTokens) -> TokensOut:
    return TokensOut(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
    )


@router.get("/.well-known/jwks.json")
async def jwks(issuer: Issuer) -> dict[str, Any]:
    """The public keys (Ed25519, by ``kid``) that verify tenancy's access tokens."""
    return issuer.jwks()


@router.post("/auth/login")
async def login(body: LoginIn, tenant_id: CurrentTenant, services: Services) -> TokensOut:
    """Password sign-in to the store named by the token, ``X-Tenant-Id`` or ``Host``."""
    tokens = await anyio.to_thread.run_sync(
        services.app.login, tenant_id, body.email, body.password
    )
    return _tokens_out(tokens)


@router.post("/auth/refresh")
async def refresh(body: RefreshIn, services: Services) -> TokensOut:
    """A new access token and a new refresh token; the presented one is retired."""
    try:
        tokens = await anyio.to_thread.run_sync(services.app.refresh, body.refresh_token)
    except InvalidRefreshToken as exc:
        # One answer whatever the cause (unknown, expired, revoked, reused): the codes are for logs.
        log.info("refresh refused: %s", exc.code)
        raise ProblemError(
            401,
            "invalid_refresh_token",
            detail="The refresh token cannot be used; sign in again.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    return _tokens_out(tokens)


@router.get("/me")
async def me(principal: CurrentPrincipal, services: Services) -> MeOut:
    """The signed-in user's account, roles and permissions."""
    if principal.tenant_id is None:
        raise ProblemError(404, "not_found", detail="Platform tokens have no account here.")
    try:
        user_id = UUID(principal.subject)
    except ValueError:
        raise ProblemError(404, "not_found", detail="No such account.") from None
    view = await anyio.to_thread.run_sync(services.app.me, principal.tenant_id, user_id)
    return MeOut(
        user_id=view.user_id,
        tenant_id=view.tenant_id,
        kind=view.kind,
        email=view.email,
        display_name=view.display_name,
        roles=view.roles,
        permissions=view.permissions,
    )
