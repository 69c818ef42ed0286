"""The label worker: books carrier labels for new shipments, outside any Kafka handler.

It follows shipping's own notification log from its tracked position
(`ShippingApp.create_pending_labels` does one pass; see its docstring for the exactly-once
argument) and polls adaptively: a few milliseconds after work, doubling to ``idle_max`` while idle.
A failure (carrier or database down) is logged and retried with exponential backoff; the position
stays where it was, so nothing is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from functools import partial

import anyio

from shipping.application.app import LabelBatch, ShippingApp
from shipping.domain.carrier import CarrierAdapter

__all__ = ["LabelWorker"]

log = logging.getLogger(__name__)


class LabelWorker:
    def __init__(
        self,
        app: ShippingApp,
        carrier: CarrierAdapter,
        *,
        batch_size: int = 20,
        idle_min: float = 0.01,
        idle_max: float = 0.25,
        backoff_max: float = 30.0,
    ) -> None:
        self.app = app
        self.carrier = carrier
        self.batch_size = batch_size
        self.idle_min = idle_min
        self.idle_max = idle_max
        self.backoff_max = backoff_max

    async def run_once(self) -> LabelBatch:
        """One pass over the label requests after the position (in a worker thread)."""
        return await anyio.to_thread.run_sync(
            partial(self.app.create_pending_labels, self.carrier, limit=self.batch_size)
        )

    async def run(self) -> None:
        """Until cancelled (cancellation waits for the pass in progress to finish)."""
        idle = self.idle_min
        backoff = 0.5
        while True:
            try:
                batch = await self.run_once()
            except Exception:
                log.exception("label worker: pass failed; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
                backoff = min(backoff * 2, self.backoff_max)
                continue
            backoff = 0.5
            if batch.seen:
                if batch.labelled:
                    log.info("label worker: %d labels recorded", batch.labelled)
                idle = self.idle_min
                continue
            await asyncio.sleep(idle)
            idle = min(idle * 2, self.idle_max)
