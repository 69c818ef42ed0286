"""The event store of a service: an `eventsourcing` Application on PostgreSQL (or in memory).

`ServiceApplication` is the base of every service's application class. It differs from a plain
`eventsourcing.application.Application` in four ways:

* **Configuration is explicit.** The persistence environment is built from `ServiceSettings` and the
  ``env=`` argument only; ``os.environ`` is not read (a stray ``PERSISTENCE_MODULE`` in a shell must
  not redirect a service's writes). The application role runs with ``CREATE_TABLE=n``: its tables
  are created by the owner role with `create_event_store_tables` (a migration step), which also
  grants the application role what it needs.
* **Its recorder is a process recorder** (``construct_recorder`` returns the factory's
  ``process_recorder()``), so events can be saved atomically with a ``Tracking`` record: a plain
  application recorder silently ignores tracking. The recorder class is `ServiceRecorder`, which
  adds a third table, ``<app>_processed (consumer, event_id)``: a consumer saves the id of the
  message it handled in the same transaction as the resulting events, so a duplicate that arrives
  under a new offset (the relay re-sent a batch) is refused by a primary key instead of applied
  twice. The tracking upsert alone cannot catch those: it only refuses offsets that are not higher.
* **Commands retry on version conflicts.** `execute` (and the `command` decorator) re-run the whole
  read-decide-save function when the save hits the unique (originator_id, originator_version)
  constraint, a bounded number of times with jittered exponential backoff, then raise `Conflict`.
* **Ids of outgoing events are deterministic** (`event_id_for`), so a re-sent event has the same id.

The library is synchronous (psycopg 3 pool). Async code calls into it through a worker thread::

    order = await anyio.to_thread.run_sync(app.place_order, tenant_id, lines)

``anyio.to_thread.run_sync`` copies the caller's contextvars into the thread, so the tenant and
correlation ids set by the API middleware reach the events the command triggers.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, ParamSpec, Self, TypeVar, cast
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    ProcessRecorder,
    Recording,
    StoredEvent,
    Tracking,
)
from eventsourcing.popo import POPOFactory, POPOProcessRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresFactory, PostgresProcessRecorder
from eventsourcing.utils import Environment, EnvType, get_topic
from psycopg import sql
from pydantic import SecretStr

from shop_runtime.aggregate import Conflict, NotFound, TenantAggregate, ensure_tenant
from shop_runtime.settings import ServiceSettings

if TYPE_CHECKING:
    from psycopg import Cursor
    from psycopg.rows import DictRow

__all__ = [
    "AlreadyProcessed",
    "AlreadyTracked",
    "PopoServiceRecorder",
    "PostgresServiceRecorder",
    "Processed",
    "ServiceApplication",
    "ServiceRecorder",
    "command",
    "create_event_store_tables",
    "event_store_env",
]

T = TypeVar("T")
P = ParamSpec("P")
A = TypeVar("A", bound="ServiceApplication")
TAgg = TypeVar("TAgg", bound=TenantAggregate)


# -- errors of the process recorder ----------------------------------------------------------------


class AlreadyTracked(IntegrityError):
    """The tracking record is not ahead of the saved one: this position was already processed."""


class AlreadyProcessed(IntegrityError):
    """The message's event id was already processed by this consumer (a re-sent duplicate)."""


@dataclass(frozen=True, slots=True)
class Processed:
    """The (consumer, event id) pair saved with a consumer's effects, for deduplication."""

    consumer: str
    event_id: UUID


# -- recorders -------------------------------------------------------------------------------------


class ServiceRecorder(ProcessRecorder):
    """A process recorder that also records processed message ids (see the module docstring).

    ``insert_events(stored, tracking=Tracking(...), processed=Processed(...))`` saves events, the
    tracking position and the processed id in one transaction, or nothing. It raises
    `AlreadyTracked` when the tracking id is not higher than the saved one, `AlreadyProcessed` when
    the (consumer, event id) pair exists, and a plain `IntegrityError` on a version conflict.
    """

    def has_processed(self, processed: Processed) -> bool:
        raise NotImplementedError


class PostgresServiceRecorder(PostgresProcessRecorder, ServiceRecorder):
    """`ServiceRecorder` on PostgreSQL: tables ``<app>_events``, ``<app>_tracking``,
    ``<app>_processed``.
    """

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ):
        super().__init__(
            datastore,
            events_table_name=events_table_name,
            tracking_table_name=tracking_table_name,
        )
        self.processed_table_name = processed_table_name_for(events_table_name)
        self.check_identifier_length(self.processed_table_name)
        table = sql.SQL("{0}.{1}").format(
            sql.Identifier(self.datastore.schema), sql.Identifier(self.processed_table_name)
        )
        self.sql_create_statements.append(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                "consumer text NOT NULL, "
                "event_id uuid NOT NULL, "
                "processed_at timestamptz NOT NULL DEFAULT now(), "
                "PRIMARY KEY (consumer, event_id))"
            ).format(table)
        )
        self.insert_processed_statement = sql.SQL(
            "INSERT INTO {0} (consumer, event_id) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING RETURNING event_id"
        ).format(table)
        self.select_processed_statement = sql.SQL(
            "SELECT 1 FROM {0} WHERE consumer = %s AND event_id = %s"
        ).format(table)

    def _insert_tracking(self, curs: Cursor[DictRow], tracking: Tracking) -> None:
        try:
            super()._insert_tracking(curs, tracking)
        except AlreadyTracked:
            raise
        except IntegrityError as e:
            # The library's upsert refuses a tracking id that is not strictly higher.
            raise AlreadyTracked(str(e)) from e

    def _insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        # Tracking first: a redelivered offset is reported as AlreadyTracked, not as a duplicate.
        super()._insert_events(curs, stored_events, **kwargs)
        processed: Processed | None = kwargs.get("processed")
        if processed is not None:
            curs.execute(
                self.insert_processed_statement,
                (processed.consumer, processed.event_id),
                prepare=True,
            )
            if curs.fetchone() is None:
                msg = f"{processed.consumer} already processed event {processed.event_id}"
                raise AlreadyProcessed(msg)

    def has_processed(self, processed: Processed) -> bool:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                self.select_processed_statement,
                (processed.consumer, processed.event_id),
                prepare=True,
            )
            return curs.fetchone() is not None


class PopoServiceRecorder(POPOProcessRecorder, ServiceRecorder):
    """`ServiceRecorder` in memory, for unit tests."""

    def __init__(self) -> None:
        super().__init__()
        self._processed: set[Processed] = set()

    def _assert_tracking_uniqueness(self, tracking: Tracking) -> None:
        try:
            super()._assert_tracking_uniqueness(tracking)
        except AlreadyTracked:
            raise
        except IntegrityError as e:
            raise AlreadyTracked(str(e)) from e

    def _assert_uniqueness(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._assert_uniqueness(stored_events, **kwargs)
        processed: Processed | None = kwargs.get("processed")
        if processed is not None and processed in self._processed:
            msg = f"{processed.consumer} already processed event {processed.event_id}"
            raise AlreadyProcessed(msg)

    def _update_table(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._update_table(stored_events, **kwargs)
        processed: Processed | None = kwargs.get("processed")
        if processed is not None:
            self._processed.add(processed)
        return notification_ids

    def has_processed(self, processed: Processed) -> bool:
        with self._database_lock:
            return processed in self._processed


def processed_table_name_for(events_table_name: str) -> str:
    return events_table_name.removesuffix("_events") + "_processed"


# -- configuration ---------------------------------------------------------------------------------


def event_store_env(
    settings: ServiceSettings, *, owner: bool = False, schema: str = "public"
) -> dict[str, str]:
    """The `eventsourcing` environment for the service's PostgreSQL event store."""
    user, password = (
        (settings.postgres_owner_user, settings.postgres_owner_password)
        if owner
        else (settings.postgres_user, settings.postgres_password)
    )
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "PROCESS_RECORDER_TOPIC": get_topic(PostgresServiceRecorder),
        "POSTGRES_DBNAME": settings.database,
        "POSTGRES_HOST": settings.postgres_host,
        "POSTGRES_PORT": str(settings.postgres_port),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password.get_secret_value(),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.postgres_pool_size),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_PRE_PING": "y",
        # The application role may not create tables; the owner does, in a migration step.
        "CREATE_TABLE": "y" if owner else "n",
    }


def create_event_store_tables(
    settings: ServiceSettings, app_name: str, *, schema: str = "public"
) -> list[str]:
    """Create the event store tables of application ``app_name`` as the owner role; grant the app
    role.

    Idempotent. Returns the table names. The application role gets SELECT, INSERT and UPDATE: the
    recorder takes ``LOCK TABLE ... IN EXCLUSIVE MODE`` on every insert (to keep notification ids in
    commit order, so the log is safe to tail), and that lock mode needs UPDATE, DELETE or TRUNCATE.
    It also needs the notification id sequence.
    """
    env = Environment(app_name, event_store_env(settings, owner=True, schema=schema))
    factory = PostgresFactory(env)
    try:
        recorder = factory.process_recorder()  # creates the tables: CREATE_TABLE=y
        assert isinstance(recorder, PostgresServiceRecorder)
        tables = [
            recorder.events_table_name,
            recorder.tracking_table_name,
            recorder.processed_table_name,
        ]
    finally:
        factory.close()
    app_role = sql.Identifier(settings.postgres_user)
    with psycopg.connect(settings.libpq_dsn(owner=True), autocommit=True) as conn:
        for table in tables:
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT, UPDATE ON {0}.{1} TO {2}").format(
                    sql.Identifier(schema), sql.Identifier(table), app_role
                )
            )
        conn.execute(
            sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {0}.{1} TO {2}").format(
                sql.Identifier(schema),
                sql.Identifier(f"{tables[0]}_notification_id_seq"),
                app_role,
            )
        )
    return tables


# -- the application -------------------------------------------------------------------------------


class ServiceApplication(Application[UUID]):
    """Base of every service's event-sourced application (see the module docstring)."""

    # Upper bound of one backoff sleep between command retries, in seconds.
    retry_backoff_cap: ClassVar[float] = 0.05
    retry_backoff_base: ClassVar[float] = 0.002

    recorder: ServiceRecorder

    def __init__(
        self,
        settings: ServiceSettings | None = None,
        *,
        name: str | None = None,
        env: EnvType | None = None,
        schema: str = "public",
    ) -> None:
        if name is not None:
            self.name = name
        self.settings = settings if settings is not None else ServiceSettings()
        given = dict(env or {})
        persistence = given.get("PERSISTENCE_MODULE", "eventsourcing.postgres")
        base = (
            event_store_env(self.settings, schema=schema)
            if persistence == "eventsourcing.postgres"
            else {}
        )
        self.event_namespace = uuid5(
            NAMESPACE_URL, f"urn:shop:{self.settings.service_name}:{self.name}"
        )
        super().__init__(env={**base, **given})

    @classmethod
    def in_memory(cls, settings: ServiceSettings | None = None, *, name: str | None = None) -> Self:
        """The same application on the in-memory store, for unit tests."""
        if settings is None:
            # No database: no credentials needed (they have no defaults in ServiceSettings).
            settings = ServiceSettings(
                postgres_password=SecretStr(""), postgres_owner_password=SecretStr("")
            )
        return cls(settings, name=name, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})

    # -- construction ------------------------------------------------------------------------------

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Unlike the base class, never read os.environ: everything comes from settings and `env`.
        merged = dict(type(self).env)
        if type(self).is_snapshotting_enabled or type(self).snapshotting_intervals:
            merged["IS_SNAPSHOTTING_ENABLED"] = "y"
        if env is not None:
            merged.update(env)
        return Environment(name, merged)

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        return InfrastructureFactory.construct(env)

    def construct_recorder(self) -> ServiceRecorder:
        if isinstance(self.factory, POPOFactory):
            # The in-memory factory ignores PROCESS_RECORDER_TOPIC.
            return PopoServiceRecorder()
        recorder = self.factory.process_recorder()
        if not isinstance(recorder, ServiceRecorder):
            msg = (
                f"{type(recorder).__name__} is not a ServiceRecorder: check PROCESS_RECORDER_TOPIC"
            )
            raise TypeError(msg)
        return recorder

    # -- ids ---------------------------------------------------------------------------------------

    def event_id_for(self, originator_id: UUID, originator_version: int) -> UUID:
        """The public event id of a stored aggregate event: the same every time it is re-sent."""
        return uuid5(self.event_namespace, f"{originator_id}:{originator_version}")

    # -- commands ----------------------------------------------------------------------------------

    def execute(self, fn: Callable[[], T], *, retries: int | None = None) -> T:
        """Run a read-decide-save function, re-running it on a version conflict.

        ``fn`` must read the aggregates it changes itself (so a retry sees the winner's events) and
        save them with ``self.save``. After ``retries`` (default ``settings.command_retries``)
        failed re-runs, raises `Conflict` (HTTP 409).
        """
        limit = self.settings.command_retries if retries is None else retries
        attempt = 0
        while True:
            try:
                return fn()
            except (AlreadyTracked, AlreadyProcessed):
                raise
            except IntegrityError as e:
                if attempt >= limit:
                    msg = f"version conflict persisted after {attempt} retries"
                    raise Conflict(msg) from e
                # Full jitter: contenders spread out instead of colliding again in lockstep.
                ceiling = min(self.retry_backoff_cap, self.retry_backoff_base * 2**attempt)
                time.sleep(random.uniform(0, ceiling))
                attempt += 1

    def get_for_tenant(self, aggregate_id: UUID, tenant_id: UUID, cls: type[TAgg]) -> TAgg:
        """Load an aggregate of type ``cls`` that belongs to ``tenant_id``, else raise
        `NotFound`.
        """
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{cls.__name__} {aggregate_id} not found") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{cls.__name__} {aggregate_id} not found")
        return ensure_tenant(aggregate, tenant_id)

    # -- consumers ---------------------------------------------------------------------------------

    def save_processed(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        tracking: Tracking,
        processed: Processed | None = None,
    ) -> list[Recording[UUID]]:
        """Save the events of ``objs`` with a tracking record and a processed id, atomically.

        Raises `AlreadyTracked`, `AlreadyProcessed` or (version conflict) `IntegrityError`; in every
        case nothing was saved.
        """
        processing_event: ProcessingEvent[UUID] = ProcessingEvent(tracking=tracking)
        if processed is not None:
            processing_event.collect_events(*objs, processed=processed)
        else:
            processing_event.collect_events(*objs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings


def command(
    fn: Callable[Concatenate[A, P], T],
) -> Callable[Concatenate[A, P], T]:
    """Decorate a `ServiceApplication` method to run it through `ServiceApplication.execute`.

    ::

        class Counters(ServiceApplication):
            @command
            def increment(self, counter_id: UUID, tenant_id: UUID) -> int:
                counter = self.get_for_tenant(counter_id, tenant_id, Counter)
                counter.increment(1)
                self.save(counter)
                return counter.value
    """

    @functools.wraps(fn)
    def wrapper(self: A, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.execute(lambda: fn(self, *args, **kwargs))

    return cast("Callable[Concatenate[A, P], T]", wrapper)
