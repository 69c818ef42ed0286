"""The sandbox carrier's tracking webhook: ``POST /webhooks/carrier/sandbox``.

Order of checks: the tenant (``X-Tenant-Id`` or ``Host``; the carrier is configured per store), the
``Shop-Signature`` over the exact body bytes (400 ``invalid_signature``, or ``stale_signature``
outside the tolerance: a captured request cannot be replayed later), the body (400
``invalid_webhook_payload``), the shipment (404 when the tenant has none with that id). A carrier
event id already recorded on the shipment answers 200 ``duplicate`` and changes nothing.
"""

from __future__ import annotations

from functools import partial

import anyio
from fastapi import APIRouter, Request
from shop_runtime.auth import CurrentTenant

from shipping.api.deps import Services, Webhooks
from shipping.api.models import WebhookOut
from shipping.domain.errors import InvalidSignature
from shipping.domain.sandbox import parse_sandbox_tracking
from shipping.domain.tracking import TrackingOutcome
from shipping.domain.webhooks import SIGNATURE_HEADER, verify_webhook

__all__ = ["router"]

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks/carrier/sandbox")
async def sandbox_tracking(
    request: Request, tenant_id: CurrentTenant, services: Services, webhooks: Webhooks
) -> WebhookOut:
    body = await request.body()
    header = request.headers.get(SIGNATURE_HEADER)
    if header is None:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    verify_webhook(
        webhooks.secret,
        header,
        body,
        now=webhooks.clock(),
        tolerance_seconds=webhooks.tolerance_seconds,
    )
    parsed = parse_sandbox_tracking(body)
    shipment, outcome = await anyio.to_thread.run_sync(
        partial(services.app.record_tracking, parsed.shipment_id, tenant_id, parsed.update)
    )
    return WebhookOut(
        status="duplicate" if outcome is TrackingOutcome.DUPLICATE else "processed",
        outcome=outcome.value,
        shipment_id=shipment.id,
        shipment_status=shipment.status.value,
    )
