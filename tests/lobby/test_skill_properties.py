"""Properties of ranked matchmaking, whatever the arrival order, on both backends.

A queue is played forward on a clock the test moves, with a pass every half second.
At every pass: nobody is grouped with a player outside their window (or whose window
they are outside), and nobody is left waiting who could have been grouped (so nobody
waits longer than the gap needs). Memory and Redis form exactly the same groups.
"""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lobby.test_matchmaker_contract import TAG, TICTACTOE
from tests.lobby.test_skill_window import T0, WINDOW, Clock, make_matchmaker, ticket

STEP = 0.5
FILL = 5.0

arrivals = st.lists(
    st.tuples(st.integers(-40, 40).map(lambda x: x / 2), st.integers(0, 40).map(lambda x: x / 4)),
    min_size=2,
    max_size=11,
)


def reach(at: float, now: float) -> float:
    return WINDOW.half_width(now - at)


def fits(members: list[tuple[float, float]], now: float) -> bool:
    """Every member's rating inside every other member's window."""
    return all(
        abs(ra - rb) <= min(reach(ta, now), reach(tb, now))
        for (ra, ta), (rb, tb) in itertools.combinations(members, 2)
    )


def some_group_fits(members: list[tuple[float, float]], size: int, now: float) -> bool:
    """Whether ``size`` of ``members`` would fit together: all ratings in [lo, hi] and all
    windows covering [lo, hi], for some lo and hi among the ratings.
    """
    ratings = sorted({r for r, _ in members})
    for lo, hi in itertools.combinations_with_replacement(ratings, 2):
        inside = [
            1
            for r, t in members
            if lo <= r <= hi and r - reach(t, now) <= lo and r + reach(t, now) >= hi
        ]
        if len(inside) >= size:
            return True
    return False


async def play(backend: str, entries: list[tuple[float, float]], info) -> list[tuple]:
    """Every pass's (time, groups, who is left); the properties checked on the way."""
    clock = Clock()
    mm, dispose = await make_matchmaker(backend, clock)
    known = {f"p{i:02}": entry for i, entry in enumerate(entries)}
    log, waiting, placed = [], set(), set()
    end = max(t for _, t in entries) + 45
    try:
        for step in range(int(end / STEP) + 1):
            now = step * STEP
            for pid, (rating, at) in known.items():
                if at <= now and pid not in waiting | placed:
                    waiting.add(pid)
                    assert await mm.add(ticket(pid, rating, at, info.name))
            clock.now = T0 + now
            groups = [[t.player.id for t in g] for g in await mm.take_groups(info, FILL, WINDOW)]
            for group in groups:
                waiting -= set(group)
                placed |= set(group)
                assert info.min_players <= len(group) <= info.max_players
                assert fits([known[p] for p in group], now), (now, group)
            check_nobody_could_be_grouped([known[p] for p in waiting], info, now)
            log.append((now, groups, sorted(waiting)))
    finally:
        if dispose is not None:
            await dispose()
    return log


def check_nobody_could_be_grouped(left: list[tuple[float, float]], info, now: float) -> None:
    assert not some_group_fits(left, info.max_players, now), (now, left)
    if info.min_players < info.max_players:
        for a, b in itertools.combinations(left, 2):
            due = now - min(a[1], b[1]) >= FILL
            assert not (due and fits([a, b], now)), (now, a, b)


def run(entries, info) -> None:
    memory = asyncio.run(play("memory", entries, info))
    redis = asyncio.run(play("redis", entries, info))
    assert redis == memory
    assert len(memory[-1][2]) <= 1  # the windows kept widening: in the end all but one played


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrivals)
def test_pairs_whatever_the_arrival_order(entries):
    run(entries, TICTACTOE)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrivals)
def test_groups_of_many_whatever_the_arrival_order(entries):
    run(entries, TAG)
