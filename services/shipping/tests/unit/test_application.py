"""The shipping application on the in-memory event store: the saga reactions (through the real
consumer sink), the label worker, carrier tracking, NDR actions, and what the relay publishes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from uuid import UUID, uuid4

import pytest
from shipping.application.app import ShippingApp
from shipping.domain.carrier import Label, LabelRequest
from shipping.domain.errors import IllegalShipmentTransition
from shipping.domain.sandbox import SandboxCarrier, parse_sandbox_tracking
from shipping.domain.shipment import Shipment, ShipmentStatus
from shipping.domain.tracking import TrackingCode, TrackingOutcome, TrackingUpdate
from shipping.integration import inbound, outbound
from shop_contracts import registry
from shop_contracts.events.orders import Address, OrderCancelled, OrderConfirmed
from shop_contracts.events.orders import ShipmentRequestLine as OrderLine
from shop_contracts.events.shipping import (
    DeliveryFailed,
    ShipmentCreated,
    ShipmentDelivered,
    ShipmentReturned,
    ShipmentShipped,
)
from shop_contracts.ids import derived_id
from shop_contracts.money import Money
from shop_runtime.aggregate import NotFound
from shop_runtime.consumer import EventStoreConsumer, InboundMessage
from shop_runtime.settings import ServiceSettings

TENANT = UUID("00000000-0000-4000-8000-0000000000aa")
OTHER_TENANT = UUID("00000000-0000-4000-8000-0000000000bb")
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SKU_A, SKU_B = uuid4(), uuid4()
ADDRESS = Address(
    name="Asha Rao", line1="12 MG Road", city="Bengaluru", postal_code="560001", country="IN"
)


class FlakyCarrier(SandboxCarrier):
    """The sandbox, down for the first ``failures`` calls."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def create_label(self, request: LabelRequest) -> Label:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("carrier unavailable")
        return super().create_label(request)


@pytest.fixture
def app() -> ShippingApp:
    return ShippingApp.in_memory(ServiceSettings(service_name="shipping"))


@pytest.fixture
def carrier() -> SandboxCarrier:
    return SandboxCarrier()


OFFSETS = count(1000)  # Kafka offsets only grow, whichever test helper sends


class Orders:
    """Feeds orders.events.v1 messages through the real event-store sink of the consumer."""

    def __init__(self, app: ShippingApp) -> None:
        self.consumer = inbound.build_consumer(app)

    def send(self, event: OrderConfirmed | OrderCancelled, *, tenant: UUID = TENANT, **kw):
        envelope = registry.envelope_for(
            event,
            tenant_id=tenant,
            aggregate_id=event.order_id,
            aggregate_version=1,
            producer="orders",
            event_id=kw.get("event_id"),
        )
        message = InboundMessage(
            envelope=envelope,
            event=event,
            topic="orders.events.v1",
            partition=0,
            offset=kw.get("offset", next(OFFSETS)),
            key=None,
        )
        handler = self.consumer._handlers[envelope.event_type]
        return EventStoreConsumer._apply(self.consumer, message, handler)


def confirmed(order_id: UUID) -> OrderConfirmed:
    return OrderConfirmed(
        order_id=order_id,
        order_number="1001",
        reservation_id=derived_id(order_id, "reservation"),
        payment_id=derived_id(order_id, "payment"),
        total=Money(amount=Decimal("30.00"), currency="INR"),
        lines=[
            OrderLine(sku_id=SKU_A, quantity=2),
            OrderLine(sku_id=SKU_B, quantity=1),
            OrderLine(sku_id=SKU_A, quantity=1),
        ],
        shipping_address=ADDRESS,
    )


def cancelled(order_id: UUID, reason: str = "customer_request") -> OrderCancelled:
    return OrderCancelled(
        order_id=order_id, reason=reason, reservation_id=derived_id(order_id, "reservation")
    )


def published(app: ShippingApp) -> list[object]:
    """What the relay would publish, in log order."""
    notifications = app.recorder.select_notifications(start=1, limit=1000)
    events = [outbound.translate(app.mapper.to_domain_event(n)) for n in notifications]
    return [e for e in events if e is not None]


def scans():
    ticks = count(1)

    def make(code: TrackingCode, **kw) -> TrackingUpdate:
        tick = next(ticks)
        return TrackingUpdate(
            carrier_event_id=kw.pop("event_id", f"evt-{tick}"),
            code=code,
            occurred_at=T0 + timedelta(hours=tick),
            **kw,
        )

    return make


@pytest.fixture
def labelled(app: ShippingApp, carrier: SandboxCarrier) -> Shipment:
    order_id = uuid4()
    Orders(app).send(confirmed(order_id))
    app.create_pending_labels(carrier)
    return app.shipment(Shipment.create_id(order_id), TENANT)


# -- order confirmed → shipment → label --------------------------------------------------------


def test_order_confirmed_creates_a_shipment_and_the_worker_books_its_label(app, carrier):
    order_id = uuid4()
    assert Orders(app).send(confirmed(order_id)) == "applied"

    shipment_id = derived_id(order_id, "shipment")
    shipment = app.shipment(shipment_id, TENANT)
    assert shipment.status is ShipmentStatus.CREATED
    assert shipment.order_id == order_id and shipment.address["city"] == "Bengaluru"
    # two lines of one SKU ship as one line
    assert {(line.sku_id, line.quantity) for line in shipment.lines} == {(SKU_A, 3), (SKU_B, 1)}

    batch = app.create_pending_labels(carrier)
    assert (batch.seen, batch.labelled) == (1, 1)
    shipment = app.shipment(shipment_id, TENANT)
    assert shipment.status is ShipmentStatus.LABEL_CREATED
    assert shipment.carrier == "sandbox" and shipment.tracking_number.startswith("SBX")

    # the next pass has nothing to do and asks the carrier nothing
    assert app.create_pending_labels(carrier).seen == 0
    assert len(carrier.requests) == 1
    [created] = published(app)
    assert isinstance(created, ShipmentCreated) and created.shipment_id == shipment_id
    assert {(line.sku_id, line.quantity) for line in created.lines} == {(SKU_A, 3), (SKU_B, 1)}


def test_a_redelivered_or_resent_confirmation_creates_nothing(app):
    orders = Orders(app)
    order_id = uuid4()
    event = confirmed(order_id)
    event_id = uuid4()
    assert orders.send(event, event_id=event_id, offset=5) == "applied"
    assert orders.send(event, event_id=event_id, offset=5) == "already_tracked"  # redelivery
    assert orders.send(event, event_id=event_id, offset=6) == "duplicate"  # re-sent, new offset
    assert orders.send(event, event_id=uuid4(), offset=7) == "applied"  # new id: no-op by id
    assert app.shipment(Shipment.create_id(order_id), TENANT).version == 1
    assert len(published(app)) == 1


def test_the_label_worker_retries_a_carrier_outage_without_losing_the_request(app):
    carrier = FlakyCarrier(failures=1)
    order_id = uuid4()
    Orders(app).send(confirmed(order_id))
    with pytest.raises(ConnectionError):
        app.create_pending_labels(carrier)
    assert app.label_worker_position() == 0
    assert app.create_pending_labels(carrier).labelled == 1
    assert app.shipment(Shipment.create_id(order_id), TENANT).status is (
        ShipmentStatus.LABEL_CREATED
    )


def test_the_label_worker_resumes_after_its_position(app, carrier):
    orders = Orders(app)
    first, second = uuid4(), uuid4()
    orders.send(confirmed(first))
    assert app.create_pending_labels(carrier).labelled == 1
    orders.send(confirmed(second))
    batch = app.create_pending_labels(carrier)
    assert (batch.seen, batch.labelled) == (1, 1)
    assert [r.order_id for r in carrier.requests] == [first, second]


# -- cancellation --------------------------------------------------------------------------------


def test_cancel_before_the_label_books_nothing(app, carrier):
    orders = Orders(app)
    order_id = uuid4()
    orders.send(confirmed(order_id))
    assert orders.send(cancelled(order_id)) == "applied"

    shipment = app.shipment(Shipment.create_id(order_id), TENANT)
    assert shipment.status is ShipmentStatus.CANCELLED
    batch = app.create_pending_labels(carrier)
    assert (batch.seen, batch.skipped) == (1, 1)
    assert carrier.requests == []


def test_cancel_after_the_label_cancels(app, labelled):
    Orders(app).send(cancelled(labelled.order_id))
    assert app.shipment(labelled.id, TENANT).status is ShipmentStatus.CANCELLED


def test_cancel_of_a_shipped_order_or_one_without_shipment_is_not_an_error(app, labelled):
    orders = Orders(app)
    app.record_tracking(labelled.id, TENANT, scans()(TrackingCode.PICKED_UP))
    assert orders.send(cancelled(labelled.order_id)) == "applied"  # tracked, not dead-lettered
    assert app.shipment(labelled.id, TENANT).status is ShipmentStatus.SHIPPED
    assert orders.send(cancelled(uuid4(), "payment_failed")) == "applied"


def test_a_message_of_another_tenant_does_not_touch_the_shipment(app, labelled):
    Orders(app).send(cancelled(labelled.order_id), tenant=OTHER_TENANT)
    assert app.shipment(labelled.id, TENANT).status is ShipmentStatus.LABEL_CREATED


# -- carrier tracking ---------------------------------------------------------------------------


def test_tracking_to_delivered_publishes_shipped_then_delivered(app, labelled):
    scan = scans()
    for code in (C := TrackingCode).PICKED_UP, C.IN_TRANSIT, C.OUT_FOR_DELIVERY, C.DELIVERED:
        app.record_tracking(labelled.id, TENANT, scan(code))
    shipment = app.shipment(labelled.id, TENANT)
    assert shipment.status is ShipmentStatus.DELIVERED
    kinds = [type(e) for e in published(app)]
    assert kinds == [ShipmentCreated, ShipmentShipped, ShipmentDelivered]
    shipped = published(app)[1]
    assert shipped.tracking_number == labelled.tracking_number
    assert shipped.order_id == labelled.order_id


def test_a_replayed_tracking_event_changes_and_saves_nothing(app, labelled):
    update = scans()(TrackingCode.PICKED_UP)
    _, first = app.record_tracking(labelled.id, TENANT, update)
    before = app.recorder.max_notification_id()
    shipment, again = app.record_tracking(labelled.id, TENANT, update)
    assert (first, again) == (TrackingOutcome.APPLIED, TrackingOutcome.DUPLICATE)
    assert app.recorder.max_notification_id() == before
    assert len(shipment.tracking_events) == 1


def test_tracking_of_another_tenants_shipment_is_not_found(app, labelled):
    with pytest.raises(NotFound):
        app.record_tracking(labelled.id, OTHER_TENANT, scans()(TrackingCode.PICKED_UP))
    with pytest.raises(NotFound):
        app.shipment(uuid4(), TENANT)


# -- NDR ----------------------------------------------------------------------------------------


def test_ndr_then_reattempt_then_delivered(app, labelled):
    scan = scans()
    app.record_tracking(labelled.id, TENANT, scan(TrackingCode.PICKED_UP))
    app.record_tracking(
        labelled.id, TENANT, scan(TrackingCode.DELIVERY_FAILED, reason_code="customer_unavailable")
    )
    shipment = app.schedule_reattempt(
        labelled.id, TENANT, reattempt_on=date(2025, 3, 3), note="call first", performed_by=None
    )
    [case] = shipment.ndr_cases
    assert case.status == "reattempt_scheduled" and case.actions[0].reattempt_on == date(2025, 3, 3)

    app.record_tracking(labelled.id, TENANT, scan(TrackingCode.OUT_FOR_DELIVERY))
    app.record_tracking(labelled.id, TENANT, scan(TrackingCode.DELIVERED))
    shipment = app.shipment(labelled.id, TENANT)
    assert shipment.status is ShipmentStatus.DELIVERED
    assert shipment.ndr_cases[0].resolution == "delivered"
    events = published(app)
    assert [type(e) for e in events] == [
        ShipmentCreated,
        ShipmentShipped,
        DeliveryFailed,
        ShipmentDelivered,
    ]
    assert events[2].reason_code == "customer_unavailable" and events[2].attempt == 1


def test_ndr_then_return_to_origin_then_returned(app, labelled, carrier):
    scan = scans()
    app.record_tracking(labelled.id, TENANT, scan(TrackingCode.PICKED_UP))
    app.record_tracking(labelled.id, TENANT, scan(TrackingCode.DELIVERY_FAILED))
    staff = uuid4()
    shipment = app.return_to_origin(labelled.id, TENANT, reason="refused twice", performed_by=staff)
    assert shipment.status is ShipmentStatus.RTO_INITIATED
    assert shipment.ndr_cases[0].resolution == "rto"
    assert shipment.ndr_cases[0].actions[-1].performed_by == staff
    # asking again is a no-op, not an error
    app.return_to_origin(labelled.id, TENANT, reason="again", performed_by=staff)

    # the carrier confirms with the public webhook code "returned_to_origin"
    _, body = carrier.tracking_webhook(
        shipment_id=labelled.id,
        tracking_number=labelled.tracking_number,
        code=TrackingCode.RTO_DELIVERED,
        occurred_at=T0 + timedelta(days=3),
        timestamp=0,
    )
    body = body.replace(b'"rto_delivered"', b'"returned_to_origin"')
    parsed = parse_sandbox_tracking(body)
    app.record_tracking(parsed.shipment_id, TENANT, parsed.update)

    shipment = app.shipment(labelled.id, TENANT)
    assert shipment.status is ShipmentStatus.RETURNED_TO_ORIGIN
    returned = published(app)[-1]
    assert isinstance(returned, ShipmentReturned) and returned.reason == "rto"
    assert {line.sku_id for line in returned.lines} == {SKU_A, SKU_B}


def test_ndr_actions_need_a_failed_delivery(app, labelled):
    with pytest.raises(IllegalShipmentTransition):
        app.schedule_reattempt(
            labelled.id, TENANT, reattempt_on=date(2025, 3, 3), note=None, performed_by=None
        )
    with pytest.raises(IllegalShipmentTransition):
        app.return_to_origin(labelled.id, TENANT, reason="x", performed_by=None)
    with pytest.raises(NotFound):
        app.return_to_origin(labelled.id, OTHER_TENANT, reason="x", performed_by=None)
