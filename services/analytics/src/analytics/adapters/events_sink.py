"""The ClickHouse sink of the analytics projector: envelopes in, one ``events`` row per event.

Exactly once, whatever the bus does:

1. repeats inside a batch are dropped (first one wins);
2. events of a deleted tenant are dropped (a late event must not bring its data back);
3. (tenant_id, event_id) pairs already in ``events`` are dropped: this catches a redelivered
   batch and a relay's re-send with new offsets, which the materialized views cannot tell apart
   from new events;
4. the rest is inserted in one columnar insert whose ``insert_deduplication_token`` is derived from
   exactly those pairs. If the insert fails it is retried here with the same token: parts that
   landed (in ``events`` or in a rollup) are skipped, the missing ones are written (see
   ``schema.py``).

Steps 3 and 4 run under one lock, so two threads of this process cannot both find an event new and
both insert it. The embedded engine has one process by construction; against a server, run one
sink per Kafka partition set (a consumer group already gives each partition one owner).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from clickhouse_connect.driver.client import Client
from shop_contracts import Envelope

from analytics.adapters.schema import (
    DEFAULT_DATABASE,
    DELETED_TENANTS,
    EVENTS,
    TENANT_TABLES,
    validate_database_name,
)
from analytics.application.ports import InsertOutcome

__all__ = ["INSERT_ATTEMPTS", "ClickHouseEventsSink"]

logger = logging.getLogger(__name__)

INSERT_ATTEMPTS = 3
_EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_type",
    "event_version",
    "tenant_id",
    "aggregate_id",
    "aggregate_version",
    "occurred_at",
    "correlation_id",
    "causation_id",
    "producer",
    "payload",
)
# The lookup window around a batch's occurred_at range. Stored times are truncated to
# milliseconds; a margin keeps the bounds safe whatever precision a bound parameter is sent with.
_WINDOW_MARGIN = timedelta(seconds=1)

_Key = tuple[UUID, UUID]  # (tenant_id, event_id)


class ClickHouseEventsSink:
    """Writes envelopes to ``<database>.events`` exactly once per (tenant_id, event_id)."""

    def __init__(self, client: Client, database: str = DEFAULT_DATABASE) -> None:
        self._client = client
        self._db = validate_database_name(database)
        self._lock = threading.Lock()
        # Tenant ids are never reused, so a deleted tenant stays deleted: safe to cache.
        self._deleted_tenants: set[UUID] = set()

    # -- writing -----------------------------------------------------------------------------------

    def insert_events(self, envelopes: Sequence[Envelope]) -> InsertOutcome:
        """Store the envelopes not stored yet; see the module docstring for the guarantees."""
        unique: dict[_Key, Envelope] = {}
        for envelope in envelopes:
            unique.setdefault((envelope.tenant_id, envelope.event_id), envelope)
        repeats = len(envelopes) - len(unique)
        if not unique:
            return InsertOutcome(duplicates=repeats)

        with self._lock:
            deleted = self._deleted_among({tenant for tenant, _ in unique})
            live = {key: env for key, env in unique.items() if key[0] not in deleted}
            dropped = len(unique) - len(live)
            stored = self._stored_keys(list(live.values())) if live else set()
            new = [env for key, env in live.items() if key not in stored]
            if new:
                self._insert(new)
        return InsertOutcome(
            inserted=len(new), duplicates=repeats + len(stored), dropped_deleted_tenant=dropped
        )

    def delete_tenant(self, tenant_id: UUID) -> None:
        """Erase the tenant's rows from every table and refuse its events from now on.

        The tenant is recorded as deleted first, so an event that arrives while the deletes run is
        refused rather than re-creating rows behind them. Idempotent.
        """
        with self._lock:
            self._client.insert(
                f"{self._db}.{DELETED_TENANTS}",
                [[tenant_id]],
                column_names=["tenant_id"],
            )
            self._deleted_tenants.add(tenant_id)
            for table in TENANT_TABLES:
                # mutations_sync=2: return only once the rows are gone (on every replica).
                self._client.command(
                    f"ALTER TABLE {self._db}.{table} DELETE WHERE tenant_id = {{tenant_id:UUID}}",
                    parameters={"tenant_id": tenant_id},
                    settings={"mutations_sync": 2},
                )

    # -- internals ---------------------------------------------------------------------------------

    def _deleted_among(self, tenants: set[UUID]) -> set[UUID]:
        unknown = tenants - self._deleted_tenants
        if unknown:
            # Asked every batch (the table is tiny): another process may have deleted a tenant.
            result = self._client.query(
                f"SELECT DISTINCT tenant_id FROM {self._db}.{DELETED_TENANTS} "
                "WHERE tenant_id IN {tenants:Array(UUID)}",
                parameters={"tenants": list(unknown)},
            )
            self._deleted_tenants.update(row[0] for row in result.result_rows)
        return tenants & self._deleted_tenants

    def _stored_keys(self, envelopes: list[Envelope]) -> set[_Key]:
        """The (tenant_id, event_id) pairs of ``envelopes`` already in ``events``.

        Filtering on the sorting key's columns (tenant, type, time window) lets the primary index
        prune parts and granules, and the bloom filter on event_id prunes most of the rest: a
        batch of fresh events touches only recent granules.
        """
        times = [env.occurred_at for env in envelopes]
        result = self._client.query(
            f"SELECT tenant_id, event_id FROM {self._db}.{EVENTS} "
            "WHERE tenant_id IN {tenants:Array(UUID)} "
            "AND event_type IN {types:Array(String)} "
            "AND occurred_at >= {lo:DateTime64(3, 'UTC')} "
            "AND occurred_at <= {hi:DateTime64(3, 'UTC')} "
            "AND event_id IN {ids:Array(UUID)}",
            parameters={
                "tenants": list({env.tenant_id for env in envelopes}),
                "types": list({env.event_type for env in envelopes}),
                "lo": _naive_utc(min(times) - _WINDOW_MARGIN),
                "hi": _naive_utc(max(times) + _WINDOW_MARGIN),
                "ids": list({env.event_id for env in envelopes}),
            },
        )
        return {(row[0], row[1]) for row in result.result_rows}

    def _insert(self, envelopes: list[Envelope]) -> None:
        columns = _columns(envelopes)
        token = _deduplication_token(envelopes)
        for attempt in range(1, INSERT_ATTEMPTS + 1):
            try:
                self._client.insert(
                    f"{self._db}.{EVENTS}",
                    columns,
                    column_names=list(_EVENT_COLUMNS),
                    column_oriented=True,
                    settings={"insert_deduplication_token": token},
                )
                return
            except Exception:
                # The same rows with the same token: whatever part of the failed attempt landed
                # (in events or in a rollup) is skipped, the rest is written. Giving up raises,
                # and the consumer redelivers the batch.
                if attempt == INSERT_ATTEMPTS:
                    raise
                logger.warning(
                    "analytics insert failed (attempt %d of %d), retrying with the same token",
                    attempt,
                    INSERT_ATTEMPTS,
                    exc_info=True,
                )


def _naive_utc(moment: datetime) -> datetime:
    # Bound DateTime64 parameters are rendered without a zone: give them UTC wall-clock time.
    return moment.astimezone(UTC).replace(tzinfo=None)


def _deduplication_token(envelopes: list[Envelope]) -> str:
    """Same set of events → same token, in any order; any other set → another token."""
    # Sorting raw bytes, not UUID objects: UUID comparison is Python code, 10x slower per batch.
    keys = sorted(env.tenant_id.bytes + env.event_id.bytes for env in envelopes)
    return hashlib.sha256(b"".join(keys)).hexdigest()


def _columns(envelopes: list[Envelope]) -> list[list[Any]]:
    """Column-oriented data in ``_EVENT_COLUMNS`` order (one list per column)."""
    return [
        [env.event_id for env in envelopes],
        [env.event_type for env in envelopes],
        [env.event_version for env in envelopes],
        [env.tenant_id for env in envelopes],
        [env.aggregate_id for env in envelopes],
        [env.aggregate_version for env in envelopes],
        [env.occurred_at for env in envelopes],
        [env.correlation_id or "" for env in envelopes],
        [env.causation_id or "" for env in envelopes],
        [env.producer for env in envelopes],
        [orjson.dumps(env.payload).decode() for env in envelopes],
    ]
