"""The projector's routing: storage, tenant deletion, contract validation (with a fake sink).

The fake keeps the sink's contract (one row per (tenant_id, event_id), deleted tenants refused), so
these tests describe the behaviour the ClickHouse sink is held to in the integration tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from analytics.adapters.schema import ROLLUP_EVENT_TYPES
from analytics.application.ports import InsertOutcome
from analytics.application.projector import AnalyticsProjector
from shop_contracts import Envelope

if TYPE_CHECKING:
    from conftest import Envelopes


class FakeSink:
    def __init__(self) -> None:
        self.rows: dict[tuple[UUID, UUID], Envelope] = {}
        self.deleted: set[UUID] = set()
        self.delete_calls: list[UUID] = []

    def insert_events(self, envelopes: Sequence[Envelope]) -> InsertOutcome:
        inserted = duplicates = dropped = 0
        for env in envelopes:
            key = (env.tenant_id, env.event_id)
            if env.tenant_id in self.deleted:
                dropped += 1
            elif key in self.rows:
                duplicates += 1
            else:
                self.rows[key] = env
                inserted += 1
        return InsertOutcome(inserted, duplicates, dropped)

    def delete_tenant(self, tenant_id: UUID) -> None:
        self.delete_calls.append(tenant_id)
        self.deleted.add(tenant_id)
        self.rows = {k: v for k, v in self.rows.items() if k[0] != tenant_id}


def projector() -> tuple[AnalyticsProjector, FakeSink]:
    sink = FakeSink()
    return AnalyticsProjector(sink, ROLLUP_EVENT_TYPES), sink


async def test_every_event_is_stored_once(envelopes: Envelopes) -> None:
    proj, sink = projector()
    tenant = uuid4()
    batch = [envelopes.order_confirmed(tenant, "1.00", "EUR"), envelopes.page_viewed(tenant)]
    # An event type no contract knows yet is stored too: the store keeps the whole history.
    unknown = batch[1].model_copy(update={"event_id": uuid4(), "event_type": "future.thing"})
    first = await proj.apply([*batch, unknown])
    again = await proj.apply(batch)
    assert (first.inserted, again.inserted, again.duplicates) == (3, 0, 2)
    assert len(sink.rows) == 3


async def test_tenant_deleted_erases_the_tenant_after_the_batchs_inserts(
    envelopes: Envelopes,
) -> None:
    proj, sink = projector()
    doomed, other = uuid4(), uuid4()
    deletion = envelopes.tenant_deleted(doomed)
    result = await proj.apply(
        [envelopes.page_viewed(doomed), deletion, deletion, envelopes.page_viewed(other)]
    )
    assert result.tenants_deleted == (doomed,)
    assert sink.delete_calls == [doomed]
    assert {k[0] for k in sink.rows} == {other}  # the deletion event itself is not stored
    late = await proj.apply([envelopes.page_viewed(doomed)])
    assert late.dropped_deleted_tenant == 1


async def test_malformed_rollup_events_are_rejected_without_their_values(
    envelopes: Envelopes,
) -> None:
    proj, sink = projector()
    tenant = uuid4()
    good = envelopes.order_confirmed(tenant, "5.00", "EUR")
    secret = "4111111111111111"
    bad = good.model_copy(
        update={"event_id": uuid4(), "payload": {**good.payload, "lines": secret}}
    )
    result = await proj.apply([bad, good])
    assert result.inserted == 1 and list(sink.rows) == [(tenant, good.event_id)]
    assert len(result.rejected) == 1 and result.rejected[0].envelope is bad
    assert "lines" in result.rejected[0].error and secret not in result.rejected[0].error
