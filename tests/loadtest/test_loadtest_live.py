"""The load tester against a real daphne: W1, W3 and the relay run through its own code."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest import Config, run
from tests.live import server

pytestmark = [pytest.mark.live]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A daphne serving the game and the bench relay; yields (url, pid)."""
    # Two bots play ~90 matches a second, so each lobby socket sends ~90 queue.join/s:
    # far above the per-socket rate a person needs, which a run with many bots never hits.
    env = {
        "GAMESERVER_BENCH_RELAY": "1",
        "GAMESERVER_RATE": "1000",
        "GAMESERVER_RATE_BURST": "1000",
        "GAMESERVER_SKILL_WINDOW": "1e9",  # the bots re-queue at once: any rating will do
    }
    with server(env, tmp_path_factory.mktemp("loadtest")) as url:
        yield url, server_pid(url)


def server_pid(url: str) -> int | None:
    """The pid of the daphne serving ``url`` (tests.live keeps its process to itself)."""
    port = url.rsplit(":", 1)[1]
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"daphne" in argv and port.encode() in argv:
            return int(proc.name)
    return None


def test_w1_bots_complete_matches_without_errors(live):
    url, pid = live
    config = Config(url=url, scenario="w1", players=6, duration=3, warmup=0.5, server_pid=pid)
    result = run(config)
    figures = result["headline"]
    assert figures["errors"] == 0, result["totals"]
    assert result["counts"]["matches"] > 0
    assert figures["matches_per_s"] > 0
    rtt = result["latency_ms"]["move_rtt"]
    assert rtt["n"] >= 7 * result["counts"]["matches"] - 14  # every move, give or take the edges
    assert 0 < rtt["p50"] <= rtt["p99"] < 2000
    assert 0 < figures["queue_wait_p50_ms"] < 5000
    assert pid is not None, "the probe needs the server's pid"
    assert result["server"]["cpu_s"] > 0
    assert figures["server_cpu_s_per_1000_matches"] > 0


def test_w1_speaks_msgpack_too(live):
    url, _ = live
    config = Config(url=url, scenario="w1", players=2, duration=1.5, warmup=0, encoding="msgpack")
    result = run(config)
    assert result["headline"]["errors"] == 0, result["totals"]
    assert result["counts"]["matches"] > 0


def test_w3_holds_idle_lobby_sockets(live):
    url, pid = live
    result = run(Config(url=url, scenario="w3", sockets=8, duration=0.5, server_pid=pid))
    figures = result["headline"]
    assert figures["errors"] == 0, result["totals"]
    assert figures["open"] == 8
    assert figures["rss_after_mib"] > 0


def test_the_relay_baseline_bounces_frames(live):
    url, _ = live
    result = run(Config(url=url, scenario="relay", pairs=2, duration=1, warmup=0.3))
    assert result["headline"]["errors"] == 0, result["totals"]
    assert result["headline"]["delivered_per_s"] > 100
    assert result["latency_ms"]["relay_latency"]["p50"] < 1000
