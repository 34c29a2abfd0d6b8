"""Real-time inputs journaled while a match plays, and what a rebuild makes of them."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from match import persistence
from match.models import InputChunk
from match.persistence import Journaled, MatchRecord, SeatRecord
from match.registry import get_game
from match.runtime.hosting import hosts
from match.runtime.rebuild import rebuild
from match.runtime.replay import initial_state, tick_states, unpack_inputs
from tests.match.test_runtime import check_replay, connect_all, queue

pytestmark = [pytest.mark.django_db(transaction=True)]


def record(journal: Journaled | None) -> MatchRecord:
    seats = [SeatRecord(0, "a", "a"), SeatRecord(1, "b", "b")]
    return MatchRecord("m", "tag", 7, {"duration_s": 60}, "active", 0.0, seats, journal=journal)


def test_a_rebuild_replays_the_journal_and_continues_from_its_seq_promise():
    tag = get_game("tag")
    changes = [
        [0, 0, {"dx": 1, "dy": 0}],
        [12, 1, {"dx": 0, "dy": 1}],
        [30, 0, {"dx": -1, "dy": 0}],
    ]
    rebuilt = rebuild(tag, record(Journaled(ticks=30, seq=95, changes=changes)))
    start = initial_state(tag, 2, {"duration_s": 60}, 7)
    assert rebuilt.state == list(tick_states(tag, start, 30, changes))[-1]
    assert rebuilt.state["tick"] == rebuilt.ticks == 30
    assert rebuilt.seq == 95  # above any seq sent before, though only 30 ticks are back
    assert rebuilt.inputs == {0: {"dx": -1, "dy": 0}, 1: {"dx": 0, "dy": 1}}  # from tick 30
    assert rebuilt.changes == changes
    fresh = rebuild(tag, record(None))
    assert (fresh.seq, fresh.ticks, fresh.state) == (0, 0, start)


def chunks(match_id: str) -> list[InputChunk]:
    return list(InputChunk.objects.filter(match_id=match_id).order_by("id"))


async def test_inputs_are_journaled_while_a_tag_match_plays(settings):
    settings.GAMESERVER_FILL_TIMEOUT = 0.2
    settings.GAMESERVER_GAME_OPTIONS = {"tag": {"duration_s": 1.5}}
    settings.GAMESERVER_INPUT_JOURNAL_INTERVAL = 0.25
    hosts.__init__()
    tokens, match_id = await queue("tag", "ann", "bob")
    a, b = await connect_all(match_id, tokens)
    seqs = []
    for n in range(4):
        await a.send({"type": "input", "input": {"dx": 1 - n % 2, "dy": 0}})
        while (message := await a.recv())["type"] != "match.update":
            pass
        seqs.append(message["seq"])
        await asyncio.sleep(0.2)
    while (await b.recv())["type"] != "match.over":
        pass
    written = await database_sync_to_async(chunks)(match_id)
    assert len(written) >= 3
    ticks = [c.ticks for c in written]
    assert ticks == sorted(ticks) and ticks[-1] > 0
    assert all(c.seq >= c.ticks for c in written)
    match = await database_sync_to_async(check_replay)(match_id)
    journal = await database_sync_to_async(persistence.load_journal)(match_id)
    _, final_changes = unpack_inputs(bytes(match.input_log))
    assert journal.changes == final_changes[: len(journal.changes)]
    assert journal.seq >= max(seqs)


async def test_no_tick_passes_the_seq_the_journal_promised(settings, monkeypatch):
    """A journal write that does not land holds the ticks: a rebuild could otherwise
    come back with a seq below one already sent."""
    settings.GAMESERVER_FILL_TIMEOUT = 0.2
    written = asyncio.Event()
    release = asyncio.Event()
    original = persistence.arecord_input_chunks

    async def slow(rows):
        written.set()
        await release.wait()
        await original(rows)

    monkeypatch.setattr(persistence, "arecord_input_chunks", slow)
    tokens, match_id = await queue("tag", "ann", "bob")
    a, _ = await connect_all(match_id, tokens)
    await asyncio.wait_for(written.wait(), 5)
    assert await a.nothing(0.4)  # not one update: seq 1 is not promised yet
    release.set()
    first = await a.until("match.update")
    assert first["seq"] == 1
    promised = await database_sync_to_async(chunks)(match_id)
    assert promised and promised[0].seq >= 1
    await a.send({"type": "resign"})
