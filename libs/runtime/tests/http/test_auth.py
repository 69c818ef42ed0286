"""Access tokens: only a well-formed EdDSA access token of our issuer and audience gets in; the
tenant of an authenticated call is the token's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from shop_runtime.auth import JwksClient, TokenIssuer, TokenVerifier, normalize_host

ISSUER = "shop-tenancy"
AUDIENCE = "shop"
TENANT_A = uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001")
TENANT_B = uuid.UUID("bbbbbbbb-0000-4000-8000-000000000002")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict, dict, str]:
    h, p, s = token.split(".")
    pad = lambda x: x + "=" * (-len(x) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(h))),
        json.loads(base64.urlsafe_b64decode(pad(p))),
        s,
    )


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def staff_token(issuer: TokenIssuer, **kwargs) -> str:
    kwargs.setdefault("subject", "user-1")
    kwargs.setdefault("tenant_id", TENANT_A)
    kwargs.setdefault("roles", ["manager"])
    kwargs.setdefault("permissions", ["orders.view"])
    return issuer.issue(**kwargs)


async def test_valid_token_is_accepted(client: httpx.AsyncClient, issuer: TokenIssuer) -> None:
    r = await client.get("/me", headers=bearer(staff_token(issuer)))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "sub": "user-1",
        "tenant": str(TENANT_A),
        "ctx_tenant": str(TENANT_A),
        "kind": "staff",
    }


async def test_missing_token_is_401_with_bearer_challenge(
    client: httpx.AsyncClient, problem
) -> None:
    r = await client.get("/me")
    problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"


async def test_non_bearer_scheme_is_401(client: httpx.AsyncClient, problem) -> None:
    problem(await client.get("/me", headers={"authorization": "Basic dXNlcjpwYXNz"}), 401)


def _forge(header: dict, payload: dict, key: bytes | None, alg: str) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if key is None:
        return signing_input + "."
    digest = {"HS256": hashlib.sha256}[alg]
    signature = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(signature)}"


def _rs256(issuer: TokenIssuer, claims: dict) -> str:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(
        claims, rsa_key, algorithm="RS256", headers={"kid": issuer.kid, "typ": "at+jwt"}
    )


def bad_tokens(issuer: TokenIssuer) -> dict[str, str]:
    good = staff_token(issuer)
    header, payload, signature = segments(good)
    now = datetime.now(UTC)
    public_pem = issuer.public_key_pem()
    raw_public = base64.urlsafe_b64decode(issuer.jwks()["keys"][0]["x"] + "==")
    other_issuer = TokenIssuer(issuer=ISSUER, audience=AUDIENCE)  # unknown key, unknown kid
    same_kid_other_key = TokenIssuer(issuer=ISSUER, audience=AUDIENCE, kid=issuer.kid)
    tampered_payload = {**payload, "perms": ["*"], "tid": str(TENANT_B)}
    return {
        "expired": staff_token(issuer, now=now - timedelta(hours=2), ttl=timedelta(minutes=15)),
        "wrong_iss": staff_token(issuer, extra_claims={"iss": "evil-issuer"}),
        "wrong_aud": staff_token(issuer, extra_claims={"aud": "another-api"}),
        "typ_jwt": staff_token(issuer, extra_headers={"typ": "JWT"}),
        "typ_refresh": staff_token(issuer, extra_headers={"typ": "rt+jwt"}),
        "no_typ": _forge({"alg": "EdDSA", "kid": issuer.kid}, payload, None, "none"),
        "alg_none": _forge({**header, "alg": "none"}, payload, None, "none"),
        "alg_none_with_sig": _forge({**header, "alg": "none"}, payload, None, "none") + signature,
        "hs256_public_pem": _forge({**header, "alg": "HS256"}, payload, public_pem, "HS256"),
        "hs256_raw_public_key": _forge({**header, "alg": "HS256"}, payload, raw_public, "HS256"),
        "rs256_same_kid": _rs256(issuer, payload),
        "unknown_kid": staff_token(other_issuer),
        "same_kid_other_key": staff_token(same_kid_other_key),
        "tampered_payload": ".".join(
            [good.split(".")[0], b64(json.dumps(tampered_payload).encode()), signature]
        ),
        "no_exp": jwt.encode(
            {k: v for k, v in payload.items() if k != "exp"},
            issuer._key,
            algorithm="EdDSA",
            headers={"kid": issuer.kid, "typ": "at+jwt"},
        ),
        "staff_without_tenant": staff_token(issuer, tenant_id=None),
        "bad_kind": staff_token(issuer, extra_claims={"kind": "robot"}),
        "garbage": "not.a.token",
        "huge": "a" * 10_000,
    }


@pytest.mark.parametrize(
    "name",
    [
        "expired",
        "wrong_iss",
        "wrong_aud",
        "typ_jwt",
        "typ_refresh",
        "no_typ",
        "alg_none",
        "alg_none_with_sig",
        "hs256_public_pem",
        "hs256_raw_public_key",
        "rs256_same_kid",
        "unknown_kid",
        "same_kid_other_key",
        "tampered_payload",
        "no_exp",
        "staff_without_tenant",
        "bad_kind",
        "garbage",
        "huge",
    ],
)
async def test_bad_token_is_401(
    client: httpx.AsyncClient, issuer: TokenIssuer, problem, name: str
) -> None:
    token = bad_tokens(issuer)[name]
    r = await client.get("/me", headers=bearer(token))
    problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_missing_permission_is_403(
    client: httpx.AsyncClient, issuer: TokenIssuer, problem
) -> None:
    token = staff_token(issuer, permissions=["catalog.view"])
    body = problem(await client.get("/orders", headers=bearer(token)), 403, "forbidden")
    assert "orders.view" in body["detail"]
    r = await client.post("/inventory/adjust", json={"name": "a", "qty": 1}, headers=bearer(token))
    problem(r, 403, "forbidden")


@pytest.mark.parametrize("perms", [["orders.view"], ["orders.*"], ["*"]])
async def test_permission_granted(client: httpx.AsyncClient, issuer: TokenIssuer, perms) -> None:
    r = await client.get("/orders", headers=bearer(staff_token(issuer, permissions=perms)))
    assert r.status_code == 200


async def test_permission_check_needs_a_token(client: httpx.AsyncClient, problem) -> None:
    problem(await client.get("/orders"), 401)


async def test_token_tenant_wins_over_x_tenant_id(
    client: httpx.AsyncClient, issuer: TokenIssuer
) -> None:
    r = await client.get(
        "/me",
        headers={
            **bearer(staff_token(issuer)),
            "x-tenant-id": str(TENANT_B),
            "host": "shop-a.example.com",
        },
    )
    assert r.status_code == 200
    assert r.json()["tenant"] == str(TENANT_A)
    r = await client.get(
        "/storefront",
        headers={**bearer(staff_token(issuer, tenant_id=TENANT_B)), "x-tenant-id": str(TENANT_A)},
    )
    assert r.json() == {"tenant": str(TENANT_B)}


async def test_anonymous_tenant_from_header_or_host(client: httpx.AsyncClient, problem) -> None:
    r = await client.get("/storefront", headers={"x-tenant-id": str(TENANT_B)})
    assert r.json() == {"tenant": str(TENANT_B)}
    r = await client.get("/storefront", headers={"host": "Shop-A.Example.com:8443"})
    assert r.json() == {"tenant": str(TENANT_A)}
    problem(
        await client.get("/storefront", headers={"host": "unknown.example.org"}),
        404,
        "tenant_not_found",
    )
    problem(
        await client.get("/storefront", headers={"x-tenant-id": "nope"}), 400, "invalid_tenant_id"
    )
    problem(
        await client.get("/storefront", headers={"x-tenant-id": str(uuid.uuid4())}),
        404,
        "tenant_not_found",
    )


async def test_bad_token_on_anonymous_endpoint_is_still_401(
    client: httpx.AsyncClient, issuer: TokenIssuer, problem
) -> None:
    # A caller that sends a token means to be authenticated: an invalid one must not fall back to
    # the anonymous path (and its X-Tenant-Id).
    token = bad_tokens(issuer)["expired"]
    r = await client.get("/storefront", headers={**bearer(token), "x-tenant-id": str(TENANT_B)})
    problem(r, 401)


async def test_platform_token_names_tenant_in_header(
    client: httpx.AsyncClient, issuer: TokenIssuer, problem
) -> None:
    token = issuer.issue(subject="ops-1", tenant_id=None, kind="platform", permissions=["*"])
    r = await client.get("/storefront", headers={**bearer(token), "x-tenant-id": str(TENANT_B)})
    assert r.json() == {"tenant": str(TENANT_B)}
    problem(await client.get("/storefront", headers=bearer(token)), 400, "tenant_required")


async def test_tenant_context_var_does_not_leak_between_requests(
    client: httpx.AsyncClient, issuer: TokenIssuer
) -> None:
    from shop_runtime.context import tenant_id_var

    await client.get("/me", headers=bearer(staff_token(issuer)))
    assert tenant_id_var.get() is None


@pytest.fixture
def clock() -> list[float]:
    return [1000.0]


async def test_jwks_refetch_on_rotation_and_rate_limit(issuer: TokenIssuer, clock) -> None:
    rotating = TokenIssuer(issuer=ISSUER, audience=AUDIENCE)
    fetches: list[int] = []

    async def jwks(request: httpx.Request) -> httpx.Response:
        fetches.append(1)
        return httpx.Response(200, json=rotating.jwks())

    http = httpx.AsyncClient(transport=httpx.MockTransport(jwks))
    keys = JwksClient(
        "http://tenancy.test/jwks",
        http_client=http,
        ttl_seconds=300,
        min_refresh_interval_seconds=30,
        clock=lambda: clock[0],
    )
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)

    await verifier.verify(staff_token(rotating))
    await verifier.verify(staff_token(rotating))
    assert len(fetches) == 1  # cached by kid

    stranger = TokenIssuer(issuer=ISSUER, audience=AUDIENCE)
    for _ in range(20):  # a flood of unknown kids
        with pytest.raises(Exception, match="unknown"):
            await verifier.verify(staff_token(stranger))
    assert len(fetches) == 1  # inside the refresh interval: no refetch at all

    clock[0] += 31
    rotating.rotate()  # tenancy starts signing with a new key
    await verifier.verify(staff_token(rotating))  # unknown kid -> one refetch -> accepted
    assert len(fetches) == 2

    clock[0] += 301  # TTL passed: next verification refreshes
    await verifier.verify(staff_token(rotating))
    assert len(fetches) == 3


async def test_jwks_outage_keeps_previous_keys_and_is_503_without_any(clock, problem) -> None:
    signer = TokenIssuer(issuer=ISSUER, audience=AUDIENCE)
    up = [True]

    async def jwks(request: httpx.Request) -> httpx.Response:
        if not up[0]:
            return httpx.Response(503)
        return httpx.Response(200, json=signer.jwks())

    keys = JwksClient(
        "http://tenancy.test/jwks",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(jwks)),
        clock=lambda: clock[0],
    )
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)
    await verifier.verify(staff_token(signer))
    up[0] = False
    clock[0] += 10_000  # TTL long gone, tenancy down: stale keys still verify
    principal = await verifier.verify(staff_token(signer))
    assert principal.tenant_id == TENANT_A

    cold = TokenVerifier(
        JwksClient(
            "http://tenancy.test/jwks",
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(jwks)),
        ),
        issuer=ISSUER,
        audience=AUDIENCE,
    )
    from shop_runtime.errors import ProblemError

    with pytest.raises(ProblemError) as err:
        await cold.verify(staff_token(signer))
    assert err.value.status == 503


async def test_jwks_ignores_keys_of_other_algorithms(issuer: TokenIssuer) -> None:
    """An RSA key published under the token's kid must not make an RS256 token verify."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    rsa_jwk.update({"kid": "rsa-1", "use": "sig", "alg": "RS256"})

    async def jwks(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"keys": [rsa_jwk, *issuer.jwks()["keys"]]})

    verifier = TokenVerifier(
        JwksClient(
            "http://t/jwks", http_client=httpx.AsyncClient(transport=httpx.MockTransport(jwks))
        ),
        issuer=ISSUER,
        audience=AUDIENCE,
    )
    token = jwt.encode(
        {
            "sub": "x",
            "tid": str(TENANT_A),
            "kind": "staff",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": 1,
            "exp": 9_999_999_999,
        },
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        algorithm="RS256",
        headers={"kid": "rsa-1", "typ": "at+jwt"},
    )
    with pytest.raises(Exception, match="algorithm"):
        await verifier.verify(token)
    assert (await verifier.verify(staff_token(issuer))).subject == "user-1"


def test_issuer_round_trips_through_pem() -> None:
    first = TokenIssuer(issuer=ISSUER, audience=AUDIENCE, kid="k1")
    again = TokenIssuer.from_pem(
        first.private_key_pem(), issuer=ISSUER, audience=AUDIENCE, kid="k1"
    )
    assert again.jwks() == first.jwks()


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("Shop.Example.COM", "shop.example.com"),
        ("shop.example.com:443", "shop.example.com"),
        ("shop.example.com.", "shop.example.com"),
        ("[::1]:8080", "[::1]"),
    ],
)
def test_normalize_host(host: str, expected: str) -> None:
    assert normalize_host(host) == expected
