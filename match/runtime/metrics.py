"""The match runtime's metrics, in the process's Prometheus registry (``/metrics``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from gameserver.metrics import FAST

tick_lateness = Histogram(
    "gs_tick_lateness_seconds", "How late a real-time tick ran.", buckets=FAST
)
move_latency = Histogram(
    "gs_move_latency_seconds", "From a move's arrival to its update sent to all.", buckets=FAST
)
result_write = Histogram("gs_result_write_seconds", "Committing a match result.", buckets=FAST)


class ActiveMatches:
    """Matches hosted by this process, by game and status, read at scrape time."""

    def __init__(self, hosts: Callable[[], Iterator[tuple[str, str]]]) -> None:
        self.hosts = hosts

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The metric's name without its samples, for the registry's duplicate check."""
        yield self.family()

    def family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "gs_matches", "Matches hosted by this process.", labels=["game", "status"]
        )

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self.family()
        counts: dict[tuple[str, str], int] = {}
        for game, status in self.hosts():
            counts[(game, status)] = counts.get((game, status), 0) + 1
        for (game, status), count in sorted(counts.items()):
            family.add_metric([game, status], count)
        yield family


def register_active_matches(hosts: Callable[[], Iterator[tuple[str, str]]]) -> None:
    """Called once by the process's host registry with a reader of its hosts."""
    REGISTRY.register(ActiveMatches(hosts))


takeovers = Counter(
    "gs_match_takeovers_total",
    "Matches this process took over from a process whose liveness key was gone.",
    ["reason"],
)
rebuilds = Counter(
    "gs_match_rebuilds_total",
    "Matches this process rebuilt from the database (restart, takeover, orphaned).",
    ["reason"],
)
rebuilt_decided = Counter(
    "gs_match_rebuilt_decided_total",
    "Rebuilt matches whose rebuilt state was already decided: ended at once with it.",
)
lost = Counter(
    "gs_match_lost_total",
    "Matches this process stopped hosting because another process took them over.",
    ["reason"],
)
