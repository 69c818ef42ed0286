"""Failed deliveries (NDR): reattempt until delivered, or return to origin."""

from __future__ import annotations

from datetime import date

import pytest
from shipping.domain.errors import IllegalShipmentTransition
from shipping.domain.ndr import NdrActionType, NdrResolution, NdrStatus
from shipping.domain.shipment import ShipmentStatus
from shipping.domain.tracking import TrackingCode as C
from shipping.domain.tracking import TrackingOutcome
from shop_contracts.events.shipping import DeliveryFailed, ShipmentLine, ShipmentReturned


@pytest.fixture
def failed(labelled, scan):
    labelled.record_tracking(scan(C.PICKED_UP))
    labelled.record_tracking(scan(C.OUT_FOR_DELIVERY))
    labelled.record_tracking(scan(C.DELIVERY_FAILED, reason_code="customer_unavailable"))
    return labelled


def test_failed_attempt_opens_an_ndr_case(failed):
    assert failed.status is ShipmentStatus.DELIVERY_FAILED
    case = failed.open_ndr_case
    assert case is not None
    assert (case.status, case.reason_code, case.attempts) == (
        NdrStatus.OPEN,
        "customer_unavailable",
        1,
    )


def test_ndr_reattempt_then_delivered_resolves_the_case(failed, scan):
    failed.schedule_reattempt(reattempt_on=date(2025, 3, 3), note="customer home after 6pm")
    assert failed.open_ndr_case.status is NdrStatus.REATTEMPT_SCHEDULED

    failed.record_tracking(scan(C.OUT_FOR_DELIVERY))
    assert failed.status is ShipmentStatus.OUT_FOR_DELIVERY
    failed.record_tracking(scan(C.DELIVERED))

    assert failed.status is ShipmentStatus.DELIVERED
    assert failed.open_ndr_case is None
    [case] = failed.ndr_cases
    assert (case.status, case.resolution) == (NdrStatus.RESOLVED, NdrResolution.DELIVERED)
    assert [a.type for a in case.actions] == [NdrActionType.REATTEMPT_SCHEDULED]
    assert case.actions[0].reattempt_on == date(2025, 3, 3)


def test_second_failure_counts_as_attempt_two_on_the_same_case(failed, scan):
    failed.schedule_reattempt()
    failed.record_tracking(scan(C.OUT_FOR_DELIVERY))
    failed.collect_events()
    failed.record_tracking(scan(C.DELIVERY_FAILED, reason_code="refused"))

    events = [e for e in failed.collect_events() if type(e).__name__ == "DeliveryFailed"]
    assert [e.attempt for e in events] == [2]
    [case] = failed.ndr_cases
    assert (case.attempts, case.reason_code, case.status) == (2, "refused", NdrStatus.OPEN)


def test_ndr_return_to_origin(failed, scan):
    assert failed.return_to_origin(note="customer refused twice") is True
    assert failed.status is ShipmentStatus.RTO_INITIATED
    assert failed.ndr_cases[0].resolution is NdrResolution.RTO
    assert failed.return_to_origin() is False  # repeated: nothing more

    assert failed.record_tracking(scan(C.RTO_IN_TRANSIT)) is TrackingOutcome.IGNORED
    failed.record_tracking(scan(C.RTO_DELIVERED))
    assert failed.status is ShipmentStatus.RETURNED_TO_ORIGIN
    # terminal: nothing moves it any more
    assert failed.record_tracking(scan(C.DELIVERED)) is TrackingOutcome.IGNORED
    with pytest.raises(IllegalShipmentTransition):
        failed.schedule_reattempt()


def test_carrier_initiated_rto_also_closes_the_case(failed, scan):
    failed.record_tracking(scan(C.RTO_DELIVERED))  # the carrier skipped rto_initiated
    assert failed.status is ShipmentStatus.RETURNED_TO_ORIGIN
    assert failed.ndr_cases[0].resolution is NdrResolution.RTO


def test_address_update_is_an_ndr_action(failed):
    failed.update_address({**failed.address, "line1": "Flat 4, 12 MG Road"})
    assert failed.address["line1"] == "Flat 4, 12 MG Road"
    assert [a.type for a in failed.open_ndr_case.actions] == [NdrActionType.ADDRESS_UPDATED]


@pytest.mark.parametrize("status_code", [C.PICKED_UP, C.OUT_FOR_DELIVERY])
def test_ndr_actions_need_a_failed_delivery(labelled, scan, status_code):
    labelled.record_tracking(scan(status_code))
    with pytest.raises(IllegalShipmentTransition):
        labelled.schedule_reattempt()
    with pytest.raises(IllegalShipmentTransition):
        labelled.return_to_origin()


def test_ndr_and_return_events_carry_their_public_fields(failed, scan, app):
    failed.return_to_origin()
    failed.record_tracking(scan(C.RTO_DELIVERED))
    app.save(failed)
    stored = {type(e).__name__: e for e in app.events.get(failed.id)}

    ndr, returned = stored["DeliveryFailed"], stored["ReturnedToOrigin"]
    contract_failed = DeliveryFailed(
        shipment_id=ndr.originator_id,
        order_id=ndr.order_id,
        attempt=ndr.attempt,
        reason_code=ndr.reason_code,
        reason_description=ndr.reason_description,
        failed_at=ndr.failed_at,
    )
    contract_returned = ShipmentReturned(
        shipment_id=returned.originator_id,
        order_id=returned.order_id,
        lines=[ShipmentLine(**line) for line in returned.lines],
        reason=returned.reason,
        returned_at=returned.returned_at,
    )
    assert contract_failed.attempt == 1
    assert [(ln.sku_id, ln.quantity) for ln in contract_returned.lines] == [
        (ln.sku_id, ln.quantity) for ln in failed.lines
    ]
    reloaded = app.repository.get(failed.id)
    assert reloaded.ndr_cases == failed.ndr_cases
    assert reloaded.status is ShipmentStatus.RETURNED_TO_ORIGIN
