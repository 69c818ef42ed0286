"""Staff routes: shipments (``shipping.view``) and NDR actions (``shipping.manage``)."""

from __future__ import annotations

from functools import partial
from typing import Annotated
from uuid import UUID

import anyio
from fastapi import APIRouter, Query
from shop_runtime.aggregate import NotFound
from shop_runtime.auth import Principal, require_permission

from shipping.api.deps import Services
from shipping.api.models import ReattemptIn, ReturnToOriginIn, ShipmentListOut, ShipmentOut
from shipping.application.views import shipment_view
from shipping.domain.shipment import ShipmentStatus

__all__ = ["router"]

router = APIRouter(tags=["shipments"])

Viewer = Annotated[Principal, require_permission("shipping.view")]
Manager = Annotated[Principal, require_permission("shipping.manage")]


def _tenant(principal: Principal) -> UUID:
    # require_permission accepts platform tokens too; they name no tenant and see no shipment.
    if principal.tenant_id is None:
        raise NotFound("Shipment not found")
    return principal.tenant_id


def _actor(principal: Principal) -> UUID | None:
    try:
        return UUID(principal.subject)
    except ValueError:
        return None


@router.get("/shipments/{shipment_id}")
async def get_shipment(shipment_id: UUID, principal: Viewer, services: Services) -> ShipmentOut:
    """One shipment, read from the event store (always current)."""
    shipment = await anyio.to_thread.run_sync(
        services.app.shipment, shipment_id, _tenant(principal)
    )
    return ShipmentOut.of(shipment_view(shipment))


@router.get("/shipments")
async def list_shipments(
    principal: Viewer,
    services: Services,
    order_id: UUID | None = None,
    status: ShipmentStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ShipmentListOut:
    """Shipments of the tenant, newest first, from the read model (a few ms behind the log)."""
    page = await services.queries.list_shipments(
        _tenant(principal),
        order_id=order_id,
        status=status.value if status else None,
        cursor=cursor,
        limit=limit,
    )
    return ShipmentListOut(
        items=[ShipmentOut.of(v) for v in page.items], next_cursor=page.next_cursor
    )


@router.post("/shipments/{shipment_id}/ndr/reattempt")
async def reattempt(
    shipment_id: UUID, body: ReattemptIn, principal: Manager, services: Services
) -> ShipmentOut:
    """NDR action: schedule another delivery attempt (the shipment must be delivery_failed)."""
    shipment = await anyio.to_thread.run_sync(
        partial(
            services.app.schedule_reattempt,
            shipment_id,
            _tenant(principal),
            reattempt_on=body.reattempt_on,
            note=body.note,
            performed_by=_actor(principal),
        )
    )
    return ShipmentOut.of(shipment_view(shipment))


@router.post("/shipments/{shipment_id}/ndr/return-to-origin")
async def return_to_origin(
    shipment_id: UUID, body: ReturnToOriginIn, principal: Manager, services: Services
) -> ShipmentOut:
    """NDR action: send the shipment back; shipping.shipment_returned follows when the carrier
    confirms (webhook code ``returned_to_origin``)."""
    shipment = await anyio.to_thread.run_sync(
        partial(
            services.app.return_to_origin,
            shipment_id,
            _tenant(principal),
            reason=body.reason,
            performed_by=_actor(principal),
        )
    )
    return ShipmentOut.of(shipment_view(shipment))
