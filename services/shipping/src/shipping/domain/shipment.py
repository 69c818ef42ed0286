"""The `Shipment` aggregate: one per confirmed order, from label to doorstep or back to origin.

Life cycle (carrier tracking moves it through `TRACKING_TRANSITIONS`; merchant commands are
allowed by `COMMAND_TRANSITIONS`)::

    created ─label─> label_created ─picked_up─> shipped ─> out_for_delivery ─> delivered
       │                  │                                    │       ^
       └──cancel──────────┴─> cancelled                        v       │ reattempt
                                                     delivery_failed ──┘   (NDR case open)
                                                           └─> rto_initiated ─> returned_to_origin

Tracking updates are recorded once per carrier event id (a replayed webhook changes nothing), and
every new one is recorded even when it moves nothing. An update moves the shipment only if

* the table has an entry for (current status, code): a status never moves backward, so an
  ``in_transit`` arriving after ``delivered`` is recorded as ``ignored``; and
* it is not older than the last update that moved the shipment: an ``out_for_delivery`` of the
  first attempt replayed after the second attempt failed is recorded as ``stale``.

When the carrier skips a scan (``delivered`` straight after the label), the table lists the
statuses passed through, so ``Shipped`` is still recorded before ``Delivered``: every public
milestone (shipping.shipment_shipped, ...) is published exactly once, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from uuid import UUID

from eventsourcing.domain import event
from shop_contracts.ids import derived_id
from shop_runtime.aggregate import TenantAggregate

from shipping.domain.carrier import Label, LabelRequest, ShipmentLine
from shipping.domain.errors import (
    IllegalShipmentTransition,
    InvalidShipmentCommand,
    TrackingNumberMismatch,
)
from shipping.domain.ndr import NdrAction, NdrActionType, NdrCase, NdrResolution, NdrStatus
from shipping.domain.tracking import TrackingCode, TrackingEvent, TrackingOutcome, TrackingUpdate

__all__ = [
    "COMMAND_TRANSITIONS",
    "REQUIRED_ADDRESS_FIELDS",
    "TERMINAL_STATUSES",
    "TRACKING_TRANSITIONS",
    "Shipment",
    "ShipmentCommand",
    "ShipmentStatus",
]

REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "country")
_UNSPECIFIED_REASON = "unspecified"


class ShipmentStatus(StrEnum):
    CREATED = "created"
    LABEL_CREATED = "label_created"
    SHIPPED = "shipped"  # picked up / in transit
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_FAILED = "delivery_failed"  # an NDR case is open
    DELIVERED = "delivered"
    RTO_INITIATED = "rto_initiated"  # on its way back to origin
    RETURNED_TO_ORIGIN = "returned_to_origin"
    CANCELLED = "cancelled"


TERMINAL_STATUSES = frozenset(
    {ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED_TO_ORIGIN, ShipmentStatus.CANCELLED}
)

_S, _C = ShipmentStatus, TrackingCode

# (status, tracking code) -> the statuses entered, in order. No entry: recorded as "ignored".
# A status listed again (delivery_failed -> delivery_failed) is another failed attempt.
TRACKING_TRANSITIONS: Mapping[tuple[ShipmentStatus, TrackingCode], tuple[ShipmentStatus, ...]] = (
    MappingProxyType(
        {
            (_S.LABEL_CREATED, _C.PICKED_UP): (_S.SHIPPED,),
            (_S.LABEL_CREATED, _C.IN_TRANSIT): (_S.SHIPPED,),
            (_S.LABEL_CREATED, _C.OUT_FOR_DELIVERY): (_S.SHIPPED, _S.OUT_FOR_DELIVERY),
            (_S.LABEL_CREATED, _C.DELIVERED): (_S.SHIPPED, _S.DELIVERED),
            (_S.LABEL_CREATED, _C.DELIVERY_FAILED): (_S.SHIPPED, _S.DELIVERY_FAILED),
            (_S.SHIPPED, _C.OUT_FOR_DELIVERY): (_S.OUT_FOR_DELIVERY,),
            (_S.SHIPPED, _C.DELIVERED): (_S.DELIVERED,),
            (_S.SHIPPED, _C.DELIVERY_FAILED): (_S.DELIVERY_FAILED,),
            (_S.SHIPPED, _C.RTO_INITIATED): (_S.RTO_INITIATED,),
            (_S.SHIPPED, _C.RTO_IN_TRANSIT): (_S.RTO_INITIATED,),
            (_S.SHIPPED, _C.RTO_DELIVERED): (_S.RTO_INITIATED, _S.RETURNED_TO_ORIGIN),
            (_S.OUT_FOR_DELIVERY, _C.DELIVERED): (_S.DELIVERED,),
            (_S.OUT_FOR_DELIVERY, _C.DELIVERY_FAILED): (_S.DELIVERY_FAILED,),
            (_S.OUT_FOR_DELIVERY, _C.RTO_INITIATED): (_S.RTO_INITIATED,),
            (_S.OUT_FOR_DELIVERY, _C.RTO_IN_TRANSIT): (_S.RTO_INITIATED,),
            (_S.OUT_FOR_DELIVERY, _C.RTO_DELIVERED): (_S.RTO_INITIATED, _S.RETURNED_TO_ORIGIN),
            (_S.DELIVERY_FAILED, _C.OUT_FOR_DELIVERY): (_S.OUT_FOR_DELIVERY,),  # the reattempt
            (_S.DELIVERY_FAILED, _C.DELIVERED): (_S.DELIVERED,),
            (_S.DELIVERY_FAILED, _C.DELIVERY_FAILED): (_S.DELIVERY_FAILED,),
            (_S.DELIVERY_FAILED, _C.RTO_INITIATED): (_S.RTO_INITIATED,),
            (_S.DELIVERY_FAILED, _C.RTO_IN_TRANSIT): (_S.RTO_INITIATED,),
            (_S.DELIVERY_FAILED, _C.RTO_DELIVERED): (_S.RTO_INITIATED, _S.RETURNED_TO_ORIGIN),
            (_S.RTO_INITIATED, _C.RTO_DELIVERED): (_S.RETURNED_TO_ORIGIN,),
        }
    )
)


class ShipmentCommand(StrEnum):
    RECORD_LABEL = "record_label"
    CANCEL = "cancel"
    UPDATE_ADDRESS = "update_address"
    SCHEDULE_REATTEMPT = "schedule_reattempt"
    RETURN_TO_ORIGIN = "return_to_origin"


@dataclass(frozen=True, slots=True)
class _CommandRule:
    allowed_from: frozenset[ShipmentStatus]
    done_in: frozenset[ShipmentStatus]  # repeating the command here is a no-op


COMMAND_TRANSITIONS: Mapping[ShipmentCommand, _CommandRule] = MappingProxyType(
    {
        ShipmentCommand.RECORD_LABEL: _CommandRule(frozenset({_S.CREATED}), frozenset()),
        ShipmentCommand.CANCEL: _CommandRule(
            frozenset({_S.CREATED, _S.LABEL_CREATED}), frozenset({_S.CANCELLED})
        ),
        # After the label, the address is on the parcel: only an NDR lets the carrier change it.
        ShipmentCommand.UPDATE_ADDRESS: _CommandRule(
            frozenset({_S.CREATED, _S.DELIVERY_FAILED}), frozenset()
        ),
        ShipmentCommand.SCHEDULE_REATTEMPT: _CommandRule(
            frozenset({_S.DELIVERY_FAILED}), frozenset()
        ),
        ShipmentCommand.RETURN_TO_ORIGIN: _CommandRule(
            frozenset({_S.DELIVERY_FAILED}),
            frozenset({_S.RTO_INITIATED, _S.RETURNED_TO_ORIGIN}),
        ),
    }
)


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise InvalidShipmentCommand("timestamps must be timezone-aware")
    return at


def _address(address: Mapping[str, str | None]) -> dict[str, str | None]:
    missing = [f for f in REQUIRED_ADDRESS_FIELDS if not address.get(f)]
    if missing:
        raise InvalidShipmentCommand(f"address is missing {', '.join(missing)}")
    if any(not isinstance(v, str | None) for v in address.values()):
        raise InvalidShipmentCommand("address values must be strings")
    return dict(address)


class Shipment(TenantAggregate):
    """The shipment of one order (id ``derived_id(order_id, "shipment")``)."""

    @staticmethod
    def create_id(order_id: UUID) -> UUID:
        return derived_id(order_id, "shipment")

    # -- creation ---------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        tenant_id: UUID,
        order_id: UUID,
        lines: Sequence[ShipmentLine],
        address: Mapping[str, str | None],
        carrier: str | None = None,
        at: datetime | None = None,
    ) -> Shipment:
        """A shipment of ``lines`` to ``address`` (the order's shipping address)."""
        if not lines:
            raise InvalidShipmentCommand("a shipment needs at least one line")
        return cls(
            tenant_id=tenant_id,
            order_id=order_id,
            lines=[line.as_dict() for line in lines],
            address=_address(address),
            carrier=carrier or None,
            created_at=_moment(at),
        )

    @event("Created")
    def __init__(
        self,
        tenant_id: UUID,
        order_id: UUID,
        lines: list[dict[str, Any]],
        address: dict[str, str | None],
        carrier: str | None,
        created_at: datetime,
    ) -> None:
        self.order_id = order_id
        self.lines = tuple(ShipmentLine.from_dict(line) for line in lines)
        self.address = dict(address)
        self.carrier = carrier
        self.created_at = created_at
        self.status = ShipmentStatus.CREATED
        self.tracking_number: str | None = None
        self.tracking_url: str | None = None
        self.label_url: str | None = None
        self.shipped_at: datetime | None = None
        self.delivered_at: datetime | None = None
        self.returned_at: datetime | None = None
        self.cancelled_at: datetime | None = None
        self.failed_attempts = 0
        self._tracking: list[TrackingEvent] = []
        self._carrier_event_ids: set[str] = set()
        self._last_moved_at: datetime | None = None
        self._ndr_cases: list[NdrCase] = []

    # -- queries ----------------------------------------------------------------------------------

    @property
    def tracking_events(self) -> list[TrackingEvent]:
        """Every tracking update received, in arrival order, with what it did."""
        return list(self._tracking)

    @property
    def ndr_cases(self) -> list[NdrCase]:
        return list(self._ndr_cases)

    @property
    def open_ndr_case(self) -> NdrCase | None:
        case = self._ndr_cases[-1] if self._ndr_cases else None
        return case if case is not None and case.is_open else None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def label_request(self) -> LabelRequest:
        """What the carrier adapter needs to book this shipment."""
        self._check(ShipmentCommand.RECORD_LABEL)
        return LabelRequest(
            shipment_id=self.id,
            order_id=self.order_id,
            carrier=self.carrier,
            lines=self.lines,
            address=MappingProxyType(dict(self.address)),
        )

    # -- merchant / saga commands -----------------------------------------------------------------

    def record_label(self, label: Label, *, at: datetime | None = None) -> None:
        """Record the carrier's booking. The same label again is a no-op; another one is refused."""
        if self.tracking_number is not None and label.tracking_number == self.tracking_number:
            return
        self._check(ShipmentCommand.RECORD_LABEL)
        self._label_created(
            carrier=label.carrier,
            tracking_number=label.tracking_number,
            tracking_url=label.tracking_url,
            label_url=label.label_url,
            created_at=_moment(at),
        )

    def cancel(self, *, reason: str, at: datetime | None = None) -> bool:
        """Cancel before the carrier picked it up. False if it was already cancelled.

        ``Cancelled.tracking_number`` tells the application which label to void at the carrier.
        """
        if self._check(ShipmentCommand.CANCEL):
            return False
        self._cancelled(
            order_id=self.order_id,
            reason=reason,
            tracking_number=self.tracking_number,
            cancelled_at=_moment(at),
        )
        return True

    def update_address(
        self,
        address: Mapping[str, str | None],
        *,
        performed_by: UUID | None = None,
        at: datetime | None = None,
    ) -> None:
        """Correct the address: before the label, or as an NDR action (the carrier is told by
        the application)."""
        self._check(ShipmentCommand.UPDATE_ADDRESS)
        case = self.open_ndr_case
        self._address_updated(
            address=_address(address),
            ndr_case_id=case.id if case else None,
            performed_by=performed_by,
            updated_at=_moment(at),
        )

    def schedule_reattempt(
        self,
        *,
        reattempt_on: date | None = None,
        performed_by: UUID | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """NDR action: ask the carrier to try again (on ``reattempt_on`` if given)."""
        self._check(ShipmentCommand.SCHEDULE_REATTEMPT)
        case = self.open_ndr_case
        assert case is not None  # delivery_failed always has an open case
        self._reattempt_scheduled(
            ndr_case_id=case.id,
            reattempt_on=reattempt_on.isoformat() if reattempt_on else None,
            performed_by=performed_by,
            note=note,
            scheduled_at=_moment(at),
        )

    def return_to_origin(
        self,
        *,
        performed_by: UUID | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """NDR action: give up delivering and send it back. False if already on its way back."""
        if self._check(ShipmentCommand.RETURN_TO_ORIGIN):
            return False
        case = self.open_ndr_case
        self._return_to_origin_initiated(
            order_id=self.order_id,
            reason="rto",
            ndr_case_id=case.id if case else None,
            initiated_by=performed_by,
            note=note,
            initiated_at=_moment(at),
        )
        return True

    def _check(self, command: ShipmentCommand) -> bool:
        """True if the command was already done (a no-op); raises if it is not allowed."""
        rule = COMMAND_TRANSITIONS[command]
        if self.status in rule.done_in:
            return True
        if self.status not in rule.allowed_from:
            raise IllegalShipmentTransition(
                f"cannot {command.value.replace('_', ' ')} a shipment that is {self.status}"
            )
        return False

    # -- carrier tracking -------------------------------------------------------------------------

    def record_tracking(self, update: TrackingUpdate) -> TrackingOutcome:
        """Record a carrier tracking update and move the shipment as the table says."""
        if update.carrier_event_id in self._carrier_event_ids:
            return TrackingOutcome.DUPLICATE
        if (
            update.tracking_number is not None
            and self.tracking_number is not None
            and update.tracking_number != self.tracking_number
        ):
            raise TrackingNumberMismatch(
                f"update for {update.tracking_number}, shipment has {self.tracking_number}"
            )
        path: tuple[ShipmentStatus, ...] = ()
        if self._last_moved_at is not None and update.occurred_at < self._last_moved_at:
            outcome = TrackingOutcome.STALE
        else:
            path = TRACKING_TRANSITIONS.get((self.status, update.code), ())
            outcome = TrackingOutcome.APPLIED if path else TrackingOutcome.IGNORED
        self._tracking_event_recorded(
            carrier_event_id=update.carrier_event_id,
            code=update.code.value,
            occurred_at=update.occurred_at,
            location=update.location,
            description=update.description,
            reason_code=update.reason_code,
            outcome=outcome.value,
        )
        for status in path:
            self._enter(status, update)
        return outcome

    def _enter(self, status: ShipmentStatus, update: TrackingUpdate) -> None:
        at = update.occurred_at
        case = self.open_ndr_case
        match status:
            case ShipmentStatus.SHIPPED:
                assert self.carrier is not None and self.tracking_number is not None
                self._shipped(
                    order_id=self.order_id,
                    carrier=self.carrier,
                    tracking_number=self.tracking_number,
                    tracking_url=self.tracking_url,
                    shipped_at=at,
                )
            case ShipmentStatus.OUT_FOR_DELIVERY:
                self._out_for_delivery(attempt=self.failed_attempts + 1, out_for_delivery_at=at)
            case ShipmentStatus.DELIVERY_FAILED:
                self._delivery_failed(
                    order_id=self.order_id,
                    ndr_case_id=case.id if case else self._next_ndr_case_id(),
                    attempt=self.failed_attempts + 1,
                    reason_code=update.reason_code or _UNSPECIFIED_REASON,
                    reason_description=update.description,
                    failed_at=at,
                )
            case ShipmentStatus.DELIVERED:
                self._delivered(
                    order_id=self.order_id,
                    ndr_case_id=case.id if case else None,
                    delivered_at=at,
                )
            case ShipmentStatus.RTO_INITIATED:
                self._return_to_origin_initiated(
                    order_id=self.order_id,
                    reason="rto",
                    ndr_case_id=case.id if case else None,
                    initiated_by=None,
                    note=update.description,
                    initiated_at=at,
                )
            case ShipmentStatus.RETURNED_TO_ORIGIN:
                self._returned_to_origin(
                    order_id=self.order_id,
                    lines=[line.as_dict() for line in self.lines],
                    reason="rto",
                    returned_at=at,
                )
            case _:  # pragma: no cover - the table never enters the other statuses
                raise AssertionError(f"tracking cannot enter {status}")

    def _next_ndr_case_id(self) -> UUID:
        return derived_id(self.id, f"ndr:{len(self._ndr_cases) + 1}")

    # -- events -----------------------------------------------------------------------------------
    # The bodies below also run when the aggregate is loaded: they only assign state. Events that
    # become public (Created, Shipped, DeliveryFailed, Delivered, ReturnedToOrigin) repeat order_id
    # and what the contract needs, so the relay translates each one without loading the aggregate.

    @event("LabelCreated")
    def _label_created(
        self,
        carrier: str,
        tracking_number: str,
        tracking_url: str | None,
        label_url: str | None,
        created_at: datetime,
    ) -> None:
        self.carrier = carrier
        self.tracking_number = tracking_number
        self.tracking_url = tracking_url
        self.label_url = label_url
        self.status = ShipmentStatus.LABEL_CREATED

    @event("TrackingEventRecorded")
    def _tracking_event_recorded(
        self,
        carrier_event_id: str,
        code: str,
        occurred_at: datetime,
        location: str | None,
        description: str | None,
        reason_code: str | None,
        outcome: str,
    ) -> None:
        recorded = TrackingEvent(
            carrier_event_id=carrier_event_id,
            code=TrackingCode(code),
            occurred_at=occurred_at,
            location=location,
            description=description,
            reason_code=reason_code,
            outcome=TrackingOutcome(outcome),
        )
        self._tracking.append(recorded)
        self._carrier_event_ids.add(carrier_event_id)
        if recorded.outcome is TrackingOutcome.APPLIED:
            self._last_moved_at = occurred_at

    @event("Shipped")
    def _shipped(
        self,
        order_id: UUID,
        carrier: str,
        tracking_number: str,
        tracking_url: str | None,
        shipped_at: datetime,
    ) -> None:
        self.status = ShipmentStatus.SHIPPED
        self.shipped_at = shipped_at

    @event("OutForDelivery")
    def _out_for_delivery(self, attempt: int, out_for_delivery_at: datetime) -> None:
        self.status = ShipmentStatus.OUT_FOR_DELIVERY

    @event("DeliveryFailed")
    def _delivery_failed(
        self,
        order_id: UUID,
        ndr_case_id: UUID,
        attempt: int,
        reason_code: str,
        reason_description: str | None,
        failed_at: datetime,
    ) -> None:
        self.status = ShipmentStatus.DELIVERY_FAILED
        self.failed_attempts = attempt
        case = self.open_ndr_case
        if case is not None and case.id == ndr_case_id:
            self._ndr_cases[-1] = replace(
                case,
                status=NdrStatus.OPEN,
                attempts=case.attempts + 1,
                reason_code=reason_code,
                reason_description=reason_description,
            )
        else:
            self._ndr_cases.append(
                NdrCase(
                    id=ndr_case_id,
                    number=len(self._ndr_cases) + 1,
                    opened_at=failed_at,
                    reason_code=reason_code,
                    reason_description=reason_description,
                    attempts=1,
                )
            )

    @event("Delivered")
    def _delivered(self, order_id: UUID, ndr_case_id: UUID | None, delivered_at: datetime) -> None:
        self.status = ShipmentStatus.DELIVERED
        self.delivered_at = delivered_at
        self._resolve_ndr(ndr_case_id, NdrResolution.DELIVERED, delivered_at)

    @event("ReattemptScheduled")
    def _reattempt_scheduled(
        self,
        ndr_case_id: UUID,
        reattempt_on: str | None,
        performed_by: UUID | None,
        note: str | None,
        scheduled_at: datetime,
    ) -> None:
        action = NdrAction(
            type=NdrActionType.REATTEMPT_SCHEDULED,
            at=scheduled_at,
            performed_by=performed_by,
            note=note,
            reattempt_on=date.fromisoformat(reattempt_on) if reattempt_on else None,
        )
        self._add_ndr_action(ndr_case_id, action, NdrStatus.REATTEMPT_SCHEDULED)

    @event("AddressUpdated")
    def _address_updated(
        self,
        address: dict[str, str | None],
        ndr_case_id: UUID | None,
        performed_by: UUID | None,
        updated_at: datetime,
    ) -> None:
        self.address = dict(address)
        if ndr_case_id is not None:
            action = NdrAction(NdrActionType.ADDRESS_UPDATED, updated_at, performed_by)
            self._add_ndr_action(ndr_case_id, action, None)

    @event("ReturnToOriginInitiated")
    def _return_to_origin_initiated(
        self,
        order_id: UUID,
        reason: str,
        ndr_case_id: UUID | None,
        initiated_by: UUID | None,
        note: str | None,
        initiated_at: datetime,
    ) -> None:
        self.status = ShipmentStatus.RTO_INITIATED
        if ndr_case_id is not None:
            action = NdrAction(NdrActionType.RETURN_TO_ORIGIN, initiated_at, initiated_by, note)
            self._add_ndr_action(ndr_case_id, action, None)
            self._resolve_ndr(ndr_case_id, NdrResolution.RTO, initiated_at)

    @event("ReturnedToOrigin")
    def _returned_to_origin(
        self, order_id: UUID, lines: list[dict[str, Any]], reason: str, returned_at: datetime
    ) -> None:
        self.status = ShipmentStatus.RETURNED_TO_ORIGIN
        self.returned_at = returned_at

    @event("Cancelled")
    def _cancelled(
        self, order_id: UUID, reason: str, tracking_number: str | None, cancelled_at: datetime
    ) -> None:
        self.status = ShipmentStatus.CANCELLED
        self.cancelled_at = cancelled_at

    def _add_ndr_action(
        self, ndr_case_id: UUID, action: NdrAction, status: NdrStatus | None
    ) -> None:
        for i, case in enumerate(self._ndr_cases):
            if case.id == ndr_case_id:
                self._ndr_cases[i] = replace(
                    case, actions=(*case.actions, action), status=status or case.status
                )

    def _resolve_ndr(
        self, ndr_case_id: UUID | None, resolution: NdrResolution, at: datetime
    ) -> None:
        for i, case in enumerate(self._ndr_cases):
            if case.id == ndr_case_id:
                self._ndr_cases[i] = replace(
                    case, status=NdrStatus.RESOLVED, resolution=resolution, resolved_at=at
                )
