"""Helpers shared by the catalog domain tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)


@pytest.fixture
def tenant_id() -> UUID:
    return uuid4()


@pytest.fixture
def app() -> Application:
    """An in-memory event store: saving and reloading runs the real transcoder."""
    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


@pytest.fixture
def roundtrip(app: Application) -> Callable[[Any], Any]:
    """Save the aggregate's pending events (all of them, from creation on) and load it back."""

    def _roundtrip(aggregate: A) -> A:
        app.save(aggregate)
        reloaded: A = app.repository.get(aggregate.id)
        return reloaded

    return _roundtrip
