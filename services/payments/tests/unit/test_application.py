"""The application wired end to end in memory: inbound messages through the real consumer step,
the provider worker's step, and the relay's translation."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from payments.application.app import PaymentsApp
from payments.application.provider_calls import ProviderCaller
from payments.domain.payment import Payment, PaymentStatus
from payments.domain.provider import ProviderResult, ProviderStatus
from payments.domain.sandbox import SandboxPaymentProvider
from payments.domain.transactions import TransactionKind, TransactionStatus
from payments.integration import inbound, outbound
from shop_contracts import registry
from shop_contracts.contract_models import ContractEvent
from shop_contracts.events.orders import OrderCancelled, OrderConfirmed, PaymentRequested
from shop_contracts.ids import derived_id
from shop_contracts.money import Money
from shop_contracts.topics import ORDERS_EVENTS
from shop_runtime.consumer import EventStoreConsumer, InboundMessage
from shop_runtime.settings import ServiceSettings

TENANT = UUID("00000000-0000-4000-8000-0000000000a1")
OTHER_TENANT = UUID("00000000-0000-4000-8000-0000000000b2")


class Harness:
    """The consumer's save step, the provider worker's step and the relay's translation."""

    def __init__(self, provider: Any = None, attempts: int = 3) -> None:
        self.app = PaymentsApp.in_memory(ServiceSettings(service_name="payments"))
        self.sandbox = SandboxPaymentProvider()
        self.provider = provider or self.sandbox
        self.caller = ProviderCaller(
            self.app, {"sandbox": self.provider}, attempts=attempts, sleep=lambda _: None
        )
        self.consumer = EventStoreConsumer(
            self.app, group_id=inbound.CONSUMER_GROUP, topics=list(inbound.TOPICS)
        )
        self.handlers = inbound.handlers(self.app)
        self.offset = 0
        self.worker_position = 0

    def deliver(self, event: ContractEvent, *, event_id: UUID | None = None, tenant=TENANT) -> str:
        self.offset += 1
        envelope = registry.envelope_for(
            event,
            tenant_id=tenant,
            aggregate_id=event.order_id,  # type: ignore[attr-defined]
            aggregate_version=self.offset,
            producer="orders",
            event_id=event_id or uuid4(),
        )
        message = InboundMessage(
            envelope=envelope,
            event=event,
            topic=str(ORDERS_EVENTS),
            partition=0,
            offset=self.offset,
            key=None,
        )
        return self.consumer._apply(message, self.handlers[envelope.event_type])

    def notifications(self, start: int = 0) -> Iterator[Any]:
        yield from self.app.recorder.select_notifications(
            start=start, limit=1000, inclusive_of_start=False
        )

    def work(self) -> int:
        """The provider worker until it is idle; how many events it looked at."""
        seen = 0
        while batch := list(self.notifications(self.worker_position)):
            for n in batch:
                self.caller.process(self.app.mapper.to_domain_event(n))
                self.worker_position = n.id
                seen += 1
        return seen

    def published(self) -> list[ContractEvent]:
        out = []
        for n in self.notifications():
            contract = outbound.translate(self.app.mapper.to_domain_event(n))
            if contract is not None:
                out.append(contract)
        return out

    def payment(self, order_id: UUID) -> Payment:
        payment = self.app.find_payment(Payment.create_id(order_id))
        assert payment is not None
        return payment


def requested(order_id: UUID, token: str | None = "tok_approve", amount: str = "25.00"):
    return PaymentRequested(
        order_id=order_id,
        payment_id=derived_id(order_id, "payment"),
        customer_id=uuid4(),
        amount=Money.of(Decimal(amount), "EUR"),
        payment_token=token,
    )


def confirmed(order_id: UUID) -> OrderConfirmed:
    return OrderConfirmed.model_construct(
        order_id=order_id, payment_id=derived_id(order_id, "payment")
    )


def cancelled(order_id: UUID, payment: bool = True) -> OrderCancelled:
    return OrderCancelled(
        order_id=order_id,
        reason="customer_request",
        reservation_id=derived_id(order_id, "reservation"),
        payment_id=derived_id(order_id, "payment") if payment else None,
    )


def types(events: list[ContractEvent]) -> list[str]:
    return [registry.spec_for(e).event_type for e in events]


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_approved_payment_is_authorized_then_captured_on_confirmation(h: Harness) -> None:
    order = uuid4()
    assert h.deliver(requested(order)) == "applied"
    assert h.payment(order).status is PaymentStatus.PENDING  # the provider is not called inline
    h.work()
    assert h.payment(order).status is PaymentStatus.AUTHORIZED
    assert types(h.published()) == ["payments.payment_authorized"]

    assert h.deliver(confirmed(order)) == "applied"
    h.work()
    payment = h.payment(order)
    assert payment.status is PaymentStatus.CAPTURED
    assert payment.captured_amount == Money.of("25.00", "EUR")
    published = h.published()
    assert types(published) == ["payments.payment_authorized", "payments.payment_captured"]
    assert published[0].payment_id == derived_id(order, "payment")  # type: ignore[attr-defined]
    # Idempotency key sent to the provider = transaction id.
    assert [k for _, k in h.sandbox.calls] == [str(t.id) for t in payment.transactions]


def test_declined_payment_fails(h: Harness) -> None:
    order = uuid4()
    h.deliver(requested(order, token="tok_decline"))
    h.work()
    assert h.payment(order).status is PaymentStatus.FAILED
    [failed] = h.published()
    assert types([failed]) == ["payments.payment_failed"]
    assert failed.failure_code == "card_declined"  # type: ignore[attr-defined]


def test_timeout_is_retried_a_bounded_number_of_times_then_fails_with_timeout() -> None:
    h = Harness(attempts=3)
    order = uuid4()
    h.deliver(requested(order, token="tok_timeout"))
    h.work()
    payment = h.payment(order)
    assert payment.status is PaymentStatus.FAILED and payment.failure_code == "timeout"
    keys = [k for _, k in h.sandbox.calls]
    assert len(keys) == 3 and len(set(keys)) == 1  # three tries, one idempotency key
    assert [e.failure_code for e in h.published()] == ["timeout"]  # type: ignore[attr-defined]


def test_missing_payment_token_fails_without_calling_the_provider(h: Harness) -> None:
    order = uuid4()
    h.deliver(requested(order, token=None))
    h.work()
    assert h.payment(order).status is PaymentStatus.FAILED
    assert [e.failure_code for e in h.published()] == ["missing_payment_method"]  # type: ignore[attr-defined]
    assert h.sandbox.calls == []


def test_card_number_instead_of_token_fails_and_is_not_stored(h: Harness) -> None:
    order = uuid4()
    h.deliver(requested(order, token="4242 4242 4242 4242"))
    assert [e.failure_code for e in h.published()] == ["invalid_payment_method"]  # type: ignore[attr-defined]
    for n in h.notifications():
        assert b"4242 4242" not in n.state


def test_cancel_after_authorization_voids(h: Harness) -> None:
    order = uuid4()
    h.deliver(requested(order))
    h.work()
    assert h.deliver(cancelled(order)) == "applied"
    h.work()
    assert h.payment(order).status is PaymentStatus.VOIDED
    assert types(h.published())[-1] == "payments.payment_voided"


def test_cancel_while_authorization_awaits_the_provider_voids_once_authorized(h: Harness) -> None:
    order = uuid4()
    h.deliver(requested(order))
    h.deliver(cancelled(order))  # the provider has not answered yet
    h.work()
    payment = h.payment(order)
    assert payment.status is PaymentStatus.VOIDED
    assert types(h.published()) == ["payments.payment_authorized", "payments.payment_voided"]


def test_cancel_of_failed_or_unknown_payment_changes_nothing(h: Harness) -> None:
    failed = uuid4()
    h.deliver(requested(failed, token="tok_decline"))
    h.work()
    before = list(h.notifications())
    assert h.deliver(cancelled(failed)) == "applied"
    assert h.deliver(cancelled(uuid4())) == "applied"  # never requested
    assert h.deliver(cancelled(uuid4(), payment=False)) == "applied"
    assert len(list(h.notifications())) == len(before)


def test_cancel_after_capture_refunds(h: Harness) -> None:
    order = uuid4()
    h.deliver(requested(order))
    h.work()
    h.deliver(confirmed(order))
    h.work()
    h.deliver(cancelled(order))
    h.work()
    assert h.payment(order).status is PaymentStatus.REFUNDED
    assert types(h.published())[-1] == "payments.payment_refunded"


def test_duplicates_are_no_ops(h: Harness) -> None:
    order = uuid4()
    event_id = uuid4()
    assert h.deliver(requested(order), event_id=event_id) == "applied"
    assert h.deliver(requested(order), event_id=event_id) == "duplicate"
    # Re-sent under a new event id: the policy itself finds the same transaction.
    assert h.deliver(requested(order)) == "applied"
    h.work()
    h.deliver(confirmed(order))
    h.deliver(confirmed(order))
    h.work()
    h.work()
    payment = h.payment(order)
    assert [t.kind for t in payment.transactions] == [
        TransactionKind.AUTHORIZE,
        TransactionKind.CAPTURE,
    ]
    assert len(h.sandbox.calls) == 2
    assert types(h.published()) == ["payments.payment_authorized", "payments.payment_captured"]


def test_replaying_the_log_calls_the_provider_only_for_pending_operations(h: Harness) -> None:
    order = uuid4()
    h.deliver(requested(order))
    h.work()
    h.worker_position = 0  # the worker's position was lost: it reads everything again
    h.work()
    assert len(h.sandbox.calls) == 1


class CrashAfterCall:
    """Calls the sandbox, then dies before the answer can be recorded (once)."""

    name = "sandbox"

    def __init__(self, sandbox: SandboxPaymentProvider) -> None:
        self.sandbox = sandbox
        self.crashed = False

    def __getattr__(self, operation: str) -> Any:
        real = getattr(self.sandbox, operation)

        def call(**kwargs: Any) -> ProviderResult:
            result = real(**kwargs)
            if not self.crashed:
                self.crashed = True
                raise SystemExit("crash between the provider call and record_result")
            return result

        return call


def test_crash_between_provider_call_and_record_has_one_provider_effect() -> None:
    h = Harness()
    crashing = CrashAfterCall(h.sandbox)
    h.caller.providers["sandbox"] = crashing  # type: ignore[assignment]
    order = uuid4()
    h.deliver(requested(order))
    with pytest.raises(SystemExit):
        h.work()
    assert h.payment(order).status is PaymentStatus.PENDING
    h.work()  # the restarted worker resumes at the same event
    payment = h.payment(order)
    assert payment.status is PaymentStatus.AUTHORIZED
    keys = [k for _, k in h.sandbox.calls]
    assert len(keys) == 2 and len(set(keys)) == 1  # asked twice with one key: one authorization
    [txn] = payment.transactions
    assert txn.status is TransactionStatus.SUCCEEDED
    assert types(h.published()) == ["payments.payment_authorized"]


def test_provider_exception_counts_as_error_and_is_retried() -> None:
    class Flaky(SandboxPaymentProvider):
        failures = 1

        def authorize(self, **kwargs: Any) -> ProviderResult:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("reset")
            return super().authorize(**kwargs)

    h = Harness(provider=Flaky())
    order = uuid4()
    h.deliver(requested(order))
    h.work()
    assert h.payment(order).status is PaymentStatus.AUTHORIZED


def test_errors_after_all_attempts_fail_the_payment_with_provider_error() -> None:
    h = Harness(attempts=2)
    order = uuid4()
    h.deliver(requested(order, token="tok_error"))
    h.work()
    assert h.payment(order).failure_code == "provider_error"
    assert len(h.sandbox.calls) == 2


def test_confirmation_for_another_tenant_does_not_touch_the_payment(h: Harness) -> None:
    order = uuid4()
    h.deliver(requested(order))
    h.work()
    h.deliver(confirmed(order), tenant=OTHER_TENANT)
    h.work()
    assert h.payment(order).status is PaymentStatus.AUTHORIZED


def test_result_for_unknown_status_is_recorded_once(h: Harness) -> None:
    order = uuid4()
    h.deliver(requested(order))
    payment = h.payment(order)
    [txn] = payment.transactions
    ok = ProviderResult(ProviderStatus.APPROVED, "sbx_auth_x")
    payment.record_result(txn.id, ok)
    assert payment.record_result(txn.id, ok).status is TransactionStatus.SUCCEEDED
    assert [type(e).__name__ for e in payment.collect_events()] == ["Authorized"]
