"""Tenancy use cases on the in-memory event store: given commands → then state, events, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import jwt
import pytest
from shop_runtime.auth import TokenIssuer, TokenVerifier
from shop_runtime.settings import ServiceSettings
from tenancy.application.app import TenancyApp, tenant_id_for_slug
from tenancy.application.errors import EmailTaken, InvalidCredentials, OwnerRoleRequired, SlugTaken
from tenancy.domain.errors import InvalidEmail, InvalidPassword, InvalidRefreshToken, InvalidSlug
from tenancy.domain.refresh_tokens import RefreshTokenFamily, RefreshTokenReused, RevocationReason
from tenancy.domain.user import User
from tenancy.integration.outbound import translate

from .conftest import FakeHasher


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def issuer() -> TokenIssuer:
    return TokenIssuer(issuer="shop-tenancy", audience="shop", kid="k1")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tenancy(hasher: FakeHasher, issuer: TokenIssuer, clock: Clock) -> TenancyApp:
    return TenancyApp.in_memory_with(
        ServiceSettings(service_name="tenancy"), hasher=hasher, tokens=issuer, clock=clock
    )


def create(app: TenancyApp, slug: str = "acme", **overrides: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "name": "Acme",
        "slug": slug,
        "currency": "inr",
        "owner_email": "Owner@Acme.test",
        "owner_password": "correct horse",
        "primary_domain": f"shop.{slug}.test",
    }
    fields.update(overrides)
    return app.create_tenant(app.draft_tenant(**fields))  # type: ignore[arg-type]


def verifier(issuer: TokenIssuer) -> TokenVerifier:
    return TokenVerifier(issuer, issuer="shop-tenancy", audience="shop")


def test_bootstrap_creates_tenant_and_owner_once(tenancy: TenancyApp) -> None:
    draft = create(tenancy)
    assert draft.tenant_id == tenant_id_for_slug("acme")
    tenant = tenancy.tenant(draft.tenant_id)
    assert (tenant.slug, tenant.currency, tenant.primary_domain) == (
        "acme",
        "INR",
        "shop.acme.test",
    )
    owner = tenancy.me(draft.tenant_id, draft.owner.id)
    assert owner.email == "owner@acme.test" and owner.roles == ["owner"]
    assert "users.manage" in owner.permissions
    # A retried request (same slug) cannot make a second tenant.
    with pytest.raises(SlugTaken):
        create(tenancy, owner_email="other@acme.test")
    assert tenancy.tenant_is_active(draft.tenant_id)


def test_bootstrap_validates_input(tenancy: TenancyApp) -> None:
    with pytest.raises(InvalidSlug):
        create(tenancy, slug="A!")
    with pytest.raises(InvalidEmail):
        create(tenancy, slug="shop-two", owner_email="nope")
    with pytest.raises(InvalidPassword):
        create(tenancy, slug="shop-three", owner_password="short")


async def test_login_issues_verifiable_tokens(tenancy: TenancyApp, issuer: TokenIssuer) -> None:
    draft = create(tenancy)
    tokens = tenancy.login(draft.tenant_id, " OWNER@acme.test ", "correct horse")
    principal = await verifier(issuer).verify(tokens.access_token)
    assert principal.tenant_id == draft.tenant_id
    assert principal.subject == str(draft.owner.id)
    assert principal.kind == "staff" and principal.roles == {"owner"}
    assert principal.has_permission("users.manage")
    assert jwt.get_unverified_header(tokens.access_token)["typ"] == "at+jwt"
    assert tokens.expires_in == 900
    family_id, _, secret = tokens.refresh_token.partition(".")
    family = tenancy.repository.get(UUID(family_id))
    assert isinstance(family, RefreshTokenFamily) and secret not in repr(family.__dict__)


def test_login_failures_look_the_same(tenancy: TenancyApp, hasher: FakeHasher) -> None:
    draft = create(tenancy)
    other = create(tenancy, slug="other", owner_email="someone@other.test")
    hashed_before = len(hasher.hashed)
    cases = [
        (draft.tenant_id, "owner@acme.test", "wrong password"),
        (draft.tenant_id, "nobody@acme.test", "correct horse"),
        (draft.tenant_id, "not an email", "correct horse"),
        (other.tenant_id, "owner@acme.test", "correct horse"),  # another store's account
    ]
    for tenant_id, email, password in cases:
        with pytest.raises(InvalidCredentials) as info:
            tenancy.login(tenant_id, email, password)
        assert str(info.value) == "the e-mail or password is wrong"
    assert len(hasher.hashed) == hashed_before + 1  # one dummy hash, made once, reused


def test_disabled_user_cannot_log_in_or_refresh(tenancy: TenancyApp) -> None:
    draft = create(tenancy)
    tokens = tenancy.login(draft.tenant_id, "owner@acme.test", "correct horse")
    user = tenancy.get_for_tenant(draft.owner.id, draft.tenant_id, User)
    user.disable()
    tenancy.save(user)
    with pytest.raises(InvalidCredentials):
        tenancy.login(draft.tenant_id, "owner@acme.test", "correct horse")
    with pytest.raises(InvalidRefreshToken):
        tenancy.refresh(tokens.refresh_token)
    family = tenancy.repository.get(UUID(tokens.refresh_token.split(".")[0]))
    assert family.revocation_reason is RevocationReason.USER_DISABLED


def test_refresh_rotates_and_reuse_revokes_the_family(tenancy: TenancyApp, clock: Clock) -> None:
    draft = create(tenancy)
    first = tenancy.login(draft.tenant_id, "owner@acme.test", "correct horse")
    second = tenancy.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.refresh_token.split(".")[0] == first.refresh_token.split(".")[0]
    third = tenancy.refresh(second.refresh_token)
    with pytest.raises(RefreshTokenReused):
        tenancy.refresh(first.refresh_token)  # a retired token: theft
    # The revocation was saved: even the current token is now refused.
    with pytest.raises(InvalidRefreshToken):
        tenancy.refresh(third.refresh_token)


def test_refresh_refuses_malformed_unknown_and_expired(tenancy: TenancyApp, clock: Clock) -> None:
    draft = create(tenancy)
    for bad in ["", "nodot", "not-a-uuid.secret", f"{uuid4()}.secret", f"{draft.tenant_id}.x"]:
        with pytest.raises(InvalidRefreshToken):
            tenancy.refresh(bad)
    tokens = tenancy.login(draft.tenant_id, "owner@acme.test", "correct horse")
    clock.now += timedelta(days=31)
    with pytest.raises(InvalidRefreshToken):
        tenancy.refresh(tokens.refresh_token)


def test_customers_and_staff(tenancy: TenancyApp) -> None:
    draft = create(tenancy)
    customer_id = tenancy.register_customer(
        draft.tenant_id, email="Buyer@Example.com", password="buyer-pass-1"
    )
    with pytest.raises(EmailTaken):
        tenancy.register_customer(draft.tenant_id, email="buyer@example.com", password="x" * 9)
    with pytest.raises(EmailTaken):  # staff and customers share one address space per store
        tenancy.register_staff(
            draft.tenant_id,
            actor_id=draft.owner.id,
            actor_roles=["owner"],
            email="buyer@example.com",
            password="y" * 9,
            roles=["viewer"],
        )
    # The same address is free in another store.
    other = create(tenancy, slug="other", owner_email="o@other.test")
    tenancy.register_customer(other.tenant_id, email="buyer@example.com", password="z" * 9)

    view = tenancy.me(draft.tenant_id, customer_id)
    assert view.kind == "customer" and view.roles == ["customer"] and view.permissions == []
    tokens = tenancy.login(draft.tenant_id, "buyer@example.com", "buyer-pass-1")
    assert jwt.decode(tokens.access_token, options={"verify_signature": False})["kind"] == (
        "customer"
    )

    with pytest.raises(OwnerRoleRequired):
        tenancy.register_staff(
            draft.tenant_id,
            actor_id=draft.owner.id,
            actor_roles=["admin"],
            email="boss@acme.test",
            password="p" * 9,
            roles=["owner"],
        )
    staff_id = tenancy.register_staff(
        draft.tenant_id,
        actor_id=draft.owner.id,
        actor_roles=["owner"],
        email="clerk@acme.test",
        password="p" * 9,
        roles=["fulfillment"],
    )
    assert "orders.manage" in tenancy.me(draft.tenant_id, staff_id).permissions


def test_suspension_and_outbound_contracts(tenancy: TenancyApp) -> None:
    draft = create(tenancy)
    tenancy.suspend_tenant(draft.tenant_id, "unpaid")
    assert not tenancy.tenant_is_active(draft.tenant_id)
    tenancy.reactivate_tenant(draft.tenant_id)
    assert tenancy.tenant_is_active(draft.tenant_id)
    tenant = tenancy.tenant(draft.tenant_id)
    tenant.add_domain("www.acme.test")
    tenant.change_store_config(capture_policy="on_shipment")
    tenant.remove_domain("www.acme.test")
    tenancy.save(tenant)

    notifications = tenancy.recorder.select_notifications(start=1, limit=100)
    events = [tenancy.mapper.to_domain_event(n) for n in notifications]
    published = [c for c in (translate(e) for e in events) if c is not None]
    names = [type(c).__name__ for c in published]
    assert names == [
        "TenantCreated",
        "UserRegistered",
        "TenantSuspended",
        "TenantReactivated",
        "DomainAdded",
        "StoreConfigChanged",
        "DomainRemoved",
    ]
    created = published[0]
    assert created.model_dump()["capture_policy"] == "on_confirmation"
    assert created.model_dump()["domain"] == "shop.acme.test"
    # No personal data in any public payload.
    for contract in published:
        dumped = str(contract.model_dump())
        assert "owner@acme.test" not in dumped and "fake$" not in dumped
    # Logins and refresh tokens stay private.
    tenancy.login(draft.tenant_id, "owner@acme.test", "correct horse")
    later = tenancy.recorder.select_notifications(start=notifications[-1].id + 1, limit=100)
    assert later and all(translate(tenancy.mapper.to_domain_event(n)) is None for n in later)
