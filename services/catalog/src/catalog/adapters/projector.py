"""The catalog's read-model projector: its own notification log → products, categories, brands,
then the product cache invalidated for the products whose view changed.

The product ``detail`` is the published snapshot (``Published`` events carry it whole) with the
live prices (``PriceChanged`` applies at once, see the Product docstring). Every write is guarded by
the aggregate version, so replaying a batch (after a crash between the view commit and the
tracking commit, which are one transaction here anyway) changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from shop_contracts.money import Money
from shop_runtime.eventstore import ServiceApplication
from shop_runtime.projector import Projector
from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from catalog.adapters.product_cache import ProductCache
from catalog.adapters.read_models import brands, categories, products
from catalog.domain.brand import Brand
from catalog.domain.category import Category
from catalog.domain.product import Product

__all__ = ["CatalogProjector", "detail_of"]

# The event classes the library generates from @event methods are invisible to mypy.
_Product: Any = Product
_Category: Any = Category
_Brand: Any = Brand

_PRODUCT_VIEW_EVENTS: tuple[type[Any], ...] = (
    _Product.Published,
    _Product.PriceChanged,
    _Product.Unpublished,
    _Product.Archived,
)


def _money(amount: Decimal | None, currency: str) -> dict[str, str] | None:
    if amount is None:
        return None
    return Money.of(amount, currency).model_dump(mode="json")


def detail_of(e: Any) -> dict[str, Any]:
    """GET /products/{id} of a ``Product.Published`` event."""
    path = [
        {"category_id": str(ref["category_id"]), "name": ref["name"], "slug": ref["slug"]}
        for ref in e.category_path
    ]
    return {
        "product_id": str(e.originator_id),
        "name": e.name,
        "slug": e.slug,
        "description": e.description,
        "brand": (
            {"brand_id": str(e.brand_id), "name": e.brand_name} if e.brand_id is not None else None
        ),
        "category": (
            {"category_id": str(e.category_id), "path": path} if e.category_id is not None else None
        ),
        "tags": list(e.tags),
        "images": list(e.images),
        "options": [{"name": o["name"], "values": list(o["values"])} for o in e.options],
        "skus": [
            {
                "sku_id": str(s["sku_id"]),
                "code": s["code"],
                "price": _money(s["price_amount"], s["currency"]),
                "compare_at_price": _money(s["compare_at_amount"], s["currency"]),
                "option_values": dict(s["option_values"]),
            }
            for s in e.skus
        ],
        "status": "published",
        "version": e.version,
    }


def _price_min(detail: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    skus = detail.get("skus") or []
    if not skus:
        return None, None
    cheapest = min(skus, key=lambda s: Decimal(s["price"]["amount"]))
    return Decimal(cheapest["price"]["amount"]), cheapest["price"]["currency"]


class CatalogProjector(Projector):
    """Projects every catalog aggregate event; deletes cached product details after commit."""

    name = "catalog.read_models"

    def __init__(
        self,
        app: ServiceApplication,
        engine: AsyncEngine,
        *,
        cache: ProductCache | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, engine, **kwargs)
        self.cache = cache
        self._touched: set[tuple[UUID, UUID]] = set()

    async def run_once(self) -> int:
        self._touched = set()
        try:
            count = await super().run_once()
        except BaseException:
            self._touched = set()  # rolled back: nothing changed, nothing to invalidate
            raise
        # After the commit: a reader that misses from now on reads the new view.
        if self._touched and self.cache is not None:
            await self.cache.invalidate(self._touched)
        self._touched = set()
        return count

    async def project(self, conn: AsyncConnection, event: DomainEventProtocol[UUID]) -> None:
        e: Any = event
        if isinstance(event, _Product.Event):
            await self._product(conn, e)
        elif isinstance(event, _Category.Event):
            await self._category(conn, e)
        elif isinstance(event, _Brand.Event):
            await self._brand(conn, e)

    # -- products ----------------------------------------------------------------------------------

    async def _product(self, conn: AsyncConnection, e: Any) -> None:
        version = e.originator_version
        at: datetime = e.timestamp
        newer = products.c.aggregate_version < version
        if isinstance(e, _Product.Created):
            await conn.execute(
                insert(products)
                .values(
                    tenant_id=e.tenant_id,
                    product_id=e.originator_id,
                    name=e.name,
                    slug=e.slug,
                    status="draft",
                    brand_id=e.brand_id,
                    category_id=e.category_id,
                    category_ids=[ref["category_id"] for ref in e.category_path],
                    aggregate_version=version,
                    updated_at=at,
                )
                .on_conflict_do_nothing()
            )
            return
        where = (products.c.product_id == e.originator_id, newer)
        if isinstance(e, _Product.Published):
            detail = detail_of(e)
            price_min, currency = _price_min(detail)
            await conn.execute(
                update(products)
                .where(*where)
                .values(
                    name=e.name,
                    slug=e.slug,
                    status="published",
                    brand_id=e.brand_id,
                    category_id=e.category_id,
                    category_ids=[ref["category_id"] for ref in e.category_path],
                    published_version=e.version,
                    # The first publication date survives later versions (it orders the list).
                    published_at=func.coalesce(products.c.published_at, literal(at)),
                    price_min=price_min,
                    currency=currency,
                    detail=detail,
                    aggregate_version=version,
                    updated_at=at,
                )
            )
        elif isinstance(e, _Product.PriceChanged):
            row = (
                await conn.execute(select(products.c.detail).where(*where).with_for_update())
            ).first()
            if row is None:
                return
            values: dict[str, Any] = {"aggregate_version": version, "updated_at": at}
            if row.detail is not None:
                detail = dict(row.detail)
                for sku in detail.get("skus") or []:
                    if sku["sku_id"] == str(e.sku_id):
                        sku["price"] = _money(e.price_amount, e.currency)
                        sku["compare_at_price"] = _money(e.compare_at_amount, e.currency)
                values["detail"] = detail
                values["price_min"], values["currency"] = _price_min(detail)
            await conn.execute(update(products).where(*where).values(**values))
        elif isinstance(e, _Product.Unpublished):
            await conn.execute(
                update(products)
                .where(*where)
                .values(status="draft", aggregate_version=version, updated_at=at)
            )
        elif isinstance(e, _Product.Archived):
            await conn.execute(
                update(products)
                .where(*where)
                .values(status="archived", aggregate_version=version, updated_at=at)
            )
        else:
            return
        if isinstance(e, _PRODUCT_VIEW_EVENTS):
            self._touched.add((e.tenant_id, e.originator_id))

    # -- categories and brands ---------------------------------------------------------------------

    async def _category(self, conn: AsyncConnection, e: Any) -> None:
        # From the events alone (no aggregate load: the store is synchronous, this loop is not).
        version = e.originator_version
        row = (
            await conn.execute(
                select(categories).where(categories.c.category_id == e.originator_id)
            )
        ).first()
        if row is not None and row.aggregate_version >= version:
            return
        if isinstance(e, _Category.Created):
            name, slug, parent_id, ancestors = e.name, e.slug, e.parent_id, e.parent_path
        elif row is None:
            return  # created in a batch not projected: impossible while the log is followed
        else:
            name, slug, parent_id = row.name, row.slug, row.parent_id
            ancestors = list(row.path)[:-1]
            if isinstance(e, _Category.DetailsUpdated):
                name, slug = e.name, e.slug
            elif isinstance(e, _Category.Moved):
                parent_id, ancestors = e.parent_id, e.parent_path
            elif isinstance(e, _Category.PathRefreshed):
                ancestors = e.parent_path
        path = [
            {"category_id": str(ref["category_id"]), "name": ref["name"], "slug": ref["slug"]}
            for ref in ancestors
        ]
        path.append({"category_id": str(e.originator_id), "name": name, "slug": slug})
        values = {
            "name": name,
            "slug": slug,
            "parent_id": parent_id,
            "path_ids": [UUID(ref["category_id"]) for ref in path],
            "path": path,
            "aggregate_version": version,
        }
        stmt = insert(categories).values(
            tenant_id=e.tenant_id, category_id=e.originator_id, **values
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[categories.c.tenant_id, categories.c.category_id], set_=values
            )
        )

    async def _brand(self, conn: AsyncConnection, e: Any) -> None:
        if not isinstance(e, _Brand.Created | _Brand.DetailsUpdated):
            return
        values = {"name": e.name, "slug": e.slug, "aggregate_version": e.originator_version}
        stmt = insert(brands).values(tenant_id=e.tenant_id, brand_id=e.originator_id, **values)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[brands.c.tenant_id, brands.c.brand_id],
                set_=values,
                where=brands.c.aggregate_version < e.originator_version,
            )
        )
