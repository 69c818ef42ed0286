"""Tracking updates: deduplicated by carrier event id, and never moving a shipment backward."""

from __future__ import annotations

from datetime import datetime

import pytest
from shipping.domain.errors import InvalidShipmentCommand, TrackingNumberMismatch
from shipping.domain.shipment import ShipmentStatus
from shipping.domain.tracking import TrackingCode as C
from shipping.domain.tracking import TrackingOutcome, TrackingUpdate


def test_a_replayed_update_changes_nothing(labelled, scan):
    update = scan(C.PICKED_UP)
    labelled.record_tracking(update)
    labelled.collect_events()

    assert labelled.record_tracking(update) is TrackingOutcome.DUPLICATE
    assert labelled.collect_events() == []
    assert len(labelled.tracking_events) == 1


def test_a_replayed_delivery_is_not_delivered_twice(labelled, scan):
    delivered = scan(C.DELIVERED)
    labelled.record_tracking(delivered)
    labelled.collect_events()
    labelled.record_tracking(delivered)
    assert labelled.collect_events() == []


def test_an_older_in_transit_after_delivered_is_recorded_but_ignored(labelled, scan):
    labelled.record_tracking(scan(C.PICKED_UP, hours=1))
    labelled.record_tracking(scan(C.DELIVERED, hours=5))
    labelled.collect_events()

    outcome = labelled.record_tracking(scan(C.IN_TRANSIT, hours=3))

    assert outcome is TrackingOutcome.STALE
    assert labelled.status is ShipmentStatus.DELIVERED
    assert [type(e).__name__ for e in labelled.collect_events()] == ["TrackingEventRecorded"]
    assert labelled.tracking_events[-1].outcome is TrackingOutcome.STALE


def test_a_newer_scan_after_a_terminal_status_is_ignored(labelled, scan):
    labelled.record_tracking(scan(C.DELIVERED, hours=5))
    assert labelled.record_tracking(scan(C.IN_TRANSIT, hours=6)) is TrackingOutcome.IGNORED
    assert labelled.status is ShipmentStatus.DELIVERED


def test_a_first_attempt_replayed_after_the_failure_does_not_reopen_delivery(labelled, scan):
    """out_for_delivery may follow delivery_failed (a reattempt), but not an older one."""
    labelled.record_tracking(scan(C.PICKED_UP, hours=1))
    labelled.record_tracking(scan(C.OUT_FOR_DELIVERY, hours=2, event_id="ofd-1"))
    labelled.record_tracking(scan(C.DELIVERY_FAILED, hours=3, reason_code="customer_unavailable"))

    late = scan(C.OUT_FOR_DELIVERY, hours=2, event_id="ofd-1-resent-with-new-id")
    assert labelled.record_tracking(late) is TrackingOutcome.STALE
    assert labelled.status is ShipmentStatus.DELIVERY_FAILED


def test_out_of_order_arrival_still_reaches_the_final_status(labelled, scan):
    """Delivered arrives first, the earlier scans afterwards: delivered stays, all are kept."""
    labelled.record_tracking(scan(C.DELIVERED, hours=5))
    labelled.record_tracking(scan(C.OUT_FOR_DELIVERY, hours=4))
    labelled.record_tracking(scan(C.PICKED_UP, hours=1))

    assert labelled.status is ShipmentStatus.DELIVERED
    assert [e.outcome for e in labelled.tracking_events] == [
        TrackingOutcome.APPLIED,
        TrackingOutcome.STALE,
        TrackingOutcome.STALE,
    ]


def test_an_update_for_another_tracking_number_is_refused(labelled, scan):
    update = scan(C.PICKED_UP)
    foreign = TrackingUpdate(
        carrier_event_id=update.carrier_event_id,
        code=update.code,
        occurred_at=update.occurred_at,
        tracking_number="SBX000000000000",
    )
    with pytest.raises(TrackingNumberMismatch) as raised:
        labelled.record_tracking(foreign)
    assert raised.value.status == 422
    assert labelled.tracking_events == []


def test_naive_timestamps_are_refused():
    with pytest.raises(InvalidShipmentCommand):
        TrackingUpdate("e", C.PICKED_UP, datetime(2025, 1, 1))
