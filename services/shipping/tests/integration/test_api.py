"""The shipping API against the real Postgres: the carrier webhook (good, tampered, stale,
replayed), NDR actions, the read model, tenant isolation, permissions and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from shipping.domain.webhooks import SIGNATURE_HEADER, sign_webhook
from shop_runtime.rls import tenant_tables_without_forced_rls

pytestmark = pytest.mark.integration

# The same values as conftest.py (importlib mode: test modules cannot import it).
SECRET = "whsec_shipping_integration_test"
NOW = 1_750_000_000
TENANT_A = UUID("aaaaaaaa-0000-4000-8000-00000000000a")
TENANT_B = UUID("bbbbbbbb-0000-4000-8000-00000000000b")

T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def callback(shipment, code: str, *, hours: int = 1, event_id: str | None = None, **extra):
    body = {
        "event_id": event_id or f"evt-{uuid4().hex}",
        "reference": str(shipment.id),
        "tracking_number": shipment.tracking_number,
        "code": code,
        "occurred_at": (T0 + timedelta(hours=hours)).isoformat(),
        **extra,
    }
    return json.dumps(body).encode()


def signed(body: bytes, *, tenant=TENANT_A, at: int = NOW, secret: str = SECRET):
    return {
        SIGNATURE_HEADER: sign_webhook(secret.encode(), at, body),
        "Content-Type": "application/json",
        "X-Tenant-Id": str(tenant),
    }


async def post_webhook(client, body: bytes, **kw):
    return await client.post("/webhooks/carrier/sandbox", content=body, headers=signed(body, **kw))


def assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def test_migrations_protect_every_tenant_table(engine):
    async with engine.connect() as conn:
        assert await tenant_tables_without_forced_rls(conn) == []


# -- the webhook --------------------------------------------------------------------------------


async def test_a_signed_webhook_moves_the_shipment(client, labelled_shipment, staff):
    shipment = labelled_shipment()
    response = await post_webhook(client, callback(shipment, "picked_up", location="Hub"))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "processed",
        "outcome": "applied",
        "shipment_id": str(shipment.id),
        "shipment_status": "shipped",
    }
    got = (await client.get(f"/shipments/{shipment.id}", headers=staff())).json()
    assert got["status"] == "shipped" and got["carrier"] == "sandbox"
    assert got["tracking_number"] == shipment.tracking_number
    assert [(t["code"], t["location"]) for t in got["tracking_events"]] == [("picked_up", "Hub")]


async def test_a_replayed_webhook_is_a_duplicate_and_changes_nothing(
    client, labelled_shipment, shipping_app
):
    shipment = labelled_shipment()
    body = callback(shipment, "picked_up")
    assert (await post_webhook(client, body)).json()["status"] == "processed"
    before = shipping_app.shipment(shipment.id, TENANT_A).version
    again = await post_webhook(client, body, at=NOW - 10)  # re-signed by the carrier's retry
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate" and again.json()["outcome"] == "duplicate"
    assert shipping_app.shipment(shipment.id, TENANT_A).version == before


async def test_a_tampered_body_or_wrong_secret_is_refused(client, labelled_shipment, shipping_app):
    shipment = labelled_shipment()
    body = callback(shipment, "picked_up")
    headers = signed(body)
    tampered = body.replace(b"picked_up", b"delivered")
    response = await client.post("/webhooks/carrier/sandbox", content=tampered, headers=headers)
    assert_problem(response, 400, "invalid_signature")
    assert_problem(
        await post_webhook(client, body, secret="not-the-secret"), 400, "invalid_signature"
    )
    headers.pop(SIGNATURE_HEADER)
    response = await client.post("/webhooks/carrier/sandbox", content=body, headers=headers)
    assert_problem(response, 400, "invalid_signature")
    response = await client.post(
        "/webhooks/carrier/sandbox", content=body, headers={**headers, SIGNATURE_HEADER: "t=x"}
    )
    assert_problem(response, 400, "invalid_signature")
    assert shipping_app.shipment(shipment.id, TENANT_A).status == "label_created"


async def test_a_stale_signature_is_refused(client, labelled_shipment, clock):
    shipment = labelled_shipment()
    body = callback(shipment, "picked_up")
    assert_problem(await post_webhook(client, body, at=NOW - 301), 400, "stale_signature")
    assert_problem(await post_webhook(client, body, at=NOW + 301), 400, "stale_signature")
    assert (await post_webhook(client, body, at=NOW - 299)).status_code == 200


async def test_a_webhook_for_another_tenants_or_an_unknown_shipment_is_404(
    client, labelled_shipment, shipping_app
):
    shipment = labelled_shipment(TENANT_B)
    response = await post_webhook(client, callback(shipment, "picked_up"), tenant=TENANT_A)
    assert_problem(response, 404, "not_found")
    assert shipping_app.shipment(shipment.id, TENANT_B).status == "label_created"
    body = callback(shipment, "picked_up").replace(str(shipment.id).encode(), str(uuid4()).encode())
    assert_problem(await post_webhook(client, body), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"{}",
        b'{"event_id": "e1", "reference": "not-a-uuid", "code": "picked_up",'
        b' "occurred_at": "2025-06-01T10:00:00+00:00"}',
        b'{"event_id": "e1", "reference": "6f1c1f4e-0d5c-4a5e-9b55-1c6c8d7e1a00",'
        b' "code": "teleported", "occurred_at": "2025-06-01T10:00:00+00:00"}',
        b'{"event_id": "e1", "reference": "6f1c1f4e-0d5c-4a5e-9b55-1c6c8d7e1a00",'
        b' "code": "picked_up", "occurred_at": "2025-06-01T10:00:00"}',
        b'{"event_id": 7, "reference": "6f1c1f4e-0d5c-4a5e-9b55-1c6c8d7e1a00",'
        b' "code": "picked_up", "occurred_at": "2025-06-01T10:00:00+00:00"}',
    ],
)
async def test_a_signed_but_malformed_body_is_400(client, body):
    assert_problem(await post_webhook(client, body), 400, "invalid_webhook_payload")


async def test_webhook_tenant_errors(client, labelled_shipment):
    body = callback(labelled_shipment(), "picked_up")
    headers = signed(body)
    headers["X-Tenant-Id"] = "nope"
    response = await client.post("/webhooks/carrier/sandbox", content=body, headers=headers)
    assert_problem(response, 400, "invalid_tenant_id")
    headers.pop("X-Tenant-Id")
    response = await client.post("/webhooks/carrier/sandbox", content=body, headers=headers)
    assert_problem(response, 404, "tenant_not_found")


async def test_a_tracking_number_mismatch_is_422(client, labelled_shipment):
    shipment = labelled_shipment()
    body = callback(shipment, "picked_up", tracking_number="SBX000000000000")
    assert_problem(await post_webhook(client, body), 422, "tracking_number_mismatch")


# -- NDR, through to delivery and back to origin ------------------------------------------------


async def test_ndr_reattempt_then_delivered(client, labelled_shipment, staff, project):
    shipment = labelled_shipment()
    await post_webhook(client, callback(shipment, "picked_up", hours=1))
    failed = await post_webhook(
        client,
        callback(shipment, "delivery_failed", hours=2, reason_code="customer_unavailable"),
    )
    assert failed.json()["shipment_status"] == "delivery_failed"
    manager = staff(permissions=("shipping.view", "shipping.manage"))
    response = await client.post(
        f"/shipments/{shipment.id}/ndr/reattempt",
        json={"reattempt_on": "2025-06-03", "note": "call before"},
        headers=manager,
    )
    assert response.status_code == 200, response.text
    [case] = response.json()["ndr_cases"]
    assert case["status"] == "reattempt_scheduled" and case["reason_code"] == "customer_unavailable"
    assert case["actions"][0]["reattempt_on"] == "2025-06-03"

    await post_webhook(client, callback(shipment, "out_for_delivery", hours=30))
    done = await post_webhook(client, callback(shipment, "delivered", hours=31))
    assert done.json()["shipment_status"] == "delivered"

    await project()
    listed = await client.get(f"/shipments?order_id={shipment.order_id}", headers=staff())
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert listed.json()["next_cursor"] is None
    assert item["status"] == "delivered" and item["tracking_number"] == shipment.tracking_number
    assert [t["code"] for t in item["tracking_events"]] == [
        "picked_up",
        "delivery_failed",
        "out_for_delivery",
        "delivered",
    ]
    [case] = item["ndr_cases"]
    assert (case["status"], case["resolution"], case["attempts"]) == ("resolved", "delivered", 1)
    assert case["actions"][0]["type"] == "reattempt_scheduled"
    # the read model and the event store say the same
    direct = (await client.get(f"/shipments/{shipment.id}", headers=staff())).json()
    assert direct["ndr_cases"][0]["resolution"] == "delivered"
    assert direct["tracking_events"] == item["tracking_events"]


async def test_ndr_return_to_origin_then_returned(client, labelled_shipment, staff, project):
    shipment = labelled_shipment()
    await post_webhook(client, callback(shipment, "picked_up", hours=1))
    await post_webhook(
        client, callback(shipment, "delivery_failed", hours=2, reason_code="refused")
    )
    manager = staff(permissions=("shipping.manage", "shipping.view"))
    url = f"/shipments/{shipment.id}/ndr/return-to-origin"
    response = await client.post(url, json={"reason": "customer refused"}, headers=manager)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rto_initiated"
    assert (await client.post(url, json={"reason": "again"}, headers=manager)).status_code == 200

    back = await post_webhook(client, callback(shipment, "returned_to_origin", hours=50))
    assert back.json()["shipment_status"] == "returned_to_origin"
    await project()
    [item] = (await client.get(f"/shipments?order_id={shipment.order_id}", headers=staff())).json()[
        "items"
    ]
    assert item["status"] == "returned_to_origin"
    assert item["ndr_cases"][0]["resolution"] == "rto"
    assert item["ndr_cases"][0]["actions"][0]["note"] == "customer refused"


async def test_ndr_actions_on_a_shipment_without_ndr_are_409(client, labelled_shipment, staff):
    shipment = labelled_shipment()
    manager = staff(permissions=("shipping.manage",))
    response = await client.post(
        f"/shipments/{shipment.id}/ndr/reattempt",
        json={"reattempt_on": "2025-06-03"},
        headers=manager,
    )
    assert_problem(response, 409, "illegal_shipment_transition")


# -- reads, isolation, permissions, bad input ---------------------------------------------------


async def test_another_tenants_shipment_is_404_everywhere(
    client, labelled_shipment, staff, project
):
    shipment = labelled_shipment(TENANT_B)
    await project()
    assert_problem(await client.get(f"/shipments/{shipment.id}", headers=staff()), 404, "not_found")
    listed = await client.get(f"/shipments?order_id={shipment.order_id}", headers=staff())
    assert listed.json() == {"items": [], "next_cursor": None}
    manager = staff(permissions=("shipping.manage",))
    response = await client.post(
        f"/shipments/{shipment.id}/ndr/return-to-origin", json={"reason": "x"}, headers=manager
    )
    assert_problem(response, 404, "not_found")
    own = await client.get(f"/shipments?order_id={shipment.order_id}", headers=staff(TENANT_B))
    assert [i["shipment_id"] for i in own.json()["items"]] == [str(shipment.id)]


async def test_list_pages_with_a_cursor(client, labelled_shipment, staff, project):
    tenant = uuid4()
    made = {str(labelled_shipment(tenant).id) for _ in range(3)}
    await project()
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/shipments", params=params, headers=staff(tenant))).json()
        seen += [i["shipment_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made) and len(seen) == 3


async def test_permissions(client, labelled_shipment, staff):
    shipment = labelled_shipment()
    response = await client.get(f"/shipments/{shipment.id}")
    assert_problem(response, 401, "unauthorized")
    response = await client.get(f"/shipments/{shipment.id}", headers=staff(permissions=()))
    assert_problem(response, 403, "forbidden")
    response = await client.post(
        f"/shipments/{shipment.id}/ndr/return-to-origin", json={"reason": "x"}, headers=staff()
    )
    assert_problem(response, 403, "forbidden")


async def test_bad_input_is_4xx(client, labelled_shipment, staff):
    shipment = labelled_shipment()
    manager = staff(permissions=("shipping.manage", "shipping.view"))
    assert (await client.get("/shipments/not-a-uuid", headers=manager)).status_code == 422
    assert (await client.get("/shipments?order_id=nope", headers=manager)).status_code == 422
    assert (await client.get("/shipments?status=lost", headers=manager)).status_code == 422
    assert (await client.get("/shipments?limit=0", headers=manager)).status_code == 422
    assert_problem(
        await client.get("/shipments?cursor=%%%%", headers=manager), 400, "invalid_cursor"
    )
    url = f"/shipments/{shipment.id}/ndr/reattempt"
    for body in (
        {},
        {"reattempt_on": "tomorrow"},
        {"reattempt_on": "2025-06-03", "tenant_id": "x"},
    ):
        assert (await client.post(url, json=body, headers=manager)).status_code == 422
    rto = f"/shipments/{shipment.id}/ndr/return-to-origin"
    assert (await client.post(rto, json={"reason": ""}, headers=manager)).status_code == 422
    response = await client.post(
        rto, content=b"{", headers={**manager, "Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed_json")
