"""Product: details, options, SKUs and prices, publish/unpublish/archive and published versions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from catalog.domain.category import Category
from catalog.domain.errors import (
    CurrencyMismatch,
    DuplicateOption,
    DuplicateOptionValue,
    DuplicateSkuCode,
    DuplicateVariant,
    InvalidBarcode,
    InvalidCompareAtPrice,
    InvalidImages,
    InvalidName,
    InvalidOption,
    InvalidOptionValues,
    InvalidPrice,
    InvalidSkuCode,
    InvalidTags,
    NoPurchasableSku,
    OptionsLocked,
    ProductTransitionNotAllowed,
    SkuNotFound,
    UnknownOption,
)
from catalog.domain.product import Product, ProductStatus, sku_id_for
from shop_contracts.money import Money


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def drain(aggregate: Any) -> list[Any]:
    return list(aggregate.collect_events())


def names(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def shirt(tenant_id: UUID, **overrides: Any) -> Product:
    """A draft with Size (S, M, L) and Color (Red, Blue) options and no SKU."""
    fields: dict[str, Any] = {"tenant_id": tenant_id, "name": "Oxford Shirt"}
    fields.update(overrides)
    product = Product.create(**fields)
    product.add_option("Size", ["S", "M", "L"])
    product.add_option("Color", ["Red", "Blue"])
    drain(product)
    return product


def sellable_shirt(tenant_id: UUID) -> tuple[Product, UUID, UUID]:
    product = shirt(tenant_id)
    red_m = product.add_sku(
        code="OX-M-RED",
        price=usd("39.90"),
        compare_at_price=usd("49.90"),
        option_values={"Size": "M", "Color": "Red"},
        barcode="0123456789012",
    )
    blue_l = product.add_sku(
        code="OX-L-BLUE", price=usd("39.90"), option_values={"Size": "L", "Color": "Blue"}
    )
    drain(product)
    return product, red_m, blue_l


# -- creation and details ---------------------------------------------------------------------


def test_create_a_draft_with_brand_and_category_snapshots(tenant_id: UUID):
    clothing = Category.create(tenant_id=tenant_id, name="Clothing")
    shirts = Category.create(tenant_id=tenant_id, name="Shirts", parent_path=clothing.path)
    brand_id, author = uuid4(), uuid4()

    product = Product.create(
        tenant_id=tenant_id,
        name=" Oxford  Shirt ",
        description="Cotton.",
        brand_id=brand_id,
        brand_name="Acme",
        category_path=shirts.path,
        tags=["cotton", "Cotton", "formal"],
        images=["https://cdn.example.com/ox1.jpg"],
        created_by=author,
    )

    (created,) = drain(product)
    assert type(created).__name__ == "Created"
    assert (created.name, created.slug) == ("Oxford Shirt", "oxford-shirt")
    assert (created.brand_id, created.brand_name) == (brand_id, "Acme")
    assert created.category_id == shirts.id
    assert [ref["name"] for ref in created.category_path] == ["Clothing", "Shirts"]
    assert created.tags == ["cotton", "formal"]
    assert created.created_by == author
    assert product.status is ProductStatus.DRAFT
    assert product.category_names == ["Clothing", "Shirts"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": ""}, InvalidName),
        ({"name": "Shirt", "brand_id": uuid4()}, InvalidName),  # brand id without its name
        ({"name": "Shirt", "brand_name": "Acme"}, InvalidName),  # brand name without its id
        ({"name": "Shirt", "tags": ["x" * 51]}, InvalidTags),
        ({"name": "Shirt", "images": ["ftp://example.com/a.jpg"]}, InvalidImages),
        ({"name": "Shirt", "images": ["https://a.test/x.jpg"] * 2}, InvalidImages),
    ],
)  # fmt: skip
def test_invalid_products_are_refused_with_422(
    tenant_id: UUID, fields: dict[str, Any], error: type[Exception]
):
    with pytest.raises(error) as exc:
        Product.create(tenant_id=tenant_id, **fields)
    assert exc.value.status == 422  # type: ignore[attr-defined]


def test_update_details_replaces_all_descriptive_fields(tenant_id: UUID):
    product = shirt(tenant_id, description="Old", tags=["a"])

    product.update_details(name="Oxford Shirt Slim", description=None, tags=["slim"])

    (updated,) = drain(product)
    assert type(updated).__name__ == "DetailsUpdated"
    assert (updated.name, updated.slug, updated.description) == (
        "Oxford Shirt Slim",
        "oxford-shirt-slim",
        None,
    )
    assert updated.tags == ["slim"]
    product.update_details(name="Oxford Shirt Slim", tags=["slim"])
    assert drain(product) == []


def test_brand_and_category_can_be_restamped(tenant_id: UUID):
    product = shirt(tenant_id)
    brand_id = uuid4()
    sale = Category.create(tenant_id=tenant_id, name="Sale")

    product.change_brand(brand_id, "Acme")
    product.change_brand(brand_id, "Acme Co")  # the brand was renamed
    product.change_category(sale.path)
    product.change_category(sale.path)

    assert names(drain(product)) == ["BrandChanged", "BrandChanged", "CategoryChanged"]
    assert (product.brand_id, product.brand_name) == (brand_id, "Acme Co")
    assert product.category_id == sale.id

    product.change_brand(None)
    product.change_category(())
    assert (product.brand_id, product.brand_name, product.category_id) == (None, None, None)


# -- options ----------------------------------------------------------------------------------


def test_options_keep_their_value_order(tenant_id: UUID):
    product = shirt(tenant_id)
    product.add_option_value("size", "XL")

    (added,) = drain(product)
    assert (added.option_name, added.value) == ("Size", "XL")
    assert [(o.name, o.values) for o in product.options] == [
        ("Size", ("S", "M", "L", "XL")),
        ("Color", ("Red", "Blue")),
    ]


@pytest.mark.parametrize(
    ("name", "values"),
    [("", ["S"]), ("Size", []), ("Material", ["Silk", "silk"]), ("Material", [" "])],
)
def test_malformed_options_are_refused(tenant_id: UUID, name: str, values: list[str]):
    product = shirt(tenant_id)
    with pytest.raises(InvalidOption) as exc:
        product.add_option(name, values)
    assert exc.value.status == 422


def test_option_conflicts(tenant_id: UUID):
    product = shirt(tenant_id)
    with pytest.raises(DuplicateOption) as dup:
        product.add_option("SIZE", ["XS"])
    assert dup.value.status == 409
    with pytest.raises(DuplicateOptionValue):
        product.add_option_value("Color", "red")
    with pytest.raises(UnknownOption):
        product.add_option_value("Material", "Silk")


def test_options_are_locked_once_skus_exist(tenant_id: UUID):
    product, _, _ = sellable_shirt(tenant_id)
    with pytest.raises(OptionsLocked) as exc:
        product.add_option("Fit", ["Slim", "Regular"])
    assert exc.value.status == 409
    product.add_option_value("Color", "Green")  # new values stay possible
    assert product.option("color") is not None


# -- SKUs -------------------------------------------------------------------------------------


def test_sku_added_carries_what_sku_created_needs(tenant_id: UUID):
    product = shirt(tenant_id)

    sku_id = product.add_sku(
        code=" OX-M-RED ",
        price=usd("39.90"),
        compare_at_price=usd("49.90"),
        option_values={"color": "RED", "size": "m"},
        barcode="0123456789012",
        track_inventory=True,
    )

    (added,) = drain(product)
    assert type(added).__name__ == "SkuAdded"
    assert added.sku_id == sku_id == sku_id_for(product.id, "ox-m-red")
    assert added.code == "OX-M-RED"
    assert added.option_values == {"Size": "M", "Color": "Red"}  # canonical spelling and order
    assert (added.price_amount, added.currency) == (Decimal("39.90"), "USD")
    assert added.compare_at_amount == Decimal("49.90")
    assert (added.barcode, added.track_inventory) == ("0123456789012", True)
    assert product.sku(sku_id).price == usd("39.90")
    assert product.currency == "USD"


@pytest.mark.parametrize(
    "option_values",
    [
        {"Size": "M"},  # Color missing
        {"Size": "M", "Color": "Green"},  # not a value of Color
        {"Size": "M", "Color": "Red", "Fit": "Slim"},  # no such option
        {"Size": "M", "size": "L", "Color": "Red"},  # Size twice
    ],
)
def test_a_sku_names_one_existing_value_of_every_option(
    tenant_id: UUID, option_values: dict[str, str]
):
    product = shirt(tenant_id)
    with pytest.raises(InvalidOptionValues) as exc:
        product.add_sku(code="OX-1", price=usd("10"), option_values=option_values)
    assert exc.value.status == 422
    assert product.skus == {}


def test_sku_codes_and_variants_are_unique_within_the_product(tenant_id: UUID):
    product, _, _ = sellable_shirt(tenant_id)

    with pytest.raises(DuplicateSkuCode) as code_exc:
        product.add_sku(
            code="ox-m-red", price=usd("10"), option_values={"Size": "S", "Color": "Red"}
        )
    assert code_exc.value.status == 409
    with pytest.raises(DuplicateVariant):
        product.add_sku(code="OX-2", price=usd("10"), option_values={"Size": "M", "Color": "Red"})
    assert drain(product) == []


def test_a_product_without_options_has_a_single_sku(tenant_id: UUID):
    product = Product.create(tenant_id=tenant_id, name="Gift Card")
    product.add_sku(code="GIFT", price=usd("25"))
    with pytest.raises(DuplicateVariant):
        product.add_sku(code="GIFT-2", price=usd("50"))


@pytest.mark.parametrize(
    ("price", "compare_at", "error", "code"),
    [
        (usd("-1"), None, InvalidPrice, "invalid_price"),
        (usd("20"), usd("20"), InvalidCompareAtPrice, "invalid_compare_at_price"),
        (usd("20"), usd("19.99"), InvalidCompareAtPrice, "invalid_compare_at_price"),
        (usd("20"), Money.of("30", "EUR"), CurrencyMismatch, "currency_mismatch"),
    ],
)
def test_price_rules(
    tenant_id: UUID, price: Money, compare_at: Money | None, error: type[Exception], code: str
):
    product = Product.create(tenant_id=tenant_id, name="Mug")
    with pytest.raises(error) as exc:
        product.add_sku(code="MUG", price=price, compare_at_price=compare_at)
    assert (exc.value.status, exc.value.code) == (422, code)  # type: ignore[attr-defined]


def test_a_free_sku_is_allowed(tenant_id: UUID):
    product = Product.create(tenant_id=tenant_id, name="Sticker")
    product.add_sku(code="STICKER", price=usd("0"))
    assert product.active_skus[0].price.is_zero


def test_all_prices_of_a_product_share_one_currency(tenant_id: UUID):
    product, _, _ = sellable_shirt(tenant_id)
    with pytest.raises(CurrencyMismatch):
        product.add_sku(
            code="OX-S-RED",
            price=Money.of("35", "EUR"),
            option_values={"Size": "S", "Color": "Red"},
        )


@pytest.mark.parametrize("code", ["", " ", "-OX", "OX 1", "OX#1", "X" * 101])
def test_invalid_sku_codes(tenant_id: UUID, code: str):
    product = Product.create(tenant_id=tenant_id, name="Mug")
    with pytest.raises(InvalidSkuCode):
        product.add_sku(code=code, price=usd("5"))


def test_invalid_barcode(tenant_id: UUID):
    product = Product.create(tenant_id=tenant_id, name="Mug")
    with pytest.raises(InvalidBarcode):
        product.add_sku(code="MUG", price=usd("5"), barcode="12 34")


def test_unknown_sku_is_not_found(tenant_id: UUID):
    product, _, _ = sellable_shirt(tenant_id)
    with pytest.raises(SkuNotFound) as exc:
        product.change_price(uuid4(), usd("1"))
    assert (exc.value.status, exc.value.code) == (404, "sku_not_found")


# -- prices -----------------------------------------------------------------------------------


def test_price_changed_records_old_and_new(tenant_id: UUID):
    product, red_m, _ = sellable_shirt(tenant_id)

    product.change_price(red_m, usd("29.90"))

    (changed,) = drain(product)
    assert type(changed).__name__ == "PriceChanged"
    assert changed.sku_id == red_m
    assert (changed.price_amount, changed.previous_price_amount) == (
        Decimal("29.90"),
        Decimal("39.90"),
    )
    # The compare-at price is kept by default.
    assert changed.compare_at_amount == changed.previous_compare_at_amount == Decimal("49.90")
    assert (changed.currency, changed.product_status) == ("USD", "draft")
    assert product.sku(red_m).price == usd("29.90")


def test_compare_at_price_can_be_changed_or_removed(tenant_id: UUID):
    product, red_m, _ = sellable_shirt(tenant_id)

    with pytest.raises(InvalidCompareAtPrice):
        product.change_price(red_m, usd("59.90"))  # above the kept compare-at price
    product.change_price(red_m, usd("59.90"), compare_at_price=None)
    assert product.sku(red_m).compare_at_price is None
    product.change_price(red_m, usd("59.90"), compare_at_price=usd("79.90"))
    assert product.sku(red_m).compare_at_price == usd("79.90")


def test_an_unchanged_price_records_nothing(tenant_id: UUID):
    product, red_m, _ = sellable_shirt(tenant_id)
    product.change_price(red_m, usd("39.90"))
    assert drain(product) == []


def test_a_price_cannot_change_currency(tenant_id: UUID):
    product, red_m, _ = sellable_shirt(tenant_id)
    with pytest.raises(CurrencyMismatch):
        product.change_price(red_m, Money.of("39.90", "EUR"))


def test_a_price_change_on_a_live_product_is_live_at_once(tenant_id: UUID):
    product, red_m, _ = sellable_shirt(tenant_id)
    product.publish()
    drain(product)

    product.change_price(red_m, usd("35.00"))

    (changed,) = drain(product)
    assert changed.product_status == "published"
    assert not product.has_unpublished_changes
    product.publish()
    assert drain(product) == []  # nothing waits for a new version


# -- publish / unpublish / archive ------------------------------------------------------------


def test_publishing_needs_an_active_sku(tenant_id: UUID):
    product = shirt(tenant_id)
    with pytest.raises(NoPurchasableSku) as exc:
        product.publish()
    assert (exc.value.status, exc.value.code) == (409, "no_purchasable_sku")

    sku_id = product.add_sku(
        code="OX-S-RED", price=usd("10"), option_values={"Size": "S", "Color": "Red"}
    )
    product.deactivate_sku(sku_id)
    with pytest.raises(NoPurchasableSku):
        product.publish()
    assert product.status is ProductStatus.DRAFT


def test_published_event_is_a_full_snapshot_of_active_skus(tenant_id: UUID):
    clothing = Category.create(tenant_id=tenant_id, name="Clothing")
    brand_id, publisher = uuid4(), uuid4()
    product = shirt(
        tenant_id,
        description="Cotton.",
        brand_id=brand_id,
        brand_name="Acme",
        category_path=clothing.path,
        tags=["cotton"],
        images=["https://cdn.example.com/ox.jpg"],
    )
    red_m = product.add_sku(
        code="OX-M-RED",
        price=usd("39.90"),
        compare_at_price=usd("49.90"),
        option_values={"Size": "M", "Color": "Red"},
    )
    retired = product.add_sku(
        code="OX-L-RED", price=usd("39.90"), option_values={"Size": "L", "Color": "Red"}
    )
    product.deactivate_sku(retired)
    drain(product)

    product.publish(by=publisher)

    (published,) = drain(product)
    assert type(published).__name__ == "Published"
    assert (published.version, published.previous_status) == (1, "draft")
    assert published.published_by == publisher
    assert (published.name, published.slug, published.description) == (
        "Oxford Shirt",
        "oxford-shirt",
        "Cotton.",
    )
    assert (published.brand_id, published.brand_name) == (brand_id, "Acme")
    assert published.category_id == clothing.id
    assert [ref["name"] for ref in published.category_path] == ["Clothing"]
    assert (published.tags, published.images) == (["cotton"], ["https://cdn.example.com/ox.jpg"])
    assert published.options == [
        {"name": "Size", "values": ["S", "M", "L"]},
        {"name": "Color", "values": ["Red", "Blue"]},
    ]
    assert published.skus == [
        {
            "sku_id": red_m,
            "code": "OX-M-RED",
            "option_values": {"Size": "M", "Color": "Red"},
            "price_amount": Decimal("39.90"),
            "currency": "USD",
            "compare_at_amount": Decimal("49.90"),
            "barcode": None,
            "track_inventory": True,
        }
    ]
    assert product.is_published
    assert product.published_version == 1


def test_edits_to_a_live_product_wait_for_the_next_version(tenant_id: UUID):
    product, red_m, blue_l = sellable_shirt(tenant_id)
    product.publish()
    drain(product)

    product.publish()  # nothing changed: a retried request records nothing
    assert drain(product) == []

    product.update_details(name="Oxford Shirt Classic")
    product.deactivate_sku(blue_l)
    assert product.has_unpublished_changes
    assert product.is_published  # the live version is untouched until publish
    assert names(drain(product)) == ["DetailsUpdated", "SkuDeactivated"]

    product.publish()
    (published,) = drain(product)
    assert (published.version, published.previous_status) == (2, "published")
    assert published.name == "Oxford Shirt Classic"
    assert [s["sku_id"] for s in published.skus] == [red_m]


def test_unpublish_and_publish_again(tenant_id: UUID):
    product, _, _ = sellable_shirt(tenant_id)
    product.publish()
    drain(product)
    user = uuid4()

    product.unpublish(by=user)
    (unpublished,) = drain(product)
    assert (type(unpublished).__name__, unpublished.unpublished_by) == ("Unpublished", user)
    assert product.status is ProductStatus.DRAFT

    product.publish()
    (published,) = drain(product)
    assert (published.version, published.previous_status) == (2, "draft")


def test_unpublishing_a_draft_is_refused(tenant_id: UUID):
    product, _, _ = sellable_shirt(tenant_id)
    with pytest.raises(ProductTransitionNotAllowed) as exc:
        product.unpublish()
    assert (exc.value.status, exc.value.code) == (409, "product_transition_not_allowed")


@pytest.mark.parametrize("published_first", [False, True])
def test_archive_is_terminal(tenant_id: UUID, published_first: bool):
    product, _, _ = sellable_shirt(tenant_id)
    if published_first:
        product.publish()
    drain(product)
    user = uuid4()

    product.archive(by=user)

    (archived,) = drain(product)
    assert (type(archived).__name__, archived.archived_by) == ("Archived", user)
    assert archived.previous_status == ("published" if published_first else "draft")
    assert product.status is ProductStatus.ARCHIVED


@pytest.mark.parametrize(
    "command",
    [
        lambda p, sku: p.publish(),
        lambda p, sku: p.unpublish(),
        lambda p, sku: p.archive(),
        lambda p, sku: p.update_details(name="New"),
        lambda p, sku: p.change_brand(None),
        lambda p, sku: p.change_category(()),
        lambda p, sku: p.add_option_value("Size", "XL"),
        lambda p, sku: p.add_sku(code="NEW", price=usd("1"), option_values={"Size": "S"}),
        lambda p, sku: p.change_price(sku, usd("1")),
        lambda p, sku: p.deactivate_sku(sku),
        lambda p, sku: p.activate_sku(sku),
    ],
)  # fmt: skip
def test_an_archived_product_refuses_every_command(tenant_id: UUID, command: Any):
    product, red_m, _ = sellable_shirt(tenant_id)
    product.archive()
    drain(product)

    with pytest.raises(ProductTransitionNotAllowed) as exc:
        command(product, red_m)
    assert exc.value.status == 409
    assert drain(product) == []


def test_reactivating_a_sku(tenant_id: UUID):
    product, red_m, _ = sellable_shirt(tenant_id)
    product.deactivate_sku(red_m)
    product.deactivate_sku(red_m)
    product.activate_sku(red_m)
    assert names(drain(product)) == ["SkuDeactivated", "SkuActivated"]
    assert product.sku(red_m).active


# -- persistence ------------------------------------------------------------------------------


def test_every_event_survives_the_real_transcoder(tenant_id: UUID, roundtrip: Any):
    clothing = Category.create(tenant_id=tenant_id, name="Clothing")
    product = Product.create(
        tenant_id=tenant_id, name="Oxford Shirt", category_path=clothing.path, tags=["cotton"]
    )
    product.add_option("Size", ["S", "M"])
    product.add_option_value("Size", "L")
    red = product.add_sku(
        code="OX-S", price=usd("39.90"), compare_at_price=usd("49.90"), option_values={"Size": "S"}
    )
    product.add_sku(code="OX-L", price=usd("41.00"), option_values={"Size": "L"})
    product.change_brand(uuid4(), "Acme")
    product.publish()
    product.change_price(red, usd("35.50"), compare_at_price=None)
    product.update_details(name="Oxford Shirt II", tags=["cotton", "slim"])
    product.deactivate_sku(red)
    product.publish()
    product.unpublish()
    product.archive()

    reloaded = roundtrip(product)

    assert reloaded.version == product.version
    assert reloaded.status is ProductStatus.ARCHIVED
    assert reloaded.published_version == 2
    assert reloaded.name == "Oxford Shirt II"
    assert reloaded.category_path == product.category_path
    assert reloaded.options == product.options
    assert reloaded.skus == product.skus
    assert reloaded.sku(red).price == usd("35.50")
    assert reloaded.sku(red).compare_at_price is None
    assert not reloaded.sku(red).active
