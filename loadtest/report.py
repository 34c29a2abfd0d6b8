"""What a person sees: a live panel while the test runs, and a table at the end."""

from __future__ import annotations

import re
import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from .worker import Config

REFRESH_S = 0.25
LATENCY_KEY = re.compile(r"_(p\d+|max|mean)_ms$")

# Plain names for the figures of the final table; anything else has its underscores
# turned into spaces.
LABELS = {
    "matches_per_s": "matches per second",
    "messages_per_s": "messages per second (both ways)",
    "outbound_per_s": "updates received per second",
    "inputs_per_s": "inputs sent per second",
    "delivered_per_s": "frames relayed per second",
    "server_cpu_util": "server CPU (share of one core)",
    "server_cpu_s_per_1000_matches": "server CPU seconds per 1000 matches",
    "server_cpu_s_per_1000_messages": "server CPU seconds per 1000 messages",
    "room_rate_min": "slowest room (updates/s)",
    "room_rate_median": "median room (updates/s)",
    "rooms_at_20_hz": "rooms at 20 updates/s",
    "seq_gaps": "gaps in seq",
    "kib_per_socket": "server memory per socket (KiB, N/2 to N)",
    "kib_per_socket_overall": "server memory per socket (KiB, 0 to N)",
    "rss_before_mib": "server memory before (MiB)",
    "rss_after_mib": "server memory after (MiB)",
    "idle_on": "idle sockets on",
    "ok": "passes (every room formed, 20 Hz, p99 < 50 ms, no error)",
}
SERIES = {
    "move_rtt": "move round trip",
    "queue_wait": "queue.join to match.found",
    "start_wait": "match.found to match.started",
    "update_delivery": "update delivery (server t to arrival)",
    "relay_latency": "relay round trip",
    "tester.loop_lag": "tester's event loop lag",
}
NO_SERVER = (
    "not measured: give --server-pid PID (a server on this machine) to read its CPU "
    "and memory; CPU per match, the memory figures and the bottleneck need it"
)


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))


class LiveView:
    """A live panel: phase and progress through the window, counters with their rates,
    errors as they come, and the latency of the last half second."""

    def __init__(self, config: Config, console: Console) -> None:
        self.config, self.console = config, console
        self.began = time.monotonic()
        self.name = "starting"
        self.window: tuple[float, float] | None = None  # the measured window, once open
        self.totals: dict[str, int] = {}
        self.gauges: dict[str, int] = {}
        self.recent: dict[str, tuple[int, float, float]] = {}
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
        if name == "measuring":
            now = time.monotonic()
            self.window = (now, now + self.config.duration)
        self.draw(force=True)

    def progress(
        self,
        totals: dict[str, int],
        gauges: dict[str, int],
        recent: dict[str, tuple[int, float, float]] | None = None,
    ) -> None:
        self.totals, self.gauges = totals, gauges
        self.recent = recent or self.recent
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

    def render(self) -> Group:
        return Group(self.heading(), self.counters(), self.latency())

    def heading(self) -> Group:
        c = self.config
        title = Text(f"{c.scenario} against {c.url}: {self.name}, {self.elapsed():.0f} s")
        if self.window is None:
            return Group(title)
        start = self.window[0]
        done = min(c.duration, max(0.0, time.monotonic() - start))
        bar = ProgressBar(total=c.duration, completed=done, width=40)
        return Group(title, Group(bar, Text(f"{done:.0f} of {c.duration:.0f} s measured")))

    def counters(self) -> Table:
        table = Table(box=None)
        table.add_column("counter")
        table.add_column("total", justify="right")
        table.add_column("per s", justify="right")
        for name, value in sorted(self.totals.items()):
            style = "bold red" if name.startswith("error") and value else None
            table.add_row(name, str(value), f"{self.rates.get(name, 0):.0f}", style=style)
        for name, value in sorted(self.gauges.items()):
            table.add_row(f"{name} (now)", str(value), "")
        return table

    def latency(self) -> Table:
        table = Table(box=None, title="latency, last half second (ms)")
        for column in ("series", "n", "p50", "p99 (worst worker)"):
            table.add_column(column, justify="left" if column == "series" else "right")
        for name, (n, p50, p99) in sorted(self.recent.items()):
            table.add_row(SERIES.get(name, name), str(n), f"{p50:.1f}", f"{p99:.1f}")
        return table

    def elapsed(self) -> float:
        return time.monotonic() - self.began


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def final_table(result: dict[str, Any]) -> Group:
    """The result of one run: the figures once each, latencies, the two sides, errors."""
    figures = Table(title=f"{result['title']}: {result['window_s']:.1f} s measured")
    figures.add_column("figure")
    figures.add_column("value", justify="right")
    for name, value in result["headline"].items():
        unmeasured = name.startswith("server") and not measured(result)
        if not LATENCY_KEY.search(name) and not unmeasured:  # latencies: the table below
            figures.add_row(label(name), fmt(value))
    errors = {k: v for k, v in result["totals"].items() if k.startswith("error.")}
    for name, value in sorted(errors.items()):
        figures.add_row(f"errors: {name.removeprefix('error.')}", fmt(value), style="red")
    sides = Table(title="server and tester")
    sides.add_column("figure")
    sides.add_column("value")
    add_sides(sides, result)
    return Group(figures, latency_table(result["latency_ms"]), sides)


def latency_table(latencies: dict[str, dict[str, Any]]) -> Table:
    table = Table(title="latency (ms)")
    table.add_column("series")
    for column in ("n", "p50", "p95", "p99", "max"):
        table.add_column(column, justify="right")
    for name, s in latencies.items():
        cells = [fmt(s.get(q)) for q in ("n", "p50", "p95", "p99", "max")]
        table.add_row(SERIES.get(name, name), *cells)
    return table


def measured(result: dict[str, Any]) -> bool:
    return result["server"].get("cpu_s") is not None


def add_sides(table: Table, result: dict[str, Any]) -> None:
    server, tester = result["server"], result["tester"]
    if measured(result):
        table.add_row("server CPU seconds in the window", fmt(server["cpu_s"]))
        for key, name in (("rss_start_kib", "start"), ("rss_ready_kib", "bots ready")):
            if server.get(key):
                table.add_row(f"server memory at {name} (MiB)", fmt(server[key] / 1024))
        if server.get("rss_end_kib"):
            table.add_row("server memory at the end (MiB)", fmt(server["rss_end_kib"] / 1024))
    else:
        table.add_row("server", NO_SERVER)
    table.add_row("tester processes", fmt(tester["procs"]))
    table.add_row("tester CPU (share of one core)", fmt(tester["cpu_util"]))
    table.add_row("tester CPU, busiest process", fmt(tester["cpu_util_busiest_proc"]))
    table.add_row("bottleneck", explain_bottleneck(result))


def explain_bottleneck(result: dict[str, Any]) -> str:
    """Which side limited the rates above, in words."""
    verdict = result["bottleneck"]
    if not measured(result) and verdict in ("neither", "tester"):
        prefix = "tester: " if verdict == "tester" else ""
        return prefix + "unknown for the server (no --server-pid)"
    return {
        "server": "server: it used >= 90 % of a core, so its speed sets the rates",
        "tester": "tester: it was near a full core or late, so it understates the server",
        "both": "both were saturated: the figures understate the server",
        "neither": "neither: both had headroom, the bots' own pace sets the rates",
    }[verdict]
