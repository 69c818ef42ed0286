"""Read-model tables of payments (every row has ``tenant_id``; RLS forced by the migration) and
their queries.

No card data anywhere: a payment row holds amounts, statuses and the provider's references only.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from shop_runtime.db import tenant_transaction
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from payments.application.ports import PaymentView, TransactionView

__all__ = [
    "SqlPaymentQueries",
    "SqlWebhookLog",
    "metadata",
    "payment_transactions",
    "payment_webhook_events",
    "payments",
]

metadata = MetaData()

payments = Table(
    "payments",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("payment_id", Uuid, nullable=False),
    Column("order_id", Uuid, nullable=False),
    Column("status", Text, nullable=False),
    Column("amount", Numeric(20, 4), nullable=False),
    Column("currency", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("failure_code", Text),
    Column("captured_amount", Numeric(20, 4), nullable=False, server_default="0"),
    Column("refunded_amount", Numeric(20, 4), nullable=False, server_default="0"),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "payment_id", name="payments_pkey"),
    Index("payments_tenant_order_idx", "tenant_id", "order_id"),
    Index("payments_tenant_created_idx", "tenant_id", "created_at", "payment_id"),
)

payment_transactions = Table(
    "payment_transactions",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("transaction_id", Uuid, nullable=False),
    Column("payment_id", Uuid, nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("amount", Numeric(20, 4), nullable=False),
    Column("currency", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("provider_reference", Text),
    Column("failure_code", Text),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("tenant_id", "transaction_id", name="payment_transactions_pkey"),
    Index("payment_transactions_payment_idx", "tenant_id", "payment_id"),
    Index("payment_transactions_reference_idx", "tenant_id", "provider_reference"),
)

payment_webhook_events = Table(
    "payment_webhook_events",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("provider", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("state", Text, nullable=False),  # received → applied | ignored (committed together)
    Column("payment_id", Uuid),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("processed_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("tenant_id", "provider", "event_id", name="payment_webhook_events_pkey"),
)

TENANT_TABLES = ("payments", "payment_transactions", "payment_webhook_events")


def _transaction_view(row: Any) -> TransactionView:
    return TransactionView(
        transaction_id=row.transaction_id,
        kind=row.kind,
        status=row.status,
        amount=row.amount,
        currency=row.currency,
        provider_reference=row.provider_reference,
        failure_code=row.failure_code,
        at=row.completed_at or row.requested_at,
    )


def _payment_view(row: Any, txns: list[TransactionView]) -> PaymentView:
    return PaymentView(
        payment_id=row.payment_id,
        order_id=row.order_id,
        status=row.status,
        amount=row.amount,
        currency=row.currency,
        provider=row.provider,
        failure_code=row.failure_code,
        captured_amount=row.captured_amount,
        refunded_amount=row.refunded_amount,
        created_at=row.created_at,
        updated_at=row.updated_at,
        transactions=txns,
    )


class SqlPaymentQueries:
    """`PaymentQueries` on the read model; every query runs in a tenant transaction (RLS)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, tenant_id: UUID, payment_id: UUID) -> PaymentView | None:
        async with tenant_transaction(self.engine, tenant_id) as conn:
            row = (
                await conn.execute(
                    select(payments).where(
                        payments.c.tenant_id == tenant_id, payments.c.payment_id == payment_id
                    )
                )
            ).first()
            if row is None:
                return None
            txns = await self._transactions(conn, tenant_id, [payment_id])
            return _payment_view(row, txns.get(payment_id, []))

    async def list(
        self,
        tenant_id: UUID,
        *,
        order_id: UUID | None = None,
        status: str | None = None,
        after: tuple[datetime, UUID] | None = None,
        limit: int = 50,
    ) -> list[PaymentView]:
        query = select(payments).where(payments.c.tenant_id == tenant_id)
        if order_id is not None:
            query = query.where(payments.c.order_id == order_id)
        if status is not None:
            query = query.where(payments.c.status == status)
        if after is not None:
            at, last_id = after
            query = query.where(
                or_(
                    payments.c.created_at < at,
                    and_(payments.c.created_at == at, payments.c.payment_id < last_id),
                )
            )
        query = query.order_by(payments.c.created_at.desc(), payments.c.payment_id.desc())
        async with tenant_transaction(self.engine, tenant_id) as conn:
            rows = (await conn.execute(query.limit(limit))).all()
            txns = await self._transactions(conn, tenant_id, [r.payment_id for r in rows])
        return [_payment_view(r, txns.get(r.payment_id, [])) for r in rows]

    async def payment_for_reference(self, tenant_id: UUID, reference: str) -> UUID | None:
        async with tenant_transaction(self.engine, tenant_id) as conn:
            value = (
                await conn.execute(
                    select(payment_transactions.c.payment_id)
                    .where(
                        payment_transactions.c.tenant_id == tenant_id,
                        payment_transactions.c.provider_reference == reference,
                    )
                    .limit(1)
                )
            ).scalar_one_or_none()
        return value

    @staticmethod
    async def _transactions(
        conn: AsyncConnection, tenant_id: UUID, payment_ids: builtins.list[UUID]
    ) -> dict[UUID, builtins.list[TransactionView]]:
        if not payment_ids:
            return {}
        rows = await conn.execute(
            select(payment_transactions)
            .where(
                payment_transactions.c.tenant_id == tenant_id,
                payment_transactions.c.payment_id.in_(payment_ids),
            )
            .order_by(payment_transactions.c.requested_at, payment_transactions.c.transaction_id)
        )
        result: dict[UUID, builtins.list[TransactionView]] = {}
        for row in rows:
            result.setdefault(row.payment_id, []).append(_transaction_view(row))
        return result


class _Claim:
    def __init__(self, conn: AsyncConnection, key: dict[str, Any], is_new: bool) -> None:
        self.conn = conn
        self.key = key
        self.is_new = is_new

    async def finish(self, state: str, payment_id: UUID | None) -> None:
        t = payment_webhook_events.c
        await self.conn.execute(
            update(payment_webhook_events)
            .where(
                t.tenant_id == self.key["tenant_id"],
                t.provider == self.key["provider"],
                t.event_id == self.key["event_id"],
            )
            .values(state=state, payment_id=payment_id, processed_at=func.now())
        )


class SqlWebhookLog:
    """`WebhookLog` on ``payment_webhook_events`` (RLS: the tenant is set for the transaction)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def claim(
        self, tenant_id: UUID, provider: str, event_id: str, event_type: str
    ) -> AsyncIterator[_Claim]:
        key = {"tenant_id": tenant_id, "provider": provider, "event_id": event_id}
        async with tenant_transaction(self.engine, tenant_id) as conn:
            # ON CONFLICT DO NOTHING waits for a concurrent claim of the same event to commit or
            # roll back: a simultaneous duplicate is answered after the first one is done.
            inserted = (
                await conn.execute(
                    insert(payment_webhook_events)
                    .values(**key, event_type=event_type, state="received")
                    .on_conflict_do_nothing(constraint="payment_webhook_events_pkey")
                    .returning(payment_webhook_events.c.event_id)
                )
            ).first()
            yield _Claim(conn, key, inserted is not None)
