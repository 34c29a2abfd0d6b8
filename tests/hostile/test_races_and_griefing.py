"""Hostile and careless clients through the real ASGI application: a client that
re-queues the instant it reads ``match.over``, a player who stops moving, a matched
player who never connects, and lobby churn (join / leave as fast as it can).
"""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from lobby import service
from match.models import Match
from match.runtime.host import MatchHost
from tests.helpers import guest, lobby_client, match_client
from tests.match.test_runtime import check_replay

pytestmark = [pytest.mark.django_db(transaction=True)]


async def guests(*names: str) -> list[str]:
    return [(await database_sync_to_async(guest)(n))[1] for n in names]


async def queued(token: str, game: str = "tictactoe"):
    lobby = await lobby_client(token)
    await lobby.send({"type": "queue.join", "game": game})
    await lobby.expect("queue.joined")
    return lobby


async def matched(game: str, tokens: list[str]):
    """The players queue in order and are matched: (lobby sockets, match id)."""
    lobbies = [await queued(t, game) for t in tokens]
    found = [await lobby.expect("match.found") for lobby in lobbies]
    assert [f["seat"] for f in found] == list(range(len(tokens)))
    return lobbies, found[0]["match_id"]


async def started(match_id: str, tokens: list[str]):
    sockets = [await match_client(match_id, t) for t in tokens]
    for socket in sockets:
        await socket.expect("match.state")
    return sockets, [await socket.until("match.started") for socket in sockets]


async def test_a_player_may_queue_the_instant_match_over_arrives(monkeypatch, settings):
    """Closing sockets takes its time (a slow client, a slow server): the seats are free
    before ``match.over`` goes out all the same, match after match."""
    settings.GAMESERVER_SKILL_WINDOW = 1e9  # the winner's and loser's ratings part: any will do
    close = MatchHost.close_quietly

    async def slow_close(self, conn, code):
        await asyncio.sleep(0.2)
        await close(self, conn, code)

    monkeypatch.setattr(MatchHost, "close_quietly", slow_close)
    tokens = await guests("ann", "bob")
    lobbies, match_id = await matched("tictactoe", tokens)
    for _ in range(5):
        sockets, _ = await started(match_id, tokens)
        await sockets[1].send({"type": "resign"})
        for socket, lobby in zip(sockets, lobbies, strict=True):
            assert (await socket.until("match.over"))["result"]["reason"] == "resign"
            await lobby.send({"type": "queue.join", "game": "tictactoe"})
        for lobby in lobbies:
            assert (await lobby.recv())["type"] == "queue.joined"
        found = [await lobby.expect("match.found") for lobby in lobbies]
        assert found[0]["match_id"] != match_id
        match_id = found[0]["match_id"]


async def test_a_seat_that_stops_moving_loses_on_time(settings):
    settings.GAMESERVER_GAME_OPTIONS = {"tictactoe": {"turn_timeout_s": 0.5}}
    tokens = await guests("ann", "bob")
    _, match_id = await matched("tictactoe", tokens)
    (a, b), starts = await started(match_id, tokens)
    assert 0 < starts[0]["deadline"] - starts[0]["t"] <= 501
    await a.send({"type": "move", "move": {"cell": 4}})
    update = await b.expect("match.update")
    assert 0 < update["deadline"] - update["t"] <= 501  # bob's turn: a fresh 0.5 s
    over = await a.until("match.over", timeout=5)
    assert over["result"] == {"winner": 0, "ranking": [0, 1], "reason": "timeout"}
    assert "deadline" not in over
    match = await database_sync_to_async(check_replay)(match_id)
    assert (match.reason, match.winner) == ("timeout", 0)


async def test_rps_times_a_round_not_a_choice(settings):
    """The seat that has not chosen keeps the round's deadline when the other chooses."""
    settings.GAMESERVER_GAME_OPTIONS = {"rps": {"turn_timeout_s": 0.6}}
    tokens = await guests("ann", "bob")
    _, match_id = await matched("rps", tokens)
    (a, b), starts = await started(match_id, tokens)
    await a.send({"type": "move", "move": {"choice": "rock"}})
    update = await b.expect("match.update")
    assert abs(update["deadline"] - starts[1]["deadline"]) <= 5
    over = await b.until("match.over", timeout=5)
    assert over["result"] == {"winner": 0, "ranking": [0, 1], "reason": "timeout"}


async def test_when_nobody_moves_a_timeout_counts_for_nobody(settings):
    settings.GAMESERVER_GAME_OPTIONS = {"rps": {"turn_timeout_s": 0.3}}
    tokens = await guests("ann", "bob")
    _, match_id = await matched("rps", tokens)
    (a, _), _ = await started(match_id, tokens)
    over = await a.until("match.over", timeout=5)
    assert over["result"] == {"winner": None, "ranking": [], "reason": "timeout"}


async def test_the_builtin_turn_games_time_turns_by_default_and_zero_turns_it_off(settings):
    tokens = await guests("ann", "bob")
    _, match_id = await matched("tictactoe", tokens)
    (a, _), starts = await started(match_id, tokens)
    assert 59_000 < starts[0]["deadline"] - starts[0]["t"] <= 60_001
    await a.send({"type": "sync"})
    assert (await a.expect("match.state"))["deadline"] == starts[0]["deadline"]
    settings.GAMESERVER_GAME_OPTIONS = {"tictactoe": {"turn_timeout_s": 0}}
    more = await guests("cat", "dan")
    _, match_id = await matched("tictactoe", more)
    _, starts = await started(match_id, more)
    assert "deadline" not in starts[0]


async def test_a_no_show_sends_the_others_back_to_their_place_and_cools_down(settings):
    settings.GAMESERVER_JOIN_TIMEOUT = 0.5
    settings.GAMESERVER_NOSHOW_COOLDOWN = 1.0
    ann, bob, cat = await guests("ann", "bob", "cat")
    (ann_lobby, bob_lobby), match_id = await matched("tictactoe", [ann, bob])
    ann_enqueued = service.lobby.matchmaker.formed.items[match_id][1][0].enqueued
    cat_lobby = await queued(cat)  # waits alone, queued after ann
    ann_match = await match_client(match_id, ann)
    await ann_match.expect("match.state")
    over = await ann_match.expect("match.over", timeout=5)
    assert over["result"] == {"winner": None, "ranking": [], "reason": "abandoned"}
    back = await ann_lobby.expect("queue.joined")
    assert back == {"type": "queue.joined", "game": "tictactoe", "requeued": True,
                    "match_id": match_id}  # fmt: skip
    found = await ann_lobby.expect("match.found")
    assert (found["seat"], found["players"][1]["name"]) == (0, "cat")  # her old place
    assert (await cat_lobby.expect("match.found"))["seat"] == 1
    assert service.lobby.matchmaker.formed.items[found["match_id"]][1][0].enqueued == ann_enqueued
    assert await bob_lobby.nothing(0.2)  # bob is told nothing: he ignored match.found
    await bob_lobby.send({"type": "queue.join", "game": "tictactoe", "id": "again"})
    refused = await bob_lobby.expect("error")
    assert (refused["code"], refused["id"]) == ("cooldown", "again")
    assert 0 < refused["retry_after_s"] <= 1.0
    await asyncio.sleep(refused["retry_after_s"])
    await bob_lobby.send({"type": "queue.join", "game": "tictactoe"})
    await bob_lobby.expect("queue.joined")


async def test_a_no_show_whose_partner_left_the_lobby_frees_the_partner(settings):
    settings.GAMESERVER_JOIN_TIMEOUT = 0.3
    ann, bob = await guests("ann", "bob")
    (ann_lobby, _), match_id = await matched("tictactoe", [ann, bob])
    await ann_lobby.close()  # she went straight to the match, as the demo does
    ann_match = await match_client(match_id, ann)
    await ann_match.expect("match.state")
    await ann_match.expect("match.over", timeout=5)
    await queued(ann)  # free, not cooling down, and not queued twice


async def test_lobby_churn_writes_no_match_that_nobody_heard_of():
    """Griefers join and leave as fast as they can: a match whose member left while it
    was being formed is discarded unannounced, and every stored match was announced."""
    tokens = await guests(*(f"g{i}" for i in range(6)))
    announced: set[str] = set()

    async def churn(token: str) -> None:
        lobby = await lobby_client(token)
        for _ in range(25):
            await lobby.send({"type": "queue.join", "game": "tictactoe"})
            await lobby.send({"type": "queue.leave"})
            for _ in range(2):
                message = await lobby.recv()
                if message["type"] == "match.found":
                    announced.add(message["match_id"])
                    await lobby.close()
                    return

    await asyncio.gather(*(churn(t) for t in tokens))
    stored = await database_sync_to_async(lambda: set(Match.objects.values_list("id", flat=True)))()
    assert stored == announced
    abandoned = await database_sync_to_async(Match.objects.filter(reason="abandoned").count)()
    assert abandoned == 0


async def test_a_discarded_match_that_a_host_still_times_cools_nobody_down(settings):
    """A match discarded unannounced while a host (a reaper elsewhere) held it: its join
    timeout must not take its players, who never heard of it, for no-shows."""
    from match import persistence
    from match.runtime.hosting import hosts

    settings.GAMESERVER_JOIN_TIMEOUT = 0.2
    made = [await database_sync_to_async(guest)(n) for n in ("ann", "bob")]
    match_id = await persistence.acreate_match("tictactoe", 7, {}, [pid for pid, _ in made])
    host = hosts.start(await persistence.aload_match(match_id))
    assert await persistence.adiscard_match(match_id)
    await asyncio.sleep(0.5)
    assert hosts.get(match_id) is None and not host.result_written
    for pid, token in made:
        assert await service.lobby.matchmaker.cooldown_left(pid) == 0
        await queued(token)
