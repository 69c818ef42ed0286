"""Create the platform's Kafka topics on the local broker when they are missing.

Run by deploy/local/infra.sh on every `up`: one process and one admin connection for all
topics (the JVM TopicCommand takes seconds per topic). The names come from the contracts registry
(`python -m shop_contracts.topics`, one name per line, optionally a tab and a partition count);
while that module does not exist a built-in list is used.

    .venv/bin/python deploy/local/create_topics.py --bootstrap 127.0.0.1:59092 [--check]

`--check` creates nothing: exit 0 when every topic exists with a leader on every partition.
Existing topics are never altered; a partition count that differs from the wanted one is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import re
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiokafka.admin import AIOKafkaAdminClient

PARTITIONS = 3
REPLICATION_FACTOR = 1
TOPIC_ALREADY_EXISTS = 36
# Kafka's own rule for topic names.
LEGAL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
REGISTRY = "shop_contracts.topics"
FALLBACK_SOURCE = f"built-in list (no {REGISTRY})"

_FALLBACK_PRODUCERS = ("tenancy", "catalog", "inventory", "orders", "payments", "shipping")


def fallback_topics() -> dict[str, int]:
    names = [f"{service}.events.v1" for service in _FALLBACK_PRODUCERS]
    names.append("analytics.clickstream.v1")
    return {t: PARTITIONS for name in names for t in (name, f"{name}.dlq")}


def _registry_exists() -> bool:
    try:
        return importlib.util.find_spec(REGISTRY) is not None
    except ModuleNotFoundError:
        return False


def _start_registry(*args: str) -> subprocess.Popen[str]:
    # A child process: the registry imports every contract model (about half a second), which
    # overlaps with connecting to the broker here.
    return subprocess.Popen(  # noqa: S603 - our own interpreter running our own module
        [sys.executable, "-m", REGISTRY, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish_registry(proc: subprocess.Popen[str]) -> dict[str, int]:
    out, err = proc.communicate(timeout=60)
    returncode = proc.returncode
    if returncode != 0:
        # A registry without `--partitions`: names only.
        retry = _start_registry()
        out, err = retry.communicate(timeout=60)
        returncode = retry.returncode
    if returncode != 0:
        raise RuntimeError(f"python -m {REGISTRY} failed: {err.strip()[-2000:]}")
    wanted: dict[str, int] = {}
    bad: list[str] = []
    for line in out.splitlines():
        if not line.strip():
            continue
        name, _, count = line.strip().partition("\t")
        if not LEGAL_NAME.match(name) or (count and not count.isdigit()):
            bad.append(line)
            continue
        wanted[name] = int(count) if count else PARTITIONS
    if not wanted or bad:
        raise RuntimeError(
            f"python -m {REGISTRY} must print one topic name per line (optionally a tab and a "
            f"partition count); got {len(wanted)} names, invalid lines: {bad[:5]}"
        )
    return wanted


async def _connect(bootstrap: str, deadline: float) -> AIOKafkaAdminClient:
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        try:
            await admin.start()
            return admin
        except KafkaError:
            await admin.close()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def _all_led(topic: dict[str, Any]) -> bool:
    partitions = topic["partitions"]
    return bool(partitions) and all(p["leader"] >= 0 for p in partitions)


async def _converge(
    admin: AIOKafkaAdminClient, wanted: dict[str, int], *, check: bool, deadline: float
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Create what is missing, wait for a leader on every partition; return (created, described)."""
    from aiokafka.admin import NewTopic
    from aiokafka.errors import KafkaError

    names = list(wanted)
    created: list[str] = []
    while True:
        try:
            existing = set(await admin.list_topics())
            missing = [n for n in names if n not in existing]
            if check and missing:
                raise LookupError(f"missing topics: {' '.join(missing)}")
            if missing:
                response = await admin.create_topics(
                    [NewTopic(n, wanted[n], REPLICATION_FACTOR) for n in missing],
                    timeout_ms=10_000,
                )
                # topic_errors: (name, code[, message]) depending on the request version.
                for entry in response.topic_errors:
                    name, code = entry[0], entry[1]
                    if code not in (0, TOPIC_ALREADY_EXISTS):
                        raise KafkaError(f"creating {name}: error {code} {entry[2:]}")
                    if code == 0:
                        created.append(name)
            described = {
                t["topic"]: t for t in await admin.describe_topics(names) if t["error_code"] == 0
            }
            if len(described) == len(names) and all(_all_led(t) for t in described.values()):
                return created, described
        except KafkaError:
            # A broker that has just started may not have a controller or the new leaders yet.
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics without a leader after the deadline: {names}")
        await asyncio.sleep(0.3)


async def run(bootstrap: str, *, check: bool, deadline_s: float) -> int:
    deadline = time.monotonic() + deadline_s
    registry = _start_registry("--partitions") if _registry_exists() else None
    try:
        admin = await _connect(bootstrap, deadline)
    except BaseException:
        if registry is not None:
            registry.kill()
        raise
    try:
        if registry is None:
            wanted, source = fallback_topics(), FALLBACK_SOURCE
        else:
            wanted, source = await asyncio.to_thread(_finish_registry, registry), REGISTRY
        created, described = await _converge(admin, wanted, check=check, deadline=deadline)
    finally:
        await admin.close()
    for name, topic in sorted(described.items()):
        count = len(topic["partitions"])
        if count != wanted[name]:
            print(
                f"kafka: note: {name} has {count} partitions, the registry wants {wanted[name]} "
                "(existing topics are not altered)",
                file=sys.stderr,
            )
    action = "checked" if check else f"{len(created)} created"
    print(f"kafka: {len(wanted)} topics ready ({action}; names from {source})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:59092")
    parser.add_argument(
        "--check", action="store_true", help="create nothing; fail if one is missing"
    )
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds to wait for it all")
    parser.add_argument("--print", action="store_true", help="print the wanted topics and exit")
    args = parser.parse_args()
    if args.print:
        wanted = _finish_registry(_start_registry("--partitions")) if _registry_exists() else None
        for name, count in (wanted or fallback_topics()).items():
            print(f"{name}\t{count}")
        return 0
    try:
        return asyncio.run(run(args.bootstrap, check=args.check, deadline_s=args.deadline))
    except Exception as exc:  # a one-line diagnosis for infra.sh; the traceback adds nothing
        print(f"kafka: topics not ready: {exc!r}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
