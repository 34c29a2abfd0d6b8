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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The load tester's options, added to any argparse parser."""
    add = parser.add_argument
    add("--url", default=DEFAULTS.url, help="the server's base URL (default %(default)s)")
    add("--scenario", choices=sorted(SCENARIOS), default=DEFAULTS.scenario)
    add("--players", type=int, default=DEFAULTS.players, help="W1: bots")
    add("--rooms", type=int, default=DEFAULTS.rooms, help="W2: rooms of 8 bots")
    add("--sockets", type=int, default=DEFAULTS.sockets, help="W3: idle lobby sockets")
    add("--pairs", type=int, default=DEFAULTS.pairs, help="relay: socket pairs")
    add("--duration", type=float, default=DEFAULTS.duration, help="seconds measured")
    add("--warmup", type=float, default=DEFAULTS.warmup, help="seconds run before measuring")
    add("--encoding", choices=sorted(ENCODINGS), default=DEFAULTS.encoding)
    add("--procs", type=int, default=DEFAULTS.procs, help="worker processes")
    add("--server-pid", type=int, default=None, help="read this process's CPU and memory")
    add("--rate", type=float, default=DEFAULTS.rate, help="W2: inputs per second and bot")
    add("--window", type=int, default=DEFAULTS.window, help="relay: frames in flight per socket")
    add("--concurrency", type=int, default=DEFAULTS.concurrency, help="handshakes at once")
    add("--drain", type=float, default=DEFAULTS.drain, help="seconds to wind down after stop")
    add("--idle", choices=("lobby", "relay"), default=DEFAULTS.idle, help="W3: which sockets")
    add("--seed", type=int, default=DEFAULTS.seed)
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
    )
    add_arguments(parser)
    result = execute(vars(parser.parse_args(argv)))
    return 1 if result["totals"].get("errors") else 0
