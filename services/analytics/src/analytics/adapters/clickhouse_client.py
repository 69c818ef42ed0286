"""Opening the ClickHouse client: a server when ``CLICKHOUSE_URL`` is set, else embedded chDB.

Embedded chDB runs the ClickHouse engine inside this process, through clickhouse-connect's chDB
backend (clickhouse-connect >= 1.12 with the ``chdb`` package), so the same SQL and the same client
API serve both. Its DSN is ``chdb://`` followed by the absolute data path (``chdb:///abs/path``:
empty host, the whole URL path is the location). Two limits of the embedded engine shape the
service:

- one process per data path: a second process fails with "Cannot lock file .../status", so the
  analytics service is the only process that opens ``CLICKHOUSE_PATH`` (the projector runs inside
  it), and every other reader goes through its API;
- one engine path per process: while any client is open on one path, opening another path raises
  ``ProgrammingError``; close clients (``client.close()``) before switching (tests do).

Several clients and threads in the one process are fine. The client is synchronous: async callers
go through ``anyio.to_thread``.
"""

from __future__ import annotations

from pathlib import Path

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from shop_runtime.settings import ServiceSettings

__all__ = ["chdb_dsn", "open_client"]


def chdb_dsn(path: str | Path) -> str:
    """The clickhouse-connect DSN of an embedded chDB data directory (created if missing)."""
    absolute = Path(path).expanduser().resolve()
    absolute.mkdir(parents=True, exist_ok=True)
    # "chdb://" + "/abs/path" = "chdb:///abs/path". Not "chdb:///" + abs path: that gives a path
    # starting with "//", a different spelling of the directory for the engine's path lock.
    return f"chdb://{absolute}"


def open_client(settings: ServiceSettings) -> Client:
    """A client for the server at ``settings.clickhouse_url``, or for the embedded engine at
    ``settings.clickhouse_path``. The caller closes it (``client.close()``) on shutdown."""
    if settings.clickhouse_url:
        return clickhouse_connect.get_client(dsn=settings.clickhouse_url)
    return clickhouse_connect.get_client(dsn=chdb_dsn(settings.clickhouse_path))
