"""The catalog application on the in-memory event store (and in-memory unique keys)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from catalog.application.app import CLAIM_GRACE_SECONDS, CatalogApp, OptionSpec
from catalog.application.errors import SkuCodeTaken, SlugTaken
from catalog.application.memory_keys import InMemoryUniqueKeys
from catalog.domain.errors import CategoryCycle
from catalog.domain.product import Product
from catalog.integration.outbound import translate
from shop_contracts.events.catalog import (
    PriceChanged,
    ProductPublished,
    ProductUnpublished,
    ProductUpdated,
    SkuCreated,
)
from shop_contracts.money import Money
from shop_runtime.aggregate import NotFound


@pytest.fixture
def catalog() -> CatalogApp:
    return CatalogApp.in_memory()


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_category_tree_paths_and_cycles(catalog: CatalogApp, tenant_id: UUID) -> None:
    root = catalog.create_category(tenant_id, name="Clothing")
    men = catalog.create_category(tenant_id, name="Men", parent_id=root.id)
    shirts = catalog.create_category(tenant_id, name="Shirts", parent_id=men.id)
    assert [ref.name for ref in shirts.path] == ["Clothing", "Men", "Shirts"]
    with pytest.raises(CategoryCycle):
        catalog.move_category(tenant_id, root.id, shirts.id)
    with pytest.raises(CategoryCycle):
        catalog.move_category(tenant_id, root.id, root.id)
    other = catalog.create_category(tenant_id, name="Sale")
    moved = catalog.move_category(tenant_id, men.id, other.id)
    assert [ref.name for ref in moved.path] == ["Sale", "Men"]
    with pytest.raises(NotFound):
        catalog.create_category(uuid4(), name="X", parent_id=root.id)


def test_slugs_are_unique_per_tenant_and_kind(catalog: CatalogApp, tenant_id: UUID) -> None:
    catalog.create_brand(tenant_id, name="Acme")
    with pytest.raises(SlugTaken):
        catalog.create_brand(tenant_id, name="ACME")  # same slug "acme"
    catalog.create_brand(uuid4(), name="Acme")  # another store
    catalog.create_category(tenant_id, name="Acme")  # another kind
    catalog.create_product(tenant_id, name="Mug")
    with pytest.raises(SlugTaken):
        catalog.create_product(tenant_id, name="Other", slug="mug")


def test_a_failed_create_releases_its_claim(catalog: CatalogApp, tenant_id: UUID) -> None:
    with pytest.raises(Exception, match="option"):
        catalog.create_product(tenant_id, name="Mug", options=[OptionSpec("Color", [])])
    assert catalog.create_product(tenant_id, name="Mug").slug == "mug"


def test_an_orphan_claim_is_taken_over_after_the_grace_period(tenant_id: UUID) -> None:
    keys = InMemoryUniqueKeys()
    catalog = CatalogApp.in_memory()
    catalog.unique_keys = keys
    ghost = uuid4()  # claimed, never saved (the process died)
    keys.claim(tenant_id, "brand_slug", "acme", owner_id=ghost, aggregate_id=ghost)
    with pytest.raises(SlugTaken):
        catalog.create_brand(tenant_id, name="Acme")
    keys.offset = CLAIM_GRACE_SECONDS + 1
    assert catalog.create_brand(tenant_id, name="Acme").slug == "acme"


def test_sku_codes_are_unique_per_tenant(catalog: CatalogApp, tenant_id: UUID) -> None:
    a = catalog.create_product(tenant_id, name="A")
    b = catalog.create_product(tenant_id, name="B")
    catalog.add_sku(tenant_id, a.id, code="SKU-1", price=eur("5"))
    with pytest.raises(SkuCodeTaken):
        catalog.add_sku(tenant_id, b.id, code="sku-1", price=eur("5"))
    other = uuid4()
    c = catalog.create_product(other, name="A")
    catalog.add_sku(other, c.id, code="SKU-1", price=eur("5"))


def test_another_tenants_product_is_not_found(catalog: CatalogApp, tenant_id: UUID) -> None:
    product = catalog.create_product(tenant_id, name="Mug")
    with pytest.raises(NotFound):
        catalog.publish(uuid4(), product.id)
    with pytest.raises(NotFound):
        catalog.add_sku(uuid4(), product.id, code="X", price=eur("1"))


def test_lifecycle_translates_to_public_events(catalog: CatalogApp, tenant_id: UUID) -> None:
    root = catalog.create_category(tenant_id, name="Home")
    leaf = catalog.create_category(tenant_id, name="Mugs", parent_id=root.id)
    brand = catalog.create_brand(tenant_id, name="Acme")
    product = catalog.create_product(
        tenant_id,
        name="Camp Mug",
        brand_id=brand.id,
        category_id=leaf.id,
        options=[OptionSpec("Color", ["White", "Black"])],
    )
    white = catalog.add_sku(
        tenant_id, product.id, code="MUG-W", price=eur("12"), option_values={"Color": "White"}
    )
    catalog.publish(tenant_id, product.id)
    catalog.change_price(tenant_id, product.id, white, price=eur("10"))
    catalog.unpublish(tenant_id, product.id)
    catalog.publish(tenant_id, product.id)

    public = [
        translate(n)
        for n in (
            catalog.mapper.to_domain_event(s)
            for s in catalog.recorder.select_notifications(start=1, limit=100)
        )
    ]
    public = [p for p in public if p is not None]
    assert [type(p) for p in public] == [
        SkuCreated,
        ProductPublished,
        PriceChanged,
        ProductUnpublished,
        ProductUpdated,
    ]
    first = public[1]
    assert isinstance(first, ProductPublished)
    assert first.brand_id == brand.id and first.brand == "Acme"
    assert first.category_ids == [root.id, leaf.id]
    assert first.category_path == ["Home", "Mugs"]
    again = public[4]
    assert isinstance(again, ProductUpdated)
    assert again.product_version == 2
    assert again.skus[0].price == eur("10")
    assert catalog.get_product(tenant_id, product.id).status.value == "published"
    assert isinstance(catalog.get_product(tenant_id, product.id), Product)
