"""Categories: a tree per tenant, each node storing its path from the root.

A category stores the path of its ancestors (id, name, slug of each, root first) so that a product,
the search index or a breadcrumb can show "Clothing > Men > Shirts" without loading ancestors. The
application passes the parent's `Category.path` in when it creates or moves a category.

Application concerns (the aggregate sees only itself):

* **Cycles**: before a move the application passes the new parent's path; `validate_parent`
  refuses it if this category is the new parent or one of its ancestors (i.e. the parent lies in
  this category's own subtree).
* **Stale paths**: after a category is renamed or moved, every descendant's stored path is out of
  date. The application walks the descendants (read model, parents first) and calls
  `refresh_path` with the new parent path; products in those categories get
  `Product.change_category` with the new path.
* Slug uniqueness per tenant (read model).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import event
from shop_runtime.aggregate import TenantAggregate

from catalog.domain.errors import CategoryCycle
from catalog.domain.values import (
    CategoryRef,
    clean_description,
    clean_name,
    clean_slug,
    path_dicts,
    path_from_dicts,
)

__all__ = ["Category"]


class Category(TenantAggregate):
    """A node of the category tree. Create with `Category.create`."""

    @classmethod
    def create(
        cls,
        *,
        tenant_id: UUID,
        name: str,
        slug: str | None = None,
        description: str | None = None,
        parent_path: Sequence[CategoryRef] = (),
        category_id: UUID | None = None,
    ) -> Category:
        """``parent_path`` is the parent's `path` (empty for a root category)."""
        clean = clean_name(name)
        return cls(
            id=category_id,
            tenant_id=tenant_id,
            name=clean,
            slug=clean_slug(slug, name=clean),
            description=clean_description(description),
            parent_id=parent_path[-1].category_id if parent_path else None,
            parent_path=path_dicts(parent_path),
        )

    @event("Created")
    def __init__(
        self,
        tenant_id: UUID,
        name: str,
        slug: str,
        description: str | None,
        parent_id: UUID | None,
        parent_path: list[dict[str, Any]],
        id: UUID | None = None,  # the library's keyword: a chosen aggregate id
    ) -> None:
        self.name = name
        self.slug = slug
        self.description = description
        self.parent_id = parent_id
        self.ancestors: tuple[CategoryRef, ...] = path_from_dicts(parent_path)

    # -- queries -----------------------------------------------------------------------------------

    @property
    def ref(self) -> CategoryRef:
        return CategoryRef(self.id, self.name, self.slug)

    @property
    def path(self) -> tuple[CategoryRef, ...]:
        """Root first, this category last."""
        return (*self.ancestors, self.ref)

    @property
    def path_names(self) -> list[str]:
        return [ref.name for ref in self.path]

    @property
    def path_slugs(self) -> list[str]:
        return [ref.slug for ref in self.path]

    @property
    def depth(self) -> int:
        """0 for a root category."""
        return len(self.ancestors)

    def validate_parent(self, ancestor_ids: Iterable[UUID]) -> None:
        """Refuse a parent whose path (``ancestor_ids``: the new parent and all its ancestors)
        contains this category: the tree would get a cycle."""
        if self.id in set(ancestor_ids):
            raise CategoryCycle("a category cannot be moved under itself or one of its descendants")

    # -- commands ----------------------------------------------------------------------------------

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

    def move(self, parent_path: Sequence[CategoryRef]) -> None:
        """Move under the last category of ``parent_path`` (empty: make it a root)."""
        self.validate_parent(ref.category_id for ref in parent_path)
        parent_id = parent_path[-1].category_id if parent_path else None
        if parent_id == self.parent_id:
            return
        self._moved(
            parent_id=parent_id,
            parent_path=path_dicts(parent_path),
            previous_parent_id=self.parent_id,
        )

    @event("Moved")
    def _moved(
        self,
        parent_id: UUID | None,
        parent_path: list[dict[str, Any]],
        previous_parent_id: UUID | None,
    ) -> None:
        self.parent_id = parent_id
        self.ancestors = path_from_dicts(parent_path)

    def refresh_path(self, parent_path: Sequence[CategoryRef]) -> None:
        """Adopt the current path of the (unchanged) parent after an ancestor was renamed or
        moved. No event when nothing changed."""
        parent_id = parent_path[-1].category_id if parent_path else None
        if parent_id != self.parent_id:
            raise ValueError("refresh_path keeps the parent; use move() to change it")
        if tuple(parent_path) != self.ancestors:
            self._path_refreshed(parent_path=path_dicts(parent_path))

    @event("PathRefreshed")
    def _path_refreshed(self, parent_path: list[dict[str, Any]]) -> None:
        self.ancestors = path_from_dicts(parent_path)
