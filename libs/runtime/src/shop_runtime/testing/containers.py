"""Test infrastructure from testcontainers, for machines where a Docker daemon answers.

Integration tests read their addresses from the environment (`ServiceSettings`). On a machine with
Docker, `containerised_stack()` starts Postgres 15, Redis, Kafka (KRaft) and OpenSearch 2.19 in
containers, prepares them the way deploy/local prepares the local stack (the same roles and
databases from deploy/postgres/init.sql, the same topics from `shop_contracts.topics`), and yields
the environment that points the tests at them. Without a daemon the project's own local stack is
used (`make test` starts it), which is what this workplace's machines do: they have no Docker
engine, so this module's container path is exercised only where Docker exists.

Chosen by `SHOP_TEST_INFRA`: `local` (never containers), `containers` (require them), or `auto`
(the default: containers when a daemon answers). The root conftest applies it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

__all__ = ["containerised_stack", "docker_daemon_answers", "wants_containers"]

_INIT_SQL = Path(__file__).resolve().parents[5] / "deploy" / "postgres" / "init.sql"


def docker_daemon_answers() -> bool:
    """True when a Docker daemon answers a ping (DOCKER_HOST or the default socket)."""
    try:
        import docker  # testcontainers' own client library

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def wants_containers() -> bool:
    mode = os.environ.get("SHOP_TEST_INFRA", "auto")
    if mode == "local":
        return False
    if mode == "containers":
        return True
    return docker_daemon_answers()


@contextmanager
def containerised_stack() -> Iterator[dict[str, str]]:
    """Start the containers; yield the environment variables that point settings at them."""
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.opensearch import OpenSearchContainer
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.community.redis import RedisContainer

    owner_password = os.environ["POSTGRES_OWNER_PASSWORD"]
    app_password = os.environ["POSTGRES_PASSWORD"]
    with ExitStack() as stack:
        postgres: Any = stack.enter_context(
            PostgresContainer("postgres:15", username="postgres", dbname="postgres")
            # The image runs init scripts once, on its empty data directory: roles and databases.
            .with_volume_mapping(str(_INIT_SQL), "/docker-entrypoint-initdb.d/init.sql")
        )
        # init.sql takes the passwords as psql variables; set them to the settings' values.
        postgres.exec(
            [
                "psql",
                "-U",
                "postgres",
                "-c",
                f"ALTER ROLE shop_owner PASSWORD '{owner_password}'; "
                f"ALTER ROLE shop_app PASSWORD '{app_password}';",
            ]
        )
        redis: Any = stack.enter_context(RedisContainer("redis:7"))
        kafka: Any = stack.enter_context(KafkaContainer("apache/kafka:4.1.1").with_kraft())
        opensearch: Any = stack.enter_context(
            OpenSearchContainer("opensearchproject/opensearch:2.19.1")
        )
        env = {
            "POSTGRES_HOST": postgres.get_container_host_ip(),
            "POSTGRES_PORT": str(postgres.get_exposed_port(5432)),
            "REDIS_URL": (
                f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(6379)}/0"
            ),
            "KAFKA_BOOTSTRAP_SERVERS": kafka.get_bootstrap_server(),
            "OPENSEARCH_URL": (
                f"http://{opensearch.get_container_host_ip()}:{opensearch.get_exposed_port(9200)}"
            ),
        }
        asyncio.run(_create_topics(env["KAFKA_BOOTSTRAP_SERVERS"]))
        yield env


async def _create_topics(bootstrap: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from shop_contracts.topics import all_topics

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(t.name, num_partitions=t.partitions, replication_factor=1)
                for t in all_topics()
            ]
        )
    finally:
        await admin.close()
