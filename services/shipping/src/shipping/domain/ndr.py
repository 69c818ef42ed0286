"""Non-delivery reports (NDR): a case opened by a failed delivery attempt, and the actions taken.

One case stays open across failed attempts (``attempts`` counts them) until it is resolved: the
shipment is delivered, or it goes back to origin (RTO).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

__all__ = ["NdrAction", "NdrActionType", "NdrCase", "NdrResolution", "NdrStatus"]


class NdrStatus(StrEnum):
    OPEN = "open"
    REATTEMPT_SCHEDULED = "reattempt_scheduled"
    RESOLVED = "resolved"


class NdrResolution(StrEnum):
    DELIVERED = "delivered"
    RTO = "rto"


class NdrActionType(StrEnum):
    REATTEMPT_SCHEDULED = "reattempt_scheduled"
    ADDRESS_UPDATED = "address_updated"
    RETURN_TO_ORIGIN = "return_to_origin"


@dataclass(frozen=True, slots=True)
class NdrAction:
    type: NdrActionType
    at: datetime
    performed_by: UUID | None  # None: done by the carrier or automatically
    note: str | None = None
    reattempt_on: date | None = None


@dataclass(frozen=True, slots=True)
class NdrCase:
    id: UUID  # derived_id(shipment_id, f"ndr:{number}")
    number: int  # 1 for the shipment's first case
    opened_at: datetime
    reason_code: str  # of the latest failed attempt
    reason_description: str | None
    attempts: int  # failed delivery attempts recorded on this case
    status: NdrStatus = NdrStatus.OPEN
    resolution: NdrResolution | None = None
    resolved_at: datetime | None = None
    actions: tuple[NdrAction, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        return self.status is not NdrStatus.RESOLVED
