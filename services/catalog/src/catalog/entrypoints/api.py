"""Runs the catalog API alone: `python -m catalog.entrypoints.api [--port N]`.

The same as `python -m shop_runtime.entrypoint --service catalog --roles api`.
"""

from __future__ import annotations

import sys

from shop_runtime.entrypoint import main as runtime_main


def main() -> None:
    runtime_main(["--service", "catalog", "--roles", "api", *sys.argv[1:]])


if __name__ == "__main__":
    main()
