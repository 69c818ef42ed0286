"""Domain errors of the catalog service.

Each class has a stable ``code`` (the API puts it in problem+json) and an HTTP ``status``:
422 for an invalid command, 409 for an illegal state transition or a rule conflict, 404 (via
`NotFound`) for a part of an aggregate that does not exist. Messages become the problem's
``detail``.
"""

from __future__ import annotations

from typing import ClassVar

from shop_runtime.aggregate import DomainError, NotFound

__all__ = [
    "CategoryCycle",
    "CurrencyMismatch",
    "DuplicateOption",
    "DuplicateOptionValue",
    "DuplicateSkuCode",
    "DuplicateVariant",
    "InvalidBarcode",
    "InvalidCompareAtPrice",
    "InvalidDescription",
    "InvalidImages",
    "InvalidName",
    "InvalidOption",
    "InvalidOptionValues",
    "InvalidPrice",
    "InvalidSkuCode",
    "InvalidSlug",
    "InvalidTags",
    "NoPurchasableSku",
    "OptionsLocked",
    "ProductTransitionNotAllowed",
    "SkuNotFound",
    "UnknownOption",
]


# -- 422: invalid commands ------------------------------------------------------------------------


class _Invalid(DomainError):
    status: ClassVar[int] = 422


class InvalidName(_Invalid):
    code: ClassVar[str] = "invalid_name"


class InvalidSlug(_Invalid):
    code: ClassVar[str] = "invalid_slug"


class InvalidDescription(_Invalid):
    code: ClassVar[str] = "invalid_description"


class InvalidTags(_Invalid):
    code: ClassVar[str] = "invalid_tags"


class InvalidImages(_Invalid):
    code: ClassVar[str] = "invalid_images"


class CategoryCycle(_Invalid):
    """The new parent is the category itself or one of its descendants."""

    code: ClassVar[str] = "category_cycle"


class InvalidOption(_Invalid):
    """An option's name or values are malformed (empty, too long, repeated)."""

    code: ClassVar[str] = "invalid_option"


class UnknownOption(_Invalid):
    code: ClassVar[str] = "unknown_option"


class InvalidOptionValues(_Invalid):
    """A SKU's option values do not name exactly one existing value of every product option."""

    code: ClassVar[str] = "invalid_option_values"


class InvalidSkuCode(_Invalid):
    code: ClassVar[str] = "invalid_sku_code"


class InvalidBarcode(_Invalid):
    code: ClassVar[str] = "invalid_barcode"


class InvalidPrice(_Invalid):
    code: ClassVar[str] = "invalid_price"


class InvalidCompareAtPrice(_Invalid):
    """A compare-at ("was") price must be higher than the price."""

    code: ClassVar[str] = "invalid_compare_at_price"


class CurrencyMismatch(_Invalid):
    """Every price of a product is in one currency."""

    code: ClassVar[str] = "currency_mismatch"


# -- 409: illegal transitions and rule conflicts ------------------------------------------------


class _Conflict(DomainError):
    status: ClassVar[int] = 409


class ProductTransitionNotAllowed(_Conflict):
    code: ClassVar[str] = "product_transition_not_allowed"


class NoPurchasableSku(_Conflict):
    """Publishing needs at least one active SKU."""

    code: ClassVar[str] = "no_purchasable_sku"


class DuplicateOption(_Conflict):
    code: ClassVar[str] = "duplicate_option"


class DuplicateOptionValue(_Conflict):
    code: ClassVar[str] = "duplicate_option_value"


class OptionsLocked(_Conflict):
    """Options cannot be added once SKUs exist (existing SKUs would have no value for them)."""

    code: ClassVar[str] = "options_locked"


class DuplicateSkuCode(_Conflict):
    code: ClassVar[str] = "duplicate_sku_code"


class DuplicateVariant(_Conflict):
    """Another SKU of the product already has the same option values."""

    code: ClassVar[str] = "duplicate_variant"


# -- 404 ----------------------------------------------------------------------------------------


class SkuNotFound(NotFound):
    code: ClassVar[str] = "sku_not_found"
