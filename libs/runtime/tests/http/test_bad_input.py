"""Hostile and broken requests get a precise 4xx problem: never a 5xx, never an echo of input."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import httpx
import pytest

MAX_BODY = 4096
JSON = {"content-type": "application/json"}


async def test_valid_body_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post("/items", json={"name": "mug", "qty": 2})
    assert r.status_code == 201
    assert r.json() == {"name": "mug", "qty": 2, "tags": []}


async def test_malformed_json_is_400(client: httpx.AsyncClient, problem) -> None:
    r = await client.post("/items", content=b'{"name": "mug", "qty": ', headers=JSON)
    problem(r, 400, "malformed_json")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "a\\u0000b", "qty": 1}',  # escaped NUL in a value
        b'{"name\\u0000": "a", "qty": 1}',  # in a key
        b'{"name": "a", "qty": 1, "tags": ["x", "\\\\\\u0000"]}',  # escaped backslash, then NUL
    ],
)
async def test_escaped_nul_in_json_is_422(client: httpx.AsyncClient, problem, raw: bytes) -> None:
    problem(await client.post("/items", content=raw, headers=JSON), 422, "nul_character")


async def test_raw_nul_byte_in_body_is_400(client: httpx.AsyncClient, problem) -> None:
    r = await client.post("/items", content=b'{"name": "a\x00b", "qty": 1}', headers=JSON)
    problem(r, 400, "malformed_json")


async def test_escaped_backslash_before_u0000_is_plain_text(client: httpx.AsyncClient) -> None:
    # `\\u0000` is a backslash followed by "u0000": no NUL, so it must not be refused.
    r = await client.post("/items", content=b'{"name": "a\\\\u0000", "qty": 1}', headers=JSON)
    assert r.status_code == 201
    assert r.json()["name"] == "a\\u0000"


@pytest.mark.parametrize("query", ["q=a%00b", "q%00=x", "q=%00"])
async def test_nul_in_query_string_is_422(client: httpx.AsyncClient, problem, query: str) -> None:
    problem(await client.get(f"/search?{query}"), 422, "nul_character")


async def test_nul_in_path_is_422(client: httpx.AsyncClient, problem) -> None:
    problem(await client.get("/items/abc%00def"), 422, "nul_character")


async def test_oversize_body_with_content_length_is_413(client: httpx.AsyncClient, problem) -> None:
    body = b'{"name": "' + b"x" * (MAX_BODY + 10) + b'", "qty": 1}'
    problem(await client.post("/items", content=body, headers=JSON), 413, "payload_too_large")


async def test_oversize_chunked_body_without_length_is_413(
    client: httpx.AsyncClient, problem
) -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(100):  # 100 KiB, far past the 4 KiB limit
            sent.append(1)
            yield b"x" * 1024
        yield b'", "qty": 1}'

    r = await client.post("/items", content=chunks(), headers=JSON)
    assert "content-length" not in r.request.headers
    problem(r, 413, "payload_too_large")


async def test_body_exactly_at_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    head, tail = b'{"qty": 1, "name": "a", "tags": [], "price": 1.5', b"}"
    body = head + b" " * (MAX_BODY - len(head) - len(tail)) + tail
    assert len(body) == MAX_BODY
    r = await client.post("/items", content=body, headers=JSON)
    assert r.status_code == 201


async def test_invalid_content_length_is_400(client: httpx.AsyncClient, problem) -> None:
    r = await client.post("/items", content=b"{}", headers={**JSON, "content-length": "abc"})
    # Some transports refuse to send a non-numeric length: then there is nothing to assert.
    problem(r, 400, "bad_request")


async def test_unknown_field_is_422_listing_the_field(client: httpx.AsyncClient, problem) -> None:
    r = await client.post("/items", json={"name": "a", "qty": 1, "tenant_id": "someone-else"})
    body = problem(r, 422, "validation_failed")
    assert [e["loc"] for e in body["errors"]] == [["body", "tenant_id"]]
    assert "someone-else" not in r.text


async def test_validation_error_does_not_echo_huge_input(
    client: httpx.AsyncClient, problem
) -> None:
    huge = "Z" * 3000
    r = await client.post("/items", json={"name": huge, "qty": 1})
    problem(r, 422, "validation_failed")
    assert huge[:50] not in r.text
    assert len(r.content) < 1000


async def test_many_invalid_fields_are_capped(client: httpx.AsyncClient, problem) -> None:
    r = await client.post("/items", json={"name": "a", "qty": 1, **{f"f{i}": i for i in range(60)}})
    body = problem(r, 422, "validation_failed")
    assert 0 < len(body["errors"]) <= 20


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", None],
)
async def test_non_json_content_type_is_415(
    client: httpx.AsyncClient, problem, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = await client.post("/items", content=b'{"name": "a", "qty": 1}', headers=headers)
    problem(r, 415, "unsupported_media_type")


async def test_json_suffix_media_type_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/items",
        content=b'{"name": "a", "qty": 1}',
        headers={"content-type": "application/merge-patch+json; charset=utf-8"},
    )
    assert r.status_code == 201


@pytest.mark.parametrize("depth", [100_000, 2_000, 600])
async def test_deeply_nested_json_is_4xx(client: httpx.AsyncClient, problem, depth: int) -> None:
    nested = b"[" * depth + b"]" * depth
    body = b'{"name": "a", "qty": 1, "tags": ' + nested + b"}"
    if len(body) > MAX_BODY:
        r = await client.post("/items", content=body, headers=JSON)
        problem(r, 413)
        return
    r = await client.post("/items", content=body, headers=JSON)
    assert 400 <= r.status_code < 500
    problem(r, r.status_code)


async def test_deep_nesting_under_the_size_limit_is_4xx(make_app, problem) -> None:
    app = make_app()
    # 1,500 levels fit in 3 KiB: the JSON parser's depth limit, not the size limit, refuses it.
    nested = b"[" * 1500 + b"]" * 1500
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
        r = await c.post(
            "/items", content=b'{"name":"a","qty":1,"tags":' + nested + b"}", headers=JSON
        )
    problem(r, 400, "malformed_json")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b'{"name": "a", "qty": 1e400}', 400),  # overflows a double
        (b'{"name": "a", "qty": ' + b"9" * 3000 + b"}", 400),  # 3000-digit integer
        (b'{"name": "a", "qty": 123456789012345678901234567890}', 422),  # beyond the field's bound
        (b'{"name": "a", "qty": 1, "price": NaN}', 400),
        (b'{"name": "a", "qty": 1, "price": Infinity}', 400),
        (b'{"name": "a", "qty": 1, "price": 1e308}', 201),
        (b'{"name": "a", "qty": -1}', 422),
        (b'{"name": "a", "qty": "many"}', 422),
        (b'"just a string"', 422),
        (b"[]", 422),
        (b"null", 422),
    ],
)
async def test_numbers_and_shapes(
    client: httpx.AsyncClient, problem, raw: bytes, status: int
) -> None:
    r = await client.post("/items", content=raw, headers=JSON)
    if status == 201:
        assert r.status_code == 201
    else:
        problem(r, status)


async def test_invalid_utf8_and_lone_surrogates_are_400(client: httpx.AsyncClient, problem) -> None:
    problem(await client.post("/items", content=b'{"name": "\xff", "qty": 1}', headers=JSON), 400)
    r = await client.post("/items", content=b'{"name": "\\ud800", "qty": 1}', headers=JSON)
    problem(r, 400, "malformed_json")


async def test_unhandled_exception_is_500_problem_without_details(
    client: httpx.AsyncClient, problem
) -> None:
    r = await client.post("/boom")
    problem(r, 500, "internal_error")
    assert "hunter2" not in r.text
    assert "Traceback" not in r.text


async def test_domain_error_maps_to_its_status_and_code(client: httpx.AsyncClient, problem) -> None:
    r = await client.get("/items/0b5f6a3e-9a59-4c55-9a4e-6f1d4f1e7c1a")
    body = problem(r, 404, "not_found")
    assert "does not exist" in body["detail"]


async def test_bad_path_parameter_is_422(client: httpx.AsyncClient, problem) -> None:
    problem(await client.get("/items/not-a-uuid"), 422, "validation_failed")


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient, problem) -> None:
    problem(await client.get("/nowhere"), 404, "not_found")
    problem(await client.delete("/items"), 405, "method_not_allowed")


async def test_random_garbage_never_causes_a_5xx(client: httpx.AsyncClient) -> None:
    rng = random.Random(1234)
    alphabet = b'{}[]":,0123456789.eE+-tfnul\\ \x00\xff\xc3abc'
    for _ in range(300):
        size = rng.randint(0, 200)
        body = bytes(rng.choice(alphabet) for _ in range(size))
        ctype = rng.choice(["application/json", "text/plain", "application/problem+json"])
        r = await client.post("/items", content=body, headers={"content-type": ctype})
        assert r.status_code < 500, (body, r.text)
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json"
