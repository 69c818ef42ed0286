"""`PaymentsProjector`: the payments event store → ``payments`` and ``payment_transactions``.

Runs with the runtime's `Projector` (tracking in ``projection_tracking``, the tenant set per event
for row-level security). Upserts, so a table rebuilt from position 0 ends in the same state.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from shop_runtime.projector import Projector
from sqlalchemy import case, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from payments.adapters.read_models import payment_transactions, payments
from payments.domain.payment import Payment, PaymentStatus
from payments.domain.transactions import TransactionKind, TransactionStatus

__all__ = ["PaymentsProjector"]

_REQUESTED: dict[str, TransactionKind] = {
    "AuthorizationRequested": TransactionKind.AUTHORIZE,
    "CaptureRequested": TransactionKind.CAPTURE,
    "VoidRequested": TransactionKind.VOID,
    "RefundRequested": TransactionKind.REFUND,
}
_SUCCEEDED: dict[str, PaymentStatus | None] = {
    "Authorized": PaymentStatus.AUTHORIZED,
    "Captured": PaymentStatus.CAPTURED,
    "Voided": PaymentStatus.VOIDED,
    "Refunded": None,  # computed from the refunded total
}
_FAILED = ("AuthorizationFailed", "CaptureFailed", "VoidFailed", "RefundFailed")


class PaymentsProjector(Projector):
    name: ClassVar[str] = "payments.read_model"

    async def project(self, conn: AsyncConnection, event: DomainEventProtocol[UUID]) -> None:
        if not isinstance(event, Payment.Event):
            return
        e: Any = event
        kind = type(e).__name__
        tenant_id, payment_id, at = e.tenant_id, e.originator_id, e.timestamp
        if kind == "Created":
            stmt = insert(payments).values(
                tenant_id=tenant_id,
                payment_id=payment_id,
                order_id=e.order_id,
                status=PaymentStatus.PENDING.value,
                amount=e.amount,
                currency=e.currency,
                provider=e.provider,
                version=e.originator_version,
                created_at=at,
                updated_at=at,
            )
            await conn.execute(stmt.on_conflict_do_nothing(constraint="payments_pkey"))
            return

        values: dict[str, Any] = {"updated_at": at, "version": e.originator_version}
        if kind in _REQUESTED:
            await self._upsert_transaction(conn, e, _REQUESTED[kind])
        elif kind in _SUCCEEDED:
            await self._complete(conn, e, TransactionStatus.SUCCEEDED)
            status = _SUCCEEDED[kind]
            if status is not None:
                values["status"] = status.value
            if kind == "Captured":
                values["captured_amount"] = payments.c.captured_amount + e.amount
            if kind == "Refunded":
                values["refunded_amount"] = e.refunded_total
                values["status"] = case(
                    (
                        payments.c.captured_amount <= e.refunded_total,
                        PaymentStatus.REFUNDED.value,
                    ),
                    else_=PaymentStatus.PARTIALLY_REFUNDED.value,
                )
        elif kind in _FAILED:
            await self._complete(conn, e, TransactionStatus.FAILED)
            if kind == "AuthorizationFailed":
                values.update(status=PaymentStatus.FAILED.value, failure_code=e.failure_code)
        elif kind == "Rejected":
            values.update(status=PaymentStatus.FAILED.value, failure_code=e.failure_code)
        await conn.execute(
            update(payments)
            .where(payments.c.tenant_id == tenant_id, payments.c.payment_id == payment_id)
            .values(**values)
        )

    @staticmethod
    async def _upsert_transaction(conn: AsyncConnection, e: Any, kind: TransactionKind) -> None:
        stmt = insert(payment_transactions).values(
            tenant_id=e.tenant_id,
            transaction_id=e.transaction_id,
            payment_id=e.originator_id,
            kind=kind.value,
            status=TransactionStatus.PENDING.value,
            amount=e.amount,
            currency=e.currency,
            attempt=e.attempt,
            requested_at=e.requested_at,
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                constraint="payment_transactions_pkey",
                set_={
                    "status": TransactionStatus.PENDING.value,
                    "attempt": stmt.excluded.attempt,
                    "failure_code": None,
                    "completed_at": None,
                },
            )
        )

    @staticmethod
    async def _complete(conn: AsyncConnection, e: Any, status: TransactionStatus) -> None:
        t = payment_transactions.c
        await conn.execute(
            update(payment_transactions)
            .where(t.tenant_id == e.tenant_id, t.transaction_id == e.transaction_id)
            .values(
                status=status.value,
                provider_reference=getattr(e, "provider_reference", None),
                failure_code=getattr(e, "failure_code", None),
                completed_at=e.timestamp,
            )
        )
