"""GET /payments/{payment_id}, GET /payments (perm ``payments.view``), from the read model."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from shop_runtime.auth import Principal, require_permission
from shop_runtime.errors import ProblemError

from payments.api.deps import PaymentsDeps
from payments.api.models import PaymentList, PaymentOut

__all__ = ["router"]

router = APIRouter(tags=["payments"])

Viewer = Annotated[Principal, require_permission("payments.view")]
Status = Literal[
    "pending", "authorized", "failed", "captured", "partially_refunded", "refunded", "voided"
]


def _tenant(principal: Principal) -> UUID:
    if principal.tenant_id is None:
        raise ProblemError(400, "tenant_required", detail="A tenant token is required.")
    return principal.tenant_id


@router.get("/payments/{payment_id}", response_model=PaymentOut)
async def get_payment(payment_id: UUID, principal: Viewer, deps: PaymentsDeps) -> PaymentOut:
    view = await deps.queries.get(_tenant(principal), payment_id)
    if view is None:
        raise ProblemError(404, "not_found", detail=f"Payment {payment_id} not found")
    return PaymentOut.of(view)


@router.get("/payments", response_model=PaymentList)
async def list_payments(
    principal: Viewer,
    deps: PaymentsDeps,
    order_id: UUID | None = None,
    status: Status | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PaymentList:
    views = await deps.queries.list(
        _tenant(principal),
        order_id=order_id,
        status=status,
        after=_decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = views[:limit]
    next_cursor = (
        _encode_cursor(page[-1].created_at, page[-1].payment_id) if len(views) > limit else None
    )
    return PaymentList(items=[PaymentOut.of(v) for v in page], next_cursor=next_cursor)


def _encode_cursor(at: datetime, payment_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{payment_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        at, _, pid = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        parsed = datetime.fromisoformat(at), UUID(pid)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ProblemError(400, "invalid_cursor", detail="The cursor is not valid.") from None
    if parsed[0].tzinfo is None:
        raise ProblemError(400, "invalid_cursor", detail="The cursor is not valid.")
    return parsed
