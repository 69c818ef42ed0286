"""Settings every service process reads from its environment (pydantic-settings).

Names match deploy/local/stack.env and docker-compose.yml. Addresses default to the local stack;
secrets (database passwords) have no default: they come from the environment only, which
`make` fills from deploy/local/stack.env for local runs.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings of one service process."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    service_name: str = Field(
        default="shop", description="Name of the service (tenancy, catalog, ...)"
    )

    postgres_host: str = "127.0.0.1"
    postgres_port: int = 55432
    # The service's own database; defaults to shop_<service_name>.
    postgres_db: str | None = None
    postgres_user: str = "shop_app"
    postgres_password: SecretStr
    postgres_owner_user: str = "shop_owner"
    postgres_owner_password: SecretStr
    postgres_pool_size: int = 5

    kafka_bootstrap_servers: str = "127.0.0.1:59092"
    redis_url: str = "redis://127.0.0.1:56379/0"
    opensearch_url: str = "http://127.0.0.1:59200"
    # Empty: the embedded chDB engine at clickhouse_path; set to switch the same code to a server.
    clickhouse_url: str = ""
    clickhouse_path: str = ".stack/chdb"

    jwks_url: str = "http://127.0.0.1:58101/.well-known/jwks.json"
    jwt_issuer: str = "shop-tenancy"
    jwt_audience: str = "shop"
    # Pinned: a token signed with anything else is refused, whatever its header says.
    jwt_algorithm: str = "EdDSA"

    max_body_bytes: int = 1_048_576
    command_retries: int = 5

    @property
    def database(self) -> str:
        return self.postgres_db or f"shop_{self.service_name}"

    def sqlalchemy_url(self, *, owner: bool = False) -> str:
        """asyncpg URL for the read side; `owner=True` is for migrations only."""
        user, password = self._credentials(owner)
        return (
            f"postgresql+asyncpg://{user}:{password}@{self.postgres_host}:"
            f"{self.postgres_port}/{self.database}"
        )

    def libpq_dsn(self, *, owner: bool = False) -> str:
        user, password = self._credentials(owner)
        return (
            f"host={self.postgres_host} port={self.postgres_port} dbname={self.database} "
            f"user={user} password={password}"
        )

    def _credentials(self, owner: bool) -> tuple[str, str]:
        if owner:
            return self.postgres_owner_user, self.postgres_owner_password.get_secret_value()
        return self.postgres_user, self.postgres_password.get_secret_value()

    @property
    def kafka_servers(self) -> list[str]:
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]
