"""The analytics store against the real embedded ClickHouse engine (chDB) in a temp directory.

One engine per module (chDB opens one data path per process), one database per test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import orjson
import pytest
from analytics.adapters.clickhouse_client import open_client
from analytics.adapters.events_sink import ClickHouseEventsSink
from analytics.adapters.report_queries import ClickHouseReportQueries
from analytics.adapters.schema import ROLLUP_EVENT_TYPES, apply_schema
from analytics.application.projector import AnalyticsProjector
from analytics.application.reports import AnalyticsReports
from analytics.domain.reports import RevenueDay
from clickhouse_connect.driver.client import Client
from shop_contracts import Envelope
from shop_runtime.settings import ServiceSettings

if TYPE_CHECKING:
    from conftest import Envelopes

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

DAY1 = datetime(2026, 3, 30, 10, 15, 30, 123456, tzinfo=UTC)
DAY2 = datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)
DAY3 = datetime(2026, 4, 1, 0, 0, 0, 1, tzinfo=UTC)  # another month: another partition


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    settings = ServiceSettings(clickhouse_path=str(tmp_path_factory.mktemp("chdb")))
    client = open_client(settings)
    yield client
    # chDB allows one data path per process: release it for the next module.
    client.close()


class Store:
    def __init__(self, client: Client, database: str) -> None:
        self.client = client
        self.db = database
        self.sink = ClickHouseEventsSink(client, database)
        self.queries = ClickHouseReportQueries(client, database)
        self.projector = AnalyticsProjector(self.sink, ROLLUP_EVENT_TYPES)
        self.reports = AnalyticsReports(self.queries, self.sink)

    def scalar(self, sql: str, **parameters: Any) -> Any:
        return self.client.query(sql, parameters=parameters).result_rows[0][0]

    def snapshot(self, tenant_id: UUID) -> tuple[Any, ...]:
        """Everything a duplicate could inflate: raw rows (before any merge) and both rollups."""
        p = {"t": tenant_id}
        return (
            self.scalar(f"SELECT count() FROM {self.db}.events WHERE tenant_id = {{t:UUID}}", **p),
            self.client.query(
                f"SELECT day, currency, orders, units, revenue, refunds, refunded "
                f"FROM {self.db}.revenue_daily WHERE tenant_id = {{t:UUID}} "
                "ORDER BY day, currency, orders, revenue",
                parameters=p,
            ).result_rows,
            self.client.query(
                f"SELECT day, event_type, events FROM {self.db}.event_counts_daily "
                "WHERE tenant_id = {t:UUID} ORDER BY day, event_type, events",
                parameters=p,
            ).result_rows,
        )


@pytest.fixture
def store(client: Client) -> Store:
    database = f"analytics_test_{uuid4().hex[:12]}"
    apply_schema(client, database)
    return Store(client, database)


def test_schema_applies_twice(store: Store) -> None:
    apply_schema(store.client, store.db)
    tables = store.client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name",
        parameters={"db": store.db},
    ).result_rows
    assert {row[0] for row in tables} >= {
        "events",
        "revenue_daily",
        "event_counts_daily",
        "deleted_tenants",
        "revenue_daily_confirmed_mv",
        "event_counts_daily_mv",
    }


async def test_redelivered_and_resent_events_change_nothing(
    store: Store, envelopes: Envelopes
) -> None:
    tenant = uuid4()
    batch = [
        envelopes.order_confirmed(tenant, "10.50", "EUR", (1, 2), occurred_at=DAY1),
        envelopes.order_confirmed(tenant, "99.99", "USD", (3,), occurred_at=DAY1),
        envelopes.page_viewed(tenant, occurred_at=DAY1),
        envelopes.added_to_cart(tenant, occurred_at=DAY2),
    ]
    first = await store.projector.apply(batch)
    assert (first.inserted, first.duplicates) == (4, 0)
    after_first = store.snapshot(tenant)
    assert after_first[0] == 4

    # The consumer redelivers the whole batch (crash before the offset commit)...
    again = await store.projector.apply(batch)
    assert (again.inserted, again.duplicates) == (0, 4)
    # ...and a relay re-sends one event with a new offset, in a batch with a new event and a
    # repeat inside the batch itself.
    newcomer = envelopes.order_confirmed(tenant, "1.00", "EUR", (5,), occurred_at=DAY1)
    resent = Envelope.from_bytes(batch[0].to_bytes())  # as it comes off the wire
    mixed = await store.projector.apply([resent, newcomer, newcomer])
    assert (mixed.inserted, mixed.duplicates) == (1, 2)

    count, revenue, counts = store.snapshot(tenant)
    assert count == 5  # raw rows, before any merge: no duplicate reached the table
    assert sum(r[2] for r in revenue) == 3
    day1_eur = [r for r in revenue if r[0] == DAY1.date() and r[1] == "EUR"]
    assert sum(r[3] for r in day1_eur) == 1 + 2 + 5
    assert sum(r[4] for r in day1_eur) == Decimal("11.50")
    totals: dict[tuple[date, str], int] = {}
    for day, event_type, n in counts:
        totals[(day, event_type)] = totals.get((day, event_type), 0) + n
    assert totals == {
        (DAY1.date(), "analytics.page_viewed"): 1,
        (DAY1.date(), "orders.order_confirmed"): 3,
        (DAY2.date(), "analytics.added_to_cart"): 1,
    }


async def test_revenue_by_day_sums_per_day_and_currency(store: Store, envelopes: Envelopes) -> None:
    tenant = uuid4()
    batch = [
        envelopes.order_confirmed(tenant, "10.00", "EUR", (1,), occurred_at=DAY1),
        envelopes.order_confirmed(tenant, "5.25", "EUR", (2, 2), occurred_at=DAY1),
        envelopes.order_confirmed(tenant, "7.00", "USD", (1,), occurred_at=DAY1),
        envelopes.order_confirmed(tenant, "100", "JPY", (3,), occurred_at=DAY2),
        envelopes.order_confirmed(tenant, "0.125", "KWD", (1,), occurred_at=DAY3),
        envelopes.order_refunded(tenant, "5.25", "EUR", occurred_at=DAY2),
        envelopes.page_viewed(tenant, occurred_at=DAY1),
    ]
    # Two inserts: rows of one key sit in two parts until a merge, and the report must not care.
    await store.projector.apply(batch[:3])
    await store.projector.apply(batch[3:])

    rows = await store.reports.revenue_by_day(tenant, DAY1.date(), DAY3.date())
    assert rows == [
        RevenueDay(DAY1.date(), "EUR", 2, 5, Decimal("15.25"), 0, Decimal("0")),
        RevenueDay(DAY1.date(), "USD", 1, 1, Decimal("7.00"), 0, Decimal("0")),
        RevenueDay(DAY2.date(), "EUR", 0, 0, Decimal("0"), 1, Decimal("5.25")),
        RevenueDay(DAY2.date(), "JPY", 1, 3, Decimal("100"), 0, Decimal("0")),
        RevenueDay(DAY3.date(), "KWD", 1, 1, Decimal("0.125"), 0, Decimal("0")),
    ]
    # The range is inclusive on both ends, and days outside it are left out.
    only_day2 = await store.reports.revenue_by_day(tenant, DAY2.date(), DAY2.date())
    assert [(r.day, r.currency) for r in only_day2] == [(DAY2.date(), "EUR"), (DAY2.date(), "JPY")]

    # After the merges the answer is the same.
    store.client.command(f"OPTIMIZE TABLE {store.db}.revenue_daily FINAL")
    assert await store.reports.revenue_by_day(tenant, DAY1.date(), DAY3.date()) == rows

    counts = await store.reports.event_counts(
        tenant, DAY1.date(), DAY3.date(), event_types=["analytics.page_viewed"]
    )
    assert [(c.day, c.event_type, c.count) for c in counts] == [
        (DAY1.date(), "analytics.page_viewed", 1)
    ]
    assert await store.reports.event_counts(tenant, DAY1.date(), DAY3.date(), event_types=[]) == []


async def test_a_tenant_never_sees_another_tenants_rows(store: Store, envelopes: Envelopes) -> None:
    tenant_a, tenant_b = uuid4(), uuid4()
    await store.projector.apply(
        [
            envelopes.order_confirmed(tenant_a, "10.00", "EUR", (1,), occurred_at=DAY1),
            envelopes.order_confirmed(tenant_b, "20.00", "EUR", (4,), occurred_at=DAY1),
            envelopes.page_viewed(tenant_b, occurred_at=DAY1),
        ]
    )
    rows_a = await store.reports.revenue_by_day(tenant_a, DAY1.date(), DAY1.date())
    assert [(r.orders, r.units, r.revenue) for r in rows_a] == [(1, 1, Decimal("10.00"))]
    counts_a = await store.reports.event_counts(tenant_a, DAY1.date(), DAY1.date())
    assert [(c.event_type, c.count) for c in counts_a] == [("orders.order_confirmed", 1)]
    # A tenant id that is not a tenant finds nothing.
    assert await store.reports.revenue_by_day(uuid4(), DAY1.date(), DAY1.date()) == []


async def test_delete_tenant_erases_its_rows_and_refuses_late_events(
    store: Store, envelopes: Envelopes
) -> None:
    doomed, other = uuid4(), uuid4()
    await store.projector.apply(
        [
            envelopes.order_confirmed(doomed, "10.00", "EUR", (1,), occurred_at=DAY1),
            envelopes.page_viewed(doomed, occurred_at=DAY3),
            envelopes.order_confirmed(other, "20.00", "EUR", (1,), occurred_at=DAY1),
        ]
    )
    other_before = store.snapshot(other)

    # The deletion arrives on tenancy.events.v1, in a batch with one more event of the tenant.
    result = await store.projector.apply(
        [
            envelopes.tenant_deleted(doomed),
            envelopes.added_to_cart(doomed, occurred_at=DAY2),
        ]
    )
    assert result.tenants_deleted == (doomed,)
    assert store.snapshot(doomed) == (0, [], [])
    assert store.snapshot(other) == other_before

    # A late event of the deleted tenant (another topic's partition) does not bring it back,
    # not even through a new sink that has not seen the deletion (a restarted process).
    fresh_sink = ClickHouseEventsSink(store.client, store.db)
    late = fresh_sink.insert_events([envelopes.order_confirmed(doomed, "1.00", "EUR")])
    assert (late.inserted, late.dropped_deleted_tenant) == (0, 1)
    assert store.snapshot(doomed) == (0, [], [])

    # Deleting again (a redelivered TenantDeleted) is harmless.
    await store.reports.delete_tenant(doomed)
    assert store.snapshot(other) == other_before


async def test_a_malformed_rollup_event_is_rejected_and_the_batch_goes_on(
    store: Store, envelopes: Envelopes
) -> None:
    tenant = uuid4()
    good = envelopes.order_confirmed(tenant, "10.00", "EUR", (1,), occurred_at=DAY1)
    bad_payload = {**good.payload, "total": {"amount": "ten", "currency": "EUR"}}
    bad = good.model_copy(update={"event_id": uuid4(), "payload": bad_payload})
    result = await store.projector.apply([bad, good, envelopes.page_viewed(tenant)])
    assert result.inserted == 2
    assert [r.envelope.event_id for r in result.rejected] == [bad.event_id]
    assert "total" in result.rejected[0].error and "ten" not in result.rejected[0].error


def test_a_retried_insert_completes_rollups_without_doubling(
    store: Store, envelopes: Envelopes
) -> None:
    """The failure the sink's same-token retry is for: the events part landed, a rollup's did not.

    Simulated by detaching the rollup's view for the first attempt. The retry (the private
    ``_insert``, as the sink's retry loop calls it) must write the missing rollup rows once and
    leave ``events`` alone.
    """
    tenant = uuid4()
    batch = [envelopes.order_confirmed(tenant, "3.00", "EUR", (2,), occurred_at=DAY1)]
    view = f"{store.db}.revenue_daily_confirmed_mv"
    store.client.command(f"DETACH TABLE {view}")
    store.sink._insert(batch)
    store.client.command(f"ATTACH TABLE {view}")
    assert store.snapshot(tenant)[1] == []

    store.sink._insert(batch)
    store.sink._insert(batch)
    count, revenue, counts = store.snapshot(tenant)
    assert count == 1
    assert [(r[2], r[3], r[4]) for r in revenue] == [(1, 2, Decimal("3.00"))]
    assert sum(r[2] for r in counts) == 1


def test_sink_throughput_200k_events(store: Store, envelopes: Envelopes) -> None:
    """200k synthetic events in batches of 5k: every one stored once, the rollups exact. The rate
    is printed (run with -s), not asserted."""
    tenants = [uuid4() for _ in range(4)]
    base = DAY1
    templates = [
        envelopes.page_viewed(tenants[0]),
        envelopes.added_to_cart(tenants[0]),
        envelopes.order_confirmed(tenants[0], "12.34", "EUR", (1, 2)),
    ]
    total, batch_size = 200_000, 5_000
    all_batches: list[list[Envelope]] = []
    for b in range(total // batch_size):
        batch = []
        for i in range(batch_size):
            n = b * batch_size + i
            template = templates[n % 3]
            batch.append(
                template.model_copy(
                    update={
                        "event_id": uuid4(),
                        "tenant_id": tenants[n % 4],
                        "occurred_at": base + timedelta(seconds=n),
                    }
                )
            )
        all_batches.append(batch)

    started = time.perf_counter()
    inserted = 0
    for batch in all_batches:
        inserted += store.sink.insert_events(batch).inserted
    elapsed = time.perf_counter() - started
    print(f"\nanalytics sink: {total} events in {elapsed:.2f}s = {total / elapsed:,.0f} events/s")

    assert inserted == total
    assert store.scalar(f"SELECT count() FROM {store.db}.events") == total
    confirmed = len(range(2, total, 3))
    revenue = store.client.query(
        f"SELECT sum(orders), sum(units), sum(revenue) FROM {store.db}.revenue_daily"
    ).result_rows[0]
    assert revenue == (confirmed, confirmed * 3, Decimal("12.34") * confirmed)
    assert store.scalar(f"SELECT sum(events) FROM {store.db}.event_counts_daily") == total

    # A redelivery of one whole batch, checked against 200k stored events: still nothing new.
    again = store.sink.insert_events(all_batches[17])
    assert (again.inserted, again.duplicates) == (0, batch_size)


def test_payloads_are_stored_as_json(store: Store, envelopes: Envelopes) -> None:
    tenant = uuid4()
    envelope = envelopes.order_confirmed(tenant, "10.00", "EUR", occurred_at=DAY1)
    store.sink.insert_events([envelope])
    payload, producer, causation = store.client.query(
        f"SELECT payload, producer, causation_id FROM {store.db}.events "
        "WHERE tenant_id = {t:UUID}",
        parameters={"t": tenant},
    ).result_rows[0]
    assert orjson.loads(payload) == envelope.payload
    assert (producer, causation) == ("orders", "")
