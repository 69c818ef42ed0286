"""The local stack's settings as deploy/local/stack.env defines them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

STACK_ENV = Path(__file__).resolve().parents[5] / "deploy" / "local" / "stack.env"

_SHELL_NOISE = {"PATH", "PWD", "SHLVL", "_", "OLDPWD"}


def local_stack_env() -> dict[str, str]:
    """Every variable stack.env sets, evaluated by bash in an empty environment.

    stack.env is shell (it derives paths from its own location, and lets a variable already in the
    environment win), so bash evaluates it; the empty environment gives its own defaults.
    """
    out = subprocess.run(  # noqa: S603 - a fixed command on the project's own file
        ["/bin/bash", "-c", 'set -a; source "$0"; env -0', str(STACK_ENV)],
        check=True,
        capture_output=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    ).stdout
    pairs = (item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    return {k: v for k, v in pairs if k not in _SHELL_NOISE}
