"""Products with options, SKUs (variants) and prices, published as numbered versions.

**Draft and published versions.** A product is edited as a working copy; `publish` makes the
working copy the live version and records a full snapshot of it (version 1, 2, ...). Editing a
published product (details, brand, category, options, SKUs, SKU activation) changes the working
copy only (`has_unpublished_changes`) until the next `publish`, which records version n+1. Prices
are the exception: `change_price` is live at once (a price change must not wait for a content
review) and the next snapshot simply contains the current prices.

**What the events carry for the relay** (each stored event is translated alone):

* ``Published``: the complete snapshot (name, slug, description, brand id+name, category id+path,
  tags, images, options, active SKUs with prices) plus ``version`` and ``previous_status``:
  ``catalog.product_published`` when ``version == 1``, else ``catalog.product_updated``;
* ``SkuAdded``: everything ``catalog.sku_created`` needs (code, option values, price, barcode,
  track_inventory);
* ``PriceChanged``: new and previous price and compare-at price, currency, ``product_status``
  (a relay may skip price changes of products that are not live);
* ``Archived``: ``archived_by``. ``Unpublished`` has no contract event yet (the lead decides
  whether search drops the document on it, e.g. via a new ``catalog.product_unpublished``).

**State machine** (one table, `_TRANSITIONS`): draft → published (publish), published → published
(publish a new version), published → draft (unpublish), draft|published → archived (terminal).
"edit" is allowed in draft and published, so an archived product refuses every command with 409.

**Application concerns:** slug unique per tenant and SKU code unique per tenant (read model);
brand and category snapshots kept fresh when a brand/category is renamed or moved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import event
from shop_contracts.ids import derived_id
from shop_contracts.money import Money
from shop_runtime.aggregate import TenantAggregate

from catalog.domain.errors import (
    CurrencyMismatch,
    DuplicateOption,
    DuplicateOptionValue,
    DuplicateSkuCode,
    DuplicateVariant,
    InvalidBarcode,
    InvalidCompareAtPrice,
    InvalidName,
    InvalidOption,
    InvalidOptionValues,
    InvalidPrice,
    InvalidSkuCode,
    NoPurchasableSku,
    OptionsLocked,
    ProductTransitionNotAllowed,
    SkuNotFound,
    UnknownOption,
)
from catalog.domain.values import (
    CategoryRef,
    clean_description,
    clean_images,
    clean_name,
    clean_slug,
    clean_tags,
    path_dicts,
    path_from_dicts,
)

__all__ = [
    "KEEP",
    "Product",
    "ProductOption",
    "ProductStatus",
    "Sku",
    "sku_id_for",
]

MAX_OPTION_NAME_LENGTH = 50
MAX_OPTION_VALUE_LENGTH = 100
MAX_OPTION_VALUES = 100
_SKU_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
_BARCODE_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class ProductStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


_TRANSITIONS: Final[dict[tuple[ProductStatus, str], ProductStatus]] = {
    (ProductStatus.DRAFT, "edit"): ProductStatus.DRAFT,
    (ProductStatus.PUBLISHED, "edit"): ProductStatus.PUBLISHED,
    (ProductStatus.DRAFT, "publish"): ProductStatus.PUBLISHED,
    (ProductStatus.PUBLISHED, "publish"): ProductStatus.PUBLISHED,
    (ProductStatus.PUBLISHED, "unpublish"): ProductStatus.DRAFT,
    (ProductStatus.DRAFT, "archive"): ProductStatus.ARCHIVED,
    (ProductStatus.PUBLISHED, "archive"): ProductStatus.ARCHIVED,
}


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""`Product.change_price` default for ``compare_at_price``: leave it as it is."""


def sku_id_for(product_id: UUID, code: str) -> UUID:
    """Deterministic SKU id: a retried "add SKU" targets the same id (and is refused as a
    duplicate code) instead of creating a second variant."""
    return derived_id(product_id, f"sku:{code.casefold()}")


def _words(value: str) -> str:
    return " ".join(value.split())


@dataclass(frozen=True, slots=True)
class ProductOption:
    """An option such as Size with its ordered values S, M, L."""

    name: str
    values: tuple[str, ...]

    def value_named(self, value: str) -> str | None:
        """This option's spelling of ``value`` (case-insensitive match), or None."""
        wanted = _words(value).casefold()
        return next((v for v in self.values if v.casefold() == wanted), None)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "values": list(self.values)}


@dataclass(frozen=True, slots=True)
class Sku:
    """One purchasable variant of a product."""

    sku_id: UUID
    code: str
    option_values: dict[str, str]
    price: Money
    compare_at_price: Money | None
    barcode: str | None
    track_inventory: bool
    active: bool = True

    def as_dict(self) -> dict[str, Any]:
        """The form stored in the ``Published`` snapshot."""
        return {
            "sku_id": self.sku_id,
            "code": self.code,
            "option_values": dict(self.option_values),
            "price_amount": self.price.amount,
            "currency": self.price.currency,
            "compare_at_amount": self.compare_at_price.amount if self.compare_at_price else None,
            "barcode": self.barcode,
            "track_inventory": self.track_inventory,
        }


def _check_prices(price: Money, compare_at_price: Money | None) -> None:
    if price.amount < 0:
        raise InvalidPrice("a price cannot be negative")
    if compare_at_price is not None:
        if compare_at_price.currency != price.currency:
            raise CurrencyMismatch("the compare-at price must be in the price's currency")
        if compare_at_price.amount <= price.amount:
            raise InvalidCompareAtPrice("the compare-at price must be higher than the price")


class Product(TenantAggregate):
    """A product of one store. Create with `Product.create`."""

    # -- creation ----------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        tenant_id: UUID,
        name: str,
        slug: str | None = None,
        description: str | None = None,
        brand_id: UUID | None = None,
        brand_name: str | None = None,
        category_path: Sequence[CategoryRef] = (),
        tags: Iterable[str] = (),
        images: Iterable[str] = (),
        product_id: UUID | None = None,
        created_by: UUID | None = None,
    ) -> Product:
        """A new draft. ``category_path`` is the category's `Category.path` (root first, the
        product's category last); ``brand_name`` is the brand's current name."""
        clean = clean_name(name)
        return cls(
            id=product_id,
            tenant_id=tenant_id,
            name=clean,
            slug=clean_slug(slug, name=clean),
            description=clean_description(description),
            brand_id=brand_id,
            brand_name=cls._brand_name(brand_id, brand_name),
            category_id=category_path[-1].category_id if category_path else None,
            category_path=path_dicts(category_path),
            tags=clean_tags(tags),
            images=clean_images(images),
            created_by=created_by,
        )

    @event("Created")
    def __init__(
        self,
        tenant_id: UUID,
        name: str,
        slug: str,
        description: str | None,
        brand_id: UUID | None,
        brand_name: str | None,
        category_id: UUID | None,
        category_path: list[dict[str, Any]],
        tags: list[str],
        images: list[str],
        created_by: UUID | None,
        id: UUID | None = None,  # the library's keyword: a chosen aggregate id
    ) -> None:
        self.name = name
        self.slug = slug
        self.description = description
        self.brand_id = brand_id
        self.brand_name = brand_name
        self.category_id = category_id
        self.category_path: tuple[CategoryRef, ...] = path_from_dicts(category_path)
        self.tags: tuple[str, ...] = tuple(tags)
        self.images: tuple[str, ...] = tuple(images)
        self.options: tuple[ProductOption, ...] = ()
        self.skus: dict[UUID, Sku] = {}
        self.status = ProductStatus.DRAFT
        self.published_version = 0
        self.has_unpublished_changes = True

    # -- queries -----------------------------------------------------------------------------------

    @property
    def is_published(self) -> bool:
        return self.status is ProductStatus.PUBLISHED

    @property
    def currency(self) -> str | None:
        """The currency of every price of this product (None before the first SKU)."""
        first = next(iter(self.skus.values()), None)
        return first.price.currency if first else None

    @property
    def active_skus(self) -> list[Sku]:
        return [sku for sku in self.skus.values() if sku.active]

    @property
    def category_names(self) -> list[str]:
        return [ref.name for ref in self.category_path]

    def sku(self, sku_id: UUID) -> Sku:
        try:
            return self.skus[sku_id]
        except KeyError:
            raise SkuNotFound(f"SKU {sku_id} not found in product {self.id}") from None

    def sku_by_code(self, code: str) -> Sku | None:
        wanted = code.strip().casefold()
        return next((s for s in self.skus.values() if s.code.casefold() == wanted), None)

    def option(self, name: str) -> ProductOption | None:
        wanted = _words(name).casefold()
        return next((o for o in self.options if o.name.casefold() == wanted), None)

    def snapshot(self) -> dict[str, Any]:
        """The working copy as the ``Published`` event records it (plain, transcodable values)."""
        return {
            "name": self.name,
            "slug": self.slug,
            "description": self.description,
            "brand_id": self.brand_id,
            "brand_name": self.brand_name,
            "category_id": self.category_id,
            "category_path": path_dicts(self.category_path),
            "tags": list(self.tags),
            "images": list(self.images),
            "options": [option.as_dict() for option in self.options],
            "skus": [sku.as_dict() for sku in self.active_skus],
        }

    def _next_status(self, command: str) -> ProductStatus:
        try:
            return _TRANSITIONS[(self.status, command)]
        except KeyError:
            raise ProductTransitionNotAllowed(
                f"cannot {command} a product that is {self.status.value}"
            ) from None

    # -- details -----------------------------------------------------------------------------------

    def update_details(
        self,
        *,
        name: str,
        slug: str | None = None,
        description: str | None = None,
        tags: Iterable[str] = (),
        images: Iterable[str] = (),
    ) -> None:
        """Replace the descriptive fields (all of them: the API merges a partial update first).
        A slug of None is made from the name."""
        self._next_status("edit")
        clean = clean_name(name)
        new_slug = clean_slug(slug, name=clean)
        new_description = clean_description(description)
        new_tags = clean_tags(tags)
        new_images = clean_images(images)
        if (clean, new_slug, new_description, tuple(new_tags), tuple(new_images)) != (
            self.name,
            self.slug,
            self.description,
            self.tags,
            self.images,
        ):
            self._details_updated(
                name=clean,
                slug=new_slug,
                description=new_description,
                tags=new_tags,
                images=new_images,
            )

    @event("DetailsUpdated")
    def _details_updated(
        self, name: str, slug: str, description: str | None, tags: list[str], images: list[str]
    ) -> None:
        self.name = name
        self.slug = slug
        self.description = description
        self.tags = tuple(tags)
        self.images = tuple(images)
        self.has_unpublished_changes = True

    @staticmethod
    def _brand_name(brand_id: UUID | None, brand_name: str | None) -> str | None:
        if brand_id is None:
            if brand_name is not None:
                raise InvalidName("a brand name needs a brand id")
            return None
        if brand_name is None:
            raise InvalidName("a brand id needs the brand's name")
        return clean_name(brand_name, "brand name")

    def change_brand(self, brand_id: UUID | None, brand_name: str | None = None) -> None:
        """Set (or with None, clear) the brand; also used to re-stamp a renamed brand's name."""
        self._next_status("edit")
        name = self._brand_name(brand_id, brand_name)
        if (brand_id, name) != (self.brand_id, self.brand_name):
            self._brand_changed(brand_id=brand_id, brand_name=name)

    @event("BrandChanged")
    def _brand_changed(self, brand_id: UUID | None, brand_name: str | None) -> None:
        self.brand_id = brand_id
        self.brand_name = brand_name
        self.has_unpublished_changes = True

    def change_category(self, category_path: Sequence[CategoryRef]) -> None:
        """Put the product in the last category of ``category_path`` (empty: uncategorised);
        also used to re-stamp the path after a category was renamed or moved."""
        self._next_status("edit")
        if tuple(category_path) != self.category_path:
            self._category_changed(
                category_id=category_path[-1].category_id if category_path else None,
                category_path=path_dicts(category_path),
            )

    @event("CategoryChanged")
    def _category_changed(
        self, category_id: UUID | None, category_path: list[dict[str, Any]]
    ) -> None:
        self.category_id = category_id
        self.category_path = path_from_dicts(category_path)
        self.has_unpublished_changes = True

    # -- options -----------------------------------------------------------------------------------

    @staticmethod
    def _option_value(value: str) -> str:
        clean = _words(value)
        if not clean or len(clean) > MAX_OPTION_VALUE_LENGTH:
            raise InvalidOption(f"option values must be 1-{MAX_OPTION_VALUE_LENGTH} characters")
        return clean

    def add_option(self, name: str, values: Iterable[str]) -> None:
        """Add an option (e.g. ``Size`` with ``["S", "M", "L"]``, in display order).

        Only before the first SKU: existing SKUs would have no value for it.
        """
        self._next_status("edit")
        clean = _words(name)
        if not clean or len(clean) > MAX_OPTION_NAME_LENGTH:
            raise InvalidOption(f"option name must be 1-{MAX_OPTION_NAME_LENGTH} characters")
        clean_values = [self._option_value(v) for v in values]
        if not clean_values or len(clean_values) > MAX_OPTION_VALUES:
            raise InvalidOption(f"an option needs 1-{MAX_OPTION_VALUES} values")
        if len({v.casefold() for v in clean_values}) != len(clean_values):
            raise InvalidOption("an option value is listed twice")
        if self.option(clean) is not None:
            raise DuplicateOption(f"the product already has an option {clean!r}")
        if self.skus:
            raise OptionsLocked("options cannot be added once the product has SKUs")
        self._option_added(name=clean, values=clean_values)

    @event("OptionAdded")
    def _option_added(self, name: str, values: list[str]) -> None:
        self.options = (*self.options, ProductOption(name, tuple(values)))
        self.has_unpublished_changes = True

    def add_option_value(self, option_name: str, value: str) -> None:
        """Append a value to an existing option (e.g. a new colour); allowed at any time."""
        self._next_status("edit")
        option = self.option(option_name)
        if option is None:
            raise UnknownOption(f"the product has no option {_words(option_name)!r}")
        clean = self._option_value(value)
        if option.value_named(clean) is not None:
            raise DuplicateOptionValue(f"option {option.name!r} already has the value {clean!r}")
        if len(option.values) >= MAX_OPTION_VALUES:
            raise InvalidOption(f"an option has at most {MAX_OPTION_VALUES} values")
        self._option_value_added(option_name=option.name, value=clean)

    @event("OptionValueAdded")
    def _option_value_added(self, option_name: str, value: str) -> None:
        self.options = tuple(
            replace(o, values=(*o.values, value)) if o.name == option_name else o
            for o in self.options
        )
        self.has_unpublished_changes = True

    def _resolve_option_values(self, given: Mapping[str, str]) -> dict[str, str]:
        """Map the caller's option values onto the product's spelling, in option order; exactly
        one existing value per option."""
        resolved: dict[str, str] = {}
        for key, value in given.items():
            option = self.option(key)
            if option is None:
                raise InvalidOptionValues(f"the product has no option {_words(key)!r}")
            if option.name in resolved:
                raise InvalidOptionValues(f"option {option.name!r} is given twice")
            canonical = option.value_named(value)
            if canonical is None:
                raise InvalidOptionValues(f"{value!r} is not a value of option {option.name!r}")
            resolved[option.name] = canonical
        missing = [o.name for o in self.options if o.name not in resolved]
        if missing:
            raise InvalidOptionValues(f"missing value for option(s): {', '.join(missing)}")
        return {o.name: resolved[o.name] for o in self.options}

    # -- SKUs --------------------------------------------------------------------------------------

    def add_sku(
        self,
        *,
        code: str,
        price: Money,
        compare_at_price: Money | None = None,
        option_values: Mapping[str, str] | None = None,
        barcode: str | None = None,
        track_inventory: bool = True,
    ) -> UUID:
        """Add a variant with one value of every option; returns its id (`sku_id_for`).

        A product without options has a single SKU (its option values are empty).
        """
        self._next_status("edit")
        clean_code = code.strip()
        if not _SKU_CODE_RE.fullmatch(clean_code):
            raise InvalidSkuCode(
                "SKU code must be 1-100 letters, digits, '.', '_', '-' or '/', "
                "starting with a letter or digit"
            )
        clean_barcode = barcode.strip() if barcode is not None else None
        if clean_barcode is not None and not _BARCODE_RE.fullmatch(clean_barcode):
            raise InvalidBarcode("barcode must be 1-64 letters, digits or hyphens")
        _check_prices(price, compare_at_price)
        if self.currency is not None and price.currency != self.currency:
            raise CurrencyMismatch(f"this product is priced in {self.currency}")
        values = self._resolve_option_values(option_values or {})
        if self.sku_by_code(clean_code) is not None:
            raise DuplicateSkuCode(f"the product already has a SKU {clean_code!r}")
        if any(sku.option_values == values for sku in self.skus.values()):
            described = ", ".join(f"{k}={v}" for k, v in values.items()) or "no options"
            raise DuplicateVariant(f"another SKU already has {described}")
        sku_id = sku_id_for(self.id, clean_code)
        self._sku_added(
            sku_id=sku_id,
            code=clean_code,
            option_values=values,
            price_amount=price.amount,
            currency=price.currency,
            compare_at_amount=compare_at_price.amount if compare_at_price else None,
            barcode=clean_barcode,
            track_inventory=track_inventory,
        )
        return sku_id

    @event("SkuAdded")
    def _sku_added(
        self,
        sku_id: UUID,
        code: str,
        option_values: dict[str, str],
        price_amount: Decimal,
        currency: str,
        compare_at_amount: Decimal | None,
        barcode: str | None,
        track_inventory: bool,
    ) -> None:
        self.skus = {
            **self.skus,
            sku_id: Sku(
                sku_id=sku_id,
                code=code,
                option_values=dict(option_values),
                price=Money.of(price_amount, currency),
                compare_at_price=(
                    Money.of(compare_at_amount, currency) if compare_at_amount is not None else None
                ),
                barcode=barcode,
                track_inventory=track_inventory,
            ),
        }
        self.has_unpublished_changes = True

    def change_price(
        self,
        sku_id: UUID,
        price: Money,
        compare_at_price: Money | _Keep | None = KEEP,
    ) -> None:
        """Set a SKU's price (live at once, see the module docstring). ``compare_at_price``:
        `KEEP` (default) keeps the current one, None removes it. No event if nothing changes."""
        self._next_status("edit")
        sku = self.sku(sku_id)
        compare_at = sku.compare_at_price if compare_at_price is KEEP else compare_at_price
        if price.currency != sku.price.currency:
            raise CurrencyMismatch(f"this product is priced in {sku.price.currency}")
        _check_prices(price, compare_at)
        if (price, compare_at) == (sku.price, sku.compare_at_price):
            return
        self._price_changed(
            sku_id=sku_id,
            currency=price.currency,
            price_amount=price.amount,
            previous_price_amount=sku.price.amount,
            compare_at_amount=compare_at.amount if compare_at else None,
            previous_compare_at_amount=(
                sku.compare_at_price.amount if sku.compare_at_price else None
            ),
            product_status=self.status.value,
        )

    @event("PriceChanged")
    def _price_changed(
        self,
        sku_id: UUID,
        currency: str,
        price_amount: Decimal,
        previous_price_amount: Decimal,
        compare_at_amount: Decimal | None,
        previous_compare_at_amount: Decimal | None,
        product_status: str,
    ) -> None:
        # Prices are live at once: no has_unpublished_changes.
        sku = self.skus[sku_id]
        self.skus = {
            **self.skus,
            sku_id: replace(
                sku,
                price=Money.of(price_amount, currency),
                compare_at_price=(
                    Money.of(compare_at_amount, currency) if compare_at_amount is not None else None
                ),
            ),
        }

    def deactivate_sku(self, sku_id: UUID) -> None:
        """Stop offering a variant (from the next published version). No event if inactive."""
        self._next_status("edit")
        if self.sku(sku_id).active:
            self._sku_deactivated(sku_id=sku_id)

    @event("SkuDeactivated")
    def _sku_deactivated(self, sku_id: UUID) -> None:
        self.skus = {**self.skus, sku_id: replace(self.skus[sku_id], active=False)}
        self.has_unpublished_changes = True

    def activate_sku(self, sku_id: UUID) -> None:
        self._next_status("edit")
        if not self.sku(sku_id).active:
            self._sku_activated(sku_id=sku_id)

    @event("SkuActivated")
    def _sku_activated(self, sku_id: UUID) -> None:
        self.skus = {**self.skus, sku_id: replace(self.skus[sku_id], active=True)}
        self.has_unpublished_changes = True

    # -- lifecycle ---------------------------------------------------------------------------------

    def publish(self, *, by: UUID | None = None) -> None:
        """Make the working copy the live version (the next version number).

        Needs at least one active SKU (every SKU has a price). Publishing a live product with no
        unpublished changes records nothing (a retried request is harmless).
        """
        self._next_status("publish")
        if self.is_published and not self.has_unpublished_changes:
            return
        if not self.active_skus:
            raise NoPurchasableSku("publishing needs at least one active SKU")
        self._published(
            version=self.published_version + 1,
            previous_status=self.status.value,
            published_by=by,
            **self.snapshot(),
        )

    @event("Published")
    def _published(
        self,
        version: int,
        previous_status: str,
        published_by: UUID | None,
        name: str,
        slug: str,
        description: str | None,
        brand_id: UUID | None,
        brand_name: str | None,
        category_id: UUID | None,
        category_path: list[dict[str, Any]],
        tags: list[str],
        images: list[str],
        options: list[dict[str, Any]],
        skus: list[dict[str, Any]],
    ) -> None:
        # The snapshot fields are for the relay and the read models; the working copy already
        # holds the same values.
        self.status = ProductStatus.PUBLISHED
        self.published_version = version
        self.has_unpublished_changes = False

    def unpublish(self, *, by: UUID | None = None) -> None:
        """Take the product off the store; it becomes a draft again (its data is kept)."""
        self._next_status("unpublish")
        self._unpublished(unpublished_by=by)

    @event("Unpublished")
    def _unpublished(self, unpublished_by: UUID | None) -> None:
        self.status = ProductStatus.DRAFT
        self.has_unpublished_changes = True

    def archive(self, *, by: UUID | None = None) -> None:
        """Withdraw the product for good (terminal)."""
        self._next_status("archive")
        self._archived(archived_by=by, previous_status=self.status.value)

    @event("Archived")
    def _archived(self, archived_by: UUID | None, previous_status: str) -> None:
        self.status = ProductStatus.ARCHIVED
