"""Settings of the payments service (environment variables, see deploy/local/stack.env)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr
from shop_runtime.settings import ServiceSettings

__all__ = ["PaymentsSettings"]


class PaymentsSettings(ServiceSettings):
    """`ServiceSettings` plus what only payments needs. Secrets have no default on purpose."""

    service_name: str = "payments"
    # Shared with the provider: verifies `Shop-Signature` on POST /webhooks/sandbox.
    payments_webhook_secret: SecretStr
    payments_webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    # The provider new payments go through (the only adapter so far is the sandbox).
    payments_default_provider: str = "sandbox"
    # Calls of one operation that timed out or met a provider error before the failure is recorded
    # (same idempotency key every time, so a retry never acts twice).
    payments_provider_attempts: int = Field(default=3, ge=1, le=10)
    payments_provider_retry_delay: float = Field(default=0.2, ge=0, le=30)

    @classmethod
    def from_base(cls, base: ServiceSettings, **overrides: Any) -> PaymentsSettings:
        """The payments settings of a process started with plain `ServiceSettings` (the runtime
        entrypoint); payments-only fields come from the environment or ``overrides``."""
        if isinstance(base, cls) and not overrides:
            return base
        values = {name: getattr(base, name) for name in ServiceSettings.model_fields}
        values["service_name"] = "payments"
        values.update(overrides)
        return cls(**values)
