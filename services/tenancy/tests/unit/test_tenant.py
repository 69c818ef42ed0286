"""Tenant: creation and validation, lifecycle transitions, domains, store config, plan."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from shop_runtime.aggregate import DomainError, NotFound, ensure_tenant
from tenancy.domain.errors import (
    DomainAlreadyAttached,
    DomainNotAttached,
    InvalidCapturePolicy,
    InvalidCurrency,
    InvalidHostname,
    InvalidPlanCode,
    InvalidReason,
    InvalidSlug,
    InvalidTenantName,
    InvalidTimezone,
    PrimaryDomainRemoval,
    TenantTransitionNotAllowed,
)
from tenancy.domain.tenant import Tenant, TenantStatus
from tenancy.domain.values import CapturePolicy, StoreConfig


def drain(aggregate: Any) -> list[Any]:
    return list(aggregate.collect_events())


def new_tenant(**overrides: Any) -> Tenant:
    fields: dict[str, Any] = {"name": "Acme Outfitters", "slug": "acme"}
    fields.update(overrides)
    tenant = Tenant.create(**fields)
    drain(tenant)
    return tenant


# -- creation ---------------------------------------------------------------------------------


def test_a_tenant_is_its_own_tenant():
    tenant_id = uuid4()
    tenant = Tenant.create(name="Acme", slug="acme", tenant_id=tenant_id)

    assert tenant.id == tenant_id
    assert tenant.tenant_id == tenant_id
    (created,) = drain(tenant)
    assert created.originator_id == tenant_id
    assert created.tenant_id == tenant_id
    # The caller of this tenant may load it; another tenant gets a 404.
    assert ensure_tenant(tenant, tenant_id) is tenant
    with pytest.raises(NotFound):
        ensure_tenant(tenant, uuid4())


def test_created_event_carries_what_tenant_created_contract_needs():
    by = uuid4()
    tenant = Tenant.create(
        name="  Acme Outfitters ",
        slug="acme-outfitters",
        currency="eur",
        timezone="Europe/Paris",
        capture_policy="on_shipment",
        primary_domain="Shop.Acme.COM.",
        plan_code="Starter",
        created_by=by,
    )

    (created,) = drain(tenant)
    assert type(created).__name__ == "Created"
    assert created.name == "Acme Outfitters"
    assert created.slug == "acme-outfitters"
    assert created.currency == "EUR"
    assert created.timezone == "Europe/Paris"
    assert created.capture_policy == "on_shipment"
    assert created.primary_domain == "shop.acme.com"
    assert created.plan_code == "starter"
    assert created.created_by == by
    assert tenant.status is TenantStatus.ACTIVE
    assert tenant.is_active
    assert tenant.domains == ("shop.acme.com",)
    assert tenant.store_config == StoreConfig("EUR", "Europe/Paris", CapturePolicy.ON_SHIPMENT)


def test_store_config_defaults():
    tenant = new_tenant()

    assert tenant.store_config == StoreConfig("USD", "UTC", CapturePolicy.ON_CONFIRMATION)
    assert tenant.primary_domain is None
    assert tenant.domains == ()
    assert tenant.plan_code is None


@pytest.mark.parametrize("slug", ["abc", "my-store-1", "a1b", "x" * 63, "123"])
def test_valid_slugs(slug: str):
    assert new_tenant(slug=slug).slug == slug


@pytest.mark.parametrize(
    "slug",
    ["ab", "x" * 64, "-abc", "abc-", "My-Store", "my_store", "my store", "mÿstore", "",
     "www", "api"],
)  # fmt: skip
def test_invalid_slugs_are_refused(slug: str):
    with pytest.raises(InvalidSlug) as exc:
        Tenant.create(name="Acme", slug=slug)
    assert exc.value.status == 422
    assert exc.value.code == "invalid_slug"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Shop.Example.COM", "shop.example.com"),
        ("shop.example.com.", "shop.example.com"),
        ("  www.my-store.co.uk ", "www.my-store.co.uk"),
        ("bücher.de", "xn--bcher-kva.de"),
    ],
)
def test_hostnames_are_normalised(given: str, stored: str):
    assert new_tenant(primary_domain=given).primary_domain == stored


@pytest.mark.parametrize(
    "hostname",
    [
        "localhost",
        "http://shop.example.com",
        "shop.example.com:8080",
        "shop.example.com/path",
        "192.168.1.10",
        "-shop.example.com",
        "shop..example.com",
        "shop_example.com",
        "a" * 64 + ".com",
        ("a" * 60 + ".") * 5 + "com",
    ],
)
def test_invalid_hostnames_are_refused(hostname: str):
    with pytest.raises(InvalidHostname) as exc:
        Tenant.create(name="Acme", slug="acme", primary_domain=hostname)
    assert exc.value.status == 422


@pytest.mark.parametrize(
    ("field", "value", "error", "code"),
    [
        ("name", "   ", InvalidTenantName, "invalid_tenant_name"),
        ("name", "x" * 256, InvalidTenantName, "invalid_tenant_name"),
        ("currency", "EURO", InvalidCurrency, "invalid_currency"),
        ("currency", "€", InvalidCurrency, "invalid_currency"),
        ("timezone", "Mars/Olympus", InvalidTimezone, "invalid_timezone"),
        ("timezone", "../../etc/passwd", InvalidTimezone, "invalid_timezone"),
        ("capture_policy", "on_delivery", InvalidCapturePolicy, "invalid_capture_policy"),
        ("plan_code", "Gold Plan!", InvalidPlanCode, "invalid_plan_code"),
    ],
)
def test_invalid_creation_fields_are_refused_with_422(
    field: str, value: str, error: type[DomainError], code: str
):
    fields: dict[str, Any] = {"name": "Acme", "slug": "acme", field: value}
    with pytest.raises(error) as exc:
        Tenant.create(**fields)
    assert (exc.value.status, exc.value.code) == (422, code)


# -- lifecycle --------------------------------------------------------------------------------


def test_suspend_then_reactivate():
    tenant = new_tenant()
    admin = uuid4()

    tenant.suspend("  unpaid subscription ", by=admin)
    (suspended,) = drain(tenant)
    assert type(suspended).__name__ == "Suspended"
    assert suspended.reason == "unpaid subscription"
    assert suspended.suspended_by == admin
    assert tenant.status is TenantStatus.SUSPENDED
    assert not tenant.is_active

    tenant.reactivate()
    (reactivated,) = drain(tenant)
    assert type(reactivated).__name__ == "Reactivated"
    assert tenant.is_active
    assert tenant.suspension_reason is None


def test_automatic_suspension_has_no_actor():
    tenant = new_tenant()
    tenant.suspend("payment failed")
    (suspended,) = drain(tenant)
    assert suspended.suspended_by is None


def test_suspension_needs_a_reason():
    tenant = new_tenant()
    with pytest.raises(InvalidReason):
        tenant.suspend("  ")
    assert drain(tenant) == []
    assert tenant.is_active


@pytest.mark.parametrize("prior", ["active", "suspended"])
def test_delete_is_reachable_from_active_and_suspended(prior: str):
    tenant = new_tenant()
    if prior == "suspended":
        tenant.suspend("fraud review")
    drain(tenant)
    owner = uuid4()

    tenant.delete(by=owner)

    (deleted,) = drain(tenant)
    assert type(deleted).__name__ == "Deleted"
    assert deleted.deleted_by == owner
    assert tenant.status is TenantStatus.DELETED


def test_reactivating_an_active_tenant_is_refused():
    tenant = new_tenant()
    with pytest.raises(TenantTransitionNotAllowed) as exc:
        tenant.reactivate()
    assert (exc.value.status, exc.value.code) == (409, "tenant_transition_not_allowed")


def test_suspending_a_suspended_tenant_is_refused():
    tenant = new_tenant()
    tenant.suspend("unpaid")
    drain(tenant)
    with pytest.raises(TenantTransitionNotAllowed):
        tenant.suspend("again")
    assert drain(tenant) == []


@pytest.mark.parametrize(
    "command",
    [
        lambda t: t.reactivate(),
        lambda t: t.suspend("late"),
        lambda t: t.delete(),
        lambda t: t.rename("New name"),
        lambda t: t.add_domain("new.example.com"),
        lambda t: t.change_store_config(currency="EUR"),
        lambda t: t.change_plan("pro"),
    ],
)
def test_a_deleted_tenant_accepts_no_command(command: Any):
    tenant = new_tenant()
    tenant.delete()
    drain(tenant)

    with pytest.raises(TenantTransitionNotAllowed):
        command(tenant)
    assert drain(tenant) == []
    assert tenant.status is TenantStatus.DELETED


def test_a_suspended_tenant_can_still_be_configured():
    tenant = new_tenant()
    tenant.suspend("unpaid")
    drain(tenant)

    tenant.change_plan("pro")

    assert [type(e).__name__ for e in drain(tenant)] == ["PlanChanged"]
    assert tenant.status is TenantStatus.SUSPENDED


# -- domains ----------------------------------------------------------------------------------


def test_first_domain_becomes_primary():
    tenant = new_tenant()

    tenant.add_domain("Shop.Acme.com")

    added, primary = drain(tenant)
    assert (type(added).__name__, added.hostname) == ("DomainAdded", "shop.acme.com")
    assert type(primary).__name__ == "PrimaryDomainChanged"
    assert (primary.hostname, primary.previous_hostname) == ("shop.acme.com", None)
    assert tenant.primary_domain == "shop.acme.com"


def test_extra_domains_do_not_replace_the_primary_unless_asked():
    tenant = new_tenant(primary_domain="shop.acme.com")

    tenant.add_domain("acme.store")
    assert [type(e).__name__ for e in drain(tenant)] == ["DomainAdded"]
    assert tenant.primary_domain == "shop.acme.com"

    tenant.add_domain("acme.shop", make_primary=True)
    assert [type(e).__name__ for e in drain(tenant)] == ["DomainAdded", "PrimaryDomainChanged"]
    assert tenant.primary_domain == "acme.shop"
    assert tenant.domains == ("shop.acme.com", "acme.store", "acme.shop")


def test_a_domain_cannot_be_attached_twice_whatever_its_case():
    tenant = new_tenant(primary_domain="shop.acme.com")
    with pytest.raises(DomainAlreadyAttached) as exc:
        tenant.add_domain("SHOP.acme.com.")
    assert exc.value.status == 409


def test_set_primary_domain_needs_an_attached_domain():
    tenant = new_tenant(primary_domain="shop.acme.com")
    tenant.add_domain("acme.store")
    drain(tenant)

    with pytest.raises(DomainNotAttached) as exc:
        tenant.set_primary_domain("other.example.com")
    assert (exc.value.status, exc.value.code) == (404, "domain_not_attached")

    tenant.set_primary_domain("ACME.store")
    (changed,) = drain(tenant)
    assert (changed.hostname, changed.previous_hostname) == ("acme.store", "shop.acme.com")

    tenant.set_primary_domain("acme.store")
    assert drain(tenant) == []


def test_the_primary_domain_cannot_be_removed_while_others_remain():
    tenant = new_tenant(primary_domain="shop.acme.com")
    tenant.add_domain("acme.store")
    drain(tenant)

    with pytest.raises(PrimaryDomainRemoval) as exc:
        tenant.remove_domain("shop.acme.com")
    assert exc.value.status == 409

    tenant.remove_domain("acme.store")
    (removed,) = drain(tenant)
    assert (type(removed).__name__, removed.hostname) == ("DomainRemoved", "acme.store")
    assert tenant.domains == ("shop.acme.com",)


def test_removing_the_last_domain_leaves_no_primary():
    tenant = new_tenant(primary_domain="shop.acme.com")
    tenant.remove_domain("shop.acme.com")
    assert tenant.domains == ()
    assert tenant.primary_domain is None


def test_removing_an_unknown_domain_is_not_found():
    tenant = new_tenant()
    with pytest.raises(DomainNotAttached):
        tenant.remove_domain("nope.example.com")


# -- configuration ----------------------------------------------------------------------------


def test_store_config_change_records_the_complete_config():
    tenant = new_tenant(currency="EUR", timezone="Europe/Paris")

    tenant.change_store_config(capture_policy="on_shipment")

    (changed,) = drain(tenant)
    assert type(changed).__name__ == "StoreConfigChanged"
    assert (changed.currency, changed.timezone, changed.capture_policy) == (
        "EUR",
        "Europe/Paris",
        "on_shipment",
    )
    assert tenant.store_config.capture_policy is CapturePolicy.ON_SHIPMENT


def test_unchanged_store_config_records_nothing():
    tenant = new_tenant(currency="EUR")
    tenant.change_store_config(currency="eur", timezone="UTC")
    assert drain(tenant) == []


def test_invalid_store_config_change_changes_nothing():
    tenant = new_tenant()
    with pytest.raises(InvalidCapturePolicy):
        tenant.change_store_config(currency="EUR", capture_policy="whenever")
    assert tenant.currency == "USD"
    assert drain(tenant) == []


def test_plan_change_records_the_previous_plan():
    tenant = new_tenant(plan_code="starter")
    tenant.change_plan("pro")
    (changed,) = drain(tenant)
    assert (changed.plan_code, changed.previous_plan_code) == ("pro", "starter")
    assert tenant.plan_code == "pro"


def test_rename():
    tenant = new_tenant()
    tenant.rename(" Acme Ltd ")
    (renamed,) = drain(tenant)
    assert renamed.name == tenant.name == "Acme Ltd"
    tenant.rename("Acme Ltd")
    assert drain(tenant) == []


# -- persistence ------------------------------------------------------------------------------


def test_every_event_survives_the_real_transcoder(roundtrip: Any):
    tenant = Tenant.create(
        name="Acme", slug="acme", currency="GBP", timezone="Europe/London", plan_code="starter"
    )
    tenant.add_domain("shop.acme.co.uk")
    tenant.add_domain("acme.store")
    tenant.set_primary_domain("acme.store")
    tenant.remove_domain("shop.acme.co.uk")
    tenant.change_store_config(capture_policy="on_shipment")
    tenant.change_plan("pro")
    tenant.rename("Acme Ltd")
    tenant.suspend("unpaid", by=uuid4())
    tenant.reactivate()
    tenant.delete()

    reloaded = roundtrip(tenant)

    assert reloaded.id == reloaded.tenant_id == tenant.id
    assert reloaded.version == tenant.version
    assert reloaded.name == "Acme Ltd"
    assert reloaded.status is TenantStatus.DELETED
    assert reloaded.domains == ("acme.store",)
    assert reloaded.primary_domain == "acme.store"
    assert reloaded.store_config == StoreConfig("GBP", "Europe/London", CapturePolicy.ON_SHIPMENT)
    assert reloaded.plan_code == "pro"
