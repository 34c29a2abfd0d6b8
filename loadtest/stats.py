"""Counters and latency samples: what a worker records and the runner merges.

A ``Recorder`` counts everything in ``totals`` and, only while ``recording`` is on
(the measurement window), in ``counts`` and in its latency ``samples`` (milliseconds).
Workers in other processes send theirs to the runner with ``dump``; ``merge`` adds them up.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of sorted values, interpolated linearly.

    The same definition as numpy's default (``linear``); NaN for no values.
    """
    if not ordered:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {q}")
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summarize(values: Iterable[float]) -> dict[str, float]:
    """Count, mean, p50, p95, p99 and max of latency samples (ms), rounded to 0.01 ms."""
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    summary = {
        "n": len(ordered),
        "mean": sum(ordered) / len(ordered),
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
    }
    return {k: v if k == "n" else round(v, 2) for k, v in summary.items()}


class Recorder:
    """One worker's counters and samples. Cheap enough to call per message."""

    __slots__ = ("counts", "lows", "notes", "recording", "samples", "totals")

    def __init__(self) -> None:
        self.recording = False
        self.totals: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.samples: dict[str, array[float]] = {}
        self.lows: dict[str, dict[str, float]] = {}
        self.notes: dict[str, dict[str, Any]] = {}

    def count(self, name: str, n: int = 1) -> None:
        self.totals[name] += n
        if self.recording:
            self.counts[name] += n

    def sample(self, name: str, value_ms: float) -> None:
        if self.recording:
            series = self.samples.get(name)
            if series is None:
                series = self.samples[name] = array("d")
            series.append(value_ms)

    def low(self, name: str, key: str, value: float) -> None:
        """Keep the lowest ``value`` seen for ``key`` (e.g. the slowest bot of a room)."""
        table = self.lows.setdefault(name, {})
        table[key] = min(value, table.get(key, value))

    def note(self, name: str, key: str, value: Any) -> None:
        """Keep what was seen for ``key`` (e.g. the result a bot saw), in or out of the window."""
        self.notes.setdefault(name, {})[key] = value

    def error(self, kind: str) -> None:
        """An error of some kind: counted as ``errors`` and as ``error.<kind>``."""
        self.count("errors")
        self.count(f"error.{kind}")

    def dump(self) -> dict[str, Any]:
        """Plain data (picklable) for the runner."""
        return {
            "totals": dict(self.totals),
            "counts": dict(self.counts),
            "samples": {k: v.tobytes() for k, v in self.samples.items()},
            "lows": self.lows,
            "notes": self.notes,
        }

    @classmethod
    def merge(cls, dumps: Iterable[dict[str, Any]]) -> Recorder:
        """One recorder holding the sums of several workers' dumps."""
        merged = cls()
        for dump in dumps:
            merged.totals.update(dump["totals"])
            merged.counts.update(dump["counts"])
            for name, raw in dump["samples"].items():
                series = array("d")
                series.frombytes(raw)
                merged.samples.setdefault(name, array("d")).extend(series)
            for name, table in dump["lows"].items():
                for key, value in table.items():
                    merged.low(name, key, value)
            for name, table in dump.get("notes", {}).items():
                merged.notes.setdefault(name, {}).update(table)
        return merged

    def recent(self, marks: dict[str, int]) -> dict[str, tuple[int, float, float]]:
        """(n, p50, p99) of each series' samples since ``marks``, which it moves on."""
        out: dict[str, tuple[int, float, float]] = {}
        for name, series in self.samples.items():
            new = sorted(series[marks.get(name, 0) :])
            marks[name] = len(series)
            if new:
                out[name] = (len(new), percentile(new, 50), percentile(new, 99))
        return out

    def latencies(self) -> dict[str, dict[str, float]]:
        return {name: summarize(series) for name, series in sorted(self.samples.items())}
