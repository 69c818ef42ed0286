"""Users of a store: staff (who run it) and customers (who buy), with roles and a password hash.

**One account per e-mail per tenant, enforced by the id.** A user's id is derived from the tenant
and the normalised e-mail (`user_id_for`), so registering the same address twice in one store
targets the same aggregate id: the second save fails on the event store's unique
(originator_id, version) and the application answers 409, with no read-model race. The application
should still check the read model first for a friendly error. The derivation is only used at
registration: if e-mail changes are added later, the id stays and look-ups go through the read
model. (A uuid5 of an address is a hash, not a secret: ids are not exposed as anonymous data.)

**Passwords.** The domain never sees a hashing algorithm: it calls a `PasswordHasher` (argon2 in the
adapters, a fake in tests) and stores the string it returns. `verify_password` does not mutate and
does not look at the status: the login use case checks ``user.is_active`` as well and answers the
same 401 for every failure (and verifies against a dummy hash when the user does not exist, so
timing does not reveal which e-mails have accounts).

**Application checks** the aggregate cannot make alone: a change of roles or a disable that would
leave the store without an active owner (`User.loses_owner` helps), and that the caller may manage
users at all (``users.manage``).

Personal data (e-mail, display name) is in the events; the event store's cipher (per-subject key,
crypto-shredding) is the adapters' business.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import event
from shop_contracts.ids import derived_id
from shop_runtime.aggregate import TenantAggregate

from tenancy.domain.errors import (
    InvalidDisplayName,
    InvalidPassword,
    InvalidRoles,
    InvalidUserKind,
    UserTransitionNotAllowed,
)
from tenancy.domain.permissions import CUSTOMER_ROLES, STAFF_ROLES, Role, permissions_for
from tenancy.domain.values import normalise_email

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PasswordHasher",
    "User",
    "UserKind",
    "UserStatus",
    "user_id_for",
]

MIN_PASSWORD_LENGTH = 8
# A cap keeps a hostile request from making the (deliberately slow) hasher chew megabytes.
MAX_PASSWORD_LENGTH = 1024
MAX_DISPLAY_NAME_LENGTH = 255


class PasswordHasher(Protocol):
    """Turns a password into a self-describing hash string (algorithm, parameters, salt) and checks
    a password against one. ``verify`` returns False on a mismatch or an unreadable hash; it never
    raises for a wrong password."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class UserKind(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


# Allowed (status, command) pairs. "update" covers changes that keep the status (roles, password,
# display name): an administrator may fix a disabled account before enabling it again.
_TRANSITIONS: dict[tuple[UserStatus, str], UserStatus] = {
    (UserStatus.ACTIVE, "update"): UserStatus.ACTIVE,
    (UserStatus.DISABLED, "update"): UserStatus.DISABLED,
    (UserStatus.ACTIVE, "log_in"): UserStatus.ACTIVE,
    (UserStatus.ACTIVE, "disable"): UserStatus.DISABLED,
    (UserStatus.DISABLED, "enable"): UserStatus.ACTIVE,
}

_ROLES_BY_KIND: dict[UserKind, frozenset[str]] = {
    UserKind.STAFF: STAFF_ROLES,
    UserKind.CUSTOMER: CUSTOMER_ROLES,
}


def user_id_for(tenant_id: UUID, email: str) -> UUID:
    """The id of the account of ``email`` in ``tenant_id`` (see the module docstring)."""
    return derived_id(derived_id(tenant_id, "user-email"), normalise_email(email))


def _valid_roles(kind: UserKind, roles: Iterable[str] | None) -> list[str]:
    """Sorted, de-duplicated role codes valid for ``kind``.

    Customers always hold exactly ``customer``; staff hold at least one staff role.
    """
    if kind is UserKind.CUSTOMER and roles is None:
        return [Role.CUSTOMER.value]
    codes = sorted({r.strip() for r in roles or ()})
    if not codes:
        raise InvalidRoles(f"a {kind.value} user needs at least one role")
    allowed = _ROLES_BY_KIND[kind]
    not_allowed = [r for r in codes if r not in allowed]
    if not_allowed:
        raise InvalidRoles(
            f"role(s) {', '.join(not_allowed)} not allowed for a {kind.value} user; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    return codes


def _display_name(value: str | None) -> str | None:
    if value is None:
        return None
    name = value.strip()
    if not name or len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise InvalidDisplayName(f"display name must be 1-{MAX_DISPLAY_NAME_LENGTH} characters")
    return name


def _hash_password(hasher: PasswordHasher, password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidPassword(
            f"password must be {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters"
        )
    return hasher.hash(password)


class User(TenantAggregate):
    """A staff member or a customer of one store. Create with `User.register`."""

    @staticmethod
    def create_id(tenant_id: UUID, email: str) -> UUID:
        return user_id_for(tenant_id, email)

    @classmethod
    def register(
        cls,
        *,
        tenant_id: UUID,
        kind: UserKind | str,
        email: str,
        display_name: str | None = None,
        roles: Iterable[str] | None = None,
        password: str | None = None,
        hasher: PasswordHasher | None = None,
        registered_by: UUID | None = None,
    ) -> User:
        """Validate and register an account.

        ``roles`` defaults to ``["customer"]`` for a customer and is required for staff. Without a
        password the account cannot log in until one is set (e.g. an invited staff member).
        """
        try:
            user_kind = UserKind(kind)
        except ValueError:
            raise InvalidUserKind("kind must be 'staff' or 'customer'") from None
        password_hash: str | None = None
        if password is not None:
            if hasher is None:
                raise TypeError("a password needs a hasher")
            password_hash = _hash_password(hasher, password)
        return cls(
            tenant_id=tenant_id,
            kind=user_kind.value,
            email=normalise_email(email),
            display_name=_display_name(display_name),
            roles=_valid_roles(user_kind, roles),
            password_hash=password_hash,
            registered_by=registered_by,
        )

    @event("Registered")
    def __init__(
        self,
        tenant_id: UUID,
        kind: str,
        email: str,
        display_name: str | None,
        roles: list[str],
        password_hash: str | None,
        registered_by: UUID | None,
    ) -> None:
        self.kind = UserKind(kind)
        self.email = email
        self.display_name = display_name
        self.roles: tuple[str, ...] = tuple(roles)
        self.password_hash = password_hash
        self.status = UserStatus.ACTIVE
        self.last_login_at: datetime | None = None

    # -- queries -----------------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.ACTIVE

    @property
    def is_owner(self) -> bool:
        return Role.OWNER.value in self.roles

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_for(self.roles)

    def loses_owner(self, new_roles: Iterable[str]) -> bool:
        """Whether giving this user ``new_roles`` would take the owner role away (the application
        then checks that another active owner remains)."""
        return self.is_owner and Role.OWNER.value not in set(new_roles)

    def verify_password(self, hasher: PasswordHasher, password: str) -> bool:
        """Whether ``password`` matches; False when no password is set. Does not change state."""
        if self.password_hash is None or len(password) > MAX_PASSWORD_LENGTH:
            return False
        return hasher.verify(self.password_hash, password)

    def _next_status(self, command: str) -> UserStatus:
        try:
            return _TRANSITIONS[(self.status, command)]
        except KeyError:
            raise UserTransitionNotAllowed(
                f"cannot {command.replace('_', ' ')} a user who is {self.status.value}"
            ) from None

    # -- commands ----------------------------------------------------------------------------------

    def change_roles(self, roles: Iterable[str], *, by: UUID | None = None) -> None:
        """Replace the user's roles with ``roles`` (the complete new set). No event if unchanged."""
        self._next_status("update")
        new_roles = _valid_roles(self.kind, list(roles))
        if tuple(new_roles) != self.roles:
            self._role_changed(roles=new_roles, previous_roles=list(self.roles), changed_by=by)

    @event("RoleChanged")
    def _role_changed(
        self, roles: list[str], previous_roles: list[str], changed_by: UUID | None
    ) -> None:
        self.roles = tuple(roles)

    def change_password(self, hasher: PasswordHasher, password: str) -> None:
        self._next_status("update")
        self._password_changed(password_hash=_hash_password(hasher, password))

    @event("PasswordChanged")
    def _password_changed(self, password_hash: str) -> None:
        self.password_hash = password_hash

    def change_display_name(self, display_name: str | None) -> None:
        self._next_status("update")
        name = _display_name(display_name)
        if name != self.display_name:
            self._display_name_changed(display_name=name)

    @event("DisplayNameChanged")
    def _display_name_changed(self, display_name: str | None) -> None:
        self.display_name = display_name

    def disable(self, *, by: UUID | None = None, reason: str | None = None) -> None:
        """Block the account: no login, no token refresh (the application revokes its refresh
        token families)."""
        self._next_status("disable")
        self._disabled(disabled_by=by, reason=reason.strip() if reason else None)

    @event("Disabled")
    def _disabled(self, disabled_by: UUID | None, reason: str | None) -> None:
        self.status = UserStatus.DISABLED

    def enable(self, *, by: UUID | None = None) -> None:
        self._next_status("enable")
        self._enabled(enabled_by=by)

    @event("Enabled")
    def _enabled(self, enabled_by: UUID | None) -> None:
        self.status = UserStatus.ACTIVE

    def record_login(self, at: datetime) -> None:
        """Record a successful login (after the password was verified). A disabled user cannot
        log in: 409."""
        self._next_status("log_in")
        self._logged_in(at=at)

    @event("LoggedIn")
    def _logged_in(self, at: datetime) -> None:
        self.last_login_at = at
