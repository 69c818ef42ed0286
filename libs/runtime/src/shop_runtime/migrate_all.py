"""Migrate every service's database: `python -m shop_runtime.migrate_all [service ...]`.

Runs each service's Alembic configuration (``services/<name>/alembic.ini``, found by path: the
runtime imports no service code) as that service, i.e. with ``SERVICE_NAME=<name>``, so its
`ServiceSettings` points at its own database. Idempotent: Alembic skips applied revisions and the
event store DDL is ``IF NOT EXISTS``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

SERVICES = ("tenancy", "catalog", "inventory", "orders", "payments", "shipping", "analytics")


def repo_root() -> Path:
    return Path(os.environ.get("SHOP_REPO", Path.cwd()))


def migrate(service: str, root: Path) -> bool:
    """Upgrade one service to head; False when the service has no migrations yet."""
    ini = root / "services" / service / "alembic.ini"
    if not ini.exists():
        return False
    os.environ["SERVICE_NAME"] = service
    command.upgrade(Config(str(ini)), "head")
    return True


def main(argv: list[str]) -> int:
    root = repo_root()
    for service in argv or list(os.environ.get("SERVICES", " ".join(SERVICES)).split()):
        done = migrate(service, root)
        print(f"migrate {service}: {'at head' if done else 'no migrations'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
