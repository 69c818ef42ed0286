"""The table on stdout and ``bench/results/latest.json``."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["format_table", "machine_info", "write_results"]

COLUMNS = ("metric", "value", "baseline", "ratio", "goal", "met")


def _number(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def format_table(entries: list[dict[str, Any]]) -> str:
    rows = [COLUMNS]
    for e in entries:
        if "error" in e:
            rows.append((e["name"], "ERROR", "", "", "", e["error"][:60]))
            continue
        baseline_unit = e.get("baseline_unit", e["unit"])
        rows.append(
            (
                e["name"],
                f"{_number(e['value'])} {e['unit']}",
                f"{_number(e['baseline'])} {baseline_unit}",
                f"{e['ratio']:.2f}",
                e["goal"],
                "yes" if e["met"] else "NO",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def machine_info() -> dict[str, Any]:
    load = os.getloadavg()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in load],
        "git_commit": commit or None,
    }


def write_results(
    path: Path,
    entries: list[dict[str, Any]],
    *,
    ran: list[str],
    machine: dict[str, Any],
    seconds: float,
) -> None:
    """Write the run's entries; entries of benchmarks not run this time are kept from the file.

    So ``--only relay_throughput`` refreshes that benchmark without dropping the others' numbers
    (each entry says when it was measured).
    """
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for entry in entries:
        entry["measured_at"] = now
    kept: list[dict[str, Any]] = []
    if path.exists():
        try:
            previous = json.loads(path.read_text())
            kept = [e for e in previous.get("metrics", []) if e.get("benchmark") not in ran]
        except (ValueError, AttributeError):
            kept = []
    document = {
        "generated_at": now,
        "command": "make bench  (= set -a; source deploy/local/stack.env; set +a; "
        ".venv/bin/python -m bench)",
        "benchmarks_run": ran,
        "duration_s": round(seconds, 1),
        "machine": machine,
        "metrics": kept + entries,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
