"""The provider step: for each operation a payment *requested*, call the provider and record the
answer.

Run by a worker that follows the service's own notification log (``adapters/provider_worker.py``),
never inside a Kafka handler. The sequence per requested operation::

    load the payment; the transaction still pending?  ── no ──> nothing (answered already)
    call the provider with idempotency key = transaction id (bounded retries on timeout/error)
    record_result as a new command (re-run on a version conflict)

A crash between the call and the record replays the call with the *same* key after the restart;
the provider answers the first result again without acting twice, so there is one effect.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from shop_runtime import context

from payments.application.app import PaymentsApp
from payments.application.policies import release_if_order_cancelled
from payments.domain.payment import Payment
from payments.domain.provider import (
    PaymentProvider,
    ProviderRequest,
    ProviderResult,
    ProviderStatus,
    call_provider,
)
from payments.domain.transactions import PaymentTransaction

__all__ = ["REQUESTED_EVENT_TYPES", "ProviderCaller"]

log = logging.getLogger(__name__)

REQUESTED_EVENT_TYPES: tuple[type[Any], ...] = (
    Payment.AuthorizationRequested,  # type: ignore[attr-defined]
    Payment.CaptureRequested,  # type: ignore[attr-defined]
    Payment.VoidRequested,  # type: ignore[attr-defined]
    Payment.RefundRequested,  # type: ignore[attr-defined]
)
_UNCERTAIN = (ProviderStatus.TIMEOUT, ProviderStatus.ERROR)


class ProviderCaller:
    """Calls the payment's provider for a requested operation and records its answer."""

    def __init__(
        self,
        app: PaymentsApp,
        providers: Mapping[str, PaymentProvider],
        *,
        attempts: int = 3,
        retry_delay: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.app = app
        self.providers = dict(providers)
        self.attempts = attempts
        self.retry_delay = retry_delay
        self.sleep = sleep

    @staticmethod
    def handles(event: object) -> bool:
        return isinstance(event, REQUESTED_EVENT_TYPES)

    def process(self, event: Any) -> PaymentTransaction | None:
        """Handle one stored *Requested event; None when there is nothing (left) to do."""
        if not self.handles(event):
            return None
        payment_id: UUID = event.originator_id
        transaction_id: UUID = event.transaction_id
        with context.message_context(
            tenant_id=event.tenant_id,
            correlation_id=event.correlation_id,
            causation_id=str(self.app.event_id_for(payment_id, event.originator_version)),
        ):
            payment = self.app.find_payment(payment_id)
            if payment is None:
                return None
            txn = payment.transaction(transaction_id)
            if not txn.is_pending or txn.attempt != event.attempt:
                return None  # answered already (a replay after a crash), or a later attempt exists
            result = self.call(payment.provider_request(transaction_id))
            return self.app.execute(lambda: self._record(payment_id, transaction_id, result))

    def call(self, request: ProviderRequest) -> ProviderResult:
        """The provider's answer; a timeout or provider error is retried with the same key."""
        provider = self.providers.get(request.provider)
        if provider is None:
            return ProviderResult(
                ProviderStatus.ERROR, message=f"no adapter for provider {request.provider}"
            )
        result = ProviderResult(ProviderStatus.ERROR, message="not called")
        for attempt in range(1, self.attempts + 1):
            try:
                result = call_provider(provider, request)
            except Exception:  # an adapter bug or a transport failure: the call is uncertain
                log.warning(
                    "provider %s: %s call failed", request.provider, request.kind, exc_info=True
                )
                result = ProviderResult(ProviderStatus.ERROR, message="provider call failed")
            if result.status not in _UNCERTAIN:
                return result
            if attempt < self.attempts:
                self.sleep(self.retry_delay * 2 ** (attempt - 1))
        return result

    def _record(
        self, payment_id: UUID, transaction_id: UUID, result: ProviderResult
    ) -> PaymentTransaction:
        payment = self.app.find_payment(payment_id)
        assert payment is not None
        txn = payment.record_result(transaction_id, result)
        # An order cancelled while this answer was awaited: release the money in the same save.
        release_if_order_cancelled(payment)
        self.app.save(payment)
        return txn
