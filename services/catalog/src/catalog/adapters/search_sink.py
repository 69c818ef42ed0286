"""The sink of the search consumer (group ``catalog-search``): envelopes → `SearchProjector`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from shop_contracts import Envelope, Registry
from shop_contracts import registry as default_registry
from shop_contracts.topics import CATALOG_EVENTS, INVENTORY_EVENTS, TENANCY_EVENTS
from shop_runtime.settings import ServiceSettings
from shop_runtime.sink_consumer import Rejected, Sink, SinkConsumer

from catalog.adapters.search_projector import HANDLED_EVENT_TYPES, SearchProjector

__all__ = ["SEARCH_TOPICS", "search_consumer", "search_sink"]

log = logging.getLogger(__name__)

SEARCH_TOPICS = (CATALOG_EVENTS, INVENTORY_EVENTS, TENANCY_EVENTS)


def search_sink(projector: SearchProjector, registry: Registry | None = None) -> Sink:
    """The sink of the search consumer: envelopes whose payload does not decode are rejected
    (DLQ) one by one, the rest applied as one batch (an exception: the whole batch is retried)."""
    known = registry if registry is not None else default_registry

    async def sink(envelopes: Sequence[Envelope]) -> Sequence[Rejected]:
        rejected: list[Rejected] = []
        good: list[Envelope] = []
        for envelope in envelopes:
            handled = envelope.event_type in HANDLED_EVENT_TYPES
            if handled and known.find(envelope.event_type, envelope.event_version) is not None:
                try:
                    known.decode(envelope)
                except Exception as e:  # invalid payload: retrying cannot help
                    rejected.append(Rejected(envelope, f"undecodable payload: {e!r}"[:500]))
                    continue
            good.append(envelope)
        if good:
            report = await projector.apply(good)
            log.debug(
                "search projector: %d events, %d skipped, %d written",
                report.events,
                report.skipped,
                report.written,
            )
        return rejected

    return sink


def search_consumer(
    projector: SearchProjector, settings: ServiceSettings, *, group_id: str = "catalog-search"
) -> SinkConsumer:
    return SinkConsumer(
        search_sink(projector), group_id=group_id, topics=SEARCH_TOPICS, settings=settings
    )
