"""Domain errors of the tenancy service.

Each class has a stable ``code`` (the API puts it in problem+json) and an HTTP ``status``:
422 for an invalid command, 409 for an illegal state transition or a business-rule conflict, 401
for a refresh token that cannot be used, 404 (via `NotFound`) for something that does not exist
for this tenant. Messages become the problem's ``detail``: they never contain secrets (hashes,
passwords) or personal data.
"""

from __future__ import annotations

from typing import ClassVar

from shop_runtime.aggregate import DomainError, NotFound

__all__ = [
    "DomainAlreadyAttached",
    "DomainNotAttached",
    "InvalidCapturePolicy",
    "InvalidCurrency",
    "InvalidDisplayName",
    "InvalidEmail",
    "InvalidHostname",
    "InvalidPassword",
    "InvalidPlanCode",
    "InvalidReason",
    "InvalidRefreshToken",
    "InvalidRoles",
    "InvalidSlug",
    "InvalidTenantName",
    "InvalidTimezone",
    "InvalidUserKind",
    "PrimaryDomainRemoval",
    "RefreshTokenExpired",
    "RefreshTokenFamilyRevoked",
    "TenantTransitionNotAllowed",
    "UserTransitionNotAllowed",
]


# -- 422: invalid commands ------------------------------------------------------------------------


class InvalidSlug(DomainError):
    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_slug"


class InvalidTenantName(DomainError):
    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_tenant_name"


class InvalidHostname(DomainError):
    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_hostname"


class InvalidCurrency(DomainError):
    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_currency"


class InvalidTimezone(DomainError):
    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_timezone"


class InvalidReason(DomainError):
    """A reason is required (e.g. for suspending a store) and must be short text."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_reason"


class InvalidCapturePolicy(DomainError):
    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_capture_policy"


class InvalidPlanCode(DomainError):
    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_plan_code"


class InvalidEmail(DomainError):
    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_email"


class InvalidDisplayName(DomainError):
    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_display_name"


class InvalidPassword(DomainError):
    """The new password does not meet the length policy (the password itself is never echoed)."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_password"


class InvalidUserKind(DomainError):
    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_user_kind"


class InvalidRoles(DomainError):
    """Unknown role, a role that does not fit the user's kind, or an empty staff role set."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_roles"


# -- 409: illegal transitions and rule conflicts ------------------------------------------------


class TenantTransitionNotAllowed(DomainError):
    status: ClassVar[int] = 409
    code: ClassVar[str] = "tenant_transition_not_allowed"


class UserTransitionNotAllowed(DomainError):
    status: ClassVar[int] = 409
    code: ClassVar[str] = "user_transition_not_allowed"


class DomainAlreadyAttached(DomainError):
    status: ClassVar[int] = 409
    code: ClassVar[str] = "domain_already_attached"


class PrimaryDomainRemoval(DomainError):
    """The primary domain cannot be removed; make another domain primary first."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "primary_domain_removal"


# -- 404 ----------------------------------------------------------------------------------------


class DomainNotAttached(NotFound):
    code: ClassVar[str] = "domain_not_attached"


# -- 401: refresh tokens ------------------------------------------------------------------------
# The API answers every one of these the same way (401, "sign in again"); the distinct codes are for
# logs and metrics.


class InvalidRefreshToken(DomainError):
    """The token is not (or no longer) the current token of its family."""

    status: ClassVar[int] = 401
    code: ClassVar[str] = "invalid_refresh_token"


class RefreshTokenExpired(InvalidRefreshToken):
    code: ClassVar[str] = "refresh_token_expired"


class RefreshTokenFamilyRevoked(InvalidRefreshToken):
    code: ClassVar[str] = "refresh_token_revoked"
