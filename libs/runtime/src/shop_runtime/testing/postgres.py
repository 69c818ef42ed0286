"""A private schema per test session in the ``shop_test`` database."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shop_runtime.eventstore import ServiceApplication, create_event_store_tables
from shop_runtime.settings import ServiceSettings

__all__ = ["TestDatabase", "shop_test_settings", "test_settings"]

A = TypeVar("A", bound=ServiceApplication)


def shop_test_settings(**overrides: Any) -> ServiceSettings:
    """Settings for the runtime's tests: the ``shop_test`` database of the local stack."""
    values: dict[str, Any] = {"service_name": "runtimetest", "postgres_db": "shop_test"}
    values.update(overrides)
    return ServiceSettings(**values)


test_settings = shop_test_settings
"""Alias; in a test module import it under another name, or pytest collects it as a test."""


@dataclass
class TestDatabase:
    """A schema owned by the owner role, usable by the application role, dropped by `drop`.

    Tables created in it by the owner are readable and writable by the app role (default
    privileges), exactly as in a service database. Engines from `engine` put the schema first on
    the search path; applications from `app` use it as ``POSTGRES_SCHEMA``.
    """

    __test__ = False  # not a pytest test class, despite the name

    settings: ServiceSettings
    schema: str
    _engines: list[AsyncEngine] = field(default_factory=list)

    @classmethod
    def create(cls, settings: ServiceSettings | None = None, *, prefix: str = "t") -> TestDatabase:
        settings = settings if settings is not None else shop_test_settings()
        schema = f"{prefix}_{secrets.token_hex(5)}"
        app_role = sql.Identifier(settings.postgres_user)
        ident = sql.Identifier(schema)
        with psycopg.connect(settings.libpq_dsn(owner=True), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {0}").format(ident))
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {0} TO {1}").format(ident, app_role))
            conn.execute(
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA {0} "
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {1}"
                ).format(ident, app_role)
            )
            conn.execute(
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA {0} GRANT USAGE, SELECT ON SEQUENCES TO {1}"
                ).format(ident, app_role)
            )
        return cls(settings=settings, schema=schema)

    def drop(self) -> None:
        with psycopg.connect(self.settings.libpq_dsn(owner=True), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {0} CASCADE").format(sql.Identifier(self.schema))
            )

    async def dispose(self) -> None:
        for engine in self._engines:
            await engine.dispose()
        self._engines.clear()

    def engine(self, *, owner: bool = False, pool_size: int = 5, **kwargs: Any) -> AsyncEngine:
        """An asyncpg engine (app role unless ``owner``) whose search path is this schema."""
        engine = create_async_engine(
            self.settings.sqlalchemy_url(owner=owner),
            pool_size=pool_size,
            max_overflow=0,
            connect_args={"server_settings": {"search_path": self.schema}},
            **kwargs,
        )
        self._engines.append(engine)
        return engine

    def libpq_dsn(self, *, owner: bool = False) -> str:
        """A libpq DSN whose search path is this schema."""
        return self.settings.libpq_dsn(owner=owner) + f" options='-csearch_path={self.schema}'"

    def create_event_store(self, app_name: str) -> list[str]:
        """Create (as owner) the event store tables of application ``app_name`` in this schema."""
        return create_event_store_tables(self.settings, app_name, schema=self.schema)

    def app(
        self, cls: type[A], name: str | None = None, *, create: bool = True, **kwargs: Any
    ) -> A:
        """An application of class ``cls`` on this schema, as the app role (tables made first)."""
        app_name = name or f"{cls.__name__}{secrets.token_hex(3)}"
        if create:
            self.create_event_store(app_name)
        return cls(self.settings, name=app_name, schema=self.schema, **kwargs)
