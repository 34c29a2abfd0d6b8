"""Party tickets and bot fills in every matchmaker backend (memory and Redis).

A party's ticket takes a seat per member and is never split; tickets that asked for
bots are popped alone once they have waited the bot fill time.
"""

from __future__ import annotations

import time

from gameserver.identity import Identity
from lobby.matchmaker import PLACING, QUEUED, Ticket
from tests.lobby.test_matchmaker_contract import LONG, TAG, TICTACTOE, Queue, ids, mm

__all__ = ["mm"]  # the backend fixture, memory and Redis


def party(queue: Queue, *pids: str, game: str = "tag", ago: float = 0.0) -> Ticket:
    """The ticket of a party led by the first of ``pids``."""
    ticket = queue.ticket(pids[0], game, ago)
    ticket.members = [Identity(p, p.upper()) for p in pids]
    ticket.channels = [f"chan.{p}" for p in pids]
    ticket.party = "PARTY" + pids[0][:1].upper()
    return ticket


def seats(groups: list[list[Ticket]]) -> list[list[str]]:
    return [[m.id for t in group for m in t.members] for group in groups]


async def test_a_party_ticket_takes_a_seat_per_member_and_is_never_split(mm):
    queue = Queue()
    tickets = [queue.ticket("a", "tag"), party(queue, "b", "c", "d", "e", "f", "g")]
    tickets += [party(queue, "h", "i", "j"), queue.ticket("k", "tag")]
    for ticket in tickets:
        assert await mm.add(ticket)
    groups = await mm.take_groups(TAG, LONG)
    assert ids(groups) == [["a", "b", "k"]]  # first come, then whatever still fits
    assert seats(groups) == [["a", "b", "c", "d", "e", "f", "g", "k"]]
    assert groups[0][1].as_dict() == tickets[1].as_dict()
    assert await mm.status("h") == QUEUED and await mm.status("b") == PLACING
    assert await mm.queue_lengths() == {"tag": 1}


async def test_a_party_waits_for_others_even_past_the_fill_timeout(mm):
    queue = Queue()
    assert await mm.add(party(queue, "a", "b", ago=30.0))
    assert await mm.take_groups(TAG, 5.0) == []
    assert await mm.add(queue.ticket("c", "tag"))
    assert seats(await mm.take_groups(TAG, 5.0)) == [["a", "b", "c"]]


async def test_a_party_leaving_while_placed_is_gone_and_the_others_go_back(mm):
    queue = Queue()
    ticket = party(queue, "a", "b", "c")
    for t in [ticket, *(queue.ticket(p, "tag") for p in "defgh")]:
        assert await mm.add(t)
    [group] = await mm.take_groups(TAG, LONG)
    assert not await mm.remove("a")  # a member left: the party's ticket is gone
    gone = await mm.settle(group)
    assert gone == {"a"}
    await mm.give_back([t for t in group if t.player.id not in gone])
    assert await mm.queue_lengths() == {"tag": 5}


async def test_bots_fill_for_lone_tickets_that_asked_after_the_bot_fill_time(mm):
    queue = Queue()
    patient = queue.ticket("a", "tictactoe", ago=10.0)
    patient.bots = True
    fresh = queue.ticket("b", "tag", ago=1.0)
    fresh.bots = True
    plain = queue.ticket("c", "tag", ago=10.0)
    for ticket in (patient, fresh, plain):
        assert await mm.add(ticket)
    assert await mm.take_bot_groups(TICTACTOE, 8.0) == [[patient]]
    assert await mm.status("a") == PLACING
    assert await mm.take_bot_groups(TAG, 8.0) == []  # c never asked, b has not waited
    assert await mm.take_bot_groups(TAG, 0.5) == [[fresh]]
    assert await mm.status("c") == QUEUED
    assert await mm.settle([patient, fresh]) == set()
    assert await mm.queue_lengths() == {"tictactoe": 0, "tag": 1}


async def test_a_ticket_keeps_its_members_and_flags_through_the_backend(mm):
    queue = Queue(time.time())
    ticket = party(queue, "a", "b", ago=1.0)
    ticket.bots = True
    assert await mm.add(ticket)
    assert await mm.add(queue.ticket("c", "tag"))
    [group] = await mm.take_groups(TAG, 0.0)
    assert group[0].as_dict() == ticket.as_dict()
    assert group[0].members == ticket.members and group[0].channels == ticket.channels
    assert (group[0].party, group[0].bots, group[0].size) == ("PARTYA", True, 2)
