"""The tenant (store / site): name, slug, domains, store configuration, plan and lifecycle.

**The tenant is its own tenant.** `TenantAggregate` requires a ``tenant_id`` and stamps it on every
event; for the root aggregate that value is the tenant's own id. `Tenant.create_id` returns the
``tenant_id`` argument, so ``Tenant(tenant_id=t, ...)`` is stored under id ``t`` and
``tenant.id == tenant.tenant_id`` always holds; `ensure_tenant(tenant, caller_tenant)` then works
unchanged (a caller may load only its own tenant).

Validation happens in the command methods (`create`, `suspend`, ...) before an event is triggered;
the private ``@event`` methods only apply already-validated facts, so replaying old events never
re-runs rules that may have tightened since.

Application concerns (the aggregate cannot see other tenants):

* a slug and every hostname are unique across tenants: the application looks them up in the
  ``tenants`` / ``tenant_domains`` read models (unique indexes) before `create` / `add_domain`;
* the ``<slug>.<platform domain>`` subdomain is implicit and is not listed in `domains`.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID, uuid4

from eventsourcing.domain import event
from shop_runtime.aggregate import TenantAggregate

from tenancy.domain.errors import (
    DomainAlreadyAttached,
    DomainNotAttached,
    InvalidReason,
    InvalidTenantName,
    PrimaryDomainRemoval,
    TenantTransitionNotAllowed,
)
from tenancy.domain.values import (
    DEFAULT_CURRENCY,
    DEFAULT_TIMEZONE,
    CapturePolicy,
    StoreConfig,
    normalise_hostname,
    normalise_plan_code,
    normalise_slug,
)

__all__ = ["Tenant", "TenantStatus"]

MAX_NAME_LENGTH = 255
MAX_REASON_LENGTH = 500


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"


# Every allowed (status, command) pair and the status it leads to; anything else is refused with
# 409. "configure" covers the commands that change data without changing the status: a suspended
# store may still be reconfigured (e.g. by its owner settling the plan), a deleted one never.
_TRANSITIONS: dict[tuple[TenantStatus, str], TenantStatus] = {
    (TenantStatus.ACTIVE, "configure"): TenantStatus.ACTIVE,
    (TenantStatus.SUSPENDED, "configure"): TenantStatus.SUSPENDED,
    (TenantStatus.ACTIVE, "suspend"): TenantStatus.SUSPENDED,
    (TenantStatus.SUSPENDED, "reactivate"): TenantStatus.ACTIVE,
    (TenantStatus.ACTIVE, "delete"): TenantStatus.DELETED,
    (TenantStatus.SUSPENDED, "delete"): TenantStatus.DELETED,
}


def _tenant_name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidTenantName(f"name must be 1-{MAX_NAME_LENGTH} characters")
    return name


class Tenant(TenantAggregate):
    """A store. Create with `Tenant.create`, never with the constructor directly."""

    # -- creation ----------------------------------------------------------------------------------

    @staticmethod
    def create_id(tenant_id: UUID) -> UUID:
        """The aggregate id is the tenant id (see the module docstring)."""
        return tenant_id

    @classmethod
    def create(
        cls,
        *,
        name: str,
        slug: str,
        currency: str = DEFAULT_CURRENCY,
        timezone: str = DEFAULT_TIMEZONE,
        capture_policy: str = CapturePolicy.ON_CONFIRMATION.value,
        primary_domain: str | None = None,
        plan_code: str | None = None,
        tenant_id: UUID | None = None,
        created_by: UUID | None = None,
    ) -> Tenant:
        """Validate and create a store; ``tenant_id`` defaults to a new random id."""
        config = StoreConfig.create(currency, timezone, capture_policy)
        return cls(
            tenant_id=tenant_id or uuid4(),
            name=_tenant_name(name),
            slug=normalise_slug(slug),
            currency=config.currency,
            timezone=config.timezone,
            capture_policy=config.capture_policy.value,
            primary_domain=normalise_hostname(primary_domain) if primary_domain else None,
            plan_code=normalise_plan_code(plan_code),
            created_by=created_by,
        )

    @event("Created")
    def __init__(
        self,
        tenant_id: UUID,
        name: str,
        slug: str,
        currency: str,
        timezone: str,
        capture_policy: str,
        primary_domain: str | None,
        plan_code: str | None,
        created_by: UUID | None,
    ) -> None:
        self.name = name
        self.slug = slug
        self.status = TenantStatus.ACTIVE
        self.store_config = StoreConfig(currency, timezone, CapturePolicy(capture_policy))
        self.primary_domain: str | None = primary_domain
        self.domains: tuple[str, ...] = (primary_domain,) if primary_domain else ()
        self.plan_code = plan_code
        self.suspension_reason: str | None = None

    # -- queries -----------------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        """Whether the store trades (storefront and checkout open)."""
        return self.status is TenantStatus.ACTIVE

    @property
    def currency(self) -> str:
        return self.store_config.currency

    def _next_status(self, command: str) -> TenantStatus:
        try:
            return _TRANSITIONS[(self.status, command)]
        except KeyError:
            raise TenantTransitionNotAllowed(
                f"cannot {command} a tenant that is {self.status.value}"
            ) from None

    # -- lifecycle ---------------------------------------------------------------------------------

    def suspend(self, reason: str, *, by: UUID | None = None) -> None:
        """Stop trading, keep the data. ``by`` is None for an automatic suspension."""
        self._next_status("suspend")
        text = reason.strip()
        if not text or len(text) > MAX_REASON_LENGTH:
            raise InvalidReason(
                f"a suspension reason of 1-{MAX_REASON_LENGTH} characters is required"
            )
        self._suspended(reason=text, suspended_by=by)

    @event("Suspended")
    def _suspended(self, reason: str, suspended_by: UUID | None) -> None:
        self.status = TenantStatus.SUSPENDED
        self.suspension_reason = reason

    def reactivate(self, *, by: UUID | None = None) -> None:
        self._next_status("reactivate")
        self._reactivated(reactivated_by=by)

    @event("Reactivated")
    def _reactivated(self, reactivated_by: UUID | None) -> None:
        self.status = TenantStatus.ACTIVE
        self.suspension_reason = None

    def delete(self, *, by: UUID | None = None) -> None:
        """Delete the store (terminal). Every service erases the tenant's data on the contract
        event; personal data in event stores is crypto-shredded by the application."""
        self._next_status("delete")
        self._deleted(deleted_by=by)

    @event("Deleted")
    def _deleted(self, deleted_by: UUID | None) -> None:
        self.status = TenantStatus.DELETED

    # -- configuration -----------------------------------------------------------------------------

    def rename(self, name: str) -> None:
        self._next_status("configure")
        new_name = _tenant_name(name)
        if new_name != self.name:
            self._renamed(name=new_name)

    @event("Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    def change_store_config(
        self,
        *,
        currency: str | None = None,
        timezone: str | None = None,
        capture_policy: str | None = None,
    ) -> None:
        """Change any of the settings; the event records the complete resulting config."""
        self._next_status("configure")
        current = self.store_config
        new = StoreConfig.create(
            currency=currency if currency is not None else current.currency,
            timezone=timezone if timezone is not None else current.timezone,
            capture_policy=(
                capture_policy if capture_policy is not None else current.capture_policy.value
            ),
        )
        if new != current:
            self._store_config_changed(
                currency=new.currency,
                timezone=new.timezone,
                capture_policy=new.capture_policy.value,
            )

    @event("StoreConfigChanged")
    def _store_config_changed(self, currency: str, timezone: str, capture_policy: str) -> None:
        self.store_config = StoreConfig(currency, timezone, CapturePolicy(capture_policy))

    def change_plan(self, plan_code: str | None) -> None:
        self._next_status("configure")
        new = normalise_plan_code(plan_code)
        if new != self.plan_code:
            self._plan_changed(plan_code=new, previous_plan_code=self.plan_code)

    @event("PlanChanged")
    def _plan_changed(self, plan_code: str | None, previous_plan_code: str | None) -> None:
        self.plan_code = plan_code

    # -- domains -----------------------------------------------------------------------------------

    def add_domain(self, hostname: str, *, make_primary: bool = False) -> None:
        """Attach a custom domain. The first domain of a store becomes its primary domain.

        The application has checked that no other tenant holds the hostname.
        """
        self._next_status("configure")
        host = normalise_hostname(hostname)
        if host in self.domains:
            raise DomainAlreadyAttached(f"{host} is already a domain of this store")
        self._domain_added(hostname=host)
        if make_primary or self.primary_domain is None:
            self._primary_domain_changed(hostname=host, previous_hostname=self.primary_domain)

    @event("DomainAdded")
    def _domain_added(self, hostname: str) -> None:
        self.domains = (*self.domains, hostname)

    def set_primary_domain(self, hostname: str) -> None:
        self._next_status("configure")
        host = self._attached(hostname)
        if host != self.primary_domain:
            self._primary_domain_changed(hostname=host, previous_hostname=self.primary_domain)

    @event("PrimaryDomainChanged")
    def _primary_domain_changed(self, hostname: str, previous_hostname: str | None) -> None:
        self.primary_domain = hostname

    def remove_domain(self, hostname: str) -> None:
        """Detach a domain. The primary domain goes last: while others remain, make one of them
        primary first."""
        self._next_status("configure")
        host = self._attached(hostname)
        if host == self.primary_domain and len(self.domains) > 1:
            raise PrimaryDomainRemoval(
                f"{host} is the primary domain; make another domain primary first"
            )
        self._domain_removed(hostname=host)

    @event("DomainRemoved")
    def _domain_removed(self, hostname: str) -> None:
        # Removing the last domain leaves the store on its <slug> subdomain only.
        self.domains = tuple(d for d in self.domains if d != hostname)
        if self.primary_domain == hostname:
            self.primary_domain = None

    def _attached(self, hostname: str) -> str:
        host = normalise_hostname(hostname)
        if host not in self.domains:
            raise DomainNotAttached(f"{host} is not a domain of this store")
        return host
