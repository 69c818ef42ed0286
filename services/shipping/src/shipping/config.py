"""Settings of the shipping service: the runtime's `ServiceSettings` plus the carrier webhook.

The webhook secret has no default: a process without ``SHIPPING_WEBHOOK_SECRET`` in its
environment refuses to start instead of accepting callbacks signed with a well-known value. The
local value is in ``deploy/local/stack.env``.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from shop_runtime.settings import ServiceSettings

__all__ = ["ShippingSettings"]


class ShippingSettings(ServiceSettings):
    """Settings of one shipping process."""

    shipping_webhook_secret: SecretStr = Field(
        description="HMAC-SHA256 secret of the sandbox carrier's tracking webhooks"
    )
    shipping_webhook_tolerance_seconds: int = Field(
        default=300, ge=1, description="How far a webhook's signing time may be from now"
    )

    @classmethod
    def from_service_settings(cls, settings: ServiceSettings) -> ShippingSettings:
        """The runtime's settings (as the entrypoint built them) plus ours from the environment."""
        if isinstance(settings, ShippingSettings):
            return settings
        return cls(**settings.model_dump())
