"""FastAPI dependencies of the catalog API: the components opened by the process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from shop_runtime.auth import Principal, require_permission

from catalog.application.app import CatalogApp
from catalog.application.queries import StorefrontQueries
from catalog.config import CatalogSettings


@dataclass
class CatalogComponents:
    """What the API and the workers share in one process (opened by bootstrap's resources, or by
    a test)."""

    settings: CatalogSettings
    app: CatalogApp | None = None
    queries: StorefrontQueries | None = None
    postgres_check: Callable[[], Awaitable[None]] | None = None

    def require_app(self) -> CatalogApp:
        if self.app is None:
            raise RuntimeError("the catalog application is not open (bootstrap resources)")
        return self.app

    def require_queries(self) -> StorefrontQueries:
        if self.queries is None:
            raise RuntimeError("the storefront queries are not open (bootstrap resources)")
        return self.queries


def components(request: Request) -> CatalogComponents:
    found: CatalogComponents = request.app.state.components
    return found


Components = Annotated[CatalogComponents, Depends(components)]
Manager = Annotated[Principal, require_permission("catalog.manage")]
