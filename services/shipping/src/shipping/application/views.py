"""What the API shows of a shipment, and the read-model port that lists shipments.

One shape whatever the source: `shipment_view` builds it from the aggregate (a single shipment,
read from the event store, always current), the read-model adapter from its tables (lists, filters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from shipping.domain.shipment import Shipment

__all__ = [
    "NdrActionView",
    "NdrCaseView",
    "ShipmentPage",
    "ShipmentQueries",
    "ShipmentView",
    "TrackingEventView",
    "shipment_view",
]


@dataclass(frozen=True, slots=True)
class TrackingEventView:
    event_id: str  # the carrier's event id
    code: str
    occurred_at: datetime
    location: str | None
    description: str | None
    reason_code: str | None
    outcome: str  # applied | ignored | stale


@dataclass(frozen=True, slots=True)
class NdrActionView:
    type: str
    at: datetime
    performed_by: UUID | None
    note: str | None
    reattempt_on: date | None


@dataclass(frozen=True, slots=True)
class NdrCaseView:
    ndr_case_id: UUID
    number: int
    status: str
    reason_code: str
    reason_description: str | None
    attempts: int
    opened_at: datetime
    resolution: str | None
    resolved_at: datetime | None
    actions: list[NdrActionView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ShipmentView:
    shipment_id: UUID
    order_id: UUID
    status: str
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    created_at: datetime
    updated_at: datetime
    tracking_events: list[TrackingEventView] = field(default_factory=list)
    ndr_cases: list[NdrCaseView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ShipmentPage:
    items: list[ShipmentView]
    next_cursor: str | None


class ShipmentQueries(Protocol):
    """The read model (tenant-scoped by row-level security)."""

    async def list_shipments(
        self,
        tenant_id: UUID,
        *,
        order_id: UUID | None = None,
        status: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> ShipmentPage: ...


def shipment_view(shipment: Shipment) -> ShipmentView:
    """The view of a loaded shipment."""
    return ShipmentView(
        shipment_id=shipment.id,
        order_id=shipment.order_id,
        status=shipment.status.value,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        created_at=shipment.created_on,
        updated_at=shipment.modified_on,
        tracking_events=[
            TrackingEventView(
                event_id=t.carrier_event_id,
                code=t.code.value,
                occurred_at=t.occurred_at,
                location=t.location,
                description=t.description,
                reason_code=t.reason_code,
                outcome=t.outcome.value,
            )
            for t in shipment.tracking_events
        ],
        ndr_cases=[
            NdrCaseView(
                ndr_case_id=c.id,
                number=c.number,
                status=c.status.value,
                reason_code=c.reason_code,
                reason_description=c.reason_description,
                attempts=c.attempts,
                opened_at=c.opened_at,
                resolution=c.resolution.value if c.resolution else None,
                resolved_at=c.resolved_at,
                actions=[
                    NdrActionView(
                        type=a.type.value,
                        at=a.at,
                        performed_by=a.performed_by,
                        note=a.note,
                        reattempt_on=a.reattempt_on,
                    )
                    for a in c.actions
                ],
            )
            for c in shipment.ndr_cases
        ],
    )
