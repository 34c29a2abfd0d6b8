"""What the load tester shows a person: its help, the live panel and the final tables."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from loadtest.cli import main
from loadtest.report import LiveView, final_table
from loadtest.runner import run
from loadtest.worker import Config
from tests.loadtest.test_loadtest_live import live  # noqa: F401 - the daphne fixture

pytestmark = [pytest.mark.live]


def shown(renderable) -> str:
    console = Console(record=True, width=140, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_help_explains_every_scenario_with_its_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for title in ("W1 tictactoe-cycle", "W2 tag-realtime", "W3 idle", "relay baseline"):
        assert f"{title}:" in text
    assert "--players PLAYERS bots (default 100)" in text
    assert "--rooms ROOMS rooms of 8 bots (default 10)" in text
    assert "GAMESERVER_UNLIMITED_ADDRESSES" in text


@pytest.fixture(scope="module")
def w1(live):  # noqa: F811
    url, pid = live
    config = Config(url=url, scenario="w1", players=4, duration=1.5, warmup=0.3)
    return run(config), run(Config(**{**config.as_dict(), "server_pid": pid}))


def test_the_final_table_shows_each_figure_once_in_plain_words(w1):
    for result in w1:
        text = shown(final_table(result))
        assert "matches per second" in text and "matches_per_s" not in text
        assert text.count("move round trip") == 1  # latencies in their own table only
        assert not re.search(r"p\d\d_ms", text)
        assert "bottleneck" in text


def test_without_a_server_pid_it_says_what_it_cannot_measure(w1):
    blind, probed = (shown(final_table(result)) for result in w1)
    assert "not measured: give --server-pid" in blind
    assert "unknown for the server" in blind
    assert not re.search(r"│\s*-\s*│", blind), "no rows of dashes"
    assert "not measured" not in probed
    assert "server CPU seconds per 1000 matches" in probed
    assert re.search(r"bottleneck\s*│\s*(server|tester|both|neither)", probed)


def test_the_live_panel_shows_progress_errors_and_recent_latency():
    config = Config(duration=10)
    console = Console(record=True, width=120, color_system=None)
    view = LiveView(config, console)
    view.phase("measuring")
    view.progress({"matches": 5, "errors": 2, "error.refused": 2}, {}, {"move_rtt": (40, 3, 9)})
    text = shown(view.render())
    assert "0 of 10 s measured" in text
    assert "error.refused" in text
    assert re.search(r"move round trip\s+40\s+3.0\s+9.0", text)
