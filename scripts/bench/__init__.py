"""The benchmark suite of docs/benchmarks.md ("Benchmark suite"), run on demand, not by pytest.

    .venv/bin/python -m scripts.bench [--backend sqlite|postgres|both] [--quick]

Each figure is measured side by side with its floor in one run, as the median of several rounds:

1. the in-process command path (`Xinfang.execute`: load, command, save with the audit tree, then
   the inline catch-up of the read models) against a bare eventsourcing aggregate that loads,
   takes one event and saves in a plain Application on the same store settings;
2. HTTP under `xinfang serve --workers 2` (gunicorn gthread) with 16 keep-alive clients: a command
   endpoint and case/ledger reads against a bare Flask JSON endpoint served the same way;
3. the history of a 200-event case, in-process (Flask test client) and over HTTP;
4. all of it on SQLite and on PostgreSQL (a fresh schema, dropped afterwards);
5. scale: an existing large SQLite instance (sizes, ledger query latency, `xinfang verify` time).

It prints Markdown tables and draws a PNG chart (with the optional `bench` extra: matplotlib).
"""
