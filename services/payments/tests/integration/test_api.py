"""The payments API and webhook against real Postgres (RLS, dedupe table, event store)."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from payments.adapters.projector import PaymentsProjector
from payments.adapters.provider_worker import ProviderWorker
from payments.application import policies
from payments.application.app import PaymentsApp
from payments.domain.payment import Payment, PaymentStatus
from payments.domain.sandbox import SandboxPaymentProvider
from payments.domain.webhooks import SIGNATURE_HEADER, sign_webhook
from shop_contracts.events.orders import PaymentRequested
from shop_contracts.ids import derived_id
from shop_contracts.money import Money
from shop_runtime.auth import TokenIssuer
from shop_runtime.rls import tenant_tables_without_forced_rls
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from .conftest import SECRET, SHOP_HOST, TENANT_A, TENANT_B

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def token(
    issuer: TokenIssuer, tenant: UUID, perms: tuple[str, ...] = ("payments.view",)
) -> dict[str, str]:
    jwt = issuer.issue(subject=str(uuid4()), tenant_id=tenant, permissions=perms)
    return {"Authorization": f"Bearer {jwt}"}


async def authorized_payment(
    app: PaymentsApp,
    worker: ProviderWorker,
    projector: PaymentsProjector,
    *,
    tenant: UUID = TENANT_A,
    token_: str = "tok_approve",
) -> UUID:
    order_id = uuid4()
    event = PaymentRequested(
        order_id=order_id,
        payment_id=derived_id(order_id, "payment"),
        customer_id=uuid4(),
        amount=Money.of(Decimal("42.10"), "EUR"),
        payment_token=token_,
    )
    app.save(*policies.on_payment_requested(app, tenant, event))
    while await worker.run_once():
        pass
    while await projector.run_once():
        pass
    return Payment.create_id(order_id)


def webhook(
    event_type: str, data: dict[str, Any], *, event_id: str | None = None, at: int | None = None
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(
        {"id": event_id or f"evt_{uuid4().hex}", "type": event_type, "created": 0, "data": data}
    ).encode()
    timestamp = at if at is not None else int(time.time())
    return {
        SIGNATURE_HEADER: sign_webhook(SECRET.encode(), timestamp, body),
        "Content-Type": "application/json",
        "X-Tenant-Id": str(TENANT_A),
    }, body


async def test_every_tenant_table_has_forced_rls(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await tenant_tables_without_forced_rls(conn) == []


async def test_get_payment_after_authorization(client, app, worker, projector, issuer) -> None:
    payment_id = await authorized_payment(app, worker, projector)
    r = await client.get(f"/payments/{payment_id}", headers=token(issuer, TENANT_A))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "authorized"
    assert body["amount"] == {"amount": "42.10", "currency": "EUR"}
    [txn] = body["transactions"]
    assert txn["kind"] == "authorize" and txn["status"] == "succeeded"
    assert txn["provider_reference"].startswith("sbx_auth_")
    assert "tok_approve" not in r.text  # tokens stay inside the event store

    listed = await client.get(
        "/payments", params={"order_id": body["order_id"]}, headers=token(issuer, TENANT_A)
    )
    assert listed.status_code == 200
    assert [p["payment_id"] for p in listed.json()["items"]] == [str(payment_id)]


async def test_another_tenants_payment_is_404(client, app, worker, projector, issuer) -> None:
    payment_id = await authorized_payment(app, worker, projector)
    r = await client.get(f"/payments/{payment_id}", headers=token(issuer, TENANT_B))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    order_id = (
        await client.get(f"/payments/{payment_id}", headers=token(issuer, TENANT_A))
    ).json()["order_id"]
    listed = await client.get(
        "/payments", params={"order_id": order_id}, headers=token(issuer, TENANT_B)
    )
    assert listed.json() == {"items": [], "next_cursor": None}


async def test_authentication_and_permission(client, issuer) -> None:
    assert (await client.get(f"/payments/{uuid4()}")).status_code == 401
    r = await client.get(
        f"/payments/{uuid4()}", headers=token(issuer, TENANT_A, perms=("orders.view",))
    )
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/payments/not-a-uuid", 422),
        ("/payments?limit=0", 422),
        ("/payments?limit=1000", 422),
        ("/payments?status=bogus", 422),
        ("/payments?order_id=xyz", 422),
        ("/payments?cursor=%21%21notbase64", 400),
    ],
)
async def test_bad_input_is_4xx_problem(client, issuer, path: str, status: int) -> None:
    r = await client.get(path, headers=token(issuer, TENANT_A))
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"


async def test_list_pagination(client, app, worker, projector, issuer) -> None:
    tenant = uuid4()
    ids = {await authorized_payment(app, worker, projector, tenant=tenant) for _ in range(3)}
    headers = token(issuer, tenant)
    first = (await client.get("/payments", params={"limit": 2}, headers=headers)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = (
        await client.get(
            "/payments", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
        )
    ).json()
    assert second["next_cursor"] is None
    assert {p["payment_id"] for p in first["items"] + second["items"]} == {str(i) for i in ids}


async def test_webhook_capture_then_replay_is_duplicate(client, app, worker, projector) -> None:
    payment_id = await authorized_payment(app, worker, projector)
    headers, body = webhook(
        "payment.captured", {"payment_id": str(payment_id), "reference": "ch_1"}
    )
    r = await client.post("/webhooks/sandbox", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "processed"}
    payment = app.find_payment(payment_id)
    assert payment is not None and payment.status is PaymentStatus.CAPTURED
    version = payment.version

    again = await client.post("/webhooks/sandbox", content=body, headers=headers)
    assert again.json() == {"status": "duplicate"}
    assert app.find_payment(payment_id).version == version  # type: ignore[union-attr]

    # A new delivery of a confirmation already applied: processed, changes nothing.
    headers2, body2 = webhook("payment.captured", {"payment_id": str(payment_id)})
    assert (
        await client.post("/webhooks/sandbox", content=body2, headers=headers2)
    ).status_code == 200
    assert app.find_payment(payment_id).version == version  # type: ignore[union-attr]


async def test_webhook_by_provider_reference_and_by_host(
    client, app, worker, projector, sandbox: SandboxPaymentProvider
) -> None:
    payment_id = await authorized_payment(app, worker, projector)
    reference = app.find_payment(payment_id).authorization_reference  # type: ignore[union-attr]
    headers, body = sandbox.webhook(
        event_type="payment.refunded", reference=reference, timestamp=int(time.time())
    )
    # Authorized, not captured: a refund confirmation has nothing to apply (processed, ignored).
    r = await client.post("/webhooks/sandbox", content=body, headers={**headers, "Host": SHOP_HOST})
    assert r.json() == {"status": "processed"}
    headers, body = sandbox.webhook(
        event_type="payment.captured", reference=reference, timestamp=int(time.time())
    )
    r = await client.post("/webhooks/sandbox", content=body, headers={**headers, "Host": SHOP_HOST})
    assert r.json() == {"status": "processed"}
    assert app.find_payment(payment_id).status is PaymentStatus.CAPTURED  # type: ignore[union-attr]


async def test_webhook_tampered_body_is_400(client, app, worker, projector) -> None:
    payment_id = await authorized_payment(app, worker, projector)
    headers, body = webhook("payment.captured", {"payment_id": str(payment_id)})
    tampered = body.replace(b"payment.captured", b"payment.failed!!")
    r = await client.post("/webhooks/sandbox", content=tampered, headers=headers)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "invalid_signature"
    assert app.find_payment(payment_id).status is PaymentStatus.AUTHORIZED  # type: ignore[union-attr]
    # Not recorded as seen: the genuine delivery still works.
    assert (await client.post("/webhooks/sandbox", content=body, headers=headers)).json() == {
        "status": "processed"
    }


async def test_webhook_stale_signature_is_400(client, app, worker, projector) -> None:
    payment_id = await authorized_payment(app, worker, projector)
    headers, body = webhook(
        "payment.captured", {"payment_id": str(payment_id)}, at=int(time.time()) - 301
    )
    r = await client.post("/webhooks/sandbox", content=body, headers=headers)
    assert r.status_code == 400
    assert r.json()["code"] == "stale_signature"
    assert app.find_payment(payment_id).status is PaymentStatus.AUTHORIZED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "signature",
    [None, "", "t=abc,v1=00", "v1=" + "0" * 64, "t=1,v1=" + "0" * 64],
)
async def test_webhook_missing_or_malformed_signature_is_400(client, signature) -> None:
    headers, body = webhook("payment.captured", {"payment_id": str(uuid4())})
    if signature is None:
        del headers[SIGNATURE_HEADER]
    else:
        headers[SIGNATURE_HEADER] = signature
    r = await client.post("/webhooks/sandbox", content=body, headers=headers)
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_signature"


async def test_webhook_signed_but_not_json_is_400(client) -> None:
    body = b"not json"
    now = int(time.time())
    headers = {
        SIGNATURE_HEADER: sign_webhook(SECRET.encode(), now, body),
        "X-Tenant-Id": str(TENANT_A),
        "Content-Type": "application/json",
    }
    r = await client.post("/webhooks/sandbox", content=body, headers=headers)
    assert 400 <= r.status_code < 500


async def test_webhook_without_tenant_is_404(client) -> None:
    headers, body = webhook("payment.captured", {"payment_id": str(uuid4())})
    del headers["X-Tenant-Id"]
    r = await client.post(
        "/webhooks/sandbox", content=body, headers={**headers, "Host": "nowhere.test"}
    )
    assert r.status_code == 404


async def test_webhook_dedupe_is_per_tenant(
    client, app, worker, projector, engine: AsyncEngine
) -> None:
    event_id = f"evt_{uuid4().hex}"
    for tenant in (TENANT_A, TENANT_B):
        headers, body = webhook("payment.captured", {"payment_id": str(uuid4())}, event_id=event_id)
        headers["X-Tenant-Id"] = str(tenant)
        r = await client.post("/webhooks/sandbox", content=body, headers=headers)
        assert r.json() == {"status": "processed"}
    async with engine.begin() as conn:
        # Without a tenant, RLS shows no row at all.
        count = (await conn.execute(text("SELECT count(*) FROM payment_webhook_events"))).scalar()
    assert count == 0


async def test_webhook_failure_of_pending_authorization(client, app, engine, projector) -> None:
    order_id = uuid4()
    event = PaymentRequested(
        order_id=order_id,
        payment_id=derived_id(order_id, "payment"),
        customer_id=uuid4(),
        amount=Money.of(Decimal("5.00"), "EUR"),
        payment_token="tok_approve",
    )
    app.save(*policies.on_payment_requested(app, TENANT_A, event))  # no worker run: still pending
    headers, body = webhook("payment.failed", {"order_id": str(order_id), "failure_code": "fraud"})
    r = await client.post("/webhooks/sandbox", content=body, headers=headers)
    assert r.json() == {"status": "processed"}
    payment = app.find_payment(Payment.create_id(order_id))
    assert payment is not None and payment.status is PaymentStatus.FAILED
    assert payment.failure_code == "fraud"
