"""Uniquely named Kafka topics for tests (the broker does not auto-create topics)."""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from shop_contracts import Topic

__all__ = ["KafkaTopics", "random_service_name"]


def random_service_name(prefix: str = "rt", length: int = 8) -> str:
    """Lowercase letters only: topic names are ``<service>.<stream>.v<N>``."""
    return prefix + "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))


class KafkaTopics:
    """Creates topics (each with its ``.dlq``) and deletes them on `close`."""

    def __init__(self, bootstrap_servers: Sequence[str]) -> None:
        self.bootstrap_servers = list(bootstrap_servers)
        self.created: list[str] = []
        self._admin: Any = None

    async def _client(self) -> Any:
        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
            await admin.start()
            self._admin = admin
        return self._admin

    async def create(
        self, *, service: str | None = None, partitions: int = 3, with_dlq: bool = True
    ) -> Topic:
        """A new topic ``<random service>.events.v1`` (and its DLQ), ready to use."""
        topic = Topic(f"{service or random_service_name()}.events.v1", partitions=partitions)
        names = [topic.name] + ([topic.dlq.name] if with_dlq else [])
        admin = await self._client()
        await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
        )
        self.created.extend(names)
        return topic

    async def close(self, *, delete: bool = True) -> None:
        if self._admin is None:
            return
        try:
            if delete and self.created:
                await self._admin.delete_topics(self.created)
        finally:
            await self._admin.close()
            self._admin = None
            self.created.clear()
