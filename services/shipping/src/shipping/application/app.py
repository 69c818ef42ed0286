"""The shipping application: shipments in an event store, commands and queries on them.

Every command is a read-decide-save function run through `ServiceApplication.execute`, so a
version conflict (the carrier's webhook and a staff action on the same shipment at once) re-reads
the shipment and decides again instead of overwriting. Shipments are loaded with
`get_for_tenant`: another tenant's shipment id is `NotFound` (404), never 403.

Labels are booked by `create_pending_labels`, which follows the application's own notification
log (see its docstring): the side effect with the carrier never runs inside a Kafka handler.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic
from shop_runtime.eventstore import AlreadyTracked, ServiceApplication

from shipping.domain.carrier import CarrierAdapter, ShipmentLine
from shipping.domain.errors import IllegalShipmentTransition, InvalidShipmentCommand
from shipping.domain.shipment import Shipment, ShipmentStatus
from shipping.domain.tracking import TrackingOutcome, TrackingUpdate

__all__ = ["LABEL_WORKER_TRACKING", "LabelBatch", "ShippingApp"]

log = logging.getLogger(__name__)

LABEL_WORKER_TRACKING = "shipping.label_worker"
"""Name of the label worker's position in the event store's tracking table."""


@dataclass(frozen=True, slots=True)
class LabelBatch:
    """What one pass of the label worker did."""

    seen: int  # label requests read from the log
    labelled: int  # labels recorded
    skipped: int  # requests with nothing left to do (already labelled, cancelled, refused)


class ShippingApp(ServiceApplication):
    """Shipments of every tenant (event store tables ``shipping_events``, ``_tracking``,
    ``_processed``)."""

    name = "Shipping"
    # The label worker reads only these events of the log.
    label_request_topics: ClassVar[tuple[str, ...]] = (get_topic(Shipment.Created),)

    # -- queries -----------------------------------------------------------------------------------

    def shipment(self, shipment_id: UUID, tenant_id: UUID) -> Shipment:
        """The tenant's shipment; `NotFound` for an unknown id or another tenant's."""
        return self.get_for_tenant(shipment_id, tenant_id, Shipment)

    def find_shipment(self, shipment_id: UUID) -> Shipment | None:
        """The shipment whatever its tenant, or None (for policies, which check the tenant)."""
        try:
            aggregate: object = self.repository.get(shipment_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, Shipment) else None

    # -- saga: reactions to orders (called by the policies, saved by the consumer) -----------------

    def shipment_for_confirmed_order(
        self,
        *,
        tenant_id: UUID,
        order_id: UUID,
        lines: Sequence[ShipmentLine],
        address: Mapping[str, str | None],
    ) -> Shipment | None:
        """A new (unsaved) shipment for the order, or None if it already has one."""
        existing = self.find_shipment(Shipment.create_id(order_id))
        if existing is not None:
            if existing.tenant_id != tenant_id:
                log.error("order %s: shipment id taken by another tenant; ignored", order_id)
            return None
        return Shipment.create(tenant_id=tenant_id, order_id=order_id, lines=lines, address=address)

    def shipment_cancelled_with_order(
        self, *, tenant_id: UUID, order_id: UUID, reason: str
    ) -> Shipment | None:
        """The order's shipment, cancelled (unsaved), or None when there is nothing to cancel.

        Nothing to cancel is the normal case for most cancellations (the order never got confirmed,
        so it has no shipment) and the expected outcome of a race with the carrier (the parcel was
        picked up before the cancellation arrived): neither is an error, and neither may send the
        message to the dead-letter topic.
        """
        shipment = self.find_shipment(Shipment.create_id(order_id))
        if shipment is None or shipment.tenant_id != tenant_id:
            return None
        try:
            changed = shipment.cancel(reason=reason)
        except IllegalShipmentTransition:
            log.warning(
                "order %s cancelled but shipment %s is already %s; not cancelled",
                order_id,
                shipment.id,
                shipment.status,
            )
            return None
        return shipment if changed else None

    # -- carrier tracking and staff NDR actions ----------------------------------------------------

    def record_tracking(
        self, shipment_id: UUID, tenant_id: UUID, update: TrackingUpdate
    ) -> tuple[Shipment, TrackingOutcome]:
        """Record a carrier tracking update (a webhook). A replayed carrier event id changes
        nothing and saves nothing (outcome ``duplicate``)."""

        def run() -> tuple[Shipment, TrackingOutcome]:
            shipment = self.shipment(shipment_id, tenant_id)
            outcome = shipment.record_tracking(update)
            if outcome is not TrackingOutcome.DUPLICATE:
                self.save(shipment)
            return shipment, outcome

        return self.execute(run)

    def schedule_reattempt(
        self,
        shipment_id: UUID,
        tenant_id: UUID,
        *,
        reattempt_on: date | None,
        note: str | None,
        performed_by: UUID | None,
    ) -> Shipment:
        """NDR action: ask the carrier for another delivery attempt."""

        def run() -> Shipment:
            shipment = self.shipment(shipment_id, tenant_id)
            shipment.schedule_reattempt(
                reattempt_on=reattempt_on, note=note, performed_by=performed_by
            )
            self.save(shipment)
            return shipment

        return self.execute(run)

    def return_to_origin(
        self, shipment_id: UUID, tenant_id: UUID, *, reason: str, performed_by: UUID | None
    ) -> Shipment:
        """NDR action: send the shipment back. Asking again while it is on its way back is a no-op;
        ``shipping.shipment_returned`` follows when the carrier confirms the return."""

        def run() -> Shipment:
            shipment = self.shipment(shipment_id, tenant_id)
            if shipment.return_to_origin(note=reason, performed_by=performed_by):
                self.save(shipment)
            return shipment

        return self.execute(run)

    # -- the label worker --------------------------------------------------------------------------

    def label_worker_position(self) -> int:
        """The last notification id the label worker is done with (0 before the first)."""
        return self.recorder.max_tracking_id(LABEL_WORKER_TRACKING) or 0

    def create_pending_labels(self, carrier: CarrierAdapter, *, limit: int = 20) -> LabelBatch:
        """Book a label for every shipment created after the worker's position, in log order.

        For each ``Shipment.Created`` notification: load the shipment; if it still needs a label,
        ask the carrier (idempotent by shipment id, so asking again after a crash books nothing
        new) and save ``LabelCreated`` *together with* the worker's new position (one transaction
        through the process recorder); otherwise (already labelled, cancelled) save the position
        alone. So a label is recorded exactly once, and a crash between the carrier call and the
        save only repeats the (idempotent) call.

        A carrier failure raises and leaves the position where it was: the caller retries later.
        A request the carrier can never accept (`InvalidShipmentCommand`) is logged and skipped.
        """
        position = self.label_worker_position()
        notifications = self.recorder.select_notifications(
            start=position,
            limit=limit,
            topics=list(self.label_request_topics),
            inclusive_of_start=False,
        )
        labelled = skipped = 0
        for notification in notifications:
            event = self.mapper.to_domain_event(notification)
            tracking = Tracking(LABEL_WORKER_TRACKING, notification.id)
            if self._label_one(carrier, event.originator_id, tracking):
                labelled += 1
            else:
                skipped += 1
        return LabelBatch(seen=len(notifications), labelled=labelled, skipped=skipped)

    def _label_one(self, carrier: CarrierAdapter, shipment_id: UUID, tracking: Tracking) -> bool:
        def run() -> bool:
            shipment = self.find_shipment(shipment_id)
            if shipment is None or shipment.status is not ShipmentStatus.CREATED:
                self._advance(tracking)
                return False
            try:
                label = carrier.create_label(shipment.label_request())
                shipment.record_label(label)
            except InvalidShipmentCommand as e:
                log.error("shipment %s: the carrier refused the label: %s", shipment_id, e)
                self._advance(tracking)
                return False
            try:
                self.save_processed(shipment, tracking=tracking)
            except AlreadyTracked:
                return False  # another worker recorded this request first
            return True

        # A version conflict (cancelled while the carrier was booking) re-runs the whole function:
        # the re-read shipment is cancelled, and only the position is saved.
        return self.execute(run)

    def _advance(self, tracking: Tracking) -> None:
        with contextlib.suppress(AlreadyTracked):  # another worker got there first
            self.recorder.insert_tracking(tracking)
