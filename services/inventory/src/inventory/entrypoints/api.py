"""Runs the inventory API alone: `python -m inventory.entrypoints.api [--port N]`.

The same as `python -m shop_runtime.entrypoint --service inventory --roles api`.
"""

from __future__ import annotations

import sys

from shop_runtime.entrypoint import main as runtime_main


def main() -> None:
    runtime_main(["--service", "inventory", "--roles", "api", *sys.argv[1:]])


if __name__ == "__main__":
    main()
