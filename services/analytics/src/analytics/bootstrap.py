"""Wiring of the analytics service: the one place that chooses real or fake adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from shop_runtime.entrypoint import ServiceDefinition, Worker
from shop_runtime.settings import ServiceSettings

from analytics.adapters.clickhouse_client import open_client
from analytics.adapters.clickstream_producer import ClickstreamProducer
from analytics.adapters.events_sink import ClickHouseEventsSink
from analytics.adapters.report_queries import ClickHouseReportQueries
from analytics.adapters.schema import ROLLUP_EVENT_TYPES, apply_schema
from analytics.api.app import AnalyticsComponents, create_api
from analytics.application.projector import AnalyticsProjector
from analytics.application.reports import AnalyticsReports
from analytics.integration.inbound import events_consumer


def build(settings: ServiceSettings) -> ServiceDefinition:
    """The API (clickstream, reports) and the events projector, sharing one ClickHouse client.

    The client is opened in `resources`, once per process: the embedded engine (chDB) admits one
    process per data path, so the API and the projector of this process share it.
    """
    producer = ClickstreamProducer(settings.kafka_servers)
    components = AnalyticsComponents(clickstream=producer)

    @asynccontextmanager
    async def resources() -> AsyncIterator[None]:
        client = open_client(settings)
        try:
            apply_schema(client)
            sink = ClickHouseEventsSink(client)
            components.reports = AnalyticsReports(ClickHouseReportQueries(client), sink)
            components.projector = AnalyticsProjector(sink, ROLLUP_EVENT_TYPES)
            await producer.start()
            try:
                yield
            finally:
                await producer.stop()
        finally:
            client.close()

    async def run_projector() -> None:
        assert components.projector is not None, "resources() opens the store first"
        consumer = events_consumer(components.projector, settings)
        try:
            await consumer.run()
        finally:
            consumer.stop()

    return ServiceDefinition(
        name="analytics",
        app=create_api(settings, components),
        workers=(Worker(name="events-projector", role="consumer", run=run_projector),),
        resources=resources,
    )
