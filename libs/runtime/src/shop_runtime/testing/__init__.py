"""Test support for the real local infrastructure, shared by the runtime's and the services' tests.

* `shop_runtime.testing.postgres`: `TestDatabase`, a schema of its own per test session inside the
  ``shop_test`` database (the owner role may not create databases; a schema is as isolated and is
  dropped at the end), with engines and event-store applications pointing into it.
* `shop_runtime.testing.kafka`: `KafkaTopics`, a factory of uniquely named topics (and their DLQs),
  deleted at the end. The broker does not auto-create topics.
* `shop_runtime.testing.fixtures`: pytest fixtures over both. In a ``conftest.py``::

      from shop_runtime.testing.fixtures import *  # noqa: F403

* `shop_runtime.testing.counter`: a tiny tenant aggregate (``Counter``), its application, public
  contracts and translator, for tests of the plumbing itself.
* `shop_runtime.testing.crash_workers`: relay and consumer processes for the crash tests
  (``python -m shop_runtime.testing.crash_workers relay|consumer ...``).
"""
