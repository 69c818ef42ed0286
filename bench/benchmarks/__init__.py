"""The benchmarks. Importing this package registers them; `RUN_ORDER` is the order they run in.

To add one (the walking-skeleton ones are next: checkout throughput through the gateway, hot-SKU
reservations, projection lag): a module here with ``@register("name", "summary") async def
run(ctx: BenchContext) -> list[Metric]``, its import below and its name in `RUN_ORDER`.
"""

from bench.benchmarks import commit_latency, eventstore_append, relay_throughput

__all__ = ["RUN_ORDER", "commit_latency", "eventstore_append", "relay_throughput"]

# Issue "Foundation" §7, in its order.
RUN_ORDER = ("relay_throughput", "commit_latency", "eventstore_append")
