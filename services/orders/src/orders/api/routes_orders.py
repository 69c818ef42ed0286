"""Orders: the customer's own, and the staff's admin list. One order is read fresh from its
events; lists come from the read model (a projection, a moment behind)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, Query
from shop_runtime.aggregate import NotFound
from shop_runtime.auth import Principal, require_permission
from shop_runtime.errors import ProblemError

from orders.api.deps import Caller, CallerDep, ServicesDep
from orders.api.models import OrderPageOut, OrderSummaryOut, order_out
from orders.application.ports import AdminOrderFilter, OrderPage
from orders.domain.order import CancelReason, Cause, Order, OrderStatus

router = APIRouter(tags=["orders"])

Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=500)]


def _page(page: OrderPage) -> OrderPageOut:
    return OrderPageOut(
        items=[OrderSummaryOut.of(s) for s in page.items], next_cursor=page.next_cursor
    )


async def _visible_order(caller: Caller, services: Any, order_id: UUID) -> Order:
    """The order if the caller may see it: its customer, or staff with orders.view. Anyone else
    gets the same 404 as for an id that does not exist."""
    order: Order = await anyio.to_thread.run_sync(services.app.order, caller.tenant_id, order_id)
    if caller.is_customer:
        if order.customer_id != caller.user_id:
            raise NotFound(f"Order {order_id} not found")
    elif not caller.principal.has_permission("orders.view"):
        raise ProblemError(403, "forbidden", detail="Missing permission: orders.view")
    return order


@router.get("/orders/{order_id}")
async def get_order(order_id: UUID, caller: CallerDep, services: ServicesDep) -> dict[str, Any]:
    return order_out(await _visible_order(caller, services, order_id))


@router.get("/orders")
async def my_orders(
    caller: CallerDep, services: ServicesDep, cursor: Cursor = None, limit: Limit = 20
) -> OrderPageOut:
    """A customer's own orders, newest first (staff with orders.view: every order)."""
    if caller.is_customer:
        filters = AdminOrderFilter(customer_id=caller.user_id)
    elif caller.principal.has_permission("orders.view"):
        filters = AdminOrderFilter()
    else:
        raise ProblemError(403, "forbidden", detail="Missing permission: orders.view")
    page = await services.queries.list_orders(caller.tenant_id, filters, cursor=cursor, limit=limit)
    return _page(page)


def _moment(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """An ISO 8601 date or date-time (naive = UTC). A bare date as an upper bound (``end``)
    includes that whole day."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time.min)
            if end:
                moment += timedelta(days=1)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise ProblemError(
            422, "invalid_query", detail=f"{name} must be an ISO 8601 date or date-time."
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@router.get("/admin/orders")
async def admin_orders(
    principal: Annotated[Principal, require_permission("orders.view")],
    services: ServicesDep,
    status: OrderStatus | None = None,
    placed_from: Annotated[str | None, Query(max_length=40)] = None,
    placed_to: Annotated[str | None, Query(max_length=40)] = None,
    customer_id: UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> OrderPageOut:
    """Every order of the tenant, newest first, filtered by status and placing time
    (``placed_from`` inclusive, ``placed_to`` exclusive; a bare date as ``placed_to`` includes
    that day)."""
    if principal.tenant_id is None:
        raise ProblemError(403, "forbidden", detail="A tenant's token is required.")
    filters = AdminOrderFilter(
        status=status.value if status is not None else None,
        placed_from=_moment(placed_from, "placed_from"),
        placed_to=_moment(placed_to, "placed_to", end=True),
        customer_id=customer_id,
    )
    page = await services.queries.list_orders(
        principal.tenant_id, filters, cursor=cursor, limit=limit
    )
    return _page(page)


@router.post("/orders/{order_id}/cancel")
async def cancel_order(order_id: UUID, caller: CallerDep, services: ServicesDep) -> dict[str, Any]:
    """The order's customer (before it is confirmed: reason customer_request) or staff with
    orders.manage (reason staff_cancelled). A step the order's state forbids is 409."""
    user_id = caller.user_id
    if caller.is_customer:
        order: Order = await anyio.to_thread.run_sync(
            services.app.order, caller.tenant_id, order_id
        )
        if order.customer_id != user_id or user_id is None:
            raise NotFound(f"Order {order_id} not found")
        reason, cause = CancelReason.CUSTOMER_REQUEST, Cause.customer(user_id)
    elif caller.principal.has_permission("orders.manage") and user_id is not None:
        reason, cause = CancelReason.STAFF_CANCELLED, Cause.staff(user_id)
    else:
        raise ProblemError(403, "forbidden", detail="Missing permission: orders.manage")
    cancelled = await anyio.to_thread.run_sync(
        services.app.cancel_order, caller.tenant_id, order_id, reason, cause
    )
    return order_out(cancelled)
