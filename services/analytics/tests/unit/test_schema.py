"""The schema's pure parts: idempotent DDL, safe identifiers, deduplication tokens."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

import pytest
from analytics.adapters.clickhouse_client import chdb_dsn
from analytics.adapters.events_sink import _deduplication_token
from analytics.adapters.schema import schema_statements

if TYPE_CHECKING:
    from conftest import Envelopes


def test_every_statement_is_idempotent_and_every_table_dedupes_retried_blocks() -> None:
    statements = schema_statements("analytics")
    assert all("IF NOT EXISTS" in s for s in statements)
    tables = [s for s in statements if "CREATE TABLE" in s and "MergeTree" in s]
    # Every rollup target and the source need the window, or retries double the rollups.
    windowed = [s for s in tables if "non_replicated_deduplication_window" in s]
    assert {s.split("EXISTS")[1].split("(")[0].strip() for s in windowed} == {
        "analytics.events",
        "analytics.revenue_daily",
        "analytics.event_counts_daily",
    }


@pytest.mark.parametrize("name", ["", "a-b", "x; DROP TABLE y", "1abc", "a.b"])
def test_a_database_name_that_is_not_an_identifier_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="database name"):
        schema_statements(name)


def test_the_token_names_the_set_of_events_whatever_the_order(envelopes: Envelopes) -> None:
    tenant = uuid4()
    a, b, c = (envelopes.page_viewed(tenant) for _ in range(3))
    assert _deduplication_token([a, b]) == _deduplication_token([b, a])
    assert _deduplication_token([a, b]) != _deduplication_token([a, c])
    assert _deduplication_token([a]) != _deduplication_token([a, b])


def test_the_chdb_dsn_is_absolute_with_three_slashes(tmp_path: Path) -> None:
    dsn = chdb_dsn(tmp_path / "relative" / ".." / "data")
    assert dsn == f"chdb://{(tmp_path / 'data').resolve()}"
    assert dsn.startswith("chdb:///") and not dsn.startswith("chdb:////")
