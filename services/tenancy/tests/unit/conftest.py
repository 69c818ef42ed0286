"""Fakes and helpers shared by the tenancy domain tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)


class FakeHasher:
    """Stands in for the argon2 adapter: a recognisable, non-reversible-looking transform."""

    def __init__(self) -> None:
        self.hashed: list[str] = []

    def hash(self, password: str) -> str:
        self.hashed.append(password)
        return "fake$" + password[::-1]

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "fake$" + password[::-1]


@pytest.fixture
def hasher() -> FakeHasher:
    return FakeHasher()


@pytest.fixture
def tenant_id() -> UUID:
    return uuid4()


@pytest.fixture
def app() -> Application:
    """An in-memory event store: saving and reloading runs the real transcoder."""
    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


@pytest.fixture
def roundtrip(app: Application) -> Callable[[Any], Any]:
    def _roundtrip(aggregate: A) -> A:
        app.save(aggregate)
        reloaded: A = app.repository.get(aggregate.id)
        return reloaded

    return _roundtrip
