"""Parties in the skill window, on both matchmaker backends: a party's ticket takes a
seat per member, is never split, and never forms a group alone (protocol.md,
"Matchmaking order").
"""

from __future__ import annotations

from gameserver.identity import Identity
from lobby.matchmaker import Ticket
from tests.lobby.test_matchmaker_contract import LONG, TAG
from tests.lobby.test_skill_window import T0, WINDOW, clocked, queue

__all__ = ["clocked"]


def party(pid: str, size: int, rating: float, at: float) -> Ticket:
    """A party ticket led by ``pid`` with ``size`` members."""
    members = [Identity(f"{pid}{i}" if i else pid, pid.upper()) for i in range(size)]
    ticket = Ticket(members[0], "tag", f"chan.{pid}", rating, T0 + at, party=pid.upper())
    ticket.members, ticket.channels = members, [f"chan.{m.id}" for m in members]
    return ticket


async def take(mm, at: float, fill: float = LONG) -> list[list[tuple[str, int]]]:
    mm.test_clock.now = T0 + at
    groups = await mm.take_groups(TAG, fill, WINDOW)
    return [[(t.player.id, t.size) for t in group] for group in groups]


async def test_a_full_group_counts_a_partys_seats(clocked):
    assert await clocked.add(party("pa", 3, 0.0, 0.0))
    await queue(clocked, *[(f"s{i}", 1.0, 0.1) for i in range(6)], game="tag")
    groups = await take(clocked, 0.2)
    assert groups == [[("pa", 3), *[(f"s{i}", 1) for i in range(5)]]]  # 3 + 5 seats
    assert await clocked.queue_lengths() == {"tag": 1}


async def test_a_party_that_does_not_fit_is_passed_over_never_split(clocked):
    assert await clocked.add(party("big", 7, 0.0, 0.0))
    assert await clocked.add(party("two", 2, 0.0, 0.1))
    await queue(clocked, ("solo", 0.0, 0.2), game="tag")
    assert await take(clocked, 0.3) == [[("big", 7), ("solo", 1)]]
    assert await take(clocked, 100.0, fill=5.0) == []  # "two" alone never forms a group


async def test_a_party_alone_waits_for_others_within_its_window(clocked):
    assert await clocked.add(party("pa", 3, 0.0, 0.0))
    assert await take(clocked, 60.0, fill=5.0) == []
    await queue(clocked, ("far", 80.0, 60.0), ("near", 2.0, 60.0), game="tag")
    assert await take(clocked, 60.0, fill=5.0) == [[("pa", 3), ("near", 1)]]
    assert await clocked.queue_lengths() == {"tag": 1}
