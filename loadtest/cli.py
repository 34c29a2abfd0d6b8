"""The command line: ``python -m loadtest`` and ``manage.py loadtest`` share it."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

import orjson
from rich.console import Console

from .client import ENCODINGS
from .report import LiveView, final_table
from .runner import run
from .scenarios import SCENARIOS
from .worker import Config

DEFAULTS = Config()
D = "(default %(default)s)"


SCENARIO_HELP = {
    "w1": (
        "W1 tictactoe-cycle",
        "Each bot queues for tic-tac-toe, plays the lowest empty cell on its turn until the"
        " match is over (X wins on the 7th move), and queues again. Measures matches per"
        " second, the move round trip and the queue wait.",
    ),
    "w2": (
        "W2 tag-realtime",
        "Rooms of 8 bots play tag, each bot sending an input --rate times a second. Measures"
        " the delivery latency of the 20 Hz updates and each room's update rate; a run"
        " passes with every room formed, at 20 updates/s, p99 < 50 ms and no error.",
    ),
    "w3": (
        "W3 idle",
        "Idle lobby sockets that say nothing after their welcome (or bare relay sockets"
        " with --idle relay). Measures the server's memory per socket; needs --server-pid.",
    ),
    "relay": (
        "relay baseline",
        "Pairs of sockets on the bare relay consumer (a server run with"
        " GAMESERVER_BENCH_RELAY=1), each keeping --window frames in flight: the ceiling"
        " of the stack without any game code.",
    ),
}
EPILOG = (
    "The server's per-address limits apply to the bots too: run the server with"
    " GAMESERVER_UNLIMITED_ADDRESSES set to the tester's address (docs/performance.md)."
    " The exit status is 1 when any bot saw an error."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The load tester's options, grouped by scenario, added to any argparse parser."""
    add = parser.add_argument
    add("--url", default=DEFAULTS.url, help="the server's base URL (default %(default)s)")
    add(
        "--scenario",
        choices=sorted(SCENARIOS),
        default=DEFAULTS.scenario,
        help="which workload, described below (default %(default)s)",
    )
    add("--duration", type=float, default=DEFAULTS.duration, help=f"seconds measured {D}")
    add("--warmup", type=float, default=DEFAULTS.warmup, help=f"seconds run first, unrecorded {D}")
    add("--encoding", choices=sorted(ENCODINGS), default=DEFAULTS.encoding, help=f"wire {D}")
    add("--procs", type=int, default=DEFAULTS.procs, help=f"worker processes {D}")
    add("--server-pid", type=int, default=None, help="read this local process's CPU and memory")
    add("--concurrency", type=int, default=DEFAULTS.concurrency, help=f"handshakes at once {D}")
    add("--drain", type=float, default=DEFAULTS.drain, help=f"seconds to wind down {D}")
    add("--seed", type=int, default=DEFAULTS.seed, help=f"bots' random choices {D}")
    add(
        "--match-urls",
        default=DEFAULTS.match_urls,
        help="comma-separated base URLs for match sockets, round robin by seat (default: --url)",
    )
    add(
        "--reconnect",
        action="store_true",
        help="reconnect dropped sockets and resume the match, timing each failover (chaos)",
    )
    add("--json", action="store_true", help="print the result as JSON on stdout")
    add("--quiet", action="store_true", help="no live display and no table")
    groups = {key: parser.add_argument_group(*SCENARIO_HELP[key]) for key in SCENARIO_HELP}
    groups["w1"].add_argument("--players", type=int, default=DEFAULTS.players, help=f"bots {D}")
    w2 = groups["w2"]
    w2.add_argument("--rooms", type=int, default=DEFAULTS.rooms, help=f"rooms of 8 bots {D}")
    w2.add_argument("--rate", type=float, default=DEFAULTS.rate, help=f"inputs/s per bot {D}")
    w3 = groups["w3"]
    w3.add_argument("--sockets", type=int, default=DEFAULTS.sockets, help=f"idle sockets {D}")
    w3.add_argument("--idle", choices=("lobby", "relay"), default=DEFAULTS.idle, help=f"which {D}")
    relay = groups["relay"]
    relay.add_argument("--pairs", type=int, default=DEFAULTS.pairs, help=f"socket pairs {D}")
    relay.add_argument("--window", type=int, default=DEFAULTS.window, help=f"frames in flight {D}")


def config_from(options: dict[str, Any]) -> Config:
    names = Config.__dataclass_fields__
    return Config(**{k: v for k, v in options.items() if k in names})


def execute(options: dict[str, Any]) -> dict[str, Any]:
    """Run the test the options describe; show it on stderr, print JSON if asked."""
    config = config_from(options)
    console = Console(stderr=True)
    if options.get("quiet") or not console.is_terminal:
        result = run(config)
    else:
        with LiveView(config, console) as view:
            result = run(config, view)
    if not options.get("quiet"):
        console.print(final_table(result))
    if options.get("json"):
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    parser = argparse.ArgumentParser(
        prog="python -m loadtest",
        description="Protocol v1 bots against a game server: W1, W2, W3 and the relay baseline.",
        epilog=EPILOG,
    )
    add_arguments(parser)
    result = execute(vars(parser.parse_args(argv)))
    return 1 if result["totals"].get("errors") else 0
