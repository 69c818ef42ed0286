"""The shipments read model, projected from shipping's own notification log.

The runtime's `Projector` applies each batch of events and its position in one transaction, with
``app.tenant_id`` set to each event's tenant (row-level security checks every write): so every
event is applied exactly once, and the non-idempotent updates below (attempt counters, appended NDR
actions) are safe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from shop_runtime.projector import Projector
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from shipping.adapters.read_models import ndr_cases, shipments, tracking_events

__all__ = ["ShipmentProjector"]

# Aggregate event → the status the shipment enters (events that only move the status).
_STATUS_OF = {
    "Shipment.LabelCreated": "label_created",
    "Shipment.Shipped": "shipped",
    "Shipment.OutForDelivery": "out_for_delivery",
    "Shipment.DeliveryFailed": "delivery_failed",
    "Shipment.Delivered": "delivered",
    "Shipment.ReturnToOriginInitiated": "rto_initiated",
    "Shipment.ReturnedToOrigin": "returned_to_origin",
    "Shipment.Cancelled": "cancelled",
}


def _action(
    kind: str,
    at: datetime,
    performed_by: UUID | None,
    note: str | None = None,
    reattempt_on: str | None = None,
) -> list[dict[str, Any]]:
    return [
        {
            "type": kind,
            "at": at.isoformat(),
            "performed_by": str(performed_by) if performed_by else None,
            "note": note,
            "reattempt_on": reattempt_on,
        }
    ]


class ShipmentProjector(Projector):
    """shipments, shipment_tracking_events, shipment_ndr_cases."""

    name = "shipping.shipments"

    async def project(self, conn: AsyncConnection, event: DomainEventProtocol[UUID]) -> None:
        kind = type(event).__qualname__
        if not kind.startswith("Shipment."):
            return
        e: Any = event
        shipment_id = event.originator_id
        at = e.timestamp
        if kind == "Shipment.Created":
            await conn.execute(
                insert(shipments)
                .values(
                    shipment_id=shipment_id,
                    tenant_id=e.tenant_id,
                    order_id=e.order_id,
                    status="created",
                    carrier=e.carrier,
                    created_at=e.created_at,
                    updated_at=at,
                )
                .on_conflict_do_nothing()
            )
            return
        if kind == "Shipment.TrackingEventRecorded":
            await conn.execute(
                insert(tracking_events)
                .values(
                    shipment_id=shipment_id,
                    carrier_event_id=e.carrier_event_id,
                    tenant_id=e.tenant_id,
                    seq=event.originator_version,
                    code=e.code,
                    occurred_at=e.occurred_at,
                    location=e.location,
                    description=e.description,
                    reason_code=e.reason_code,
                    outcome=e.outcome,
                )
                .on_conflict_do_nothing()
            )
        values: dict[str, Any] = {"updated_at": at}
        if kind in _STATUS_OF:
            values["status"] = _STATUS_OF[kind]
        if kind == "Shipment.LabelCreated":
            values.update(
                carrier=e.carrier, tracking_number=e.tracking_number, tracking_url=e.tracking_url
            )
        await conn.execute(
            update(shipments).where(shipments.c.shipment_id == shipment_id).values(**values)
        )
        await self._project_ndr(conn, kind, e, shipment_id)

    async def _project_ndr(
        self, conn: AsyncConnection, kind: str, e: Any, shipment_id: UUID
    ) -> None:
        match kind:
            case "Shipment.DeliveryFailed":
                next_number = (
                    select(func.coalesce(func.max(ndr_cases.c.number), 0) + 1)
                    .where(ndr_cases.c.shipment_id == shipment_id)
                    .scalar_subquery()
                )
                stmt = insert(ndr_cases).values(
                    ndr_case_id=e.ndr_case_id,
                    tenant_id=e.tenant_id,
                    shipment_id=shipment_id,
                    number=next_number,
                    status="open",
                    reason_code=e.reason_code,
                    reason_description=e.reason_description,
                    attempts=1,
                    opened_at=e.failed_at,
                )
                await conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[ndr_cases.c.ndr_case_id],
                        set_={
                            "attempts": ndr_cases.c.attempts + 1,
                            "status": "open",
                            "reason_code": stmt.excluded.reason_code,
                            "reason_description": stmt.excluded.reason_description,
                        },
                    )
                )
            case "Shipment.Delivered" if e.ndr_case_id is not None:
                await self._resolve(conn, e.ndr_case_id, "delivered", e.delivered_at)
            case "Shipment.ReattemptScheduled":
                action = _action(
                    "reattempt_scheduled", e.scheduled_at, e.performed_by, e.note, e.reattempt_on
                )
                await self._add_action(conn, e.ndr_case_id, action, "reattempt_scheduled")
            case "Shipment.AddressUpdated" if e.ndr_case_id is not None:
                action = _action("address_updated", e.updated_at, e.performed_by)
                await self._add_action(conn, e.ndr_case_id, action, None)
            case "Shipment.ReturnToOriginInitiated" if e.ndr_case_id is not None:
                action = _action("return_to_origin", e.initiated_at, e.initiated_by, e.note)
                await self._add_action(conn, e.ndr_case_id, action, None)
                await self._resolve(conn, e.ndr_case_id, "rto", e.initiated_at)

    async def _add_action(
        self, conn: AsyncConnection, case_id: UUID, action: list[dict[str, Any]], status: str | None
    ) -> None:
        values: dict[str, Any] = {
            "actions": ndr_cases.c.actions.op("||")(bindparam(None, action, type_=JSONB))
        }
        if status is not None:
            values["status"] = status
        await conn.execute(
            update(ndr_cases).where(ndr_cases.c.ndr_case_id == case_id).values(**values)
        )

    async def _resolve(
        self, conn: AsyncConnection, case_id: UUID, resolution: str, at: datetime
    ) -> None:
        await conn.execute(
            update(ndr_cases)
            .where(ndr_cases.c.ndr_case_id == case_id)
            .values(status="resolved", resolution=resolution, resolved_at=at)
        )
