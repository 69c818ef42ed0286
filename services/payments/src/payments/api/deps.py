"""What the routes need, put on ``app.state.payments`` by the bootstrap (or a test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from payments.application.app import PaymentsApp
from payments.application.ports import PaymentQueries, WebhookLog
from payments.config import PaymentsSettings

__all__ = ["PaymentsDeps", "PaymentsRuntime"]


@dataclass
class PaymentsRuntime:
    settings: PaymentsSettings
    app: PaymentsApp
    queries: PaymentQueries
    webhook_log: WebhookLog


def _runtime(request: Request) -> PaymentsRuntime:
    runtime = getattr(request.app.state, "payments", None)
    if not isinstance(runtime, PaymentsRuntime):
        raise RuntimeError("app.state.payments is not set (see payments.bootstrap)")
    return runtime


PaymentsDeps = Annotated[PaymentsRuntime, Depends(_runtime)]
