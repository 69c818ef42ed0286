"""The ClickHouse schema of the analytics store. Idempotent DDL, applied at startup.

Tables (in one database, ``analytics`` unless told otherwise):

- ``events``: every public event and every click, one row per (tenant_id, event_id).
  ReplacingMergeTree on ``(tenant_id, event_type, occurred_at, event_id)``, monthly partitions;
  the payload is kept as JSON text. A bloom filter on ``event_id`` serves the sink's "already
  stored?" lookups.
- ``revenue_daily``: per (tenant, UTC day, currency): confirmed orders, units, revenue (their
  totals), refunds and refunded amount. SummingMergeTree fed by materialized views on ``events``.
  Revenue counts ``orders.order_confirmed``, not ``orders.order_placed``: a placed order can still
  fail on stock or payment, a confirmed one has its stock reserved and its payment authorized.
- ``event_counts_daily``: per (tenant, UTC day, event_type): number of events. Covers the
  clickstream (page views, product views, add-to-cart, searches) and every business event, so a
  funnel is a read of this one table.
- ``deleted_tenants``: tenants erased by ``tenancy.tenant_deleted``; the sink refuses their events.

Exactly-once rollups. A materialized view fires on every insert into ``events``, duplicates
included (ReplacingMergeTree only deduplicates ``events`` itself, eventually, at merge time). So
duplicates are removed *before* the insert, by the sink (``events_sink.py``): it drops
(tenant_id, event_id) pairs already stored, and inserts the rest with an
``insert_deduplication_token`` derived from exactly those pairs. The token makes a retried insert
a no-op for the parts that landed and completes the ones that did not: it takes
``non_replicated_deduplication_window`` on ``events`` **and** on each rollup target (measured on
chDB 4.4: without it on the target, the view's blocks are not deduplicated).

Readers sum the rollups with GROUP BY (SummingMergeTree collapses rows only when parts merge), and
read ``events`` with FINAL or a GROUP BY on event_id when exact counts matter.
"""

from __future__ import annotations

import re

from clickhouse_connect.driver.client import Client
from shop_contracts import registry
from shop_contracts.events.orders import OrderConfirmed, OrderRefunded

__all__ = [
    "DEDUPLICATION_WINDOW",
    "DEFAULT_DATABASE",
    "DELETED_TENANTS",
    "EVENTS",
    "EVENT_COUNTS_DAILY",
    "REVENUE_DAILY",
    "ROLLUP_EVENT_TYPES",
    "TENANT_TABLES",
    "apply_schema",
    "schema_statements",
    "validate_database_name",
]

DEFAULT_DATABASE = "analytics"
EVENTS = "events"
REVENUE_DAILY = "revenue_daily"
EVENT_COUNTS_DAILY = "event_counts_daily"
DELETED_TENANTS = "deleted_tenants"
TENANT_TABLES: tuple[str, ...] = (EVENTS, REVENUE_DAILY, EVENT_COUNTS_DAILY)
"""Every table holding a tenant's data: a tenant's erasure deletes from each."""

# How many recent insert blocks each table remembers for token deduplication. A retry follows its
# failed attempt closely; this only has to outlast the inserts of other batches in between.
DEDUPLICATION_WINDOW = 10_000

_CONFIRMED = registry.spec_for(OrderConfirmed)
_REFUNDED = registry.spec_for(OrderRefunded)
ROLLUP_EVENT_TYPES: frozenset[tuple[str, int]] = frozenset({_CONFIRMED.key, _REFUNDED.key})
"""(event_type, version) whose payloads the rollup views parse: the projector validates them
against their contract before they reach the store, so a malformed payload cannot fail a view."""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def validate_database_name(database: str) -> str:
    """Identifiers cannot be bound as query parameters, so the database name is checked before it
    is written into SQL."""
    if not _IDENTIFIER.match(database):
        raise ValueError(f"invalid ClickHouse database name {database!r}")
    return database


def schema_statements(database: str = DEFAULT_DATABASE) -> list[str]:
    """The DDL, in order. Every statement is ``IF NOT EXISTS``: applying it twice is harmless."""
    db = validate_database_name(database)
    window = f"non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}"
    return [
        f"CREATE DATABASE IF NOT EXISTS {db}",
        f"""
        CREATE TABLE IF NOT EXISTS {db}.{EVENTS} (
            event_id UUID,
            event_type LowCardinality(String),
            event_version UInt16,
            tenant_id UUID,
            aggregate_id UUID,
            aggregate_version UInt64,
            occurred_at DateTime64(3, 'UTC'),
            correlation_id String,
            causation_id String,
            producer LowCardinality(String),
            payload String CODEC(ZSTD(3)),
            ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
            INDEX event_id_bloom event_id TYPE bloom_filter(0.001) GRANULARITY 1
        )
        ENGINE = ReplacingMergeTree
        PARTITION BY toYYYYMM(occurred_at)
        ORDER BY (tenant_id, event_type, occurred_at, event_id)
        SETTINGS {window}
        """,
        f"""
        CREATE TABLE IF NOT EXISTS {db}.{REVENUE_DAILY} (
            tenant_id UUID,
            day Date,
            currency LowCardinality(String),
            orders UInt64,
            units UInt64,
            revenue Decimal(18, 4),
            refunds UInt64,
            refunded Decimal(18, 4)
        )
        ENGINE = SummingMergeTree
        PARTITION BY toYYYYMM(day)
        ORDER BY (tenant_id, day, currency)
        SETTINGS {window}
        """,
        # Units are the sum of the confirmed lines' quantities; the amount is the order's total.
        f"""
        CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{REVENUE_DAILY}_confirmed_mv
        TO {db}.{REVENUE_DAILY} AS
        SELECT
            tenant_id,
            toDate(occurred_at) AS day,
            JSONExtractString(payload, 'total', 'currency') AS currency,
            count() AS orders,
            sum(arraySum(arrayMap(line -> JSONExtractUInt(line, 'quantity'),
                                  JSONExtractArrayRaw(payload, 'lines')))) AS units,
            sum(toDecimal64(JSONExtractString(payload, 'total', 'amount'), 4)) AS revenue,
            toUInt64(0) AS refunds,
            toDecimal64(0, 4) AS refunded
        FROM {db}.{EVENTS}
        WHERE event_type = '{_CONFIRMED.event_type}' AND event_version = {_CONFIRMED.version}
        GROUP BY tenant_id, day, currency
        """,
        f"""
        CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{REVENUE_DAILY}_refunded_mv
        TO {db}.{REVENUE_DAILY} AS
        SELECT
            tenant_id,
            toDate(occurred_at) AS day,
            JSONExtractString(payload, 'amount', 'currency') AS currency,
            toUInt64(0) AS orders,
            toUInt64(0) AS units,
            toDecimal64(0, 4) AS revenue,
            count() AS refunds,
            sum(toDecimal64(JSONExtractString(payload, 'amount', 'amount'), 4)) AS refunded
        FROM {db}.{EVENTS}
        WHERE event_type = '{_REFUNDED.event_type}' AND event_version = {_REFUNDED.version}
        GROUP BY tenant_id, day, currency
        """,
        f"""
        CREATE TABLE IF NOT EXISTS {db}.{EVENT_COUNTS_DAILY} (
            tenant_id UUID,
            day Date,
            event_type LowCardinality(String),
            events UInt64
        )
        ENGINE = SummingMergeTree
        PARTITION BY toYYYYMM(day)
        ORDER BY (tenant_id, day, event_type)
        SETTINGS {window}
        """,
        f"""
        CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{EVENT_COUNTS_DAILY}_mv
        TO {db}.{EVENT_COUNTS_DAILY} AS
        SELECT tenant_id, toDate(occurred_at) AS day, event_type, count() AS events
        FROM {db}.{EVENTS}
        GROUP BY tenant_id, day, event_type
        """,
        f"""
        CREATE TABLE IF NOT EXISTS {db}.{DELETED_TENANTS} (
            tenant_id UUID,
            deleted_at DateTime64(3, 'UTC') DEFAULT now64(3)
        )
        ENGINE = ReplacingMergeTree
        ORDER BY tenant_id
        """,
    ]


def apply_schema(client: Client, database: str = DEFAULT_DATABASE) -> None:
    """Create whatever of the schema is missing (startup; safe to run on every start)."""
    for statement in schema_statements(database):
        client.command(statement)
