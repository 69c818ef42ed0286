"""Request and response bodies of the catalog API."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field
from shop_contracts.money import Money
from shop_runtime.api_models import StrictModel


class CategoryIn(StrictModel):
    name: str = Field(min_length=1, max_length=255)
    slug: str | None = Field(default=None, max_length=255)
    description: str | None = None
    parent_id: UUID | None = None


class CategoryMoveIn(StrictModel):
    parent_id: UUID | None = None


class BrandIn(StrictModel):
    name: str = Field(min_length=1, max_length=255)
    slug: str | None = Field(default=None, max_length=255)
    description: str | None = None


class OptionIn(StrictModel):
    name: str = Field(min_length=1, max_length=50)
    values: list[str] = Field(min_length=1, max_length=100)


class ProductIn(StrictModel):
    name: str = Field(min_length=1, max_length=255)
    slug: str | None = Field(default=None, max_length=255)
    description: str | None = None
    brand_id: UUID | None = None
    category_id: UUID | None = None
    options: list[OptionIn] = Field(default_factory=list, max_length=10)
    tags: list[str] = Field(default_factory=list, max_length=50)
    images: list[str] = Field(default_factory=list, max_length=20)


class SkuIn(StrictModel):
    code: str = Field(min_length=1, max_length=100)
    price: Money
    compare_at_price: Money | None = None
    option_values: dict[str, str] = Field(default_factory=dict, max_length=10)
    barcode: str | None = Field(default=None, max_length=64)
    track_inventory: bool = True


class PriceIn(StrictModel):
    price: Money
    compare_at_price: Money | None = Field(
        default=None, description="Omitted: kept as it is; null: removed"
    )
