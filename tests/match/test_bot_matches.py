"""One person against the server's bots, through the real ASGI application: every
built-in game to its end, bots from the queue, and a search that never blocks the loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from itertools import pairwise

import pytest
from channels.db import database_sync_to_async

from match.games import bots as game_bots
from match.models import Match
from tests.helpers import guest, lobby_client, match_client
from tests.match.test_runtime import check_replay

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def quick_bots(settings):
    settings.GAMESERVER_BOT_DELAY = 0.2
    settings.GAMESERVER_BOT_FILL = 0.3
    settings.GAMESERVER_GAME_OPTIONS = {"tag": {"duration_s": 1.5}}


async def solo_party(name: str = "ann"):
    """A guest alone in a party: (lobby client, token)."""
    _, token = await database_sync_to_async(guest)(name)
    lobby = await lobby_client(token)
    await lobby.send({"type": "party.create"})
    await lobby.expect("party.state")
    return lobby, token


async def start(lobby, token: str, game: str, bots: int = 1):
    """The party starts ``game`` with ``bots``: (match.found, the match socket)."""
    await lobby.send({"type": "party.start", "game": game, "bots": bots})
    found = await lobby.expect("match.found")
    match = await match_client(found["match_id"], token)
    state = await match.expect("match.state")
    assert state["players"] == found["players"]
    return found, match


async def against_bots(game: str, bots: int = 1):
    """A party of one starts ``game`` with ``bots``: (lobby, match.found, match socket)."""
    lobby, token = await solo_party()
    return (lobby, *await start(lobby, token, game, bots))


async def play_out(
    match, choose, timeout: float = 20, kind: str = "move"
) -> tuple[dict, list[dict]]:
    """Answer every state with ``choose(state)`` (a ``kind`` or None) until match.over."""
    updates = []
    async with asyncio.timeout(timeout):
        started = await match.until("match.started")
        message = started
        while message["type"] != "match.over":
            if message["type"] in ("match.started", "match.update"):
                updates.append(message)
                move = choose(message["state"])
                if move is not None:
                    await match.send({"type": kind, kind: move})
            message = await match.recv(timeout)
    return message, updates


async def recorded(match_id: str) -> Match:
    match = await database_sync_to_async(check_replay)(match_id)
    assert not match.rated
    return match


async def test_tictactoe_against_the_bot_which_never_loses_and_waits_its_delay():
    lobby, token = await solo_party()
    for me in (0, 1):  # as X, then (the party plays again, seats turned) as O
        found, match = await start(lobby, token, "tictactoe")
        bot = 1 - me
        assert found["seat"] == me and found["players"][bot]["name"] == "Bot 1"

        def lowest_free(state: dict, me: int = me) -> dict | None:
            free = [c for c, mark in enumerate(state["board"]) if mark is None]
            return {"cell": free[0]} if state["turn"] == me and free else None

        over, updates = await play_out(match, lowest_free)
        assert over["result"]["winner"] in (None, bot), over
        for before, after in pairwise(updates):
            if before["state"]["turn"] == bot:  # the bot's move: not before its delay
                assert after["t"] - before["t"] >= 190
        stored = await recorded(found["match_id"])
        assert await database_sync_to_async(stored.moves.count)() == len(updates) - 1


async def test_the_party_plays_again_against_the_bot_with_seats_turned():
    lobby, found, match = await against_bots("tictactoe")
    await match.send({"type": "resign"})
    await match.until("match.over")
    await lobby.send({"type": "party.start", "game": "tictactoe", "bots": 1})
    again = await lobby.expect("match.found")
    assert (found["seat"], again["seat"]) == (0, 1)
    assert again["players"][0] == {**found["players"][1], "seat": 0}  # the same Bot 1


async def test_rock_paper_scissors_against_the_bot_to_the_end():
    _, found, match = await against_bots("rps")

    def rock(state: dict) -> dict | None:
        return {"choice": "rock"} if state["choice"] is None else None

    over, _ = await play_out(match, rock)
    assert over["result"]["reason"] in ("win", "draw")
    assert over["state"]["history"] and all(
        r["choices"][found["seat"]] == "rock" for r in over["state"]["history"]
    )
    await recorded(found["match_id"])


async def test_tag_against_two_bots_to_the_end():
    _, found, match = await against_bots("tag", bots=2)

    def east_at_first(state: dict) -> dict | None:
        return {"dx": 1, "dy": 0} if state["tick"] == 0 else None

    over, updates = await play_out(match, east_at_first, kind="input")
    assert sorted(over["result"]["ranking"]) == [0, 1, 2]
    bots = [p["seat"] for p in found["players"] if p["bot"]]
    first, last = updates[0]["state"]["players"], over["state"]["players"]
    for seat in bots:  # the bots moved (chasing or fleeing)
        assert (first[seat]["x"], first[seat]["y"]) != (last[seat]["x"], last[seat]["y"])
    stored = await recorded(found["match_id"])  # the bots' inputs are in the log
    assert len(stored.ranking) == 3


async def test_queue_join_with_bots_fills_after_the_bot_fill_time():
    _, token = await database_sync_to_async(guest)("ann")
    lobby = await lobby_client(token)
    asked = time.monotonic()
    await lobby.send({"type": "queue.join", "game": "tictactoe", "bots": True})
    await lobby.expect("queue.joined")
    found = await lobby.expect("match.found", timeout=5)
    assert time.monotonic() - asked >= 0.3
    assert [(p["name"], p["bot"]) for p in found["players"]] == [("ann", False), ("Bot 1", True)]
    match = await database_sync_to_async(Match.objects.get)(id=found["match_id"])
    assert not match.rated


async def test_two_people_who_accept_bots_still_play_each_other():
    clients = []
    for name in ("ann", "bob"):
        _, token = await database_sync_to_async(guest)(name)
        clients.append(await lobby_client(token))
        await clients[-1].send({"type": "queue.join", "game": "tictactoe", "bots": True})
        await clients[-1].expect("queue.joined")
    found = [await c.expect("match.found") for c in clients]
    assert not any(p["bot"] for p in found[0]["players"])
    match = await database_sync_to_async(Match.objects.get)(id=found[0]["match_id"])
    assert match.rated


async def test_a_long_search_runs_off_the_event_loop(monkeypatch):
    """The search of a bot burns CPU for two and a half seconds: meanwhile pings still
    come back quickly, because it runs in a worker thread (on the loop, the first ping
    would wait over two seconds)."""
    searched: list[tuple[str, float]] = []
    real = game_bots.SearchBot.choose

    def slow_choose(self, state, rng):
        began = time.perf_counter()
        while time.perf_counter() - began < 2.5:
            sum(range(1000))  # pure Python: holds the GIL between switches
        searched.append((threading.current_thread().name, time.perf_counter() - began))
        return real(self, state, rng)

    monkeypatch.setattr(game_bots.SearchBot, "choose", slow_choose)
    lobby, _, match = await against_bots("tictactoe")
    await match.until("match.started")
    await match.send({"type": "move", "move": {"cell": 4}})  # the bot (O) thinks next
    await match.expect("match.update")
    await asyncio.sleep(0.3)  # past the bot's delay: the search is under way
    worst = 0.0
    while not searched:
        sent = time.perf_counter()
        await lobby.send({"type": "ping", "id": "p"})
        await lobby.expect("pong", timeout=5)
        worst = max(worst, time.perf_counter() - sent)
        await asyncio.sleep(0.05)
    assert (await match.expect("match.update", timeout=5))["state"]["turn"] == 0
    [(thread, took)] = searched
    assert thread != threading.main_thread().name and thread.startswith("bot")
    assert took >= 2.5 and worst < 1.2, (took, worst)
