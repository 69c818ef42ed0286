"""Shipment creation, label, the happy path of carrier tracking, and cancellation rules."""

from __future__ import annotations

from uuid import uuid4

import pytest
from shipping.domain.carrier import Label
from shipping.domain.carrier import ShipmentLine as DomainLine
from shipping.domain.errors import IllegalShipmentTransition, InvalidShipmentCommand
from shipping.domain.shipment import Shipment, ShipmentStatus
from shipping.domain.tracking import TrackingCode as C
from shipping.domain.tracking import TrackingOutcome
from shop_contracts.events.shipping import (
    ShipmentCreated,
    ShipmentDelivered,
    ShipmentLine,
    ShipmentShipped,
)
from shop_contracts.ids import derived_id


def names(shipment: Shipment) -> list[str]:
    return [type(e).__name__ for e in shipment.collect_events()]


def test_shipment_id_is_derived_from_the_order(new_shipment):
    order_id = uuid4()
    shipment = new_shipment(order_id)
    assert shipment.id == derived_id(order_id, "shipment")
    assert shipment.status is ShipmentStatus.CREATED
    assert shipment.tracking_number is None


def test_label_assigns_carrier_and_tracking_number(new_shipment, carrier):
    shipment = new_shipment()
    request = shipment.label_request()
    label = carrier.create_label(request)
    shipment.record_label(label)

    assert shipment.status is ShipmentStatus.LABEL_CREATED
    assert shipment.carrier == "sandbox"
    assert shipment.tracking_number == label.tracking_number
    assert request.lines == shipment.lines and request.address["city"] == "Bengaluru"
    # asking the carrier again after a crash books nothing new
    assert carrier.create_label(request) == label
    with pytest.raises(IllegalShipmentTransition):
        shipment.label_request()


def test_recording_the_same_label_twice_is_a_no_op(labelled):
    labelled.collect_events()
    same = Label(labelled.carrier, labelled.tracking_number)
    labelled.record_label(same)
    assert labelled.collect_events() == []
    with pytest.raises(IllegalShipmentTransition):
        labelled.record_label(Label("sandbox", "SBX-OTHER"))


def test_happy_path_pickup_to_delivery(labelled, scan):
    labelled.collect_events()
    assert labelled.record_tracking(scan(C.PICKED_UP)) is TrackingOutcome.APPLIED
    assert labelled.status is ShipmentStatus.SHIPPED
    assert labelled.record_tracking(scan(C.IN_TRANSIT)) is TrackingOutcome.IGNORED  # still shipped
    labelled.record_tracking(scan(C.OUT_FOR_DELIVERY))
    labelled.record_tracking(scan(C.DELIVERED))

    assert labelled.status is ShipmentStatus.DELIVERED
    assert labelled.delivered_at is not None and labelled.shipped_at < labelled.delivered_at
    assert [e.code for e in labelled.tracking_events] == [
        C.PICKED_UP,
        C.IN_TRANSIT,
        C.OUT_FOR_DELIVERY,
        C.DELIVERED,
    ]
    assert names(labelled) == [
        "TrackingEventRecorded",
        "Shipped",
        "TrackingEventRecorded",
        "TrackingEventRecorded",
        "OutForDelivery",
        "TrackingEventRecorded",
        "Delivered",
    ]


def test_skipped_scans_still_publish_shipped_before_delivered(labelled, scan):
    labelled.collect_events()
    labelled.record_tracking(scan(C.DELIVERED))
    assert labelled.status is ShipmentStatus.DELIVERED
    assert names(labelled) == ["TrackingEventRecorded", "Shipped", "Delivered"]


def test_tracking_before_the_label_moves_nothing(new_shipment, scan):
    shipment = new_shipment()
    assert shipment.record_tracking(scan(C.PICKED_UP)) is TrackingOutcome.IGNORED
    assert shipment.status is ShipmentStatus.CREATED


@pytest.mark.parametrize("labelled_first", [False, True])
def test_cancel_before_pickup(new_shipment, carrier, labelled_first):
    shipment = new_shipment()
    if labelled_first:
        shipment.record_label(carrier.create_label(shipment.label_request()))
    shipment.collect_events()

    assert shipment.cancel(reason="customer_request") is True
    assert shipment.status is ShipmentStatus.CANCELLED
    [cancelled] = shipment.collect_events()
    # the application voids the label at the carrier when there is one
    assert cancelled.tracking_number == shipment.tracking_number
    assert shipment.cancel(reason="customer_request") is False  # redelivered OrderCancelled
    assert shipment.collect_events() == []


def test_cannot_cancel_once_shipped(labelled, scan):
    labelled.record_tracking(scan(C.PICKED_UP))
    with pytest.raises(IllegalShipmentTransition) as raised:
        labelled.cancel(reason="customer_request")
    assert (raised.value.status, raised.value.code) == (409, "illegal_shipment_transition")


def test_a_cancelled_shipment_gets_no_label_and_ignores_tracking(new_shipment, scan):
    shipment = new_shipment()
    shipment.cancel(reason="payment_failed")
    with pytest.raises(IllegalShipmentTransition):
        shipment.label_request()
    assert shipment.record_tracking(scan(C.PICKED_UP)) is TrackingOutcome.IGNORED
    assert shipment.status is ShipmentStatus.CANCELLED


def test_address_can_change_before_the_label_only(new_shipment, carrier):
    shipment = new_shipment()
    shipment.update_address({**shipment.address, "line1": "14 MG Road"})
    assert shipment.address["line1"] == "14 MG Road"
    shipment.record_label(carrier.create_label(shipment.label_request()))
    with pytest.raises(IllegalShipmentTransition):
        shipment.update_address({**shipment.address, "line1": "16 MG Road"})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lines": []},
        {"address": {"name": "x", "line1": "y", "city": "z", "country": "IN"}},
    ],
)
def test_invalid_shipments_are_refused(kwargs):
    args = {
        "tenant_id": uuid4(),
        "order_id": uuid4(),
        "lines": [DomainLine(uuid4(), 1)],
        "address": {"name": "n", "line1": "l", "city": "c", "postal_code": "p", "country": "IN"},
    }
    with pytest.raises(InvalidShipmentCommand) as raised:
        Shipment.create(**{**args, **kwargs})
    assert raised.value.status == 422


def test_stored_events_reload_and_carry_every_public_field(labelled, scan, app):
    labelled.record_tracking(scan(C.PICKED_UP))
    labelled.record_tracking(scan(C.DELIVERED))
    app.save(labelled)

    reloaded = app.repository.get(labelled.id)
    assert reloaded.status is ShipmentStatus.DELIVERED
    assert reloaded.lines == labelled.lines
    assert reloaded.tracking_events == labelled.tracking_events
    assert reloaded.tenant_id == labelled.tenant_id

    stored = {type(e).__name__: e for e in app.events.get(labelled.id)}
    created, shipped, delivered = stored["Created"], stored["Shipped"], stored["Delivered"]
    ShipmentCreated(
        shipment_id=created.originator_id,
        order_id=created.order_id,
        lines=[ShipmentLine(**line) for line in created.lines],
        carrier=created.carrier,
    )
    contract_shipped = ShipmentShipped(
        shipment_id=shipped.originator_id,
        order_id=shipped.order_id,
        carrier=shipped.carrier,
        tracking_number=shipped.tracking_number,
        tracking_url=shipped.tracking_url,
        shipped_at=shipped.shipped_at,
    )
    contract_delivered = ShipmentDelivered(
        shipment_id=delivered.originator_id,
        order_id=delivered.order_id,
        delivered_at=delivered.delivered_at,
    )
    assert contract_shipped.tracking_number == labelled.tracking_number
    assert contract_delivered.delivered_at == labelled.delivered_at
