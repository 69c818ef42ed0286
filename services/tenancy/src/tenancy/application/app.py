"""Tenancy use cases: platform bootstrap of tenants, accounts, login and token refresh.

`TenancyApp` is the event-sourced application (synchronous, like the library: the API calls it
through a worker thread). Its commands read, decide and save through ``self.execute`` so a
version conflict re-runs them.

Ids that make retries safe:

* a tenant's id is derived from its slug (`tenant_id_for_slug`): a retried bootstrap request
  targets the same aggregate, so the event store's unique (id, version) refuses a second tenant
  even if two copies of the request race past the read-model claim;
* a user's id is derived from (tenant, e-mail) (`tenancy.domain.user.user_id_for`): one account per
  e-mail per store, enforced the same way.

Tokens: an access token is a short-lived EdDSA JWT (`AccessTokenSigner`); a refresh token is
``<family_id>.<secret>`` where only the SHA-256 of the secret is stored, in a
`RefreshTokenFamily` that rotates on every use and revokes itself when a retired token comes back.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import EnvType
from shop_contracts.ids import derived_id
from shop_runtime.aggregate import TenantAggregate
from shop_runtime.eventstore import ServiceApplication
from shop_runtime.settings import ServiceSettings

from tenancy.application.errors import (
    EmailTaken,
    InvalidCredentials,
    OwnerRoleRequired,
    SlugTaken,
)
from tenancy.application.ports import AccessTokenSigner
from tenancy.domain.errors import InvalidEmail, InvalidRefreshToken
from tenancy.domain.permissions import Role
from tenancy.domain.refresh_tokens import (
    RefreshTokenFamily,
    RefreshTokenReused,
    RevocationReason,
    hash_refresh_token,
)
from tenancy.domain.tenant import Tenant
from tenancy.domain.user import MAX_PASSWORD_LENGTH, PasswordHasher, User, UserKind, user_id_for
from tenancy.domain.values import CapturePolicy, normalise_email, normalise_slug

__all__ = [
    "TENANT_NAMESPACE",
    "IssuedTokens",
    "TenancyApp",
    "TenantDraft",
    "UserView",
    "tenant_id_for_slug",
]

log = logging.getLogger(__name__)

# Namespace of tenant ids derived from slugs. Never change it: existing tenants' ids depend on it.
TENANT_NAMESPACE = UUID("5b0f3f57-7a53-4d3c-9d1f-3d1c0c6f2a10")
# Refresh token secrets: 256 bits; the whole token stays well under the API's length cap.
_SECRET_BYTES = 32
MAX_REFRESH_TOKEN_LENGTH = 256

A = TypeVar("A", bound=TenantAggregate)


def tenant_id_for_slug(slug: str) -> UUID:
    """The id of the tenant created with ``slug`` (see the module docstring)."""
    return derived_id(TENANT_NAMESPACE, f"tenant-slug:{normalise_slug(slug)}")


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user_id: UUID
    tenant_id: UUID


@dataclass(frozen=True, slots=True)
class UserView:
    user_id: UUID
    tenant_id: UUID
    kind: str
    email: str
    display_name: str | None
    roles: list[str]
    permissions: list[str]
    status: str


@dataclass(frozen=True)
class TenantDraft:
    """A validated, unsaved tenant with its owner: what the claim and the save work on."""

    tenant: Tenant
    owner: User

    @property
    def tenant_id(self) -> UUID:
        return self.tenant.id

    @property
    def hosts(self) -> list[str]:
        return list(self.tenant.domains)


class TenancyApp(ServiceApplication):
    """The tenancy service's event-sourced application."""

    name = "TenancyApp"

    def __init__(
        self,
        settings: ServiceSettings | None = None,
        *,
        hasher: PasswordHasher,
        tokens: AccessTokenSigner,
        access_token_ttl: timedelta = timedelta(minutes=15),
        refresh_token_ttl: timedelta = timedelta(days=30),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        name: str | None = None,
        env: EnvType | None = None,
        schema: str = "public",
    ) -> None:
        super().__init__(settings, name=name, env=env, schema=schema)
        self.hasher = hasher
        self.tokens = tokens
        self.access_token_ttl = access_token_ttl
        self.refresh_token_ttl = refresh_token_ttl
        self.clock = clock
        self._dummy_hash: str | None = None

    @classmethod
    def in_memory_with(cls, settings: ServiceSettings | None = None, **kwargs: Any) -> TenancyApp:
        """The application on the in-memory event store (unit tests)."""
        return cls(settings, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, **kwargs)

    # -- loading ---------------------------------------------------------------------------------

    def _find(self, aggregate_id: UUID, cls: type[A]) -> A | None:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def tenant(self, tenant_id: UUID) -> Tenant:
        """The tenant, for its own staff or the platform (NotFound otherwise)."""
        return self.get_for_tenant(tenant_id, tenant_id, Tenant)

    def tenant_is_active(self, tenant_id: UUID) -> bool:
        """Read from the event store, not a read model: a store is usable the moment it is
        created."""
        tenant = self._find(tenant_id, Tenant)
        return tenant is not None and tenant.is_active

    # -- platform: tenants -----------------------------------------------------------------------

    def draft_tenant(
        self,
        *,
        name: str,
        slug: str,
        currency: str,
        owner_email: str,
        owner_password: str,
        owner_display_name: str | None = None,
        timezone: str | None = None,
        capture_policy: str | None = None,
        primary_domain: str | None = None,
    ) -> TenantDraft:
        """Validate a new tenant and its owner (422 on bad input). Saves nothing."""
        tenant = Tenant.create(
            name=name,
            slug=slug,
            currency=currency,
            timezone=timezone or "UTC",
            capture_policy=capture_policy or CapturePolicy.ON_CONFIRMATION.value,
            primary_domain=primary_domain,
            tenant_id=tenant_id_for_slug(slug),
        )
        owner = User.register(
            tenant_id=tenant.id,
            kind=UserKind.STAFF,
            email=owner_email,
            display_name=owner_display_name,
            roles=[Role.OWNER.value],
            password=owner_password,
            hasher=self.hasher,
        )
        return TenantDraft(tenant=tenant, owner=owner)

    def create_tenant(self, draft: TenantDraft) -> TenantDraft:
        """Save a drafted tenant and its owner in one transaction; `SlugTaken` if it exists.

        The caller claims the slug and hosts first (`TenantNames.claim`).
        """

        def save() -> TenantDraft:
            if self._find(draft.tenant_id, TenantAggregate) is not None:
                raise SlugTaken("a store with this slug already exists")
            self.save(draft.tenant, draft.owner)
            return draft

        return self.execute(save)

    def suspend_tenant(self, tenant_id: UUID, reason: str) -> None:
        def run() -> None:
            tenant = self.tenant(tenant_id)
            tenant.suspend(reason)
            self.save(tenant)

        self.execute(run)

    def reactivate_tenant(self, tenant_id: UUID) -> None:
        def run() -> None:
            tenant = self.tenant(tenant_id)
            tenant.reactivate()
            self.save(tenant)

        self.execute(run)

    # -- accounts --------------------------------------------------------------------------------

    def register_customer(
        self, tenant_id: UUID, *, email: str, password: str, display_name: str | None = None
    ) -> UUID:
        """A shopper signs up in a store; `EmailTaken` (409) if the address has an account."""
        return self._register(
            tenant_id,
            kind=UserKind.CUSTOMER,
            email=email,
            password=password,
            display_name=display_name,
            roles=None,
            by=None,
        )

    def register_staff(
        self,
        tenant_id: UUID,
        *,
        actor_id: UUID | None,
        actor_roles: Iterable[str],
        email: str,
        password: str,
        roles: Sequence[str],
        display_name: str | None = None,
    ) -> UUID:
        """A staff member with ``users.manage`` adds a colleague. Only owners create owners."""
        if Role.OWNER.value in roles and Role.OWNER.value not in set(actor_roles):
            raise OwnerRoleRequired("only an owner can grant the owner role")
        return self._register(
            tenant_id,
            kind=UserKind.STAFF,
            email=email,
            password=password,
            display_name=display_name,
            roles=list(roles),
            by=actor_id,
        )

    def _register(
        self,
        tenant_id: UUID,
        *,
        kind: UserKind,
        email: str,
        password: str,
        display_name: str | None,
        roles: list[str] | None,
        by: UUID | None,
    ) -> UUID:
        user_id = user_id_for(tenant_id, email)  # validates the e-mail (422)

        def save() -> UUID:
            if self._find(user_id, TenantAggregate) is not None:
                raise EmailTaken("an account with this e-mail already exists in this store")
            user = User.register(
                tenant_id=tenant_id,
                kind=kind,
                email=email,
                display_name=display_name,
                roles=roles,
                password=password,
                hasher=self.hasher,
                registered_by=by,
            )
            self.save(user)
            return user.id

        return self.execute(save)

    def me(self, tenant_id: UUID, user_id: UUID) -> UserView:
        user = self.get_for_tenant(user_id, tenant_id, User)
        return UserView(
            user_id=user.id,
            tenant_id=user.tenant_id,
            kind=user.kind.value,
            email=user.email,
            display_name=user.display_name,
            roles=list(user.roles),
            permissions=sorted(user.permissions),
            status=user.status.value,
        )

    # -- sessions --------------------------------------------------------------------------------

    def login(self, tenant_id: UUID, email: str, password: str) -> IssuedTokens:
        """Check the password and open a session; `InvalidCredentials` (401) for every failure.

        An unknown e-mail costs one hash verification too (against a dummy hash), so the answer's
        timing does not tell which addresses have accounts.
        """
        user: User | None = None
        try:
            user = self._find(user_id_for(tenant_id, normalise_email(email)), User)
        except InvalidEmail:
            user = None
        if user is not None and user.tenant_id != tenant_id:
            user = None  # cannot happen with derived ids; never trust it anyway
        if user is None or user.password_hash is None:
            self.hasher.verify(self._dummy(), password[:MAX_PASSWORD_LENGTH])
            raise InvalidCredentials("the e-mail or password is wrong")
        if not user.verify_password(self.hasher, password) or not user.is_active:
            raise InvalidCredentials("the e-mail or password is wrong")
        user_id = user.id

        def open_session() -> tuple[User, str]:
            current = self.get_for_tenant(user_id, tenant_id, User)
            if not current.is_active:
                raise InvalidCredentials("the e-mail or password is wrong")
            now = self.clock()
            secret = secrets.token_urlsafe(_SECRET_BYTES)
            current.record_login(now)
            family = RefreshTokenFamily.issue(
                tenant_id=tenant_id,
                user_id=user_id,
                token_hash=hash_refresh_token(secret),
                expires_at=now + self.refresh_token_ttl,
            )
            self.save(current, family)
            return current, f"{family.id}.{secret}"

        current, refresh_token = self.execute(open_session)
        return self._tokens(current, refresh_token)

    def refresh(self, refresh_token: str) -> IssuedTokens:
        """Exchange a refresh token for a new pair (rotation).

        Raises `InvalidRefreshToken` (401) or a subclass for an unknown, expired, revoked or
        reused token; a reuse revokes the whole family first (saved before the 401).
        """
        family_id, secret = _parse_refresh_token(refresh_token)
        presented = hash_refresh_token(secret)

        def rotate() -> tuple[User, str]:
            family = self._find(family_id, RefreshTokenFamily)
            if family is None:
                raise InvalidRefreshToken("unknown refresh token")
            user = self._find(family.user_id, User)
            now = self.clock()
            if user is None or user.tenant_id != family.tenant_id or not user.is_active:
                family.revoke(RevocationReason.USER_DISABLED)
                self.save(family)
                raise InvalidRefreshToken("the account cannot sign in")
            new_secret = secrets.token_urlsafe(_SECRET_BYTES)
            try:
                family.rotate(
                    presented,
                    hash_refresh_token(new_secret),
                    expires_at=now + self.refresh_token_ttl,
                    now=now,
                )
            except RefreshTokenReused:
                self.save(family)  # the revocation must be recorded before the 401
                raise
            self.save(family)
            return user, f"{family.id}.{new_secret}"

        user, new_token = self.execute(rotate)
        return self._tokens(user, new_token)

    def _tokens(self, user: User, refresh_token: str) -> IssuedTokens:
        kind: Literal["staff", "customer"] = (
            "customer" if user.kind is UserKind.CUSTOMER else "staff"
        )
        access = self.tokens.issue(
            subject=str(user.id),
            tenant_id=user.tenant_id,
            kind=kind,
            roles=list(user.roles),
            permissions=sorted(user.permissions),
            ttl=self.access_token_ttl,
        )
        return IssuedTokens(
            access_token=access,
            refresh_token=refresh_token,
            expires_in=int(self.access_token_ttl.total_seconds()),
            user_id=user.id,
            tenant_id=user.tenant_id,
        )

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash


def _parse_refresh_token(token: str) -> tuple[UUID, str]:
    if len(token) > MAX_REFRESH_TOKEN_LENGTH:
        raise InvalidRefreshToken("malformed refresh token")
    family, sep, secret = token.partition(".")
    if not sep or not secret:
        raise InvalidRefreshToken("malformed refresh token")
    try:
        return UUID(family), secret
    except ValueError:
        raise InvalidRefreshToken("malformed refresh token") from None
