"""POST /webhooks/sandbox: the sandbox provider's signed notifications.

Tenant by ``X-Tenant-Id`` or ``Host`` (no token: the signature is the authentication). The body is
read raw: the signature covers its exact bytes.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from shop_runtime.auth import CurrentTenant
from shop_runtime.errors import ProblemError

from payments.api.deps import PaymentsDeps
from payments.api.models import WebhookAck
from payments.application.webhooks import handle_sandbox_webhook
from payments.domain.webhooks import SIGNATURE_HEADER

__all__ = ["router"]

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks/sandbox", response_model=WebhookAck)
async def sandbox_webhook(
    request: Request, tenant_id: CurrentTenant, deps: PaymentsDeps
) -> WebhookAck:
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        raise ProblemError(400, "invalid_signature", detail=f"Missing {SIGNATURE_HEADER} header.")
    body = await request.body()
    status = await handle_sandbox_webhook(
        deps.app,
        deps.webhook_log,
        deps.queries,
        tenant_id=tenant_id,
        signature=signature,
        body=body,
        secret=deps.settings.payments_webhook_secret.get_secret_value().encode(),
        tolerance_seconds=deps.settings.payments_webhook_tolerance_seconds,
    )
    return WebhookAck(status=status)
