"""What a benchmark is, what it reports, and the registry `python -m bench` runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.context import BenchContext

__all__ = ["BENCHMARKS", "Benchmark", "Goal", "Metric", "register"]


@dataclass(frozen=True, slots=True)
class Goal:
    """Bounds a metric must meet; every bound that is set must hold."""

    min_value: float | None = None
    max_value: float | None = None
    min_ratio: float | None = None
    max_ratio: float | None = None

    def met(self, value: float, ratio: float) -> bool:
        return (
            (self.min_value is None or value >= self.min_value)
            and (self.max_value is None or value <= self.max_value)
            and (self.min_ratio is None or ratio >= self.min_ratio)
            and (self.max_ratio is None or ratio <= self.max_ratio)
        )

    def describe(self, unit: str) -> str:
        parts: list[str] = []
        if self.min_ratio is not None:
            parts.append(f"ratio >= {self.min_ratio:g}")
        if self.max_ratio is not None:
            parts.append(f"ratio <= {self.max_ratio:g}")
        if self.min_value is not None:
            parts.append(f">= {self.min_value:g} {unit}")
        if self.max_value is not None:
            parts.append(f"<= {self.max_value:g} {unit}")
        return " and ".join(parts) or "none"


@dataclass(frozen=True, slots=True)
class Metric:
    """One measured number next to its same-run baseline.

    ``ratio`` is value / baseline whatever the unit: above 1 means "more than the baseline" (better
    for a throughput, worse for a latency); the goal says which way is good.
    """

    name: str
    value: float
    unit: str
    baseline: float
    goal: Goal
    notes: str
    baseline_unit: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")

    @property
    def met(self) -> bool:
        return self.goal.met(self.value, self.ratio)

    def to_json(self, benchmark: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": self.name,
            "benchmark": benchmark,
            "value": round(self.value, 3),
            "unit": self.unit,
            "baseline": round(self.baseline, 3),
        }
        if self.baseline_unit is not None and self.baseline_unit != self.unit:
            entry["baseline_unit"] = self.baseline_unit
        entry.update(
            {
                "ratio": round(self.ratio, 3),
                "goal": self.goal.describe(self.unit),
                "met": self.met,
                "notes": self.notes,
                "details": self.details,
            }
        )
        return entry


BenchmarkFn = Callable[["BenchContext"], Awaitable[list[Metric]]]


@dataclass(frozen=True, slots=True)
class Benchmark:
    name: str
    summary: str
    run: BenchmarkFn


BENCHMARKS: dict[str, Benchmark] = {}
"""Registered benchmarks by name, in registration (= run) order."""


def register(name: str, summary: str) -> Callable[[BenchmarkFn], BenchmarkFn]:
    """Register ``async def run(ctx) -> list[Metric]`` under ``name``."""

    def add(fn: BenchmarkFn) -> BenchmarkFn:
        if name in BENCHMARKS:
            raise ValueError(f"benchmark {name!r} registered twice")
        BENCHMARKS[name] = Benchmark(name=name, summary=summary, run=fn)
        return fn

    return add
