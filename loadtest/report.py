"""What a person sees: a live panel while the test runs, and a table at the end."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from .worker import Config

REFRESH_S = 0.25


class LiveView:
    """A live panel on the console: phase, elapsed time, counters with their rates."""

    def __init__(self, config: Config, console: Console) -> None:
        self.config, self.console = config, console
        self.began = time.monotonic()
        self.name = "starting"
        self.totals: dict[str, int] = {}
        self.gauges: dict[str, int] = {}
        self.rates: dict[str, float] = {}
        self.last: tuple[float, dict[str, int]] = (self.began, {})
        self.drawn = 0.0
        self.live = Live(console=console, auto_refresh=False, transient=False)

    def __enter__(self) -> LiveView:
        self.live.__enter__()
        self.draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.draw(force=True)
        self.live.__exit__(*exc)  # type: ignore[arg-type]

    def phase(self, name: str) -> None:
        self.name = name
        self.draw(force=True)

    def progress(self, totals: dict[str, int], gauges: dict[str, int]) -> None:
        self.totals, self.gauges = totals, gauges
        now = time.monotonic()
        then, before = self.last
        if now - then >= 1.0:
            self.rates = {k: (v - before.get(k, 0)) / (now - then) for k, v in totals.items()}
            self.last = (now, dict(totals))
        self.draw()

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.drawn >= REFRESH_S:
            self.drawn = now
            self.live.update(self.render(), refresh=True)

    def render(self) -> Table:
        c = self.config
        table = Table(title=f"{c.scenario} against {c.url}: {self.name}, {self.elapsed():.0f} s")
        table.add_column("counter")
        table.add_column("total", justify="right")
        table.add_column("per s", justify="right")
        for name, value in sorted(self.totals.items()):
            table.add_row(name, str(value), f"{self.rates.get(name, 0):.0f}")
        for name, value in sorted(self.gauges.items()):
            table.add_row(f"{name} (now)", str(value), "")
        return table

    def elapsed(self) -> float:
        return time.monotonic() - self.began


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def final_table(result: dict[str, Any]) -> Table:
    """The result of one run: headline figures, latencies, server and tester, errors."""
    table = Table(title=f"{result['title']}: {result['window_s']:.1f} s measured")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in result["headline"].items():
        table.add_row(name, fmt(value))
    table.add_section()
    for name, s in result["latency_ms"].items():
        cells = ", ".join(f"{q} {fmt(s.get(q))}" for q in ("p50", "p95", "p99", "max"))
        table.add_row(f"{name} ms (n={s['n']:,})", cells)
    table.add_section()
    for side in ("server", "tester"):
        for name, value in result[side].items():
            table.add_row(f"{side} {name}", fmt(value))
    table.add_row("bottleneck", result["bottleneck"])
    errors = {k: v for k, v in result["totals"].items() if k.startswith("error.")}
    for name, value in sorted(errors.items()):
        table.add_row(name, fmt(value))
    return table
