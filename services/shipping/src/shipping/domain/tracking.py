"""Carrier tracking: normalized tracking codes, an incoming update, and the recorded event.

Carrier adapters translate their own status vocabularies (Shiprocket, Delhivery, ...) into
`TrackingCode`; the shipment's transition table speaks only these codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shipping.domain.errors import InvalidShipmentCommand

__all__ = ["TrackingCode", "TrackingEvent", "TrackingOutcome", "TrackingUpdate"]

MAX_CARRIER_EVENT_ID_LENGTH = 200


class TrackingCode(StrEnum):
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"  # a non-delivery report (NDR)
    RTO_INITIATED = "rto_initiated"  # return to origin started (by the carrier or on our request)
    RTO_IN_TRANSIT = "rto_in_transit"
    RTO_DELIVERED = "rto_delivered"  # back at the origin warehouse
    INFO = "info"  # any scan that never moves a shipment (delay notice, hub scan, ...)


class TrackingOutcome(StrEnum):
    """What a tracking update did to the shipment."""

    APPLIED = "applied"  # it moved the shipment
    IGNORED = "ignored"  # recorded; the transition table has nothing for it in this status
    STALE = "stale"  # recorded; older than the last update that moved the shipment
    DUPLICATE = "duplicate"  # its carrier event id was already recorded: nothing happened


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """A carrier's tracking event, as an adapter or a webhook parser hands it to the shipment.

    ``carrier_event_id`` identifies the event at the carrier: a replayed webhook carries the same
    one, and is recognised. ``reason_code`` is the NDR reason of a ``delivery_failed`` update
    (customer_unavailable, wrong_address, refused, incomplete_address, cod_not_ready, ...).
    """

    carrier_event_id: str
    code: TrackingCode
    occurred_at: datetime
    tracking_number: str | None = None
    location: str | None = None
    description: str | None = None
    reason_code: str | None = None

    def __post_init__(self) -> None:
        if not self.carrier_event_id or len(self.carrier_event_id) > MAX_CARRIER_EVENT_ID_LENGTH:
            raise InvalidShipmentCommand(
                f"carrier_event_id must be 1 to {MAX_CARRIER_EVENT_ID_LENGTH} characters"
            )
        if self.occurred_at.tzinfo is None:
            raise InvalidShipmentCommand("occurred_at must be timezone-aware")


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """A tracking update as recorded on the shipment, with what it did."""

    carrier_event_id: str
    code: TrackingCode
    occurred_at: datetime
    location: str | None
    description: str | None
    reason_code: str | None
    outcome: TrackingOutcome
