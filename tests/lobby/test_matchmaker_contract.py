"""One contract for every matchmaker backend: the same tests on memory and on Redis."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest

from gameserver.identity import Identity
from lobby.matchmaker import PLACING, QUEUED, MemoryMatchmaker, Ticket
from match.games.base import GameInfo
from tests.services import delete_keys, require_redis

TAG = GameInfo("tag", 2, 8, True)
TICTACTOE = GameInfo("tictactoe", 2, 2, False)
LONG = 3600.0  # a fill timeout no test reaches


@pytest.fixture(params=["memory", "redis"])
async def mm(request):
    if request.param == "memory":
        yield MemoryMatchmaker()
        return
    from lobby.matchmaker_redis import RedisMatchmaker

    prefix = f"test:mm:{secrets.token_hex(6)}:"
    matchmaker = RedisMatchmaker(require_redis(), prefix=prefix)
    try:
        yield matchmaker
    finally:
        await delete_keys(matchmaker.redis, prefix)
        await matchmaker.close()


class Queue:
    """Makes tickets one after another: each enqueued a millisecond after the last."""

    def __init__(self, start: float | None = None) -> None:
        self.clock = time.time() if start is None else start

    def ticket(self, pid: str, game: str = "tictactoe", ago: float = 0.0) -> Ticket:
        self.clock += 0.001
        return Ticket(Identity(pid, pid.upper()), game, f"chan.{pid}", 1500.0, self.clock - ago)


def ids(groups: list[list[Ticket]]) -> list[list[str]]:
    return [[t.player.id for t in group] for group in groups]


async def fill(mm, pids: str, game: str = "tictactoe", ago: float = 0.0) -> list[Ticket]:
    queue, tickets = Queue(), []
    for pid in pids.split():
        tickets.append(queue.ticket(pid, game, ago))
        assert await mm.add(tickets[-1])
    return tickets


async def test_a_player_holds_one_ticket(mm):
    queue = Queue()
    assert await mm.status("ann") is None
    assert await mm.add(queue.ticket("ann"))
    assert await mm.status("ann") == QUEUED
    assert not await mm.add(queue.ticket("ann"))
    assert not await mm.add(queue.ticket("ann", game="tag"))
    assert await mm.queue_lengths() == {"tictactoe": 1}


async def test_remove_needs_the_tickets_channel_when_given(mm):
    await fill(mm, "ann bob")
    assert not await mm.remove("ann", "chan.other")
    assert await mm.status("ann") == QUEUED
    assert await mm.remove("ann", "chan.ann")
    assert await mm.status("ann") is None
    assert not await mm.remove("ann", "chan.ann")
    assert await mm.remove("bob")
    assert not await mm.remove("nobody")
    assert await mm.queue_lengths() == {"tictactoe": 0}
    assert await mm.add(Queue().ticket("ann"))


async def test_full_groups_first_come_first_matched(mm):
    tickets = await fill(mm, "a b c d e")
    groups = await mm.take_groups(TICTACTOE, LONG)
    assert ids(groups) == [["a", "b"], ["c", "d"]]
    assert groups[0][0].as_dict() == tickets[0].as_dict()
    assert [await mm.status(p) for p in "abcde"] == [PLACING] * 4 + [QUEUED]
    assert await mm.queue_lengths() == {"tictactoe": 1}
    assert await mm.take_groups(TICTACTOE, LONG) == []
    assert not await mm.add(Queue().ticket("a"))


async def test_a_full_group_forms_at_once_and_the_rest_waits(mm):
    await fill(mm, " ".join(f"p{i:02}" for i in range(11)), game="tag")
    assert ids(await mm.take_groups(TAG, LONG)) == [[f"p{i:02}" for i in range(8)]]
    assert await mm.take_groups(TAG, LONG) == []
    assert await mm.queue_lengths() == {"tag": 3}


async def test_the_fill_timeout_forms_smaller_groups(mm):
    await fill(mm, "a b c", game="tag", ago=10.0)
    await fill(mm, "d", game="tag")
    assert await mm.take_groups(TAG, 60.0) == []
    assert ids(await mm.take_groups(TAG, 5.0)) == [["a", "b", "c", "d"]]


async def test_the_fill_timeout_still_needs_min_players(mm):
    await fill(mm, "a", game="tag", ago=10.0)
    assert await mm.take_groups(TAG, 0.0) == []
    assert await mm.status("a") == QUEUED
    await fill(mm, "b", game="tag")
    assert ids(await mm.take_groups(TAG, 0.0)) == [["a", "b"]]


async def test_queues_are_per_game(mm):
    await fill(mm, "a b c", game="tag")
    await fill(mm, "x y z")
    assert await mm.queue_lengths() == {"tag": 3, "tictactoe": 3}
    assert ids(await mm.take_groups(TICTACTOE, LONG)) == [["x", "y"]]
    assert await mm.queue_lengths() == {"tag": 3, "tictactoe": 1}


async def test_leaving_while_placing_shows_in_settle(mm):
    await fill(mm, "ann bob")
    [group] = await mm.take_groups(TICTACTOE, LONG)
    assert not await mm.remove("ann", "chan.other")
    assert not await mm.remove("ann", "chan.ann")
    assert await mm.status("ann") == PLACING
    assert not await mm.add(Queue().ticket("ann"))
    assert await mm.settle(group) == {"ann"}
    assert await mm.status("ann") is None
    assert await mm.status("bob") is None


async def test_settle_ends_placing(mm):
    await fill(mm, "ann bob")
    [group] = await mm.take_groups(TICTACTOE, LONG)
    assert await mm.settle(group) == set()
    assert [await mm.status(p) for p in ("ann", "bob")] == [None, None]
    assert await mm.add(Queue().ticket("ann"))
    assert await mm.settle([]) == set()


async def test_give_back_keeps_the_place(mm):
    await fill(mm, "a b")
    [group] = await mm.take_groups(TICTACTOE, LONG)
    await mm.add(Queue(time.time() + 1).ticket("c"))
    assert await mm.settle(group) == set()
    await mm.give_back(list(reversed(group)))
    assert [await mm.status(p) for p in "abc"] == [QUEUED] * 3
    [again] = await mm.take_groups(TICTACTOE, LONG)
    assert [t.as_dict() for t in again] == [t.as_dict() for t in group]
    assert await mm.queue_lengths() == {"tictactoe": 1}


async def test_give_back_skips_a_player_who_queued_again(mm):
    await fill(mm, "a b")
    [group] = await mm.take_groups(TICTACTOE, LONG)
    await mm.settle(group)
    fresh = Queue(time.time() + 1).ticket("a")
    assert await mm.add(fresh)
    await mm.give_back(group)
    assert await mm.queue_lengths() == {"tictactoe": 2}
    [again] = await mm.take_groups(TICTACTOE, LONG)
    assert [t.as_dict() for t in again] == [group[1].as_dict(), fresh.as_dict()]


async def test_give_back_of_nothing(mm):
    await mm.give_back([])
    assert await mm.queue_lengths() == {}


async def test_one_process_leads(mm):
    assert await mm.lead()
    assert await mm.lead()


async def test_give_back_says_who_went_back(mm):
    await fill(mm, "a b")
    [group] = await mm.take_groups(TICTACTOE, LONG)
    await mm.settle(group)
    assert await mm.add(Queue(time.time() + 1).ticket("a"))
    assert await mm.give_back(group) == {"b"}
    assert await mm.give_back([]) == set()


async def test_a_formed_match_remembers_its_tickets_once(mm):
    tickets = await fill(mm, "a b")
    await mm.remember("m1", tickets, 10.0)
    await mm.remember("m2", tickets[:1], 0.05)
    assert [t.as_dict() for t in await mm.recall("m1")] == [t.as_dict() for t in tickets]
    assert await mm.recall("m1") == []
    await asyncio.sleep(0.1)
    assert await mm.recall("m2") == []  # lapsed


async def test_a_cooldown_counts_down(mm):
    assert await mm.cooldown_left("ann") == 0
    await mm.cool_down("ann", 0.3)
    await mm.cool_down("bob", 0)
    assert 0.1 < await mm.cooldown_left("ann") <= 0.3
    assert await mm.cooldown_left("bob") == 0
    await asyncio.sleep(0.35)
    assert await mm.cooldown_left("ann") == 0


async def test_a_ticket_names_its_process_and_a_live_process_is_seen(mm):
    await mm.ready()
    ticket = Queue().ticket("ann")
    ticket.proc = mm.token
    assert Ticket.from_dict(ticket.as_dict()).proc == mm.token
    assert await mm.alive({mm.token}) == {mm.token}
    assert await mm.alive(set()) == set()
