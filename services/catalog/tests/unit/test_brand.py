"""Brands."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from catalog.domain.brand import Brand
from catalog.domain.errors import InvalidName, InvalidSlug


def test_create_with_a_chosen_id_and_generated_slug(tenant_id: UUID):
    brand_id = uuid4()
    brand = Brand.create(tenant_id=tenant_id, name="Café Noir", brand_id=brand_id)

    assert brand.id == brand_id
    assert (brand.name, brand.slug) == ("Café Noir", "cafe-noir")
    (created,) = brand.collect_events()
    assert created.tenant_id == tenant_id


def test_update_details_records_only_changes(tenant_id: UUID):
    brand = Brand.create(tenant_id=tenant_id, name="Acme")
    brand.collect_events()

    brand.update_details(name="Acme", slug="acme")
    assert list(brand.collect_events()) == []

    brand.update_details(name="Acme Co", description="Since 1949")
    (updated,) = brand.collect_events()
    assert (updated.name, updated.slug, updated.description) == ("Acme Co", "acme-co", "Since 1949")


def test_invalid_brand_fields(tenant_id: UUID):
    with pytest.raises(InvalidName):
        Brand.create(tenant_id=tenant_id, name="")
    with pytest.raises(InvalidSlug):
        Brand.create(tenant_id=tenant_id, name="!!!")  # nothing to make a slug from


def test_brand_survives_the_real_transcoder(tenant_id: UUID, roundtrip: Any):
    brand = Brand.create(tenant_id=tenant_id, name="Acme")
    brand.update_details(name="Acme Co")
    reloaded = roundtrip(brand)
    assert (reloaded.name, reloaded.slug, reloaded.tenant_id) == ("Acme Co", "acme-co", tenant_id)
