"""What the routes get from the process: the application, its ports, the token keys."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from pydantic import SecretStr
from shop_runtime.auth import TenantResolver, TokenIssuer
from shop_runtime.errors import ProblemError
from shop_runtime.health import ReadinessCheck

from tenancy.application.app import TenancyApp
from tenancy.application.ports import TenantNames, UserQueries

__all__ = ["PlatformAdmin", "Services", "TenancyServices"]


@dataclass
class TenancyServices:
    """Built by the bootstrap once the process's resources are open."""

    app: TenancyApp
    names: TenantNames
    users: UserQueries
    resolver: TenantResolver
    readiness_checks: Mapping[str, ReadinessCheck] = field(default_factory=dict)


def _services(request: Request) -> TenancyServices:
    services = getattr(request.app.state, "services", None)
    if not isinstance(services, TenancyServices):
        raise RuntimeError("tenancy services are not started (see create_api's lifespan)")
    return services


Services = Annotated[TenancyServices, Depends(_services)]


def _issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.token_issuer
    return issuer


Issuer = Annotated[TokenIssuer, Depends(_issuer)]


async def platform_admin(request: Request) -> None:
    """The platform bootstrap secret as a Bearer token, compared in constant time; else 401."""
    expected: SecretStr = request.app.state.platform_admin_token
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    offered = token.strip().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        offered, expected.get_secret_value().encode()
    ):
        raise ProblemError(
            401,
            "unauthorized",
            detail="A platform administrator token is required.",
            headers={"WWW-Authenticate": "Bearer"},
        )


PlatformAdmin = Depends(platform_admin)
