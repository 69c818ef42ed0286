"""Test-session environment: where the integration tests find their infrastructure.

By default the local stack's settings from deploy/local/stack.env (`make test` already exports them;
this makes a bare `uv run pytest` behave the same; values set in the environment win). Where a
Docker daemon answers (or SHOP_TEST_INFRA=containers), the integration fixtures get containers from
testcontainers instead (`shop_runtime.testing.containers`); the end-to-end tests always drive the
services of the local stack.
"""

from __future__ import annotations

import os
from contextlib import ExitStack

import pytest
from shop_runtime.testing.stack_env import local_stack_env

for _name, _value in local_stack_env().items():
    os.environ.setdefault(_name, _value)


_containers = ExitStack()


def pytest_configure(config: pytest.Config) -> None:
    from shop_runtime.testing.containers import containerised_stack, wants_containers

    if wants_containers():
        os.environ.update(_containers.enter_context(containerised_stack()))


def pytest_unconfigure(config: pytest.Config) -> None:
    _containers.close()
