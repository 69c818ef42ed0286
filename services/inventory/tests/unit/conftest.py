"""Fixtures of inventory's domain tests: ids and an in-memory event store that runs the real
transcoder, so a test fails if an event attribute cannot be stored and read back.

Tests read as given → when → then: ``given`` saves the aggregates set up so far (their events are
no longer pending), the command runs, and ``pending_events`` holds exactly what it recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate


@pytest.fixture
def tenant_id() -> UUID:
    return uuid4()


@pytest.fixture
def event_store() -> Application[UUID]:
    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


@pytest.fixture
def given(event_store: Application[UUID]) -> Callable[..., None]:
    """Save the aggregates: what they recorded so far becomes history."""

    def _given(*aggregates: Aggregate) -> None:
        event_store.save(*aggregates)

    return _given


@pytest.fixture
def reload(event_store: Application[UUID]) -> Callable[[Aggregate], Any]:
    """Save the aggregate and load it back from its stored events."""

    def _reload(aggregate: Aggregate) -> Any:
        event_store.save(aggregate)
        return event_store.repository.get(aggregate.id)

    return _reload


def event_names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.pending_events]


@pytest.fixture
def recorded() -> Callable[[Aggregate], list[str]]:
    """Names of the events the aggregate recorded since it was last saved."""
    return event_names
