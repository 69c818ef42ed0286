"""Brands. Products keep a copy of their brand's name (`Product.change_brand`), so renaming a brand
means the application re-stamps its products (read model: products by brand)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event
from shop_runtime.aggregate import TenantAggregate

from catalog.domain.values import clean_description, clean_name, clean_slug

__all__ = ["Brand"]


class Brand(TenantAggregate):
    """A brand of one store. Create with `Brand.create`; slug uniqueness is the application's."""

    @classmethod
    def create(
        cls,
        *,
        tenant_id: UUID,
        name: str,
        slug: str | None = None,
        description: str | None = None,
        brand_id: UUID | None = None,
    ) -> Brand:
        clean = clean_name(name)
        return cls(
            id=brand_id,
            tenant_id=tenant_id,
            name=clean,
            slug=clean_slug(slug, name=clean),
            description=clean_description(description),
        )

    @event("Created")
    def __init__(
        self,
        tenant_id: UUID,
        name: str,
        slug: str,
        description: str | None,
        id: UUID | None = None,  # the library's keyword: a chosen aggregate id
    ) -> None:
        self.name = name
        self.slug = slug
        self.description = description

    def update_details(
        self, *, name: str, slug: str | None = None, description: str | None = None
    ) -> None:
        """Replace name, slug (made from the name when None) and description."""
        clean = clean_name(name)
        new = (clean, clean_slug(slug, name=clean), clean_description(description))
        if new != (self.name, self.slug, self.description):
            self._details_updated(name=new[0], slug=new[1], description=new[2])

    @event("DetailsUpdated")
    def _details_updated(self, name: str, slug: str, description: str | None) -> None:
        self.name = name
        self.slug = slug
        self.description = description
