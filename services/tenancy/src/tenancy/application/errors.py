"""Errors of the tenancy use cases (the HTTP layer maps ``status``/``code`` to problem+json)."""

from __future__ import annotations

from typing import ClassVar

from shop_runtime.aggregate import DomainError

__all__ = ["DomainTaken", "EmailTaken", "InvalidCredentials", "OwnerRoleRequired", "SlugTaken"]


class InvalidCredentials(DomainError):
    """Unknown e-mail, wrong password or disabled account: one answer for all three."""

    status: ClassVar[int] = 401
    code: ClassVar[str] = "invalid_credentials"


class SlugTaken(DomainError):
    status: ClassVar[int] = 409
    code: ClassVar[str] = "slug_taken"


class DomainTaken(DomainError):
    status: ClassVar[int] = 409
    code: ClassVar[str] = "domain_taken"


class EmailTaken(DomainError):
    """An account with this e-mail already exists in this store (staff or customer)."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "email_taken"


class OwnerRoleRequired(DomainError):
    """Only an owner may make someone else an owner."""

    status: ClassVar[int] = 403
    code: ClassVar[str] = "forbidden"
