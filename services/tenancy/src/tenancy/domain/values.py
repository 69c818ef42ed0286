"""Value objects and validators of the tenancy domain (slugs, hostnames, e-mails, store config).

Validators take what a caller typed and return the canonical form (lowercased, trimmed) or raise a
422 domain error. Aggregates store only canonical forms, so two spellings of one hostname or e-mail
can never coexist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from tenancy.domain.errors import (
    InvalidCapturePolicy,
    InvalidCurrency,
    InvalidEmail,
    InvalidHostname,
    InvalidPlanCode,
    InvalidSlug,
    InvalidTimezone,
)

__all__ = [
    "DEFAULT_CURRENCY",
    "DEFAULT_TIMEZONE",
    "RESERVED_SLUGS",
    "CapturePolicy",
    "StoreConfig",
    "normalise_currency",
    "normalise_email",
    "normalise_hostname",
    "normalise_plan_code",
    "normalise_slug",
    "validate_timezone",
]

DEFAULT_CURRENCY = "USD"  # the seeds' system setting "default_currency"
DEFAULT_TIMEZONE = "UTC"

# A slug is the store's subdomain (<slug>.<platform domain>), so it follows the DNS label rules:
# 3-63 characters, lowercase letters, digits and hyphens, no hyphen at either end.
_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$")
# Subdomains the platform itself answers on; a store named like one would shadow it.
RESERVED_SLUGS: frozenset[str] = frozenset({"www", "api", "admin", "app", "static", "mail"})

_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_EMAIL_RE = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$")  # the seeds' CHECK, lowercased
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_PLAN_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


def normalise_slug(value: str) -> str:
    """Canonical store slug (subdomain) or `InvalidSlug`."""
    slug = value.strip()
    if not _SLUG_RE.fullmatch(slug):
        raise InvalidSlug(
            "slug must be 3-63 lowercase letters, digits or hyphens, "
            "starting and ending with a letter or digit"
        )
    if slug in RESERVED_SLUGS:
        raise InvalidSlug(f"slug {slug!r} is reserved")
    return slug


def normalise_hostname(value: str) -> str:
    """Canonical hostname of a store domain: lowercase ASCII (IDNA), no trailing dot.

    Refuses anything that is not a bare DNS name: schemes, ports, paths, IP addresses, single
    labels.
    """
    host = value.strip().lower().removesuffix(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidHostname("hostname is not a valid internationalised domain name") from exc
    if not host or len(host) > 253:
        raise InvalidHostname("hostname must be 1-253 characters")
    labels = host.split(".")
    if len(labels) < 2:
        raise InvalidHostname("hostname must have at least two labels (e.g. shop.example.com)")
    if not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise InvalidHostname(
            "each hostname label must be 1-63 letters, digits or hyphens, "
            "not starting or ending with a hyphen"
        )
    if labels[-1].isdigit():
        raise InvalidHostname("an IP address is not a store domain")
    return host


def normalise_email(value: str) -> str:
    """Canonical e-mail: trimmed and lowercased (the whole address, as the seeds' lower(email) index
    does), or `InvalidEmail`. The message never repeats the address."""
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL_RE.fullmatch(email):
        raise InvalidEmail("not a valid e-mail address")
    local, _, domain = email.partition("@")
    if len(local) > 64 or ".." in email or domain.startswith(".") or local.startswith("."):
        raise InvalidEmail("not a valid e-mail address")
    return email


def normalise_currency(value: str) -> str:
    """ISO 4217 alphabetic code, uppercased."""
    code = value.strip().upper()
    if not _CURRENCY_RE.fullmatch(code):
        raise InvalidCurrency("currency must be a 3-letter ISO 4217 code")
    return code


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_timezone(value: str) -> str:
    """An IANA time zone name known to this machine's tz database (e.g. ``Asia/Kolkata``)."""
    name = value.strip()
    if name not in _timezones():
        raise InvalidTimezone(f"unknown time zone {name!r}")
    return name


def normalise_plan_code(value: str | None) -> str | None:
    """Plan code such as ``starter``; None means "no plan yet"."""
    if value is None:
        return None
    code = value.strip().lower()
    if not _PLAN_RE.fullmatch(code):
        raise InvalidPlanCode("plan code must be 1-50 lowercase letters, digits, '_' or '-'")
    return code


class CapturePolicy(StrEnum):
    """When payments capture an authorised payment (see ARCHITECTURE §6)."""

    ON_CONFIRMATION = "on_confirmation"
    ON_SHIPMENT = "on_shipment"

    @classmethod
    def parse(cls, value: str) -> CapturePolicy:
        try:
            return cls(value)
        except ValueError as exc:
            allowed = ", ".join(p.value for p in cls)
            raise InvalidCapturePolicy(f"capture policy must be one of: {allowed}") from exc


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """The store's configuration (the seeds' 1:1 ``store_configs``), validated as a whole.

    Events store it as `as_dict()`: plain strings only.
    """

    currency: str = DEFAULT_CURRENCY
    timezone: str = DEFAULT_TIMEZONE
    capture_policy: CapturePolicy = CapturePolicy.ON_CONFIRMATION

    @classmethod
    def create(
        cls,
        currency: str = DEFAULT_CURRENCY,
        timezone: str = DEFAULT_TIMEZONE,
        capture_policy: str = CapturePolicy.ON_CONFIRMATION.value,
    ) -> StoreConfig:
        return cls(
            currency=normalise_currency(currency),
            timezone=validate_timezone(timezone),
            capture_policy=CapturePolicy.parse(capture_policy),
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "currency": self.currency,
            "timezone": self.timezone,
            "capture_policy": self.capture_policy.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoreConfig:
        """Rebuild from stored event data (already validated when it was recorded)."""
        return cls(
            currency=data["currency"],
            timezone=data["timezone"],
            capture_policy=CapturePolicy(data["capture_policy"]),
        )
