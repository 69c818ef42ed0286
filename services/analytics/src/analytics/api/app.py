"""The analytics service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from shop_runtime.http import create_app
from shop_runtime.settings import ServiceSettings

from analytics.api.routes import router
from analytics.application.ports import ClickstreamPublisher
from analytics.application.projector import AnalyticsProjector
from analytics.application.reports import AnalyticsReports


@dataclass
class AnalyticsComponents:
    """What the process opens once (bootstrap resources) and the API and workers share."""

    clickstream: ClickstreamPublisher
    reports: AnalyticsReports | None = None
    projector: AnalyticsProjector | None = None


def create_api(settings: ServiceSettings, components: AnalyticsComponents) -> FastAPI:
    """The app with the runtime's error model, guards, /healthz, /readyz and /metrics."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.reports = components.reports
        app.state.clickstream = components.clickstream
        yield

    return create_app(settings, title="Analytics service", routers=[router], lifespan=lifespan)
