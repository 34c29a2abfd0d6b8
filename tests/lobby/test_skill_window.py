"""The skill window, on both matchmaker backends: the same tests on memory and on Redis,
with a clock the tests move (protocol.md, "Ranked matchmaking").
"""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest

from gameserver.identity import Identity
from lobby.grouping import SkillWindow
from lobby.matchmaker import MemoryMatchmaker, Ticket
from tests.lobby.test_matchmaker_contract import LONG, TAG, TICTACTOE, ids
from tests.services import delete_keys, require_redis

WINDOW = SkillWindow(5.0, 1.0)
T0 = 1_000_000.0


class Clock:
    """A clock that only moves when told."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def make_matchmaker(backend: str, clock: Clock):
    """A fresh matchmaker of ``backend`` on ``clock``, and a function that disposes of it."""
    if backend == "memory":
        return MemoryMatchmaker(clock), None
    from lobby.matchmaker_redis import RedisMatchmaker

    prefix = f"test:sk:{secrets.token_hex(6)}:"
    mm = RedisMatchmaker(require_redis(), prefix=prefix, clock=clock)

    async def dispose() -> None:
        await delete_keys(mm.redis, prefix)
        await mm.close()

    return mm, dispose


@pytest.fixture(params=["memory", "redis"])
async def clocked(request):
    clock = Clock()
    mm, dispose = await make_matchmaker(request.param, clock)
    mm.test_clock = clock
    yield mm
    if dispose is not None:
        await dispose()


def ticket(pid: str, rating: float, at: float, game: str = "tictactoe") -> Ticket:
    return Ticket(Identity(pid, pid.upper()), game, f"chan.{pid}", rating, T0 + at)


async def queue(mm, *entries: tuple[str, float, float], game: str = "tictactoe") -> None:
    for pid, rating, at in entries:
        assert await mm.add(ticket(pid, rating, at, game))


async def take_at(mm, at: float, info=TICTACTOE, fill: float = LONG) -> list[list[str]]:
    mm.test_clock.now = T0 + at
    return ids(await mm.take_groups(info, fill, WINDOW))


async def test_two_alone_match_once_their_gap_is_covered(clocked):
    await queue(clocked, ("ann", 0.0, 0.0), ("bob", 12.0, 0.0))
    assert await take_at(clocked, 0.0) == []
    assert await take_at(clocked, 6.9) == []  # windows of 11.9: not yet
    assert await take_at(clocked, 7.0) == [["ann", "bob"]]  # 5 + 7 covers 12


async def test_each_window_counts_not_only_the_oldest(clocked):
    await queue(clocked, ("old", 0.0, 0.0), ("new", 10.0, 20.0))
    assert await take_at(clocked, 20.0) == []  # inside old's 25, but new's window is 5
    assert await take_at(clocked, 24.9) == []
    assert await take_at(clocked, 25.0) == [["old", "new"]]


async def test_closest_ratings_first(clocked):
    await queue(clocked, ("a", 0.0, 0.0), ("b", 4.0, 0.1), ("c", 5.0, 0.2), ("d", 9.5, 0.3))
    assert await take_at(clocked, 0.3) == [["b", "c"]]  # gap 1 before a-b (4) or c-d (4.5)
    assert await take_at(clocked, 0.3) == []  # a and d: 9.5 apart


async def test_among_equals_first_come_first_matched(clocked):
    await queue(clocked, ("c", 3.0, 0.2), ("a", 3.0, 0.0), ("d", 3.0, 0.3), ("b", 3.0, 0.1))
    assert await take_at(clocked, 0.3) == [["a", "b"], ["c", "d"]]


async def test_a_pair_forms_across_a_player_it_cannot_take(clocked):
    """``mid`` sits between two who fit each other but fits neither: they still match."""
    await queue(clocked, ("low", 0.0, 0.0), ("high", 18.0, 0.0), ("mid", 10.0, 13.0))
    assert await take_at(clocked, 13.0) == [["high", "low"]]  # same arrival: by id


async def test_a_full_group_needs_every_members_window(clocked):
    seven = [(f"p{i}", 0.0, 0.0) for i in range(7)]
    await queue(clocked, *seven, ("late", 8.0, 10.0), game="tag")
    assert await take_at(clocked, 10.0, TAG) == []  # late's window (3..13) misses 0
    assert await take_at(clocked, 12.9, TAG) == []
    assert await take_at(clocked, 13.0, TAG) == [[*(p for p, _, _ in seven), "late"]]


async def test_the_fill_timeout_forms_smaller_groups_within_the_window(clocked):
    await queue(clocked, ("a", 0.0, 0.0), ("b", 2.0, 0.5), ("c", 30.0, 0.2), game="tag")
    assert await take_at(clocked, 4.9, TAG, fill=5.0) == []
    assert await take_at(clocked, 6.0, TAG, fill=5.0) == [["a", "b"]]
    assert await clocked.queue_lengths() == {"tag": 1}


async def test_a_smaller_group_takes_the_nearer_then_the_earlier(clocked):
    """Two are as near to the one who waited, but do not fit each other: first come,
    whichever side it is on.
    """
    await queue(clocked, ("t", 0.0, 0.0), ("up", 4.0, 9.0), ("down", -4.0, 9.5), game="tag")
    assert await take_at(clocked, 10.0, TAG, fill=5.0) == [["t", "up"]]
    assert await clocked.remove("down")
    await queue(clocked, ("u", 0.0, 10.0), ("d", -4.0, 18.0), ("x", 4.0, 19.0), game="tag")
    assert await take_at(clocked, 20.0, TAG, fill=5.0) == [["u", "d"]]


async def test_the_full_group_of_the_closest_ratings_forms_first(clocked):
    far = [(f"f{i}", 20.0 + i * 0.5, 0.0) for i in range(8)]  # spread 3.5
    near = [(f"n{i}", 40.0 + i * 0.1, 0.1) for i in range(8)]  # spread 0.7
    await queue(clocked, *far, *near, game="tag")
    groups = await take_at(clocked, 0.1, TAG)
    assert groups == [[p for p, _, _ in near], [p for p, _, _ in far]]


async def test_a_ticket_stamped_ahead_of_the_clock_counts_as_just_arrived(clocked):
    """Another process's clock may run ahead: its tickets wait no less than zero, so a
    fill timeout of zero still forms their group.
    """
    await queue(clocked, ("a", 0.0, 0.5), ("b", 0.0, 0.6), ("c", 0.0, 0.7), game="tag")
    assert await take_at(clocked, 0.0, TAG, fill=0.0) == [["a", "b", "c"]]


async def test_a_new_players_ticket_carries_the_rating_it_queued_with(clocked):
    await queue(clocked, ("ann", 7.25, 0.0), ("bob", 7.5, 0.0))
    [group] = await clocked.take_groups(TICTACTOE, LONG, WINDOW)
    assert [t.rating for t in group] == [7.25, 7.5]


async def test_the_settings_give_the_default_window(clocked, settings):
    settings.GAMESERVER_SKILL_WINDOW, settings.GAMESERVER_SKILL_WIDEN = 1.0, 0.0
    await queue(clocked, ("ann", 0.0, 0.0), ("bob", 2.0, 0.0))
    clocked.test_clock.now = T0 + 1000
    assert await clocked.take_groups(TICTACTOE, LONG) == []  # never widens
    settings.GAMESERVER_SKILL_WINDOW = 2.0
    assert ids(await clocked.take_groups(TICTACTOE, LONG)) == [["ann", "bob"]]


async def test_a_pass_over_10000_waiting_tickets_is_well_under_the_pass_interval():
    """10,000 tickets that cannot match: what every pass pays while a big queue waits.
    Then 2,000 that all can, grouped in one pass. (bench/matchmaker.py measures more.)
    """
    mm, dispose = await make_matchmaker("redis", Clock())
    try:
        lonely = [ticket(f"l{i:05}", i * 11.0, 0.0) for i in range(10_000)]
        for start in range(0, len(lonely), 1000):
            await asyncio.gather(*(mm.add(t) for t in lonely[start : start + 1000]))
        took = []
        for _ in range(3):
            began = time.perf_counter()
            assert await mm.take_groups(TICTACTOE, LONG, WINDOW) == []
            took.append(time.perf_counter() - began)
        assert min(took) < 0.25, took  # the pass loop runs every 0.5 s
        crowd = [ticket(f"c{i:04}", -500.0, 0.0, "tag") for i in range(2000)]
        await asyncio.gather(*(mm.add(t) for t in crowd))
        groups = await mm.take_groups(TAG, LONG, WINDOW)
        assert len(groups) == 250 and all(len(g) == 8 for g in groups)
        assert await mm.queue_lengths() == {"tictactoe": 10_000, "tag": 0}
    finally:
        await dispose()


async def test_a_pass_in_several_script_calls_forms_the_same_groups():
    """Redis forms at most ``groups_per_call`` groups per call and calls again: the groups
    are the ones a single pass (the memory backend's) forms.
    """
    import random

    from lobby.matchmaker_redis import RedisMatchmaker

    rng = random.Random(5)
    entries = [(f"p{i:03}", rng.randint(-40, 40) / 2, rng.randint(0, 40) / 4) for i in range(90)]
    memory = MemoryMatchmaker(Clock())
    memory.test_clock = memory.clock
    await queue(memory, *entries, game="tag")
    clock = Clock()
    prefix = f"test:sk:{secrets.token_hex(6)}:"
    redis = RedisMatchmaker(require_redis(), prefix=prefix, clock=clock, groups_per_call=2)
    redis.test_clock = clock
    try:
        await queue(redis, *entries, game="tag")
        formed = []
        for at in (0.0, 10.0, 12.0, 30.0):
            want = await take_at(memory, at, TAG, fill=5.0)
            assert await take_at(redis, at, TAG, fill=5.0) == want
            formed += want
        assert len(formed) >= 6  # several calls' worth
    finally:
        await delete_keys(redis.redis, prefix)
        await redis.close()
