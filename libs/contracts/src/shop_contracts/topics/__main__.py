"""``python -m shop_contracts.topics``: print every Kafka topic name (DLQs included), one per line.

The local stack scripts create the Kafka topics from this list. ``--partitions`` appends a tab and
the partition count.
"""

from __future__ import annotations

import argparse
import sys

from shop_contracts.topics import all_topics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shop_contracts.topics",
        description="Print every Kafka topic name (DLQs included), one per line.",
    )
    parser.add_argument(
        "--partitions", action="store_true", help="append a tab and the partition count"
    )
    args = parser.parse_args(argv)
    for topic in all_topics():
        line = f"{topic.name}\t{topic.partitions}" if args.partitions else topic.name
        sys.stdout.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
