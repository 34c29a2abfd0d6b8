"""How long one matchmaking pass takes on Redis with 10,000 queued tickets.

    .venv/bin/python bench/matchmaker.py [--tickets 10000] [--redis redis://127.0.0.1:6379/0]

Three queues, each measured over several passes (the TAKE script's time, as the
passing process sees it, round trip included):

- ``apart``: tickets whose windows never meet (ratings 11 apart), nothing forms: the
  cost every pass pays while a big queue waits;
- ``spread``: ratings drawn around 0 (sd 10) that waited up to a minute: the first pass
  forms most of the groups, later passes look at the rest;
- ``tag``: the same for a game of 2 to 8 seats past its fill timeout.

A pass that forms many groups calls the script again every ``groups_per_call`` (500)
groups, so the longest single call (Redis is busy with nothing else meanwhile) is
shown apart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")

import django

django.setup()

from gameserver.identity import Identity  # noqa: E402
from lobby.grouping import SkillWindow  # noqa: E402
from lobby.matchmaker import Ticket  # noqa: E402
from lobby.matchmaker_redis import RedisMatchmaker  # noqa: E402
from match.games import GameInfo  # noqa: E402

PAIRS = GameInfo("tictactoe", 2, 2, False)
TAG = GameInfo("tag", 2, 8, True)


async def fill(mm: RedisMatchmaker, game: str, ratings: list[float], ages: list[float]) -> None:
    now = time.time()
    tickets = [
        Ticket(Identity(f"p{i:05}", "x"), game, f"c{i}", r, now - age)
        for i, (r, age) in enumerate(zip(ratings, ages, strict=True))
    ]
    for start in range(0, len(tickets), 500):
        await asyncio.gather(*(mm.add(t) for t in tickets[start : start + 500]))


def time_calls(mm: RedisMatchmaker) -> list[float]:
    """Record how long each TAKE script call takes (Redis serves nobody else meanwhile)."""
    calls: list[float] = []
    script = mm._take

    async def timed(**kwargs):
        began = time.perf_counter()
        try:
            return await script(**kwargs)
        finally:
            calls.append(time.perf_counter() - began)

    mm._take = timed
    return calls


async def timed_passes(mm: RedisMatchmaker, info: GameInfo, passes: int) -> list[tuple]:
    out = []
    for _ in range(passes):
        began = time.perf_counter()
        groups = await mm.take_groups(info, 5.0, SkillWindow())
        out.append((time.perf_counter() - began, len(groups)))
    return out


async def scenario(url: str, name: str, info: GameInfo, ratings, ages, passes=5) -> None:
    mm = RedisMatchmaker(url, prefix=f"bench:mm:{secrets.token_hex(4)}:")
    try:
        await fill(mm, info.name, ratings, ages)
        calls = time_calls(mm)
        results = await timed_passes(mm, info, passes)
        left = (await mm.queue_lengths()).get(info.name, 0)
        times = [t * 1000 for t, _ in results]
        formed = sum(n for _, n in results)
        print(
            f"{name:7} {len(ratings)} tickets: first pass {times[0]:.1f} ms "
            f"({results[0][1]} groups), later passes median {statistics.median(times[1:]):.1f} ms,"
            f" max {max(times[1:]):.1f} ms; {formed} groups in all, {left} left;"
            f" longest script call {max(calls) * 1000:.1f} ms"
        )
    finally:
        keys = [k async for k in mm.redis.scan_iter(match=mm.prefix + "*", count=1000)]
        for start in range(0, len(keys), 1000):
            await mm.redis.delete(*keys[start : start + 1000])
        await mm.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    n, rng = args.tickets, random.Random(7)
    await scenario(args.redis, "apart", PAIRS, [i * 11.0 for i in range(n)], [0.0] * n)
    spread = [rng.gauss(0, 10) for _ in range(n)]
    ages = [rng.uniform(0, 60) for _ in range(n)]
    await scenario(args.redis, "spread", PAIRS, spread, ages)
    await scenario(args.redis, "tag", TAG, spread, ages)


if __name__ == "__main__":
    asyncio.run(main())
