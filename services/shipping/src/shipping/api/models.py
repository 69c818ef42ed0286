"""Request and response bodies of the shipping API."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import Field
from shop_runtime.api_models import ResponseModel, StrictModel

from shipping.application.views import ShipmentView

__all__ = [
    "NdrActionOut",
    "NdrCaseOut",
    "ReattemptIn",
    "ReturnToOriginIn",
    "ShipmentListOut",
    "ShipmentOut",
    "TrackingEventOut",
    "WebhookOut",
]


class ReattemptIn(StrictModel):
    reattempt_on: date
    note: str | None = Field(default=None, max_length=1000)


class ReturnToOriginIn(StrictModel):
    reason: str = Field(min_length=1, max_length=1000)


class TrackingEventOut(ResponseModel):
    event_id: str
    code: str
    occurred_at: datetime
    location: str | None
    description: str | None
    reason_code: str | None
    outcome: str


class NdrActionOut(ResponseModel):
    type: str
    at: datetime
    performed_by: UUID | None
    note: str | None
    reattempt_on: date | None


class NdrCaseOut(ResponseModel):
    ndr_case_id: UUID
    number: int
    status: str
    reason_code: str
    reason_description: str | None
    attempts: int
    opened_at: datetime
    resolution: str | None
    resolved_at: datetime | None
    actions: list[NdrActionOut]


class ShipmentOut(ResponseModel):
    shipment_id: UUID
    order_id: UUID
    status: str
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    created_at: datetime
    updated_at: datetime
    tracking_events: list[TrackingEventOut]
    ndr_cases: list[NdrCaseOut]

    @classmethod
    def of(cls, view: ShipmentView) -> ShipmentOut:
        return cls.model_validate(view, from_attributes=True)


class ShipmentListOut(ResponseModel):
    items: list[ShipmentOut]
    next_cursor: str | None


class WebhookOut(ResponseModel):
    status: str = Field(description="processed | duplicate")
    outcome: str = Field(description="applied | ignored | stale | duplicate")
    shipment_id: UUID
    shipment_status: str
