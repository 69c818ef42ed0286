"""Shared fixtures of the runtime's tests: the real-infrastructure fixtures of
`shop_runtime.testing`.

They connect lazily: unit tests that do not ask for them need no infrastructure.
"""

from shop_runtime.testing.fixtures import *  # noqa: F403
