"""What a chaos run left behind, checked: the database against what the clients saw,
and the report.

Called by ``deploy/chaos.py`` once the load is over, with the run's database and Redis
and the load tester's results. Every figure must be zero (failover times: within the
targets) for the run to pass.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

FAILOVER_P50_S = 2.0
FAILOVER_MAX_S = 4.0
STUCK_S = 30.0  # a player that could not play for this long is stuck
ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")
    import django

    django.setup()


def unfinished() -> list[str]:
    from match.models import Match

    return list(Match.objects.exclude(status=Match.Status.OVER).values_list("id", flat=True))


def row_result(match: Any) -> dict[str, Any]:
    return {"winner": match.winner, "ranking": list(match.ranking), "reason": match.reason}


def replayed_state(match: Any) -> Any:
    """The state the stored seed and log replay to (None: the log does not replay)."""
    from match.games import IllegalMove
    from match.registry import get_game
    from match.runtime.replay import replay

    game = get_game(match.game)
    moves = [(m.seat, m.payload) for m in match.moves.order_by("seq")]
    log = bytes(match.input_log) if match.input_log is not None else None
    try:
        states = replay(game, match.seats.count(), match.options, match.seed, moves, log)
    except (IllegalMove, KeyError, IndexError, TypeError, ValueError):
        return None
    return states[-1]


def contradicts_state(match: Any) -> bool:
    """A result the final state's rules disagree with (a forfeit on a won board), or a
    final state the match's own log does not replay to (a move lost or out of order)."""
    from match.registry import get_game

    if match.reason == "abandoned" and match.final_state is None:
        return False
    game = get_game(match.game)
    if match.final_state is None or replayed_state(match) != match.final_state:
        return True
    decided = game.outcome(match.final_state)
    return decided is not None and decided.as_dict() != row_result(match)


def check_results(notes: dict[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """Results clients saw against the rows: (context, counts that must be zero)."""
    from match.models import Match

    seen: dict[str, list[dict[str, Any]]] = {}
    for key, result in notes.get("results", {}).items():
        seen.setdefault(key.split(":")[0], []).append(result)
    rows = {m.id: m for m in Match.objects.filter(id__in=list(seen))}
    lost = sum(1 for mid in seen if mid not in rows or rows[mid].status != Match.Status.OVER)
    doubled = sum(1 for results in seen.values() if any(r != results[0] for r in results))
    differ = sum(
        1
        for mid, results in seen.items()
        if mid in rows and any(r != row_result(rows[mid]) for r in results)
    )
    over = Match.objects.filter(status=Match.Status.OVER).prefetch_related("moves", "seats")
    contradicting = [m.id for m in over if contradicts_state(m)]
    by_reason: dict[str, int] = {}
    for reason in over.values_list("reason", flat=True):
        by_reason[reason] = by_reason.get(reason, 0) + 1
    context = {
        "matches over, by reason": by_reason,
        "results clients saw (match, seat)": len(notes.get("results", {})),
    }
    zero = {
        "results lost (a client saw match.over, the row is not over)": lost,
        "results doubled (two seats of a match saw different results)": doubled,
        "results a client saw that differ from the row": differ,
        "results contradicting the final state, or a log that does not replay to it": len(
            contradicting
        ),
    }
    return context, zero


def failover_figures(notes: dict[str, Any]) -> dict[str, Any]:
    times = sorted(notes.get("failovers", {}).values())
    if not times:
        return {"failovers": 0}
    return {
        "failovers": len(times),
        "failover p50 (s)": round(statistics.median(times), 2),
        "failover max (s)": round(times[-1], 2),
    }


LEFTOVER = ("gs:host:", "gs:mm:p:", "gs:mm:q:")  # keys of matches and players


def redis_keys(
    redis_url: str, live_processes: int, show: bool = False
) -> tuple[dict[str, int], int]:
    """The run's Redis keys by prefix, and how many are left over: a match's host key,
    a player's ticket or queue entry, or more liveness keys than live processes."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in client.scan_iter(count=1000)]
    for name in keys:
        if show and name.startswith(LEFTOVER):  # say what it holds
            kind = client.type(name).decode()
            held = client.hgetall(name) if kind == "hash" else client.pttl(name)
            print(f"chaos: left over in Redis: {name} {held}", flush=True)
    client.close()
    by_prefix: dict[str, int] = {}
    for name in keys:
        prefix = ":".join(name.split(":")[:3]) if name.startswith("gs:mm:") else name[:8]
        by_prefix[prefix] = by_prefix.get(prefix, 0) + 1
    procs = sum(1 for name in keys if name.startswith("gs:proc:"))
    left = sum(1 for name in keys if name.startswith(LEFTOVER))
    return by_prefix, left + max(0, procs - live_processes)


def merge_notes(results: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, dict[str, Any]] = {}
    for result in results:
        for name, table in result.get("notes", {}).items():
            merged.setdefault(name, {}).update(table)
    return merged


def verdict(zero: dict[str, int], failover: dict[str, Any]) -> list[str]:
    """What failed: every count must be zero, failover times within the targets."""
    failed = [name for name, value in zero.items() if value]
    if not failover.get("failovers"):
        failed.append("no failover was measured")
    if failover.get("failover p50 (s)", 0) >= FAILOVER_P50_S:
        failed.append("failover p50 (s)")
    if failover.get("failover max (s)", 0) >= FAILOVER_MAX_S:
        failed.append("failover max (s)")
    return failed


def figures(args, kills: list, results: list[dict], stuck: list[str]) -> dict[str, Any]:
    """The run's figures: ``context``, ``zero`` (each must be 0) and ``failover``."""
    notes = merge_notes(results)
    errors: dict[str, int] = {}
    for result in results:
        for name, value in result.get("totals", {}).items():
            if name.startswith("error."):
                errors[name[6:]] = errors.get(name[6:], 0) + value
    context, zero = check_results(notes)
    errors.pop("timeout", 0)  # a cycle over 30 s: counted as a stuck bot below
    idle = notes.get("longest_idle_s", {})
    stuck_bots = {bot: s for bot, s in idle.items() if s > STUCK_S}
    keys, left = redis_keys(args.redis, args.processes, show=True)
    w1, w2 = (r.get("totals", {}) for r in results)
    context = {
        "processes, kills (kill -9, restarted after)": f"{args.processes}, {len(kills)} "
        f"({args.restart_delay} s)",
        "W1 bots, matches seat 0 saw end": f"{args.players}, {w1.get('matches', 0)}",
        "W2 rooms of 8": args.rooms,
        "match sockets dropped (W1, W2)": f"{w1.get('match_drops', 0)}, {w2.get('match_drops', 0)}",
        "lobby sockets dropped (W1)": w1.get("lobby_drops", 0),
        "match sockets moved to the new host without a drop (W1)": w1.get("moved_in_place", 0),
        "lobby reconnects refused by the proxy (HTTP 502)": w1.get("lobby_refused_502", 0),
        **context,
        "Redis keys at the end, by prefix": keys,
    }
    zero = {
        **zero,
        "matches stuck (not over after the settle time)": len(stuck),
        "players stuck (a W1 bot that finished no match for over 30 s)": len(stuck_bots),
        "seq backwards (a reconnected socket's match.state below a seq it had seen)": errors.pop(
            "seq_backwards", 0
        ),
        "Redis keys left over (host keys, tickets, dead processes' liveness keys)": left,
        "other client errors": sum(errors.values()),
    }
    if errors:
        context["other client errors, by kind"] = errors
    context["longest a W1 bot went without finishing a match (s)"] = max(idle.values(), default=0)
    if stuck_bots or notes.get("timeouts"):
        context["stuck W1 bots (player: longest wait; timeouts: what it waited for)"] = (
            f"{stuck_bots}; {notes.get('timeouts', {})}"
        )
    return {"context": context, "zero": zero, "failover": failover_figures(notes)}


def report(figures: dict[str, Any], failed: list[str]) -> str:
    lines = ["| | |", "| --- | --- |"]
    for name, value in figures["context"].items():
        lines.append(f"| {name} | {value} |")
    for name, value in figures["zero"].items():
        lines.append(f"| {name} | **{value}** |")
    target = {"failover p50 (s)": "< 2", "failover max (s)": "< 4"}
    for name, value in figures["failover"].items():
        lines.append(
            f"| {name} | **{value}**{' (target ' + target[name] + ')' if name in target else ''} |"
        )
    lines.append("")
    lines.append("Result: " + ("**pass**" if not failed else "**FAIL**: " + ", ".join(failed)))
    return "\n".join(lines)


def write_doc(text: str, command: str) -> None:
    doc = ROOT / "docs/deploy.md"
    content = doc.read_text()
    start, end = "<!-- chaos: start -->", "<!-- chaos: end -->"
    if start not in content:
        raise SystemExit("docs/deploy.md has no chaos markers")
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    when = time.strftime("%Y-%m-%d")
    body = f"\n`{command}`, {when}:\n\n{text}\n"
    doc.write_text(head + start + body + end + tail)
