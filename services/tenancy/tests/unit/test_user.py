"""User: registration, e-mail identity, roles per kind, passwords, disable/enable, logins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError
from tenancy.domain.errors import (
    InvalidDisplayName,
    InvalidEmail,
    InvalidPassword,
    InvalidRoles,
    InvalidUserKind,
    UserTransitionNotAllowed,
)
from tenancy.domain.user import User, UserKind, UserStatus, user_id_for


def drain(aggregate: Any) -> list[Any]:
    return list(aggregate.collect_events())


def staff(tenant_id: UUID, hasher: Any, **overrides: Any) -> User:
    fields: dict[str, Any] = {
        "tenant_id": tenant_id,
        "kind": "staff",
        "email": "owner@acme.test",
        "display_name": "Olive Owner",
        "roles": ["owner"],
        "password": "correct horse battery",
        "hasher": hasher,
    }
    fields.update(overrides)
    user = User.register(**fields)
    drain(user)
    return user


# -- registration -----------------------------------------------------------------------------


def test_registered_event_carries_the_account(tenant_id: UUID, hasher: Any):
    inviter = uuid4()
    user = User.register(
        tenant_id=tenant_id,
        kind=UserKind.STAFF,
        email="  Ada.Lovelace@Example.COM ",
        display_name=" Ada ",
        roles=["viewer", "catalog_manager", "viewer"],
        password="s3cret-enough",
        hasher=hasher,
        registered_by=inviter,
    )

    (registered,) = drain(user)
    assert type(registered).__name__ == "Registered"
    assert registered.tenant_id == tenant_id
    assert registered.kind == "staff"
    assert registered.email == "ada.lovelace@example.com"
    assert registered.display_name == "Ada"
    assert registered.roles == ["catalog_manager", "viewer"]
    assert registered.registered_by == inviter
    assert user.status is UserStatus.ACTIVE


def test_only_the_hash_of_the_password_is_stored(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher, password="correct horse battery")

    assert user.password_hash == hasher.hash("correct horse battery")
    assert "correct horse battery" not in repr(vars(user))


def test_user_id_is_derived_from_tenant_and_normalised_email(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher, email="Owner@Acme.test")

    assert user.id == user_id_for(tenant_id, "owner@acme.test")
    assert user.id == user_id_for(tenant_id, " OWNER@acme.TEST ")
    assert user.id != user_id_for(uuid4(), "owner@acme.test")


def test_registering_an_email_twice_in_a_store_collides_on_save(
    app: Application, tenant_id: UUID, hasher: Any
):
    app.save(User.register(tenant_id=tenant_id, kind="customer", email="bob@example.com"))
    duplicate = User.register(tenant_id=tenant_id, kind="customer", email="BOB@example.com")

    with pytest.raises(IntegrityError):
        app.save(duplicate)


def test_the_same_email_may_register_in_two_stores(app: Application):
    first = User.register(tenant_id=uuid4(), kind="customer", email="bob@example.com")
    second = User.register(tenant_id=uuid4(), kind="customer", email="bob@example.com")
    app.save(first, second)
    assert app.repository.get(second.id).tenant_id == second.tenant_id


@pytest.mark.parametrize(
    "email",
    ["", "bob", "bob@", "@example.com", "bob@example", "bob@@example.com", "bob@ex..com",
     "bob smith@example.com", "x" * 65 + "@example.com", "bob@" + "a" * 250 + ".com"],
)  # fmt: skip
def test_invalid_emails_are_refused(tenant_id: UUID, email: str):
    with pytest.raises(InvalidEmail) as exc:
        User.register(tenant_id=tenant_id, kind="customer", email=email)
    assert (exc.value.status, exc.value.code) == (422, "invalid_email")
    assert email.strip() == "" or email not in str(exc.value)


def test_customers_get_the_customer_role_by_default(tenant_id: UUID):
    user = User.register(tenant_id=tenant_id, kind="customer", email="c@example.com")
    assert user.roles == ("customer",)
    assert user.permissions == frozenset()


@pytest.mark.parametrize(
    ("kind", "roles"),
    [
        ("customer", ["admin"]),
        ("customer", ["customer", "viewer"]),
        ("staff", ["customer"]),
        ("staff", []),
        ("staff", None),
        ("staff", ["superuser"]),
    ],
)
def test_roles_must_fit_the_kind(tenant_id: UUID, kind: str, roles: list[str] | None):
    with pytest.raises(InvalidRoles) as exc:
        User.register(tenant_id=tenant_id, kind=kind, email="x@example.com", roles=roles)
    assert (exc.value.status, exc.value.code) == (422, "invalid_roles")


@pytest.mark.parametrize("password", ["short", "x" * 1025])
def test_password_length_policy(tenant_id: UUID, hasher: Any, password: str):
    with pytest.raises(InvalidPassword) as exc:
        staff(tenant_id, hasher, password=password)
    assert exc.value.status == 422
    assert password not in str(exc.value)
    assert hasher.hashed == []


def test_an_unknown_kind_is_refused(tenant_id: UUID):
    with pytest.raises(InvalidUserKind) as exc:
        User.register(tenant_id=tenant_id, kind="robot", email="r@example.com")
    assert exc.value.status == 422


def test_display_name_is_validated(tenant_id: UUID, hasher: Any):
    with pytest.raises(InvalidDisplayName):
        staff(tenant_id, hasher, display_name="   ")


# -- passwords --------------------------------------------------------------------------------


def test_verify_password(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher, password="correct horse battery")

    assert user.verify_password(hasher, "correct horse battery")
    assert not user.verify_password(hasher, "Correct horse battery")
    assert drain(user) == []  # verifying records nothing


def test_an_account_without_password_cannot_log_in_with_any_password(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher, password=None)
    assert user.password_hash is None
    assert not user.verify_password(hasher, "")
    assert not user.verify_password(hasher, "anything at all")


def test_change_password_replaces_the_hash(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher, password="old password")
    user.change_password(hasher, "new password!")

    (changed,) = drain(user)
    assert type(changed).__name__ == "PasswordChanged"
    assert changed.password_hash == hasher.hash("new password!")
    assert user.verify_password(hasher, "new password!")
    assert not user.verify_password(hasher, "old password")


# -- roles ------------------------------------------------------------------------------------


def test_role_changed_records_new_and_previous_roles(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher, roles=["viewer"])
    admin = uuid4()

    user.change_roles(["fulfillment", "viewer"], by=admin)

    (changed,) = drain(user)
    assert type(changed).__name__ == "RoleChanged"
    assert changed.roles == ["fulfillment", "viewer"]
    assert changed.previous_roles == ["viewer"]
    assert changed.changed_by == admin
    assert "orders.manage" in user.permissions


def test_unchanged_roles_record_nothing(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher, roles=["viewer", "admin"])
    user.change_roles(["admin", "viewer", "admin"])
    assert drain(user) == []


def test_invalid_role_change_keeps_the_roles(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher, roles=["admin"])
    with pytest.raises(InvalidRoles):
        user.change_roles([])
    with pytest.raises(InvalidRoles):
        user.change_roles(["customer"])
    assert user.roles == ("admin",)


def test_loses_owner_tells_the_application_when_to_check_for_another_owner(
    tenant_id: UUID, hasher: Any
):
    owner = staff(tenant_id, hasher, roles=["owner"])
    admin = staff(tenant_id, hasher, email="admin@acme.test", roles=["admin"])

    assert owner.is_owner
    assert owner.loses_owner(["admin"])
    assert not owner.loses_owner(["owner", "admin"])
    assert not admin.loses_owner(["viewer"])


# -- status and logins ------------------------------------------------------------------------


def test_disable_blocks_logins_and_enable_restores_them(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher)
    admin = uuid4()
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    user.disable(by=admin, reason="left the company")
    (disabled,) = drain(user)
    assert (type(disabled).__name__, disabled.disabled_by) == ("Disabled", admin)
    assert not user.is_active

    with pytest.raises(UserTransitionNotAllowed) as exc:
        user.record_login(at)
    assert (exc.value.status, exc.value.code) == (409, "user_transition_not_allowed")
    assert drain(user) == []

    user.enable(by=admin)
    user.record_login(at)
    assert [type(e).__name__ for e in drain(user)] == ["Enabled", "LoggedIn"]
    assert user.last_login_at == at


def test_disabling_twice_or_enabling_an_active_user_is_refused(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher)
    with pytest.raises(UserTransitionNotAllowed):
        user.enable()
    user.disable()
    with pytest.raises(UserTransitionNotAllowed):
        user.disable()


def test_a_disabled_user_can_still_be_given_other_roles(tenant_id: UUID, hasher: Any):
    user = staff(tenant_id, hasher, roles=["admin"])
    user.disable()
    user.change_roles(["viewer"])
    assert user.roles == ("viewer",)
    assert user.status is UserStatus.DISABLED


# -- persistence ------------------------------------------------------------------------------


def test_every_event_survives_the_real_transcoder(tenant_id: UUID, hasher: Any, roundtrip: Any):
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    user = User.register(
        tenant_id=tenant_id,
        kind="staff",
        email="owner@acme.test",
        roles=["owner"],
        password="correct horse battery",
        hasher=hasher,
    )
    user.record_login(at)
    user.change_roles(["admin", "finance"], by=uuid4())
    user.change_display_name("Olive O.")
    user.change_password(hasher, "another password")
    user.disable(reason="on leave")
    user.enable()

    reloaded = roundtrip(user)

    assert reloaded.tenant_id == tenant_id
    assert reloaded.kind is UserKind.STAFF
    assert reloaded.email == "owner@acme.test"
    assert reloaded.roles == ("admin", "finance")
    assert reloaded.display_name == "Olive O."
    assert reloaded.last_login_at == at
    assert reloaded.status is UserStatus.ACTIVE
    assert reloaded.verify_password(hasher, "another password")
