"""Test-session environment: the local stack's settings from deploy/local/stack.env.

`make test` already exports them; this makes a bare `uv run pytest` behave the same. Values set in
the environment win, so CI or a developer can point tests elsewhere.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_STACK_ENV = Path(__file__).parent / "deploy" / "local" / "stack.env"


def _stack_env() -> dict[str, str]:
    # stack.env is shell (it derives paths from its own location), so let bash evaluate it.
    out = subprocess.run(
        ["bash", "-c", f'set -a; source "{_STACK_ENV}"; env -0'],
        check=True,
        capture_output=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    ).stdout
    pairs = (item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    return {k: v for k, v in pairs if k not in {"PATH", "PWD", "SHLVL", "_", "OLDPWD"}}


for _name, _value in _stack_env().items():
    os.environ.setdefault(_name, _value)
