"""The product search query builder: pure, no OpenSearch needed."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from catalog.adapters.search_query import (
    MAX_RESULT_WINDOW,
    SearchParams,
    build_search_query,
    search_request,
)
from pydantic import ValidationError

TENANT = uuid.UUID("11111111-1111-1111-1111-111111111111")


def filters(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body["query"]["bool"]["filter"]


def nested_sku_conditions(body: dict[str, Any]) -> list[dict[str, Any]]:
    (nested,) = [f["nested"] for f in filters(body) if "nested" in f]
    assert nested["path"] == "skus"
    return nested["query"]["bool"]["filter"]


@pytest.mark.parametrize(
    "params",
    [
        SearchParams(),
        SearchParams(q="shirt"),
        SearchParams(q="   "),
        SearchParams(brands=["Acme"], in_stock=True, price_min="1", sort="price_desc", page=3),
    ],
)
def test_every_query_is_confined_to_the_tenants_published_products(params: SearchParams) -> None:
    body = build_search_query(TENANT, params)
    assert {"term": {"tenant_id": str(TENANT)}} in filters(body)
    assert {"term": {"status": "published"}} in filters(body)
    request = search_request(TENANT, params, prefix="shop_")
    assert request["routing"] == str(TENANT)
    assert request["index"] == "shop_products"
    assert request["body"] == body


def test_no_parameters_is_a_plain_filtered_listing() -> None:
    body = build_search_query(TENANT, SearchParams())
    assert "must" not in body["query"]["bool"]
    assert len(filters(body)) == 2
    assert (body["from"], body["size"], body["track_total_hits"]) == (0, 20, True)


def test_the_tenant_cannot_be_passed_as_a_parameter() -> None:
    with pytest.raises(ValidationError):
        SearchParams.model_validate({"tenant_id": str(uuid.uuid4())})


def test_text_is_typo_tolerant_and_boosts_the_name() -> None:
    body = build_search_query(TENANT, SearchParams(q=" shrit "))
    (multi_match,) = [m["multi_match"] for m in body["query"]["bool"]["must"]]
    assert multi_match["query"] == "shrit"
    assert multi_match["fuzziness"] == "AUTO"
    assert "name^3" in multi_match["fields"]
    assert {"brand.name.text^2", "description"} <= set(multi_match["fields"])
    assert any("match_phrase_prefix" in s for s in body["query"]["bool"]["should"])


def test_price_filter_is_on_sku_prices_as_exact_decimals() -> None:
    body = build_search_query(TENANT, SearchParams(price_min="19.90", price_max="50"))
    assert nested_sku_conditions(body) == [{"range": {"skus.price": {"gte": "19.90", "lte": "50"}}}]
    only_min = build_search_query(TENANT, SearchParams(price_min="5"))
    assert nested_sku_conditions(only_min) == [{"range": {"skus.price": {"gte": "5"}}}]


def test_price_stock_and_options_must_hold_on_the_same_sku() -> None:
    params = SearchParams(
        price_max="30", in_stock=True, options=["Color:red", "Size:M", "Color:blue"]
    )
    conditions = nested_sku_conditions(build_search_query(TENANT, params))
    assert conditions == [
        {"range": {"skus.price": {"lte": "30"}}},
        {"term": {"skus.in_stock": True}},
        # Values of one option are alternatives; different options are all required.
        {"terms": {"skus.options": ["Color:blue", "Color:red"]}},
        {"terms": {"skus.options": ["Size:M"]}},
    ]


def test_brand_and_category_filters() -> None:
    brand, category = uuid.uuid4(), uuid.uuid4()
    body = build_search_query(
        TENANT, SearchParams(brand_ids=[brand], brands=["Acme"], category_id=category)
    )
    assert {"terms": {"brand.id": [str(brand)]}} in filters(body)
    assert {"terms": {"brand.name": ["Acme"]}} in filters(body)
    assert {"term": {"category.path": str(category)}} in filters(body)
    assert not any("nested" in f for f in filters(body))


def test_facets_cover_brand_category_options_price_and_stock() -> None:
    aggs = build_search_query(TENANT, SearchParams())["aggs"]
    assert set(aggs) == {"brands", "categories", "options", "price_ranges", "in_stock"}
    assert aggs["brands"]["terms"]["field"] == "brand.name"
    assert aggs["options"]["terms"]["field"] == "option_values"
    ranges = aggs["price_ranges"]["range"]["ranges"]
    assert "from" not in ranges[0] and "to" not in ranges[-1]
    # Contiguous buckets: each one starts where the previous ended.
    assert all(a["to"] == b["from"] for a, b in itertools.pairwise(ranges))
    assert "aggs" not in build_search_query(TENANT, SearchParams(facets=False))


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("relevance", "_score"),
        ("price_asc", {"price_min": "asc"}),
        ("price_desc", {"price_max": "desc"}),
        ("newest", {"published_at": {"order": "desc", "missing": "_last"}}),
        ("name", {"name.sort": "asc"}),
    ],
)
def test_sort_orders_end_with_a_stable_tie_breaker(sort: str, first: Any) -> None:
    order = build_search_query(TENANT, SearchParams.model_validate({"sort": sort}))["sort"]
    assert order[0] == first
    assert order[-1] == {"product_id": "asc"}


def test_pagination() -> None:
    body = build_search_query(TENANT, SearchParams(page=3, size=10))
    assert (body["from"], body["size"]) == (20, 10)
    last_page = SearchParams(page=MAX_RESULT_WINDOW // 100, size=100)
    assert build_search_query(TENANT, last_page)["from"] == MAX_RESULT_WINDOW - 100


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": 101, "size": 100}, r"page \* size must be at most 10000"),
        ({"size": 101}, "less than or equal to 100"),
        ({"page": 0}, "greater than or equal to 1"),
        ({"price_min": "10", "price_max": "5"}, "price_min must not exceed price_max"),
        ({"options": ["red"]}, "String should match pattern"),
        ({"sort": "random"}, "Input should be"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_parameters_are_refused(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SearchParams.model_validate(params)
