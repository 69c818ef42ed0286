"""Benchmarks of the platform, run with ``python -m bench`` (``make bench``).

Every metric is a ratio against a baseline measured in the same run, interleaved with it where
possible: the machines this runs on are small and shared, so absolute numbers drift from one run to
the next while ratios mostly do not. Results: a table on stdout, ``bench/results/latest.json``, and
the write-up in ``docs/benchmarks.md``.

Layout:

* `bench.registry`: `Metric`, `Goal`, `Benchmark` and the `register` decorator;
* `bench.context`: `BenchContext`, the resources a benchmark may borrow (a private schema in the
  ``shop_test`` database, uniquely named Kafka topics), all removed at the end;
* `bench.benchmarks`: one module per benchmark; importing the package registers them;
* `bench.report`: the table and the JSON file.
"""
