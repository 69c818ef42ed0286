"""Settings of the inventory service (environment variables, as every `ServiceSettings`)."""

from __future__ import annotations

from pydantic import Field
from shop_runtime.settings import ServiceSettings

__all__ = ["InventorySettings"]


class InventorySettings(ServiceSettings):
    """`ServiceSettings` plus what inventory needs (no secrets)."""

    service_name: str = "inventory"
    reservation_ttl_seconds: int = Field(
        default=900,
        ge=1,
        description="How long stock stays held for an order (env var "
        "RESERVATION_TTL_SECONDS); the sweeper releases it after that with reason expired.",
    )
    reservation_sweep_interval_seconds: float = Field(
        default=2.0, gt=0, description="Pause between two passes of the expiry sweeper."
    )
    reservation_sweep_batch: int = Field(default=200, ge=1, le=10_000)
    # Stock items are hot streams: every order of a popular SKU appends to the same one, so a
    # version conflict is expected under load, not exceptional. Each re-run reloads and decides
    # again (full-jitter backoff capped at 50 ms), so 30 re-runs wait at most ~1.5 s before a
    # command answers 409 or a consumer counts one failed attempt.
    command_retries: int = 30

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> InventorySettings:
        """The inventory settings of a process started with plain `ServiceSettings` (the runtime's
        entrypoint): what was set explicitly or by the environment carries over."""
        if isinstance(settings, InventorySettings):
            return settings
        return cls(**settings.model_dump(exclude_unset=True))
