"""A load run's figures: throughput, statuses, and latencies per kind of request."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from tests.load.traffic import MIX, Record, Sample


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(backend: str, record: Record) -> dict[str, Any]:
    """Print a run's figures; return them."""
    answered = [s for s in record.samples if s.status is not None]
    figures: dict[str, Any] = {
        "answered": len(answered),
        "per_second": len(answered) / record.seconds,
        "connection_errors": sum(s.status is None for s in record.samples),
        "statuses": Counter(s.status for s in answered),
        "acknowledged": len(record.acknowledged()),
        "retried": sum(c.attempts > 1 for c in record.commands),
    }
    print(
        f"\n[{backend}] run {record.run}: {figures['answered']} answers in "
        f"{record.seconds:.1f} s = {figures['per_second']:.0f} req/s; "
        f"{figures['acknowledged']} commands acknowledged "
        f"({figures['acknowledged'] / record.seconds:.0f}/s); "
        f"statuses {dict(sorted(figures['statuses'].items()))}; "
        f"connection errors {figures['connection_errors']} "
        f"({figures['retried']} commands sent again with the same key)"
    )
    for line in record.timeline:
        print(f"  {line}")
    print(
        f"  {'kind':<10}{'answers':>8}{'/s':>7}{'mean ms':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}  statuses"
    )
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in answered:
        by_kind[sample.kind].append(sample)
    for kind in MIX:
        samples = by_kind[kind]
        latencies = [s.seconds * 1000 for s in samples]
        statuses = dict(sorted(Counter(s.status for s in samples).items()))
        print(
            f"  {kind:<10}{len(samples):>8}{len(samples) / record.seconds:>7.0f}"
            f"{sum(latencies) / max(len(latencies), 1):>9.1f}"
            f"{percentile(latencies, 0.5):>9.1f}{percentile(latencies, 0.99):>9.1f}"
            f"{max(latencies, default=float('nan')):>9.1f}  {statuses}"
        )
    return figures
