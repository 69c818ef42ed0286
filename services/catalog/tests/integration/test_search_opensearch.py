"""Product search against the real OpenSearch of the local stack (deploy/local/infra.sh up).

Every test works under its own index prefix and deletes its indices afterwards.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from catalog.adapters.search_index import SearchIndex, product_doc_id
from catalog.adapters.search_projector import SearchProjector
from catalog.adapters.search_query import SearchParams, SearchResult, search
from opensearchpy import AsyncOpenSearch
from shop_contracts import Envelope, registry
from shop_contracts.contract_models import ContractEvent
from shop_contracts.events.catalog import (
    PriceChanged,
    ProductArchived,
    ProductPublished,
    ProductUpdated,
    PublishedSku,
    SkuCreated,
)
from shop_contracts.events.inventory import StockAdjusted
from shop_contracts.events.tenancy import TenantDeleted
from shop_contracts.money import Money

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:59200")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[AsyncOpenSearch]:
    client = AsyncOpenSearch(OPENSEARCH_URL, timeout=30)
    deadline = asyncio.get_running_loop().time() + 60
    while not await client.ping():
        if asyncio.get_running_loop().time() > deadline:
            await client.close()
            pytest.fail(f"OpenSearch is not up at {OPENSEARCH_URL} (deploy/local/infra.sh up)")
        await asyncio.sleep(1)
    yield client
    await client.close()


async def _new_index(client: AsyncOpenSearch) -> SearchIndex:
    index = SearchIndex(client, prefix=f"test_search_{uuid.uuid4().hex[:12]}_")
    await index.ensure_index()
    return index


@pytest.fixture
async def index(client: AsyncOpenSearch) -> AsyncIterator[SearchIndex]:
    index = await _new_index(client)
    yield index
    await index.drop()


# -- event builders ------------------------------------------------------------------------------


def wrap(
    event: ContractEvent,
    tenant: uuid.UUID,
    aggregate: uuid.UUID,
    version: int,
    minutes: float = 0,
) -> Envelope:
    producer = type(event).__module__.rsplit(".", 1)[-1]
    return registry.envelope_for(
        event,
        tenant_id=tenant,
        aggregate_id=aggregate,
        aggregate_version=version,
        producer=producer,
        occurred_at=T0 + timedelta(minutes=minutes),
    )


def sku(price: str, currency: str = "EUR", **attributes: str) -> PublishedSku:
    return PublishedSku(
        sku_id=uuid.uuid4(),
        sku=f"SKU-{uuid.uuid4().hex[:6]}",
        price=Money.of(price, currency),
        attributes=attributes,
    )


def snapshot(
    tenant: uuid.UUID,
    product: uuid.UUID,
    name: str,
    skus: Sequence[PublishedSku],
    *,
    version: int = 1,
    minutes: float = 0,
    brand: str | None = None,
    category: uuid.UUID | None = None,
    category_path: Sequence[str] = (),
    description: str | None = None,
    updated: bool = False,
) -> Envelope:
    model = ProductUpdated if updated else ProductPublished
    event = model(
        product_id=product,
        product_version=version,
        name=name,
        slug=name.lower().replace(" ", "-"),
        description=description,
        category_id=category,
        category_path=list(category_path),
        brand=brand,
        skus=list(skus),
    )
    return wrap(event, tenant, product, version, minutes)


def stock(
    tenant: uuid.UUID,
    sku_id: uuid.UUID,
    available: int,
    version: int,
    *,
    warehouse: uuid.UUID | None = None,
    minutes: float = 0,
) -> Envelope:
    warehouse = warehouse or uuid.UUID(int=1)
    event = StockAdjusted(
        sku_id=sku_id,
        warehouse_id=warehouse,
        delta=available,
        on_hand=max(available, 0),
        reserved=0,
        available=available,
        reason="count",
    )
    return wrap(event, tenant, uuid.uuid5(sku_id, str(warehouse)), version, minutes)


async def find(index: SearchIndex, tenant: uuid.UUID, **params: Any) -> SearchResult:
    return await search(index.client, tenant, SearchParams(**params), prefix=index.prefix)


def names(result: SearchResult) -> list[str]:
    return [item.name for item in result.items]


# -- a populated catalog shared by the read-only tests -------------------------------------------


class Catalog:
    a = uuid.uuid4()
    b = uuid.uuid4()
    shirts, pants, knit = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    p_classic, p_linen, p_jeans, p_sweater, p_sneakers = (uuid.uuid4() for _ in range(5))
    p_b_classic = uuid.uuid4()
    classic_red = sku("19.90", color="red", size="M")
    classic_blue = sku("24.90", color="blue", size="L")
    linen_white = sku("49.00", color="white", size="M")
    jeans_blue = sku("79.00", color="blue", size="32")
    sweater_red = sku("120.00", color="red", size="M")
    sneakers = sku("59.99", color="white", size="42")
    b_classic = sku("9.99", color="red", size="M")

    def envelopes(self) -> list[Envelope]:
        a, b = self.a, self.b
        shirts = {"category": self.shirts, "category_path": ["Apparel", "Shirts"]}
        return [
            snapshot(
                a,
                self.p_classic,
                "Classic Cotton Shirt",
                [self.classic_red, self.classic_blue],
                brand="Acme",
                description="A soft everyday shirt",
                minutes=1,
                **shirts,
            ),
            snapshot(
                a,
                self.p_linen,
                "Linen Shirt",
                [self.linen_white],
                brand="Bravo",
                minutes=2,
                **shirts,
            ),
            snapshot(
                a,
                self.p_jeans,
                "Denim Jeans",
                [self.jeans_blue],
                brand="Acme",
                category=self.pants,
                category_path=["Apparel", "Pants"],
                minutes=3,
            ),
            snapshot(
                a,
                self.p_sweater,
                "Wool Sweater",
                [self.sweater_red],
                brand="Bravo",
                category=self.knit,
                category_path=["Apparel", "Knitwear"],
                minutes=4,
            ),
            snapshot(
                a, self.p_sneakers, "Canvas Sneakers", [self.sneakers], brand="Acme", minutes=5
            ),
            wrap(ProductArchived(product_id=self.p_sneakers), a, self.p_sneakers, 2, 6),
            snapshot(
                b,
                self.p_b_classic,
                "Classic Cotton Shirt",
                [self.b_classic],
                brand="Acme",
                minutes=1,
                **shirts,
            ),
            stock(a, self.classic_red.sku_id, 5, 1, minutes=7),
            stock(a, self.classic_blue.sku_id, 0, 1, minutes=7),
            stock(a, self.linen_white.sku_id, 3, 1, minutes=7),
            stock(a, self.jeans_blue.sku_id, 2, 1, minutes=8),
            stock(a, self.sneakers.sku_id, 1, 1, minutes=9),
            stock(b, self.b_classic.sku_id, 4, 1, minutes=2),
        ]


@pytest.fixture(scope="module")
async def catalog(client: AsyncOpenSearch) -> AsyncIterator[tuple[SearchIndex, Catalog]]:
    index = await _new_index(client)
    data = Catalog()
    projector = SearchProjector(index)
    envelopes = data.envelopes()
    await projector.apply(envelopes[:7])  # products first, stock in a later batch
    await projector.apply(envelopes[7:])
    await index.refresh()
    yield index, data
    await index.drop()


# -- search behaviour ----------------------------------------------------------------------------


async def test_a_typo_still_finds_the_shirts(catalog: tuple[SearchIndex, Catalog]) -> None:
    index, data = catalog
    result = await find(index, data.a, q="shrit")
    assert sorted(names(result)) == ["Classic Cotton Shirt", "Linen Shirt"]
    assert result.total == 2
    assert {item.product_id for item in result.items} == {data.p_classic, data.p_linen}


async def test_the_exact_name_ranks_first(catalog: tuple[SearchIndex, Catalog]) -> None:
    index, data = catalog
    result = await find(index, data.a, q="linen shirt")
    assert names(result)[0] == "Linen Shirt"
    # Words spread over brand and name match too.
    assert names(await find(index, data.a, q="acme jeans")) == ["Denim Jeans"]


async def test_tenants_never_see_each_others_products(
    catalog: tuple[SearchIndex, Catalog],
) -> None:
    index, data = catalog
    in_a = await find(index, data.a, q="Classic Cotton Shirt")
    in_b = await find(index, data.b, q="Classic Cotton Shirt")
    assert [i.product_id for i in in_a.items] == [data.p_classic]
    assert [i.product_id for i in in_b.items] == [data.p_b_classic]
    assert in_b.items[0].price_min == Decimal("9.99")
    everything_b = await find(index, data.b)
    assert everything_b.total == 1
    assert everything_b.facets is not None
    assert [(f.value, f.count) for f in everything_b.facets.brands] == [("Acme", 1)]
    assert (await find(index, uuid.uuid4(), q="shirt")).total == 0


async def test_facet_counts(catalog: tuple[SearchIndex, Catalog]) -> None:
    index, data = catalog
    result = await find(index, data.a)
    assert result.total == 4  # the archived sneakers are gone
    facets = result.facets
    assert facets is not None
    assert {(f.value, f.count) for f in facets.brands} == {("Acme", 2), ("Bravo", 2)}
    assert {f.value: f.count for f in facets.options["color"]} == {
        "red": 2,
        "blue": 2,
        "white": 1,
    }
    assert {(f.label, f.count) for f in facets.categories} == {
        ("Shirts", 2),
        ("Pants", 1),
        ("Knitwear", 1),
    }
    ranges = {(r.min, r.max): r.count for r in facets.price_ranges if r.count}
    assert ranges == {
        (Decimal(10), Decimal(25)): 1,
        (Decimal(25), Decimal(50)): 1,
        (Decimal(50), Decimal(100)): 1,
        (Decimal(100), Decimal(250)): 1,
    }
    assert facets.in_stock == 3
    # Facets follow the filters.
    shirts = await find(index, data.a, category_id=data.shirts)
    assert shirts.facets is not None
    assert {(f.value, f.count) for f in shirts.facets.brands} == {("Acme", 1), ("Bravo", 1)}


async def test_price_filter_applies_to_sku_prices(catalog: tuple[SearchIndex, Catalog]) -> None:
    index, data = catalog
    between = await find(index, data.a, price_min="20", price_max="50")
    # The classic shirt's blue SKU (24.90) is in range although its cheapest SKU is not.
    assert sorted(names(between)) == ["Classic Cotton Shirt", "Linen Shirt"]
    # ...but that SKU is out of stock: price and stock must hold for the same SKU.
    in_stock = await find(index, data.a, price_min="20", price_max="50", in_stock=True)
    assert names(in_stock) == ["Linen Shirt"]
    assert names(await find(index, data.a, price_min="79.00", price_max="79.00")) == ["Denim Jeans"]


async def test_stock_and_option_filters(catalog: tuple[SearchIndex, Catalog]) -> None:
    index, data = catalog
    assert sorted(names(await find(index, data.a, in_stock=True))) == [
        "Classic Cotton Shirt",
        "Denim Jeans",
        "Linen Shirt",
    ]
    assert sorted(names(await find(index, data.a, options=["color:red"]))) == [
        "Classic Cotton Shirt",
        "Wool Sweater",
    ]
    assert names(await find(index, data.a, options=["color:red"], in_stock=True)) == [
        "Classic Cotton Shirt"
    ]
    # Values of one option are alternatives; two options must hold on one SKU.
    assert len((await find(index, data.a, options=["color:red", "color:white"])).items) == 3
    assert (await find(index, data.a, options=["color:blue", "size:M"])).total == 0


async def test_sort_orders(catalog: tuple[SearchIndex, Catalog]) -> None:
    index, data = catalog
    by_price = ["Classic Cotton Shirt", "Linen Shirt", "Denim Jeans", "Wool Sweater"]
    assert names(await find(index, data.a, sort="price_asc")) == by_price
    assert names(await find(index, data.a, sort="price_desc")) == by_price[::-1]
    assert names(await find(index, data.a, sort="name")) == sorted(by_price)
    assert names(await find(index, data.a, sort="newest")) == [
        "Wool Sweater",
        "Denim Jeans",
        "Linen Shirt",
        "Classic Cotton Shirt",
    ]


async def test_pagination(catalog: tuple[SearchIndex, Catalog]) -> None:
    index, data = catalog
    first = await find(index, data.a, sort="name", size=3)
    second = await find(index, data.a, sort="name", size=3, page=2)
    assert names(first) == ["Classic Cotton Shirt", "Denim Jeans", "Linen Shirt"]
    assert names(second) == ["Wool Sweater"]
    assert (first.total, first.page.total_pages, first.page.has_next) == (4, 2, True)
    assert second.page.has_next is False


async def test_the_response_says_how_fresh_the_index_is(
    catalog: tuple[SearchIndex, Catalog],
) -> None:
    index, data = catalog
    result = await find(index, data.a)
    assert result.index_freshness.last_event_at == T0 + timedelta(minutes=9)
    assert result.index_freshness.projected_at is not None
    never_indexed = await find(index, uuid.uuid4())
    assert never_indexed.index_freshness.last_event_at is None


# -- projector behaviour -------------------------------------------------------------------------


async def _source(index: SearchIndex, tenant: uuid.UUID, product: uuid.UUID) -> dict[str, Any]:
    found = await index.client.get(
        index=index.alias, id=product_doc_id(tenant, product), routing=str(tenant)
    )
    return dict(found["_source"]) | {"_version": found["_version"]}


async def test_an_inventory_event_takes_a_product_out_of_in_stock_search(
    index: SearchIndex,
) -> None:
    tenant, product = uuid.uuid4(), uuid.uuid4()
    tee = sku("15.00", color="black")
    projector = SearchProjector(index)
    await projector.apply(
        [snapshot(tenant, product, "Plain Tee", [tee]), stock(tenant, tee.sku_id, 2, 1)]
    )
    await index.refresh()
    assert names(await find(index, tenant, in_stock=True)) == ["Plain Tee"]

    await projector.apply([stock(tenant, tee.sku_id, 0, 2, minutes=5)])
    await index.refresh()
    assert (await find(index, tenant, in_stock=True)).total == 0
    still_listed = await find(index, tenant, q="tee")
    assert [(i.name, i.in_stock) for i in still_listed.items] == [("Plain Tee", False)]


async def test_availability_sums_warehouses_each_under_its_own_version(
    index: SearchIndex,
) -> None:
    tenant, product = uuid.uuid4(), uuid.uuid4()
    tee = sku("15.00")
    north, south = uuid.uuid4(), uuid.uuid4()
    projector = SearchProjector(index)
    await projector.apply([snapshot(tenant, product, "Plain Tee", [tee])])
    await projector.apply(
        [
            stock(tenant, tee.sku_id, 3, 4, warehouse=north),
            stock(tenant, tee.sku_id, 2, 1, warehouse=south),
            stock(tenant, tee.sku_id, 9, 3, warehouse=north),  # older than version 4: ignored
        ]
    )
    source = await _source(index, tenant, product)
    assert source["skus"][0]["available"] == 5
    assert source["in_stock"] is True


async def test_duplicate_and_stale_events_change_nothing(index: SearchIndex) -> None:
    tenant, product = uuid.uuid4(), uuid.uuid4()
    tee = sku("15.00")
    projector = SearchProjector(index)
    batch = [
        snapshot(tenant, product, "Plain Tee", [tee], version=1),
        snapshot(tenant, product, "Plain Tee v2", [tee], version=3, minutes=1, updated=True),
        stock(tenant, tee.sku_id, 4, 2),
    ]
    await projector.apply(batch)
    before = await _source(index, tenant, product)
    assert (before["name"], before["source_version"], before["skus"][0]["available"]) == (
        "Plain Tee v2",
        3,
        4,
    )

    # The same batch again (a redelivery), and again re-wrapped with new event ids (a relay
    # re-send): no document changes, not even its _version.
    again = await projector.apply(batch)
    resent = [e.model_copy(update={"event_id": uuid.uuid4()}) for e in batch]
    await projector.apply(resent)
    assert again.written == 0
    assert await _source(index, tenant, product) == before

    # Stale events: an older price, an older stock level.
    stale_price = PriceChanged(
        product_id=product,
        sku_id=tee.sku_id,
        price=Money.of("1.00", "EUR"),
        previous_price=Money.of("15.00", "EUR"),
    )
    await projector.apply([wrap(stale_price, tenant, product, 2), stock(tenant, tee.sku_id, 0, 1)])
    assert await _source(index, tenant, product) == before


async def test_price_change_and_archive(index: SearchIndex) -> None:
    tenant, product = uuid.uuid4(), uuid.uuid4()
    cheap, dear = sku("10.00"), sku("30.00")
    projector = SearchProjector(index)
    change = PriceChanged(
        product_id=product,
        sku_id=dear.sku_id,
        price=Money.of("5.50", "EUR"),
        previous_price=Money.of("30.00", "EUR"),
    )
    await projector.apply(
        [snapshot(tenant, product, "Mug", [cheap, dear]), wrap(change, tenant, product, 2, 1)]
    )
    await index.refresh()
    (item,) = (await find(index, tenant, q="mug")).items
    assert (item.price_min, item.price_max) == (Decimal("5.50"), Decimal("10.00"))
    assert names(await find(index, tenant, price_max="6")) == ["Mug"]

    await projector.apply([wrap(ProductArchived(product_id=product), tenant, product, 3, 2)])
    await index.refresh()
    assert (await find(index, tenant, q="mug")).total == 0


async def test_availability_that_arrives_before_the_product_is_not_lost(
    index: SearchIndex,
) -> None:
    tenant = uuid.uuid4()
    projector = SearchProjector(index)
    # Unlinked: stock first, product later.
    first, first_sku = uuid.uuid4(), sku("12.00")
    await projector.apply([stock(tenant, first_sku.sku_id, 7, 1)])
    # Linked by SkuCreated while still a draft: the level lands in an unpublished stub.
    second, second_sku = uuid.uuid4(), sku("14.00")
    created = SkuCreated(
        product_id=second, sku_id=second_sku.sku_id, sku="DRAFT-1", price=second_sku.price
    )
    await projector.apply([wrap(created, tenant, second, 1)])
    await projector.apply([stock(tenant, second_sku.sku_id, 3, 1)])
    await index.refresh()
    assert (await find(index, tenant)).total == 0  # the stub is not searchable

    await projector.apply(
        [
            snapshot(tenant, first, "Early Bird", [first_sku]),
            snapshot(tenant, second, "Draft Owl", [second_sku], version=2),
        ]
    )
    await index.refresh()
    assert sorted(names(await find(index, tenant, in_stock=True))) == ["Draft Owl", "Early Bird"]


async def test_rebuild_swaps_the_alias_without_a_gap(index: SearchIndex) -> None:
    tenant = uuid.uuid4()
    projector = SearchProjector(index)
    products = [(uuid.uuid4(), sku(f"{10 + n}.00")) for n in range(30)]
    snapshots = [
        snapshot(tenant, product, f"Poster {n}", [s], minutes=n)
        for n, (product, s) in enumerate(products)
    ]
    await projector.apply([*snapshots, stock(tenant, products[0][1].sku_id, 1, 1)])
    await index.refresh()
    (old,) = await index.current_indices()

    totals: list[int] = []
    rebuild = asyncio.create_task(projector.rebuild(snapshots))
    # A level applied while the rebuild runs reaches the new index too.
    totals.append((await find(index, tenant, facets=False)).total)
    await projector.apply([stock(tenant, products[2][1].sku_id, 4, 1)])
    while not rebuild.done():
        totals.append((await find(index, tenant, facets=False)).total)
    new = await rebuild
    totals.append((await find(index, tenant, facets=False)).total)

    assert set(totals) == {30}, totals
    assert await index.current_indices() == [new] != [old]
    assert not await index.client.indices.exists(index=old)
    assert sorted(names(await find(index, tenant, in_stock=True))) == ["Poster 0", "Poster 2"]
    # The projector keeps writing through the alias after the swap.
    await projector.apply([stock(tenant, products[1][1].sku_id, 2, 1)])
    await index.refresh()
    assert sorted(names(await find(index, tenant, in_stock=True))) == [
        "Poster 0",
        "Poster 1",
        "Poster 2",
    ]


async def test_deleting_a_tenant_erases_its_documents_only(index: SearchIndex) -> None:
    doomed, kept = uuid.uuid4(), uuid.uuid4()
    doomed_sku, kept_sku = sku("5.00"), sku("5.00")
    doomed_product = uuid.uuid4()
    projector = SearchProjector(index)
    await projector.apply(
        [
            snapshot(doomed, doomed_product, "Lamp", [doomed_sku]),
            snapshot(kept, uuid.uuid4(), "Lamp", [kept_sku]),
            stock(doomed, doomed_sku.sku_id, 1, 1),
        ]
    )
    report = await projector.apply(
        [wrap(TenantDeleted(tenant_id=doomed), doomed, doomed, 2, minutes=10)]
    )
    assert report.tenants_deleted == 1
    # A late event of the deleted tenant does not bring anything back.
    late = await projector.apply(
        [snapshot(doomed, doomed_product, "Lamp", [doomed_sku], version=5)]
    )
    assert late.dropped_deleted_tenant == 1
    await index.refresh()
    assert (await find(index, doomed, q="lamp")).total == 0
    assert (await find(index, kept, q="lamp")).total == 1
    left = await index.client.count(
        index=f"{index.alias},{index.stock_index}",
        body={"query": {"term": {"tenant_id": str(doomed)}}},
    )
    assert left["count"] == 0


async def test_concurrent_writers_of_one_product_lose_nothing(index: SearchIndex) -> None:
    tenant, product = uuid.uuid4(), uuid.uuid4()
    tee = sku("15.00")
    await SearchProjector(index).apply([snapshot(tenant, product, "Plain Tee", [tee])])
    warehouses = [uuid.uuid4() for _ in range(8)]
    # Eight projectors (as in eight consumer-group members) update the same two documents at once.
    reports = await asyncio.gather(
        *(
            SearchProjector(index).apply([stock(tenant, tee.sku_id, 1, 1, warehouse=w)])
            for w in warehouses
        )
    )
    source = await _source(index, tenant, product)
    assert source["skus"][0]["available"] == len(warehouses)
    assert set(source["stock"][str(tee.sku_id)]) == {str(w) for w in warehouses}
    assert sum(r.stock.conflicts + r.products.conflicts for r in reports) > 0
