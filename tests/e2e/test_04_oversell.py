"""200 concurrent checkouts on a SKU with stock 50: exactly 50 units sold, never oversold, every
order final, no 5xx."""

from __future__ import annotations

from e2e_support import (
    Shop,
    StockSampler,
    Tenant,
    assert_storm_invariants,
    checkout_storm,
    prepare_storm,
)

STOCK = 50
ORDERS = 200
CONCURRENCY = 50


async def test_no_oversell_under_200_concurrent_checkouts(shop: Shop, tenant: Tenant) -> None:
    a, b, customers = await prepare_storm(shop, tenant, stock=STOCK)
    sampler = StockSampler(shop, tenant, a.sku_id).start()
    try:
        result = await checkout_storm(
            shop, tenant, customers, a.sku_id, b.sku_id, orders=ORDERS, concurrency=CONCURRENCY
        )
    finally:
        await sampler.stop()
    assert all(p.status_code == 201 for p in result.placed), {p.status_code for p in result.placed}
    assert len(result.confirmed) + len(result.cancelled) == ORDERS
    await assert_storm_invariants(shop, tenant, result, a.sku_id, b.sku_id, sampler, stock=STOCK)
    assert sampler.samples > 0, "the stock of SKU A was never read during the run"
