"""Event-store append: single-event saves/s through `ServiceApplication` against pgbench.

Arms, each with ``CLIENTS`` concurrent clients for ``DURATION_S``, run in rotating order for
``ROUNDS`` rounds, each on tables of its own made by the library's own DDL (so "shaped like the
events table" is exact: primary key (originator_id, originator_version), bigserial notification id
with its unique index):

* **app**: ``CLIENTS`` threads of one Counter application (one connection pool, as in a service),
  each creating a counter and then incrementing it, one event per ``save`` (a new counter every
  ``SAVES_PER_COUNTER`` saves). The aggregate stays in memory: this measures the append, not the
  replay a command does before it.
* **pgbench plain**: ``INSERT`` of one row per transaction (the same topic and state bytes as a
  stored ``Counter.Incremented``, per-client originator id, increasing version).
* **pgbench locked**: the same, after ``LOCK TABLE ... IN EXCLUSIVE MODE`` (what the recorder
  takes to keep notification ids in commit order).
* **pgbench recorder**: the recorder's whole transaction as it sends it: ``SET LOCAL
  lock_timeout``, the lock, ``NOTIFY`` on the table's channel (the library's
  `PostgresApplicationRecorder` notifies on every insert), the insert ``RETURNING notification_id``.

pgbench runs with ``-M prepared`` (the recorder prepares its statements too) as the application
role, over TCP on loopback like the application.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from uuid import uuid4

import anyio
from shop_runtime.testing.counter import Counter, CounterApp

from bench.context import BenchContext
from bench.registry import Goal, Metric, register

CLIENTS = 4
DURATION_S = 5.0
ROUNDS = 2
SAVES_PER_COUNTER = 50
PGBENCH = os.environ.get("PGBENCH", "/usr/lib/postgresql/15/bin/pgbench")
ARMS = ("app", "plain", "locked", "recorder")


def app_saves(app: CounterApp, clients: int, seconds: float) -> float:
    """Single-event saves per second by ``clients`` threads for ``seconds``."""
    counts = [0] * clients
    barrier = threading.Barrier(clients + 1)
    deadline = 0.0

    def client(index: int) -> None:
        tenant_id = uuid4()
        barrier.wait()
        saves = 0
        counter = Counter(tenant_id=tenant_id, name="append")
        app.save(counter)
        saves += 1
        while time.perf_counter() < deadline:
            if saves % SAVES_PER_COUNTER == 0:
                counter = Counter(tenant_id=tenant_id, name="append")
            else:
                counter.increment(1)
            app.save(counter)
            saves += 1
        counts[index] = saves

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def pgbench_script(table: str, channel: str, state: bytes, arm: str) -> str:
    # The topic is a pgbench variable (--define): it contains ':', which pgbench would read as one.
    insert = (
        f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
        "VALUES (md5(:client_id::text || :salt::text)::uuid, :v, :topic, "
        f"'\\x{state.hex()}'::bytea)"
        " RETURNING notification_id;"
    )
    lines = ["\\set v :v + 1"]
    if arm == "plain":
        lines.append(insert)
    else:
        lines.append("BEGIN;")
        if arm == "recorder":
            lines.append("SET LOCAL lock_timeout = '0s';")
        lines.append(f"LOCK TABLE {table} IN EXCLUSIVE MODE;")
        if arm == "recorder":
            lines.append(f'NOTIFY "{channel}";')
        lines.append(insert)
        lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


async def pgbench_tps(
    ctx: BenchContext, script: str, topic: str, clients: int, seconds: float
) -> float:
    settings = ctx.settings
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
        path = Path(f.name)
    try:
        process = await asyncio.create_subprocess_exec(
            PGBENCH,
            "--no-vacuum",
            "--protocol=prepared",
            f"--client={clients}",
            f"--jobs={min(clients, os.cpu_count() or 1)}",
            f"--time={max(1, round(seconds))}",
            "--define=v=0",
            f"--define=topic={topic}",
            # A fresh originator id per client and run: versions restart at 1 every run.
            f"--define=salt={secrets.token_hex(4)}",
            f"--file={path}",
            f"--host={settings.postgres_host}",
            f"--port={settings.postgres_port}",
            f"--username={settings.postgres_user}",
            settings.database,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PGPASSWORD": settings.postgres_password.get_secret_value()},
        )
        out, err = await process.communicate()
    finally:
        path.unlink(missing_ok=True)
    match = re.search(rb"tps = ([0-9.]+) \(without initial connection time\)", out)
    if process.returncode != 0 or match is None:
        raise RuntimeError(f"pgbench failed ({process.returncode}): {err.decode()[-500:]}")
    return float(match.group(1))


def stored_incremented(app: CounterApp) -> tuple[str, bytes]:
    """The topic and state bytes the recorder stores for one ``Counter.Incremented``."""
    counter = Counter(tenant_id=uuid4(), name="append")
    counter.increment(1)
    event = counter.collect_events()[-1]
    stored = app.mapper.to_stored_event(event)
    return stored.topic, stored.state


@register("eventstore_append", "single-event saves/s via ServiceApplication vs pgbench INSERTs")
async def run(ctx: BenchContext) -> list[Metric]:
    if shutil.which(PGBENCH) is None:
        raise RuntimeError(f"pgbench not found at {PGBENCH} (set PGBENCH)")
    seconds = ctx.scaled(DURATION_S, minimum=1)
    db = ctx.database()
    app = db.app(CounterApp, f"BenchAppend{secrets.token_hex(3)}")
    topic, state = stored_incremented(app)
    scripts: dict[str, str] = {}
    for arm in ARMS[1:]:
        events_table = db.create_event_store(f"BenchPg{arm.title()}{secrets.token_hex(3)}")[0]
        table = f'"{db.schema}"."{events_table}"'
        scripts[arm] = pgbench_script(table, events_table, state, arm)
    rates: dict[str, list[float]] = {arm: [] for arm in ARMS}
    try:
        for round_no in range(ROUNDS):
            # Alternate the order so that no arm always runs first or last.
            order = ARMS if round_no % 2 == 0 else tuple(reversed(ARMS))
            for arm in order:
                if arm == "app":
                    rate = await anyio.to_thread.run_sync(app_saves, app, CLIENTS, seconds)
                else:
                    rate = await pgbench_tps(ctx, scripts[arm], topic, CLIENTS, seconds)
                rates[arm].append(rate)
                ctx.log(f"eventstore_append: round {round_no + 1}/{ROUNDS} {arm}: {rate:,.0f}/s")
    finally:
        app.close()

    value = statistics.mean(rates["app"])
    baseline = {arm: statistics.mean(rates[arm]) for arm in ARMS[1:]}
    common = (
        f"{CLIENTS} clients x {seconds:.0f} s per arm, mean of {ROUNDS} rounds in alternating "
        "order; app = "
        f"Counter application, {CLIENTS} threads, one event per save; pgbench -M prepared, "
        f"one row per transaction, {len(state)} B state"
    )
    details = {
        "per_round_per_s": {arm: [round(r) for r in rates[arm]] for arm in ARMS},
        # The state literal shortened: it is the stored bytes of one Counter.Incremented.
        "pgbench_scripts": {
            arm: script.replace(state.hex(), f"<{len(state)} bytes>")
            for arm, script in scripts.items()
        },
    }
    return [
        Metric(
            name="append_vs_locked_insert",
            value=value,
            unit="saves/s",
            baseline=baseline["locked"],
            baseline_unit="tps",
            goal=Goal(min_ratio=0.5),
            notes=f"baseline: pgbench LOCK TABLE ... IN EXCLUSIVE MODE + INSERT; {common}",
            details=details,
        ),
        Metric(
            name="append_vs_plain_insert",
            value=value,
            unit="saves/s",
            baseline=baseline["plain"],
            baseline_unit="tps",
            goal=Goal(min_ratio=0.5),
            notes=f"baseline: pgbench one-row INSERT, no lock; {common}",
        ),
        Metric(
            name="append_vs_recorder_sql",
            value=value,
            unit="saves/s",
            baseline=baseline["recorder"],
            baseline_unit="tps",
            goal=Goal(min_ratio=0.5),
            notes=(
                "baseline: pgbench sending the recorder's exact transaction (SET LOCAL "
                f"lock_timeout, LOCK, NOTIFY, INSERT RETURNING); {common}"
            ),
        ),
    ]
