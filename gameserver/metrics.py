"""Prometheus metrics, served at ``/metrics`` (one set per server process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest

FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

open_sockets = Gauge("gs_open_sockets", "Open WebSockets.", ["kind"])
messages_in = Counter("gs_messages_in", "Frames received from clients.", ["kind"])
messages_out = Counter("gs_messages_out", "Frames sent to clients.", ["kind"])
queue_length = Gauge("gs_queue_length", "Tickets waiting, by game.", ["game"])
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
        """The metric's name without its samples: registering must not import the hosts."""
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


def hosted() -> Iterator[tuple[str, str]]:
    from match.hosts import hosts

    return ((h.game.name, h.status) for h in list(hosts.hosts.values()))


REGISTRY.register(ActiveMatches(hosted))


def metrics_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
