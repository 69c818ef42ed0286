"""Runtime tables of the read side: consumer positions, processed message ids, projection positions.

They live in each service's own database, beside its read models, and are created by the service's
Alembic migrations (`runtime_metadata` / `shop_runtime.migrations.create_runtime_tables`). They are
not tenant tables (no ``tenant_id``, no row-level security): one row tracks a position that covers
every tenant.

The helpers run inside the caller's transaction, which is the point: the position (and the processed
id) commit with the effects or not at all.

* `advance_consumer` upserts ``consumer_tracking`` only to a strictly higher offset. It returns
  False when the stored offset is already at or past this one (a redelivery, or another instance of
  the group got there first: the upsert waits for that instance's row lock, then sees its offset).
* `mark_processed` inserts ``(consumer, event_id)`` and returns False if it was there: a message
  re-sent by the relay under a new offset.
* `advance_projection` is the same upsert for a projector's notification id.

``processed_events`` grows with traffic; `prune_processed` deletes ids older than a window longer
than any plausible re-send delay (the relay re-sends only what it had not recorded as acknowledged).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = [
    "advance_consumer",
    "advance_projection",
    "consumer_position",
    "consumer_tracking",
    "mark_processed",
    "processed_events",
    "projection_position",
    "projection_tracking",
    "prune_processed",
    "runtime_metadata",
]

runtime_metadata = MetaData()

consumer_tracking = Table(
    "consumer_tracking",
    runtime_metadata,
    Column("consumer", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "topic", "partition", name="consumer_tracking_pkey"),
)

processed_events = Table(
    "processed_events",
    runtime_metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id", name="processed_events_pkey"),
)

projection_tracking = Table(
    "projection_tracking",
    runtime_metadata,
    Column("projection", Text, nullable=False),
    Column("notification_id", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("projection", name="projection_tracking_pkey"),
)


async def consumer_position(
    conn: AsyncConnection, consumer: str, topic: str, partition: int
) -> int | None:
    """The last offset whose effects were saved, or None."""
    result = await conn.execute(
        select(consumer_tracking.c.offset).where(
            consumer_tracking.c.consumer == consumer,
            consumer_tracking.c.topic == topic,
            consumer_tracking.c.partition == partition,
        )
    )
    value = result.scalar_one_or_none()
    return None if value is None else int(value)


async def advance_consumer(
    conn: AsyncConnection, consumer: str, topic: str, partition: int, offset: int
) -> bool:
    """Record ``offset`` as processed if it is ahead of the saved one; False if it is not."""
    values = insert(consumer_tracking).values(
        consumer=consumer, topic=topic, partition=partition, offset=offset
    )
    stmt = values.on_conflict_do_update(
        constraint="consumer_tracking_pkey",
        set_={"offset": values.excluded.offset, "updated_at": func.now()},
        where=consumer_tracking.c.offset < values.excluded.offset,
    ).returning(consumer_tracking.c.offset)
    result = await conn.execute(stmt)
    return result.first() is not None


async def mark_processed(conn: AsyncConnection, consumer: str, event_id: UUID) -> bool:
    """Record that ``consumer`` handled ``event_id``; False if it already had."""
    stmt = (
        insert(processed_events)
        .values(consumer=consumer, event_id=event_id)
        .on_conflict_do_nothing(constraint="processed_events_pkey")
        .returning(processed_events.c.event_id)
    )
    result = await conn.execute(stmt)
    return result.first() is not None


async def projection_position(conn: AsyncConnection, projection: str) -> int | None:
    """The last notification id the projection saved, or None."""
    result = await conn.execute(
        select(projection_tracking.c.notification_id).where(
            projection_tracking.c.projection == projection
        )
    )
    value = result.scalar_one_or_none()
    return None if value is None else int(value)


async def advance_projection(conn: AsyncConnection, projection: str, notification_id: int) -> bool:
    """Record the projection's new position if it is ahead of the saved one; False if it is not."""
    values = insert(projection_tracking).values(
        projection=projection, notification_id=notification_id
    )
    stmt = values.on_conflict_do_update(
        constraint="projection_tracking_pkey",
        set_={"notification_id": values.excluded.notification_id, "updated_at": func.now()},
        where=projection_tracking.c.notification_id < values.excluded.notification_id,
    ).returning(projection_tracking.c.notification_id)
    result = await conn.execute(stmt)
    return result.first() is not None


async def prune_processed(conn: AsyncConnection, older_than: datetime) -> int:
    """Delete processed ids recorded before ``older_than``; returns how many."""
    result = await conn.execute(
        processed_events.delete().where(processed_events.c.processed_at < older_than)
    )
    return int(result.rowcount)
