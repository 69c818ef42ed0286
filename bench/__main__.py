"""``python -m bench [--only NAME ...] [--list] [--scale F]``: run the registered benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.benchmarks import RUN_ORDER  # importing the package registers the benchmarks
from bench.context import BenchContext
from bench.registry import BENCHMARKS
from bench.report import format_table, machine_info, write_results

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


async def run_all(names: list[str], scale: float) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    ctx = BenchContext(scale=scale)
    try:
        for name in names:
            bench = BENCHMARKS[name]
            ctx.log(f"{name}: {bench.summary}")
            try:
                metrics = await bench.run(ctx)
            except Exception as e:
                traceback.print_exc()
                entries.append(
                    {"name": name, "benchmark": name, "error": f"{type(e).__name__}: {e}"}
                )
                continue
            entries.extend(m.to_json(name) for m in metrics)
    finally:
        await ctx.aclose()
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply event counts and durations (e.g. 0.2 for a smoke run; not for publishing)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="results file")
    args = parser.parse_args(argv)
    ordered = [n for n in RUN_ORDER if n in BENCHMARKS] + [
        n for n in BENCHMARKS if n not in RUN_ORDER
    ]
    if args.list:
        for name in ordered:
            print(f"{name:24} {BENCHMARKS[name].summary}")
        return 0
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    names = [n for n in ordered if n in args.only] if args.only else ordered
    machine = machine_info()
    started = time.monotonic()
    entries = asyncio.run(run_all(names, args.scale))
    seconds = time.monotonic() - started
    write_results(args.output, entries, ran=names, machine=machine, seconds=seconds)
    print(format_table(entries))
    print(f"\n{len(entries)} metrics in {seconds:.0f}s; written to {args.output}")
    return 1 if any("error" in e for e in entries) else 0


if __name__ == "__main__":
    sys.exit(main())
