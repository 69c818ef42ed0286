"""Category tree: paths stored on each node, moves without cycles, path refresh."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from catalog.domain.category import Category
from catalog.domain.errors import CategoryCycle, InvalidName, InvalidSlug


def drain(aggregate: Any) -> list[Any]:
    return list(aggregate.collect_events())


@pytest.fixture
def tree(tenant_id: UUID) -> dict[str, Category]:
    """Clothing > Men > Shirts, plus a root Shoes."""
    clothing = Category.create(tenant_id=tenant_id, name="Clothing")
    men = Category.create(tenant_id=tenant_id, name="Men", parent_path=clothing.path)
    shirts = Category.create(tenant_id=tenant_id, name="Shirts", parent_path=men.path)
    shoes = Category.create(tenant_id=tenant_id, name="Shoes")
    nodes = {"clothing": clothing, "men": men, "shirts": shirts, "shoes": shoes}
    for node in nodes.values():
        drain(node)
    return nodes


def test_a_root_category(tenant_id: UUID):
    category = Category.create(tenant_id=tenant_id, name="  Men's   Shirts ", description=" Nice ")

    (created,) = drain(category)
    assert type(created).__name__ == "Created"
    assert (created.name, created.slug, created.description) == (
        "Men's Shirts",
        "men-s-shirts",
        "Nice",
    )
    assert created.parent_id is None
    assert created.parent_path == []
    assert category.depth == 0
    assert category.path_names == ["Men's Shirts"]


def test_a_child_stores_its_path_from_the_root(tree: dict[str, Category]):
    shirts, men, clothing = tree["shirts"], tree["men"], tree["clothing"]

    assert shirts.parent_id == men.id
    assert shirts.path_names == ["Clothing", "Men", "Shirts"]
    assert shirts.path_slugs == ["clothing", "men", "shirts"]
    assert [ref.category_id for ref in shirts.path] == [clothing.id, men.id, shirts.id]
    assert shirts.depth == 2


@pytest.mark.parametrize("slug", ["Shirts", "shirts--men", "-shirts", "shirts!", ""])
def test_invalid_slugs_are_refused(tenant_id: UUID, slug: str):
    with pytest.raises(InvalidSlug) as exc:
        Category.create(tenant_id=tenant_id, name="Shirts", slug=slug)
    assert exc.value.status == 422


def test_a_name_is_required(tenant_id: UUID):
    with pytest.raises(InvalidName):
        Category.create(tenant_id=tenant_id, name="   ")


def test_moving_under_a_descendant_is_refused(tree: dict[str, Category]):
    clothing, shirts = tree["clothing"], tree["shirts"]

    with pytest.raises(CategoryCycle) as exc:
        clothing.move(shirts.path)
    assert (exc.value.status, exc.value.code) == (422, "category_cycle")

    with pytest.raises(CategoryCycle):
        clothing.move(clothing.path)
    assert drain(clothing) == []


def test_validate_parent_checks_the_given_ancestor_ids(tree: dict[str, Category]):
    men, shoes = tree["men"], tree["shoes"]

    men.validate_parent([shoes.id])  # no error
    with pytest.raises(CategoryCycle):
        men.validate_parent([shoes.id, men.id])


def test_move_records_new_and_previous_parent(tree: dict[str, Category]):
    men, shoes, clothing = tree["men"], tree["shoes"], tree["clothing"]

    men.move(shoes.path)

    (moved,) = drain(men)
    assert type(moved).__name__ == "Moved"
    assert (moved.parent_id, moved.previous_parent_id) == (shoes.id, clothing.id)
    assert men.path_names == ["Shoes", "Men"]

    men.move(shoes.path)
    assert drain(men) == []

    men.move(())
    assert men.parent_id is None
    assert men.path_names == ["Men"]


def test_descendants_refresh_their_path_after_an_ancestor_is_renamed(tree: dict[str, Category]):
    clothing, men, shirts = tree["clothing"], tree["men"], tree["shirts"]

    clothing.update_details(name="Apparel")
    men.refresh_path(clothing.path)
    shirts.refresh_path(men.path)

    assert shirts.path_names == ["Apparel", "Men", "Shirts"]
    assert shirts.path_slugs == ["apparel", "men", "shirts"]
    assert [type(e).__name__ for e in drain(shirts)] == ["PathRefreshed"]
    shirts.refresh_path(men.path)
    assert drain(shirts) == []


def test_refresh_path_cannot_change_the_parent(tree: dict[str, Category]):
    with pytest.raises(ValueError, match="move"):
        tree["shirts"].refresh_path(tree["shoes"].path)


def test_update_details(tree: dict[str, Category]):
    shoes = tree["shoes"]
    shoes.update_details(name="Footwear", slug="footwear-all", description="Boots and more")
    (updated,) = drain(shoes)
    assert (updated.name, updated.slug, updated.description) == (
        "Footwear",
        "footwear-all",
        "Boots and more",
    )
    shoes.update_details(name="Footwear", slug="footwear-all", description="Boots and more")
    assert drain(shoes) == []


def test_paths_survive_the_real_transcoder(tenant_id: UUID, roundtrip: Any):
    clothing = Category.create(tenant_id=tenant_id, name="Clothing")
    shoes = Category.create(tenant_id=tenant_id, name="Shoes")
    men = Category.create(tenant_id=tenant_id, name="Men", parent_path=clothing.path)
    men.move(shoes.path)
    men.update_details(name="Men's")

    reloaded = roundtrip(men)

    assert reloaded.path == men.path
    assert reloaded.parent_id == shoes.id
    assert reloaded.path_names == ["Shoes", "Men's"]
