"""Every business topic and the clickstream, into ClickHouse through the idempotent projector.

The sink deduplicates by ``event_id`` before the rollups see an event (ARCHITECTURE.md §10), so the
at-least-once `SinkConsumer` is enough for exact counts.
"""

from __future__ import annotations

from collections.abc import Sequence

from shop_contracts import Envelope
from shop_contracts.topics import event_topics
from shop_runtime.settings import ServiceSettings
from shop_runtime.sink_consumer import Rejected, SinkConsumer

from analytics.application.projector import AnalyticsProjector

GROUP_ID = "analytics-events"


def events_consumer(projector: AnalyticsProjector, settings: ServiceSettings) -> SinkConsumer:
    async def sink(batch: Sequence[Envelope]) -> Sequence[Rejected]:
        result = await projector.apply(batch)
        return [Rejected(r.envelope, r.error) for r in result.rejected]

    return SinkConsumer(
        sink,
        group_id=GROUP_ID,
        topics=[topic.name for topic in event_topics()],
        settings=settings,
        max_records=5_000,
    )
