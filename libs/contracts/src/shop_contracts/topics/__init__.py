"""The one registry of Kafka topic names.

One topic per producing service and major version (``<service>.events.v<N>``) plus the storefront
clickstream; every topic has a dead-letter topic beside it (``<topic>.dlq``). No other module spells
a topic name.

``python -m shop_contracts.topics`` prints every topic name (DLQs included), one per line; the local
stack scripts create the Kafka topics from it (see ``__main__.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ANALYTICS_CLICKSTREAM",
    "CATALOG_EVENTS",
    "DEFAULT_PARTITIONS",
    "DLQ_HEADERS",
    "DLQ_SUFFIX",
    "INVENTORY_EVENTS",
    "ORDERS_EVENTS",
    "PAYMENTS_EVENTS",
    "SHIPPING_EVENTS",
    "TENANCY_EVENTS",
    "TOPIC_NAME_PATTERN",
    "Topic",
    "all_topic_names",
    "all_topics",
    "event_topics",
    "topic_named",
]

DEFAULT_PARTITIONS = 3
DLQ_SUFFIX = ".dlq"
DLQ_HEADERS: tuple[str, ...] = (
    "dlq-error",
    "dlq-attempts",
    "dlq-source-topic",
    "dlq-source-partition",
    "dlq-source-offset",
)
"""Headers a consumer adds to a dead-lettered record (besides its original key, value, headers)."""
TOPIC_NAME_PATTERN = re.compile(r"^[a-z]+\.[a-z]+\.v\d+$")
"""``<service>.<stream>.v<N>`` — the name of a topic that events are published to (not a DLQ)."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A Kafka topic. ``str(topic)`` is its name."""

    name: str
    partitions: int = DEFAULT_PARTITIONS
    is_dlq: bool = False

    def __post_init__(self) -> None:
        base = self.name.removesuffix(DLQ_SUFFIX) if self.is_dlq else self.name
        if self.is_dlq and not self.name.endswith(DLQ_SUFFIX):
            raise ValueError(f"a dead-letter topic name ends with {DLQ_SUFFIX}: {self.name!r}")
        if not TOPIC_NAME_PATTERN.match(base):
            raise ValueError(f"topic name {self.name!r} does not match <service>.<stream>.v<N>")
        if self.partitions < 1:
            raise ValueError("a topic has at least one partition")

    @property
    def service(self) -> str:
        """The producing service (first segment of the name)."""
        return self.name.split(".", 1)[0]

    @property
    def dlq(self) -> Topic:
        """The dead-letter topic of this topic."""
        if self.is_dlq:
            raise ValueError(f"{self.name} is already a dead-letter topic")
        return Topic(self.name + DLQ_SUFFIX, self.partitions, is_dlq=True)

    def __str__(self) -> str:
        return self.name


TENANCY_EVENTS = Topic("tenancy.events.v1")
CATALOG_EVENTS = Topic("catalog.events.v1")
INVENTORY_EVENTS = Topic("inventory.events.v1")
ORDERS_EVENTS = Topic("orders.events.v1")
PAYMENTS_EVENTS = Topic("payments.events.v1")
SHIPPING_EVENTS = Topic("shipping.events.v1")
ANALYTICS_CLICKSTREAM = Topic("analytics.clickstream.v1")

_EVENT_TOPICS: tuple[Topic, ...] = (
    TENANCY_EVENTS,
    CATALOG_EVENTS,
    INVENTORY_EVENTS,
    ORDERS_EVENTS,
    PAYMENTS_EVENTS,
    SHIPPING_EVENTS,
    ANALYTICS_CLICKSTREAM,
)


def event_topics() -> tuple[Topic, ...]:
    """The topics events are published to (no DLQs)."""
    return _EVENT_TOPICS


def all_topics() -> tuple[Topic, ...]:
    """Every topic the platform needs: each event topic followed by its DLQ."""
    return tuple(t for topic in _EVENT_TOPICS for t in (topic, topic.dlq))


def all_topic_names() -> list[str]:
    return [topic.name for topic in all_topics()]


def topic_named(name: str) -> Topic:
    """The registered topic (or DLQ) called ``name``; ``KeyError`` if there is none."""
    for topic in all_topics():
        if topic.name == name:
            return topic
    raise KeyError(f"no topic named {name!r}")
