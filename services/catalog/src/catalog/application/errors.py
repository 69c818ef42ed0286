"""Errors of the catalog application (rules that span aggregates)."""

from __future__ import annotations

from typing import ClassVar

from shop_runtime.aggregate import DomainError


class SlugTaken(DomainError):
    """Another category, brand or product of the store already uses this slug."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "slug_taken"


class SkuCodeTaken(DomainError):
    """Another SKU of the store already uses this code."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "sku_code_taken"


class InvalidCursor(DomainError):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_cursor"


class SearchUnavailable(DomainError):
    """OpenSearch cannot be reached, or the index is not created yet."""

    status: ClassVar[int] = 503
    code: ClassVar[str] = "search_unavailable"
