from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
from shop_contracts import derived_id, registry
from shop_contracts.topics import ORDERS_EVENTS, Topic, all_topic_names, all_topics, event_topics

NAME = re.compile(r"^[a-z]+\.[a-z]+\.v\d+$")


def test_every_registered_event_goes_to_a_known_topic() -> None:
    assert {spec.topic for spec in registry.all()} <= set(all_topics())


def test_every_topic_has_a_dlq_beside_it() -> None:
    names = all_topic_names()
    for topic in event_topics():
        assert f"{topic.name}.dlq" in names
        assert topic.dlq.name == f"{topic.name}.dlq"
    assert len(names) == 2 * len(event_topics()) == len(set(names))


def test_topic_names_follow_the_convention() -> None:
    for topic in event_topics():
        assert NAME.match(topic.name), topic.name
    for topic in all_topics():
        assert NAME.match(topic.name.removesuffix(".dlq")), topic.name
    assert {t.name for t in event_topics()} == {
        "tenancy.events.v1", "catalog.events.v1", "inventory.events.v1", "orders.events.v1",
        "payments.events.v1", "shipping.events.v1", "analytics.clickstream.v1",
    }  # fmt: skip


def test_every_event_topic_has_at_least_one_event() -> None:
    for topic in event_topics():
        assert registry.for_topic(topic), topic.name


@pytest.mark.parametrize("name", ["Orders.events.v1", "orders.events", "orders.events.v1.x"])
def test_malformed_topic_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        Topic(name)


def test_topics_cli_prints_every_topic_one_per_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shop_contracts.topics"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert result.stdout.splitlines() == all_topic_names()
    assert "orders.events.v1.dlq" in result.stdout.splitlines()
    assert ORDERS_EVENTS.partitions == 3


def test_derived_id_is_uuid5_and_deterministic() -> None:
    order_id = uuid.uuid4()
    assert derived_id(order_id, "reservation") == uuid.uuid5(order_id, "reservation")
    assert derived_id(order_id, "reservation") == derived_id(order_id, "reservation")
    assert derived_id(order_id, "reservation") != derived_id(order_id, "payment")
    with pytest.raises(ValueError):
        derived_id(order_id, "")
