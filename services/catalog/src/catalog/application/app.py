"""The catalog application: commands on categories, brands and products.

Commands are synchronous (the event store is); the API calls them through a worker thread. Every
command takes the caller's tenant and loads aggregates with `get_for_tenant`, so another tenant's
id is a 404. Commands that change an existing aggregate run through `execute` (re-run on a version
conflict).

Rules that span aggregates:

* **Slugs (per kind) and SKU codes are unique per tenant.** The key is claimed in the
  ``unique_keys`` table (unique index) before the aggregate is saved; a claim held by the same
  owner is a retry and passes. If the aggregate then fails to save, the claim is released; if the
  process dies in between, the orphan claim is taken over by the next creator once it is older than
  `CLAIM_GRACE_SECONDS` and its owner does not exist.
* **The category tree**: a category stores its parent's path (from the parent aggregate). A move
  walks the new parent's ancestors through the aggregates themselves (not the stored paths, which
  may lag behind another move) and refuses a parent inside the category's own subtree.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from shop_contracts.money import Money
from shop_runtime.eventstore import ServiceApplication
from shop_runtime.settings import ServiceSettings

from catalog.application.errors import SkuCodeTaken, SlugTaken
from catalog.application.ports import KeyKind, UniqueKeys
from catalog.domain.brand import Brand
from catalog.domain.category import Category
from catalog.domain.errors import CategoryCycle, InvalidSkuCode
from catalog.domain.product import KEEP, Product, sku_id_for
from catalog.domain.values import CategoryRef, clean_name, clean_slug

__all__ = ["CLAIM_GRACE_SECONDS", "CatalogApp", "OptionSpec"]

T = TypeVar("T")

CLAIM_GRACE_SECONDS = 30.0
"""How old a claim whose aggregate does not exist must be before another creator takes it over:
longer than any create command takes between claiming and saving."""

MAX_TREE_DEPTH = 50


@dataclass(frozen=True, slots=True)
class OptionSpec:
    name: str
    values: Sequence[str]


class CatalogApp(ServiceApplication):
    """Event store of categories, brands and products, with their commands."""

    name = "Catalog"

    def __init__(
        self,
        settings: ServiceSettings | None = None,
        *,
        name: str | None = None,
        env: Any = None,
        schema: str = "public",
        unique_keys: UniqueKeys | None = None,
    ) -> None:
        super().__init__(settings, name=name, env=env, schema=schema)
        if unique_keys is None:
            from catalog.application.memory_keys import InMemoryUniqueKeys

            unique_keys = InMemoryUniqueKeys()
        self.unique_keys: UniqueKeys = unique_keys

    # -- unique keys -------------------------------------------------------------------------------

    def _claim(
        self,
        tenant_id: UUID,
        kind: KeyKind,
        key: str,
        *,
        owner_id: UUID,
        aggregate_id: UUID,
        error: Callable[[str], Exception],
    ) -> bool:
        """Claim ``key`` for ``owner_id``; True if this call took it (so it may release it)."""
        claim = self.unique_keys.claim(
            tenant_id, kind, key, owner_id=owner_id, aggregate_id=aggregate_id
        )
        if claim.status == "claimed":
            return True
        if claim.status == "ours":
            return False
        orphan = claim.age_seconds >= CLAIM_GRACE_SECONDS and not self._holder_exists(
            kind, claim.owner_id, claim.aggregate_id
        )
        if orphan and self.unique_keys.take_over(
            tenant_id,
            kind,
            key,
            previous_owner=claim.owner_id,
            owner_id=owner_id,
            aggregate_id=aggregate_id,
        ):
            return True
        raise error(f"{key!r} is already used in this store")

    def _holder_exists(self, kind: KeyKind, owner_id: UUID, aggregate_id: UUID) -> bool:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        if kind == "sku_code":
            return isinstance(aggregate, Product) and owner_id in aggregate.skus
        return True

    def _with_claim(
        self,
        tenant_id: UUID,
        kind: KeyKind,
        key: str,
        *,
        owner_id: UUID,
        aggregate_id: UUID,
        error: Callable[[str], Exception],
        fn: Callable[[], T],
    ) -> T:
        claimed = self._claim(
            tenant_id, kind, key, owner_id=owner_id, aggregate_id=aggregate_id, error=error
        )
        try:
            return fn()
        except BaseException:
            if claimed:
                self.unique_keys.release(tenant_id, kind, key, owner_id=owner_id)
            raise

    # -- categories --------------------------------------------------------------------------------

    def get_category(self, tenant_id: UUID, category_id: UUID) -> Category:
        return self.get_for_tenant(category_id, tenant_id, Category)

    def create_category(
        self,
        tenant_id: UUID,
        *,
        name: str,
        slug: str | None = None,
        description: str | None = None,
        parent_id: UUID | None = None,
        category_id: UUID | None = None,
    ) -> Category:
        """A new category, under ``parent_id`` (its path taken from the parent aggregate)."""
        parent_path: tuple[CategoryRef, ...] = ()
        if parent_id is not None:
            parent_path = self.get_category(tenant_id, parent_id).path
        new_id = category_id or uuid.uuid4()
        canonical = clean_slug(slug, name=clean_name(name))

        def create() -> Category:
            category = Category.create(
                tenant_id=tenant_id,
                name=name,
                slug=canonical,
                description=description,
                parent_path=parent_path,
                category_id=new_id,
            )
            self.save(category)
            return category

        return self._with_claim(
            tenant_id,
            "category_slug",
            canonical,
            owner_id=new_id,
            aggregate_id=new_id,
            error=SlugTaken,
            fn=create,
        )

    def _ancestor_ids(self, tenant_id: UUID, parent_id: UUID) -> list[UUID]:
        """``parent_id`` and its ancestors, walked through the aggregates (current truth)."""
        ids: list[UUID] = []
        current: UUID | None = parent_id
        while current is not None:
            if current in ids or len(ids) > MAX_TREE_DEPTH:
                raise CategoryCycle("the category tree is too deep or already has a cycle")
            ids.append(current)
            current = self.get_category(tenant_id, current).parent_id
        return ids

    def move_category(self, tenant_id: UUID, category_id: UUID, parent_id: UUID | None) -> Category:
        """Move a category under ``parent_id`` (None: make it a root). Refuses cycles (422)."""

        def move() -> Category:
            category = self.get_category(tenant_id, category_id)
            parent_path: tuple[CategoryRef, ...] = ()
            if parent_id is not None:
                category.validate_parent(self._ancestor_ids(tenant_id, parent_id))
                parent_path = self.get_category(tenant_id, parent_id).path
            category.move(parent_path)
            self.save(category)
            return category

        return self.execute(move)

    # -- brands ------------------------------------------------------------------------------------

    def get_brand(self, tenant_id: UUID, brand_id: UUID) -> Brand:
        return self.get_for_tenant(brand_id, tenant_id, Brand)

    def create_brand(
        self,
        tenant_id: UUID,
        *,
        name: str,
        slug: str | None = None,
        description: str | None = None,
        brand_id: UUID | None = None,
    ) -> Brand:
        new_id = brand_id or uuid.uuid4()
        canonical = clean_slug(slug, name=clean_name(name))

        def create() -> Brand:
            brand = Brand.create(
                tenant_id=tenant_id,
                name=name,
                slug=canonical,
                description=description,
                brand_id=new_id,
            )
            self.save(brand)
            return brand

        return self._with_claim(
            tenant_id,
            "brand_slug",
            canonical,
            owner_id=new_id,
            aggregate_id=new_id,
            error=SlugTaken,
            fn=create,
        )

    # -- products ----------------------------------------------------------------------------------

    def get_product(self, tenant_id: UUID, product_id: UUID) -> Product:
        return self.get_for_tenant(product_id, tenant_id, Product)

    def create_product(
        self,
        tenant_id: UUID,
        *,
        name: str,
        slug: str | None = None,
        description: str | None = None,
        brand_id: UUID | None = None,
        category_id: UUID | None = None,
        options: Sequence[OptionSpec] = (),
        tags: Sequence[str] = (),
        images: Sequence[str] = (),
        product_id: UUID | None = None,
        created_by: UUID | None = None,
    ) -> Product:
        """A new draft product with its options (SKUs come next, then `publish`)."""
        brand = self.get_brand(tenant_id, brand_id) if brand_id is not None else None
        category = self.get_category(tenant_id, category_id) if category_id is not None else None
        new_id = product_id or uuid.uuid4()
        canonical = clean_slug(slug, name=clean_name(name))

        def create() -> Product:
            product = Product.create(
                tenant_id=tenant_id,
                name=name,
                slug=canonical,
                description=description,
                brand_id=brand.id if brand else None,
                brand_name=brand.name if brand else None,
                category_path=category.path if category else (),
                tags=tags,
                images=images,
                product_id=new_id,
                created_by=created_by,
            )
            for option in options:
                product.add_option(option.name, option.values)
            self.save(product)
            return product

        return self._with_claim(
            tenant_id,
            "product_slug",
            canonical,
            owner_id=new_id,
            aggregate_id=new_id,
            error=SlugTaken,
            fn=create,
        )

    def add_sku(
        self,
        tenant_id: UUID,
        product_id: UUID,
        *,
        code: str,
        price: Money,
        compare_at_price: Money | None = None,
        option_values: Mapping[str, str] | None = None,
        barcode: str | None = None,
        track_inventory: bool = True,
    ) -> UUID:
        """Add a variant; its code must be unique in the store. Returns the SKU id."""
        clean_code = code.strip()
        if not clean_code:
            raise InvalidSkuCode("SKU code must not be empty")
        self.get_product(tenant_id, product_id)  # 404 before claiming anything
        sku_id = sku_id_for(product_id, clean_code)

        def add() -> UUID:
            product = self.get_product(tenant_id, product_id)
            added = product.add_sku(
                code=clean_code,
                price=price,
                compare_at_price=compare_at_price,
                option_values=option_values,
                barcode=barcode,
                track_inventory=track_inventory,
            )
            self.save(product)
            return added

        return self._with_claim(
            tenant_id,
            "sku_code",
            clean_code.casefold(),
            owner_id=sku_id,
            aggregate_id=product_id,
            error=SkuCodeTaken,
            fn=lambda: self.execute(add),
        )

    def _change(self, tenant_id: UUID, product_id: UUID, fn: Callable[[Product], None]) -> Product:
        def run() -> Product:
            product = self.get_product(tenant_id, product_id)
            fn(product)
            self.save(product)
            return product

        return self.execute(run)

    def change_price(
        self,
        tenant_id: UUID,
        product_id: UUID,
        sku_id: UUID,
        *,
        price: Money,
        compare_at_price: Money | object | None = KEEP,
    ) -> Product:
        """Set a SKU's price (live at once). ``compare_at_price``: KEEP, None (remove) or Money."""
        return self._change(
            tenant_id,
            product_id,
            lambda p: p.change_price(sku_id, price, compare_at_price),  # type: ignore[arg-type]
        )

    def publish(self, tenant_id: UUID, product_id: UUID, *, by: UUID | None = None) -> Product:
        return self._change(tenant_id, product_id, lambda p: p.publish(by=by))

    def unpublish(self, tenant_id: UUID, product_id: UUID, *, by: UUID | None = None) -> Product:
        return self._change(tenant_id, product_id, lambda p: p.unpublish(by=by))

    def archive(self, tenant_id: UUID, product_id: UUID, *, by: UUID | None = None) -> Product:
        return self._change(tenant_id, product_id, lambda p: p.archive(by=by))
