"""Settings of the tenancy service: the runtime's, plus token keys, lifetimes, platform secret."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from shop_runtime.settings import ServiceSettings


class TenancySettings(ServiceSettings):
    """Environment of a tenancy process. The two secrets have no default: a process without them
    refuses to start rather than sign tokens with a key nobody chose."""

    service_name: str = "tenancy"

    jwt_private_key_path: Path = Field(description="PEM file of the Ed25519 signing key")
    platform_admin_token: SecretStr = Field(
        min_length=16, description="Bearer secret of the platform bootstrap API (/platform/...)"
    )
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)

    @classmethod
    def from_service_settings(cls, settings: ServiceSettings) -> TenancySettings:
        """Extend the entrypoint's settings with tenancy's own (read from the environment)."""
        if isinstance(settings, cls):
            return settings
        return cls(**settings.model_dump(exclude_unset=True))
