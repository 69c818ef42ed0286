"""The clickstream batch model and its translation into contract events (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from analytics.application.clickstream import (
    MAX_BATCH_SIZE,
    ClickstreamBatch,
    ClickTooOldError,
    to_contract_events,
    to_envelopes,
)
from pydantic import ValidationError
from shop_contracts import registry
from shop_contracts.events.clickstream import AddedToCart, PageViewed, ProductViewed, Searched
from shop_contracts.topics import ANALYTICS_CLICKSTREAM

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
SESSION = uuid4()


def click(kind: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": kind,
        "occurred_at": (NOW - timedelta(seconds=5)).isoformat(),
        "session_id": str(SESSION),
        "url": "https://shop.example/p/1",
    }
    return {**base, **fields}


ALL_KINDS = [
    click("page_view", title="Home"),
    click("product_view", product_id=str(uuid4())),
    click("add_to_cart", product_id=str(uuid4()), sku_id=str(uuid4()), quantity=2),
    click("search", query="red shoes", results_count=0),
]


def test_each_click_type_becomes_its_contract_event_on_the_clickstream_topic() -> None:
    batch = ClickstreamBatch.model_validate({"events": ALL_KINDS})
    events = to_contract_events(batch)
    assert [type(e) for e in events] == [PageViewed, ProductViewed, AddedToCart, Searched]
    assert all(registry.spec_for(e).topic == ANALYTICS_CLICKSTREAM for e in events)
    assert isinstance(events[2], AddedToCart) and events[2].quantity == 2
    assert isinstance(events[3], Searched) and events[3].results_count == 0


def test_envelopes_are_keyed_by_session_and_decode_back_to_the_same_events() -> None:
    tenant = uuid4()
    batch = ClickstreamBatch.model_validate({"events": ALL_KINDS})
    envelopes = to_envelopes(batch, tenant, received_at=NOW)
    assert {e.tenant_id for e in envelopes} == {tenant}
    assert {e.aggregate_id for e in envelopes} == {SESSION}
    assert {e.aggregate_version for e in envelopes} == {0}
    assert {e.producer for e in envelopes} == {"analytics"}
    assert [registry.decode(e) for e in envelopes] == to_contract_events(batch)
    assert all(e.occurred_at == NOW - timedelta(seconds=5) for e in envelopes)


def test_a_retried_batch_with_client_event_ids_yields_the_same_event_ids() -> None:
    client_id = str(uuid4())
    batch = ClickstreamBatch.model_validate({"events": [click("page_view", event_id=client_id)]})
    tenant = uuid4()
    first = to_envelopes(batch, tenant, received_at=NOW)[0].event_id
    retry = to_envelopes(batch, tenant, received_at=NOW + timedelta(seconds=3))[0].event_id
    assert first == retry
    # The stored id is never the client's own: it cannot name another event of the store...
    assert first != UUID(client_id)
    # ...nor another tenant's click.
    assert to_envelopes(batch, uuid4(), received_at=NOW)[0].event_id != first
    # Without a client id each conversion gets fresh ids.
    anonymous = ClickstreamBatch.model_validate({"events": [click("page_view")]})
    ids = {to_envelopes(anonymous, tenant, received_at=NOW)[0].event_id for _ in range(3)}
    assert len(ids) == 3


def test_the_authenticated_customer_replaces_the_one_in_the_body() -> None:
    claimed, authenticated = uuid4(), uuid4()
    batch = ClickstreamBatch.model_validate(
        {"events": [click("page_view", customer_id=str(claimed))]}
    )
    assert to_contract_events(batch)[0].customer_id == claimed  # type: ignore[attr-defined]
    event = to_contract_events(batch, customer_id=authenticated)[0]
    assert event.customer_id == authenticated  # type: ignore[attr-defined]


def test_clock_skew_future_is_clamped_and_old_clicks_refuse_the_batch() -> None:
    future = ClickstreamBatch.model_validate(
        {"events": [click("page_view", occurred_at=(NOW + timedelta(hours=2)).isoformat())]}
    )
    assert to_envelopes(future, uuid4(), received_at=NOW)[0].occurred_at == NOW
    old = ClickstreamBatch.model_validate(
        {
            "events": [
                click("page_view"),
                click("page_view", occurred_at=(NOW - timedelta(days=8)).isoformat()),
            ]
        }
    )
    with pytest.raises(ClickTooOldError, match=r"events\[1\]"):
        to_envelopes(old, uuid4(), received_at=NOW)


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"events": [click("page_view")] * (MAX_BATCH_SIZE + 1)},
        {"events": [click("page_view", unexpected=1)]},
        {"events": [click("page_view")], "tenant_id": str(uuid4())},
        {"events": [click("scroll")]},
        {"events": [click("product_view")]},  # product_id missing
        {"events": [click("add_to_cart", product_id=str(uuid4()), quantity=1)]},  # sku_id
        {
            "events": [
                click("add_to_cart", product_id=str(uuid4()), sku_id=str(uuid4()), quantity=0)
            ]
        },
        {"events": [click("search", query="x")]},  # results_count missing
        {"events": [click("page_view", occurred_at="2026-05-04T12:00:00")]},  # no zone
        {"events": [click("page_view", url="")]},
        {"events": [click("page_view", product_id=str(uuid4()))]},  # field of another type
    ],
)
def test_invalid_batches_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ClickstreamBatch.model_validate(body)


def test_a_full_batch_is_accepted() -> None:
    batch = ClickstreamBatch.model_validate({"events": [click("page_view")] * MAX_BATCH_SIZE})
    assert len(to_envelopes(batch, uuid4(), received_at=NOW)) == MAX_BATCH_SIZE
