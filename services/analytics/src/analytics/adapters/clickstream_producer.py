"""Produces accepted clickstream envelopes to Kafka (`analytics.clickstream.v1`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from shop_contracts import Envelope
from shop_contracts.topics import ANALYTICS_CLICKSTREAM


class ClickstreamProducer:
    """An idempotent producer; `send` returns once Kafka acknowledged every envelope (acks=all), so
    a 202 means the clicks are durable. Key = the session, so a session's clicks stay in order."""

    def __init__(self, bootstrap_servers: Sequence[str]) -> None:
        self._servers = list(bootstrap_servers)
        self._producer: Any = None

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._servers,
            client_id="analytics-clickstream",
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
        )
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send(self, envelopes: Sequence[Envelope]) -> None:
        if self._producer is None:
            raise RuntimeError("ClickstreamProducer.start() was not awaited")
        futures = [
            await self._producer.send(
                ANALYTICS_CLICKSTREAM.name,
                value=envelope.to_bytes(),
                key=envelope.kafka_key(),
                headers=envelope.kafka_headers(),
            )
            for envelope in envelopes
        ]
        await asyncio.gather(*futures)
