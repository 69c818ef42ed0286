"""Each stored product event alone is enough to build its public contract payload.

The relay translates one stored event at a time without loading the aggregate; these tests do the
same from the events the domain records, and validate against the contract models (which forbid
missing or unknown fields).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from catalog.domain.category import Category
from catalog.domain.product import Product
from shop_contracts.events.catalog import (
    PriceChanged,
    ProductArchived,
    ProductPublished,
    ProductUpdated,
    PublishedSku,
    SkuCreated,
)
from shop_contracts.money import Money


def money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money.of(amount, currency)


def published_payload(e: Any) -> ProductPublished | ProductUpdated:
    model = ProductPublished if e.version == 1 else ProductUpdated
    return model(
        product_id=e.originator_id,
        product_version=e.version,
        name=e.name,
        slug=e.slug,
        description=e.description,
        category_id=e.category_id,
        category_path=[ref["name"] for ref in e.category_path],
        brand=e.brand_name,
        tags=e.tags,
        images=e.images,
        skus=[
            PublishedSku(
                sku_id=s["sku_id"],
                sku=s["code"],
                price=Money.of(s["price_amount"], s["currency"]),
                compare_at_price=money(s["compare_at_amount"], s["currency"]),
                attributes=s["option_values"],
            )
            for s in e.skus
        ],
    )


def test_every_public_product_event_translates_alone(tenant_id: UUID):
    category = Category.create(tenant_id=tenant_id, name="Mugs")
    archiver = uuid4()
    product = Product.create(
        tenant_id=tenant_id,
        name="Camp Mug",
        brand_id=uuid4(),
        brand_name="Acme",
        category_path=category.path,
    )
    product.add_option("Color", ["White", "Black"])
    white = product.add_sku(
        code="MUG-W", price=Money.of("12.00", "EUR"), option_values={"Color": "White"}
    )
    product.publish()
    product.change_price(white, Money.of("10.00", "EUR"), compare_at_price=Money.of("12.00", "EUR"))
    product.add_sku(
        code="MUG-B",
        price=Money.of("12.00", "EUR"),
        option_values={"Color": "Black"},
        barcode="400-1",
    )
    product.publish()
    product.archive(by=archiver)

    payloads: list[Any] = []
    for e in product.collect_events():
        kind = type(e).__name__
        if kind == "Published":
            payloads.append(published_payload(e))
        elif kind == "SkuAdded":
            payloads.append(
                SkuCreated(
                    product_id=e.originator_id,
                    sku_id=e.sku_id,
                    sku=e.code,
                    price=Money.of(e.price_amount, e.currency),
                    attributes=e.option_values,
                    barcode=e.barcode,
                    track_inventory=e.track_inventory,
                )
            )
        elif kind == "PriceChanged":
            payloads.append(
                PriceChanged(
                    product_id=e.originator_id,
                    sku_id=e.sku_id,
                    price=Money.of(e.price_amount, e.currency),
                    previous_price=Money.of(e.previous_price_amount, e.currency),
                    compare_at_price=money(e.compare_at_amount, e.currency),
                )
            )
        elif kind == "Archived":
            payloads.append(ProductArchived(product_id=e.originator_id, archived_by=e.archived_by))

    assert [type(p).__name__ for p in payloads] == [
        "SkuCreated",
        "ProductPublished",
        "PriceChanged",
        "SkuCreated",
        "ProductUpdated",
        "ProductArchived",
    ]
    first, updated = payloads[1], payloads[4]
    assert first.category_path == ["Mugs"]
    assert first.brand == "Acme"
    assert [s.price for s in first.skus] == [Money.of("12.00", "EUR")]
    assert updated.product_version == 2
    assert {s.sku: s.price for s in updated.skus} == {
        "MUG-W": Money.of("10.00", "EUR"),
        "MUG-B": Money.of("12.00", "EUR"),
    }
    assert payloads[2].previous_price == Money.of("12.00", "EUR")
    assert payloads[5].archived_by == archiver
