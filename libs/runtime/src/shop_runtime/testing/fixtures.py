"""pytest fixtures for the real local stack. Import them into a ``conftest.py``::

    from shop_runtime.testing.fixtures import *  # noqa: F403

Async fixtures run on the session event loop (the workspace sets
``asyncio_default_fixture_loop_scope = "session"``). If Postgres or Kafka is down the fixtures fail
with a message naming the command that starts them: an integration test must not pass without its
infrastructure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest
import pytest_asyncio
from aiokafka.errors import KafkaConnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

from shop_runtime.settings import ServiceSettings
from shop_runtime.testing.kafka import KafkaTopics
from shop_runtime.testing.postgres import TestDatabase, shop_test_settings

__all__ = [
    "app_engine",
    "kafka_topics",
    "owner_engine",
    "runtime_settings",
    "test_database",
]

_STACK_HINT = "start the local stack: `make infra-up` (bash deploy/local/infra.sh up)"


@pytest.fixture(scope="session")
def runtime_settings() -> ServiceSettings:
    """Settings pointing at the ``shop_test`` database and the local Kafka."""
    return shop_test_settings()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def test_database(runtime_settings: ServiceSettings) -> AsyncIterator[TestDatabase]:
    """A private schema in ``shop_test`` for the whole session, dropped at the end."""
    try:
        db = TestDatabase.create(runtime_settings)
    except psycopg.OperationalError as e:
        pytest.fail(f"Postgres unreachable ({e}); {_STACK_HINT}")
    try:
        yield db
    finally:
        await db.dispose()
        db.drop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def app_engine(test_database: TestDatabase) -> AsyncEngine:
    """Engine as the application role (subject to RLS), search path = the session schema."""
    return test_database.engine()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def owner_engine(test_database: TestDatabase) -> AsyncEngine:
    """Engine as the owner role (DDL, migrations), search path = the session schema."""
    return test_database.engine(owner=True, pool_size=2)


@pytest_asyncio.fixture(loop_scope="session")
async def kafka_topics(runtime_settings: ServiceSettings) -> AsyncIterator[KafkaTopics]:
    """Factory of unique topics (``await kafka_topics.create()``), deleted afterwards."""
    topics = KafkaTopics(runtime_settings.kafka_servers)
    try:
        yield topics
    except KafkaConnectionError as e:  # pragma: no cover - raised from create()
        pytest.fail(f"Kafka unreachable ({e}); {_STACK_HINT}")
    finally:
        await topics.close()
