"""Settings of the catalog service (on top of the runtime's `ServiceSettings`)."""

from __future__ import annotations

from pydantic import Field
from shop_runtime.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    """Catalog-specific settings; every field can be set from the environment (upper case)."""

    service_name: str = "catalog"
    search_index_prefix: str = Field(
        default="shop_", description="Prefix of the OpenSearch indices (SEARCH_INDEX_PREFIX)"
    )
    product_cache_ttl_seconds: int = Field(
        default=300,
        ge=1,
        description="TTL of a cached product detail; the projector deletes it on every change",
    )
    search_group_id: str = "catalog-search"

    @classmethod
    def from_service_settings(cls, settings: ServiceSettings) -> CatalogSettings:
        """The catalog's settings from the runtime's (what the entrypoint builds), the
        catalog-only fields read from the environment."""
        if isinstance(settings, CatalogSettings):
            return settings
        return cls(**{name: getattr(settings, name) for name in type(settings).model_fields})
