"""The search projector: catalog, inventory and tenancy events in, product documents out.

Idempotent by construction, so it needs no tracking table: the same envelope applied twice, or
re-sent by a relay under a new offset, changes nothing (every change is a version-guarded merge,
see ``search_index``).

- Catalog events target the product document ``<tenant>:<product>`` and carry the product
  aggregate's version (``Envelope.aggregate_version``); the document takes one only if it is newer
  than the ``source_version`` it holds.
- Stock levels (``inventory.stock_level_changed``, published for every change of a stock item
  (adjustment, reservation, release, commit), and ``inventory.stock_adjusted`` /
  ``inventory.low_stock``: all carry the absolute ``available`` of one stock item = SKU x
  warehouse, with the stock item's version as ``aggregate_version``) are kept per warehouse under
  that version, first in the SKU's stock document, then in the product document. A SKU's
  availability is the sum over its warehouses. Several of them for one version (StockAdjusted and
  StockLevelChanged of the same change) carry the same level, so the first one wins harmlessly.
- Reservation events (``inventory.stock_reserved`` / ``reservation_released`` /
  ``reservation_committed``) are not applied: their aggregate is the reservation and their lines
  carry a quantity, not the stock item's resulting level; the ``stock_level_changed`` published
  beside each of them is what moves availability.
- ``catalog.product_unpublished`` marks the document ``unpublished`` (kept with its version, like
  an archived one, so a late older snapshot stays a no-op); search shows published ones only.

Why availability goes through the SKU's stock document: a stock event names a SKU, not its
product, and may arrive before the product is published. ``apply`` runs in three steps whose order
closes the race between the two paths:

1. merge into the stock documents the SKU → product links (from catalog events) and the levels
   (from stock events), keeping the state each document ended with;
2. merge into the product documents the snapshots, with every level step 1 saw for their SKUs,
   and for each SKU whose stock changed and whose product is known, its levels;
3. advance the tenant's freshness.

A snapshot whose step 1 ran before a level landed on the stock document is followed by that
level's own product write, because the level's merge saw the link (each stock document is written
compare-and-set, so the two merges are ordered). Levels merge by version per warehouse, so the two
product writes commute.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shop_contracts import Envelope, Registry
from shop_contracts import registry as default_registry
from shop_contracts.contract_models import ContractEvent
from shop_contracts.events.catalog import (
    PriceChanged,
    ProductArchived,
    ProductPublished,
    ProductUnpublished,
    ProductUpdated,
    SkuCreated,
)
from shop_contracts.events.inventory import LowStock, StockAdjusted, StockLevelChanged
from shop_contracts.events.tenancy import TenantDeleted
from shop_contracts.money import Money

from catalog.adapters.search_index import (
    DocKey,
    Document,
    Mutation,
    SearchIndex,
    WriteStats,
    amend_product,
    merge_product_levels,
    product_doc_id,
    replace_product,
    stock_doc_id,
    write_merged,
)

if TYPE_CHECKING:
    from opensearchpy import AsyncOpenSearch

__all__ = [
    "HANDLED_EVENT_TYPES",
    "ApplyReport",
    "SearchProjector",
    "StockLevel",
    "advance_freshness",
    "link_sku",
    "option_value",
    "product_document",
    "set_level",
]

HANDLED_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "catalog.product_published",
        "catalog.product_updated",
        "catalog.product_archived",
        "catalog.product_unpublished",
        "catalog.price_changed",
        "catalog.sku_created",
        "inventory.stock_adjusted",
        "inventory.stock_level_changed",
        "inventory.low_stock",
        "tenancy.tenant_deleted",
    }
)
"""Event types :meth:`SearchProjector.apply` acts on; every other type is skipped (and counted)."""


def option_value(name: str, value: str) -> str:
    """The facet token of one option value, e.g. ``Color:red``."""
    return f"{name}:{value}"


def _number(money: Money) -> float:
    # The numeric copy (a double) serves range filters, sorting and facets only; the
    # exact Decimal travels beside it as a string.
    return float(money.amount)


def _amount(money: Money | None) -> str | None:
    return None if money is None else str(money.amount)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def product_document(
    envelope: Envelope, event: ProductPublished | ProductUpdated
) -> dict[str, Any]:
    """The search document of a product snapshot event, availability not yet known.

    ``category.path`` holds the category ids from the root to the leaf (``category_ids``), so "in
    category X or below" is one term query; an event from before ``category_ids`` existed gives
    the leaf id only. ``brand.id`` is empty for events from before ``brand_id`` existed.
    """
    skus: list[dict[str, Any]] = []
    option_values: set[str] = set()
    for sku in event.skus:
        options = sorted(option_value(k, v) for k, v in sku.attributes.items())
        option_values.update(options)
        skus.append(
            {
                "sku_id": str(sku.sku_id),
                "code": sku.sku,
                "price": _number(sku.price),
                "price_amount": _amount(sku.price),
                "compare_at": (
                    None if sku.compare_at_price is None else _number(sku.compare_at_price)
                ),
                "compare_at_amount": _amount(sku.compare_at_price),
                "currency": sku.price.currency,
                "options": options,
                "in_stock": False,
                "available": 0,
            }
        )
    cheapest = min(event.skus, key=lambda s: s.price.amount)
    dearest = max(event.skus, key=lambda s: s.price.amount)
    occurred = _iso(envelope.occurred_at)
    return {
        "tenant_id": str(envelope.tenant_id),
        "product_id": str(event.product_id),
        "name": event.name,
        "slug": event.slug,
        "description": event.description,
        "tags": list(event.tags),
        "images": list(event.images),
        "brand": (
            {"id": None if event.brand_id is None else str(event.brand_id), "name": event.brand}
            if event.brand
            else None
        ),
        "category": {
            "id": None if event.category_id is None else str(event.category_id),
            "path": _category_path(event),
            "path_names": list(event.category_path),
        },
        "option_values": sorted(option_values),
        "skus": skus,
        "sku_ids": [sku["sku_id"] for sku in skus],
        "price_min": _number(cheapest.price),
        "price_max": _number(dearest.price),
        "price_min_amount": _amount(cheapest.price),
        "price_max_amount": _amount(dearest.price),
        "currency": cheapest.price.currency,
        "in_stock": False,
        "status": "published",
        "published_at": occurred if isinstance(event, ProductPublished) else None,
        "updated_at": occurred,
        "source_version": envelope.aggregate_version,
    }


def _category_path(event: ProductPublished | ProductUpdated) -> list[str]:
    if event.category_ids:
        return [str(category_id) for category_id in event.category_ids]
    return [] if event.category_id is None else [str(event.category_id)]


# -- stock and freshness documents (pure mutations) ----------------------------------------------


def _stock_stub(tenant: str, sku_id: str) -> Document:
    return {"tenant_id": tenant, "sku_id": sku_id, "product_id": None, "warehouses": {}}


def link_sku(tenant: str, sku_id: str, product_id: str) -> Mutation:
    """Record which product a SKU belongs to (SKUs never move between products)."""

    def mutate(current: Document | None) -> Document | None:
        if current is not None and current.get("product_id") == product_id:
            return None
        document = copy.deepcopy(current) if current is not None else _stock_stub(tenant, sku_id)
        document["product_id"] = product_id
        return document

    return mutate


@dataclass(frozen=True, slots=True)
class StockLevel:
    """The availability of one stock item (SKU x warehouse) at one version of it."""

    tenant_id: str
    sku_id: str
    warehouse_id: str
    available: int
    version: int
    occurred_at: str


def set_level(level: StockLevel) -> Mutation:
    """A warehouse's level, kept only if newer than the one held (stale or repeated: no change)."""

    def mutate(current: Document | None) -> Document | None:
        held = ((current or {}).get("warehouses") or {}).get(level.warehouse_id)
        if held is not None and held["version"] >= level.version:
            return None
        document = (
            copy.deepcopy(current)
            if current is not None
            else _stock_stub(level.tenant_id, level.sku_id)
        )
        warehouses = document.setdefault("warehouses", {})
        warehouses[level.warehouse_id] = {"available": level.available, "version": level.version}
        document["available"] = sum(max(0, w["available"]) for w in warehouses.values())
        document["updated_at"] = level.occurred_at
        return document

    return mutate


def advance_freshness(tenant: str, occurred_at: datetime) -> Mutation:
    """Move the tenant's ``last_event_at`` forward (a max: replays cannot move it back); a deleted
    tenant's tombstone stays as it is."""

    def mutate(current: Document | None) -> Document | None:
        if current is not None:
            if current.get("deleted_at"):
                return None
            last = current.get("last_event_at")
            if last is not None and datetime.fromisoformat(last) >= occurred_at:
                return None
        return {
            "tenant_id": tenant,
            "last_event_at": _iso(occurred_at),
            "projected_at": _iso(datetime.now(UTC)),
        }

    return mutate


def _levels_of(stock_document: Document | None) -> list[Document]:
    if not stock_document:
        return []
    return [
        {"sku_id": stock_document["sku_id"], "warehouse_id": warehouse, **level}
        for warehouse, level in (stock_document.get("warehouses") or {}).items()
    ]


def _known_levels(
    stock: dict[DocKey, Document | None], tenant: str, sku_ids: Iterable[str]
) -> dict[str, Any]:
    """The ``stock`` map of a product document from its SKUs' stock documents."""
    levels: dict[str, Any] = {}
    for sku_id in sku_ids:
        source = stock.get((stock_doc_id(tenant, sku_id), tenant))
        levels[sku_id] = (source or {}).get("warehouses") or {}
    return levels


def _set_price(event: PriceChanged) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        for sku in document.get("skus") or []:
            if sku["sku_id"] == str(event.sku_id):
                sku["price"] = _number(event.price)
                sku["price_amount"] = _amount(event.price)
                sku["currency"] = event.price.currency
                compare_at = event.compare_at_price
                sku["compare_at"] = None if compare_at is None else _number(compare_at)
                sku["compare_at_amount"] = _amount(compare_at)

    return change


def _archive(document: Document) -> None:
    # Kept (with its version) rather than deleted, so a late copy of an older snapshot stays a
    # no-op; search filters on status = published.
    document["status"] = "archived"


def _unpublish(document: Document) -> None:
    # Kept with its version, like an archived one; the next publication (a newer snapshot)
    # replaces it and makes it searchable again.
    document["status"] = "unpublished"


# -- the projector -------------------------------------------------------------------------------


@dataclass(slots=True)
class ApplyReport:
    """What one :meth:`SearchProjector.apply` call did (for logs, metrics and tests)."""

    events: int = 0
    skipped: int = 0
    dropped_deleted_tenant: int = 0
    tenants_deleted: int = 0
    stock: WriteStats = field(default_factory=WriteStats)
    products: WriteStats = field(default_factory=WriteStats)

    @property
    def written(self) -> int:
        return self.stock.written + self.products.written


class SearchProjector:
    """Applies decoded contract events to the search indices of one :class:`SearchIndex`."""

    def __init__(self, index: SearchIndex, *, registry: Registry | None = None) -> None:
        self.index = index
        self.registry = registry if registry is not None else default_registry

    @property
    def client(self) -> AsyncOpenSearch:
        return self.index.client

    async def apply(self, envelopes: Sequence[Envelope]) -> ApplyReport:
        """Apply a batch of envelopes (any mix of topics, in bus order per partition).

        Idempotent and safe to retry as a whole after any failure: an exception means "retry the
        batch, then commit its offsets". Event types it does not handle are skipped.
        """
        report = ApplyReport()
        decoded: list[tuple[Envelope, ContractEvent]] = []
        for envelope in envelopes:
            spec = self.registry.find(envelope.event_type, envelope.event_version)
            if spec is None or envelope.event_type not in HANDLED_EVENT_TYPES:
                report.skipped += 1
                continue
            decoded.append((envelope, self.registry.decode(envelope)))
        report.events = len(decoded)

        # Deletion first: whatever else the batch holds for the tenant is then dropped below.
        for _, event in decoded:
            if isinstance(event, TenantDeleted):
                await self.index.delete_tenant(event.tenant_id)
                report.tenants_deleted += 1
        deleted = await self._deleted_tenants({str(e.tenant_id) for e, _ in decoded})
        live: list[tuple[Envelope, ContractEvent]] = []
        for envelope, event in decoded:
            if isinstance(event, TenantDeleted):
                continue
            if str(envelope.tenant_id) in deleted:
                report.dropped_deleted_tenant += 1
                continue
            live.append((envelope, event))
        if not live:
            return report

        # 1. Stock documents: SKU → product links and per-warehouse levels.
        stock_changes: dict[DocKey, list[Mutation]] = {}
        levels_changed: set[DocKey] = set()
        for envelope, event in live:
            tenant = str(envelope.tenant_id)
            if isinstance(event, ProductPublished | ProductUpdated):
                for sku in event.skus:
                    key = (stock_doc_id(tenant, sku.sku_id), tenant)
                    mutation = link_sku(tenant, str(sku.sku_id), str(event.product_id))
                    stock_changes.setdefault(key, []).append(mutation)
            elif isinstance(event, SkuCreated):
                key = (stock_doc_id(tenant, event.sku_id), tenant)
                mutation = link_sku(tenant, str(event.sku_id), str(event.product_id))
                stock_changes.setdefault(key, []).append(mutation)
            elif isinstance(event, StockLevelChanged | StockAdjusted | LowStock):
                level = StockLevel(
                    tenant_id=tenant,
                    sku_id=str(event.sku_id),
                    warehouse_id=str(event.warehouse_id),
                    available=event.available,
                    version=envelope.aggregate_version,
                    occurred_at=_iso(envelope.occurred_at),
                )
                key = (stock_doc_id(tenant, event.sku_id), tenant)
                stock_changes.setdefault(key, []).append(set_level(level))
                levels_changed.add(key)
        report.stock = await write_merged(self.client, self.index.stock_index, stock_changes)
        stock = report.stock.states

        # 2. Product documents.
        product_changes: dict[DocKey, list[Mutation]] = {}
        for envelope, event in live:
            tenant = str(envelope.tenant_id)
            occurred = _iso(envelope.occurred_at)
            version = envelope.aggregate_version
            if isinstance(event, ProductPublished | ProductUpdated):
                document = product_document(envelope, event)
                document["stock"] = _known_levels(stock, tenant, document["sku_ids"])
                mutation = replace_product(document)
            elif isinstance(event, ProductArchived):
                mutation = amend_product(version, occurred, _archive)
            elif isinstance(event, ProductUnpublished):
                mutation = amend_product(version, occurred, _unpublish)
            elif isinstance(event, PriceChanged):
                mutation = amend_product(version, occurred, _set_price(event))
            else:
                continue
            key = (product_doc_id(tenant, getattr(event, "product_id")), tenant)  # noqa: B009
            product_changes.setdefault(key, []).append(mutation)
        for key in sorted(levels_changed):
            source = stock.get(key)
            product_id = None if source is None else source.get("product_id")
            if source is None or product_id is None:
                # Not linked to a product yet: the product's snapshot will pick the level up.
                continue
            tenant = key[1]
            product_changes.setdefault((product_doc_id(tenant, product_id), tenant), []).append(
                merge_product_levels(tenant, product_id, _levels_of(source))
            )
        report.products = await self.index.write_products(product_changes)

        # 3. Freshness: the newest event time applied, per tenant.
        newest: dict[str, datetime] = {}
        for envelope, _ in live:
            tenant = str(envelope.tenant_id)
            if tenant not in newest or envelope.occurred_at > newest[tenant]:
                newest[tenant] = envelope.occurred_at
        await write_merged(
            self.client,
            self.index.meta_index,
            {(tenant, tenant): [advance_freshness(tenant, at)] for tenant, at in newest.items()},
        )
        return report

    async def delete_tenant(self, tenant_id: UUID | str) -> int:
        """Erase a tenant's search documents (``apply`` does it on ``tenancy.tenant_deleted``)."""
        return await self.index.delete_tenant(tenant_id)

    async def rebuild(self, snapshots: Iterable[Envelope]) -> str:
        """Rebuild the products index from catalog events (a replay of ``catalog.events.v1``, or
        snapshots re-published by catalog): per product the newest snapshot, unless archived after
        it, with the availability the stock index holds. See :meth:`SearchIndex.rebuild`."""
        latest: dict[DocKey, tuple[Envelope, ContractEvent]] = {}
        for envelope in snapshots:
            if envelope.event_type not in _PRODUCT_STATE_EVENTS:
                continue
            event = self.registry.decode(envelope)
            tenant = str(envelope.tenant_id)
            key = (product_doc_id(tenant, getattr(event, "product_id")), tenant)  # noqa: B009
            if key not in latest or latest[key][0].aggregate_version < envelope.aggregate_version:
                latest[key] = (envelope, event)
        deleted = await self._deleted_tenants({tenant for _, tenant in latest})
        documents = [
            product_document(envelope, event)
            for (_, tenant), (envelope, event) in latest.items()
            if tenant not in deleted and isinstance(event, ProductPublished | ProductUpdated)
        ]
        return await self.index.rebuild(self._with_levels(documents))

    async def _with_levels(
        self, documents: Sequence[Document], chunk_size: int = 500
    ) -> AsyncIterator[Document]:
        # Read lazily: SearchIndex.rebuild iterates only once the new index exists and live writes
        # go to it too, so a level that lands after this read reaches the new index anyway.
        for start in range(0, len(documents), chunk_size):
            chunk = documents[start : start + chunk_size]
            links: dict[DocKey, list[Mutation]] = {
                (stock_doc_id(d["tenant_id"], sku_id), d["tenant_id"]): [
                    link_sku(d["tenant_id"], sku_id, d["product_id"])
                ]
                for d in chunk
                for sku_id in d["sku_ids"]
            }
            stock = (await write_merged(self.client, self.index.stock_index, links)).states
            for document in chunk:
                document["stock"] = _known_levels(stock, document["tenant_id"], document["sku_ids"])
                yield document

    async def _deleted_tenants(self, tenants: set[str]) -> set[str]:
        if not tenants:
            return set()
        docs = [{"_index": self.index.meta_index, "_id": t, "routing": t} for t in sorted(tenants)]
        response = await self.client.mget(body={"docs": docs})
        return {
            doc["_id"]
            for doc in response["docs"]
            if doc.get("found") and doc["_source"].get("deleted_at")
        }


_PRODUCT_STATE_EVENTS = frozenset(
    {
        "catalog.product_published",
        "catalog.product_updated",
        "catalog.product_archived",
        "catalog.product_unpublished",
    }
)
