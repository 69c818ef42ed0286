#!/usr/bin/env bash
# Installs the Python toolchain of the project: uv (from PyPI) and the locked workspace in .venv.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if ! command -v uv >/dev/null 2>&1; then
  if [ -x "$HOME/.local/bin/uv" ]; then
    export PATH="$HOME/.local/bin:$PATH"
  else
    echo "bootstrap: installing uv from PyPI" >&2
    python3 -m pip install --quiet --user uv || python3 -m pip install --quiet --break-system-packages uv
    export PATH="$HOME/.local/bin:$PATH"
  fi
fi
# The machine's interpreter (3.11): uv must not try to download one (only package registries are reachable).
export UV_PYTHON_DOWNLOADS=never
uv sync --frozen --all-packages --quiet
