"""The match host as a runtime: real-time tag, hidden information, timeouts, reconnection,
and replays that land on the recorded result.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from channels.db import database_sync_to_async

from gameserver import codec
from match.models import Match
from match.registry import get_game
from match.runtime.replay import replay
from tests.helpers import guest, lobby_client, match_client

pytestmark = [pytest.mark.django_db(transaction=True)]


async def queue(game: str, *names: str, encoding: str = codec.JSON):
    """Guests who queue for ``game`` one after the other; returns tokens and the match id."""
    tokens, found = [], []
    lobbies = []
    for name in names:
        _, token = await database_sync_to_async(guest)(name)
        lobby = await lobby_client(token, encoding)
        await lobby.send({"type": "queue.join", "game": game})
        await lobby.expect("queue.joined")
        tokens.append(token)
        lobbies.append(lobby)
    for lobby in lobbies:
        found.append(await lobby.until("match.found"))
    assert [f["seat"] for f in found] == list(range(len(names)))
    return tokens, found[0]["match_id"]


async def connect_all(match_id: str, tokens: list[str], encoding: str = codec.JSON):
    clients = [await match_client(match_id, t, encoding) for t in tokens]
    for client in clients:
        await client.until("match.started")
    return clients


def check_replay(match_id: str) -> Match:
    """Rebuild the match from its seed and log: it must land on the stored state and result."""
    match = Match.objects.get(id=match_id)
    game = get_game(match.game)
    moves = [(m.seat, m.payload) for m in match.moves.all()]
    log = bytes(match.input_log) if match.input_log is not None else None
    states = replay(game, match.seats.count(), match.options, match.seed, moves, log)
    assert states[-1] == match.final_state
    if match.reason in ("win", "draw"):
        assert game.outcome(states[-1]).as_dict() == {
            "winner": match.winner,
            "ranking": match.ranking,
            "reason": match.reason,
        }
    return match


async def test_tag_runs_at_the_tick_rate_and_moves_as_inputs_say(settings):
    settings.GAMESERVER_FILL_TIMEOUT = 0.2
    settings.GAMESERVER_GAME_OPTIONS = {"tag": {"duration_s": 1.5}}
    tokens, match_id = await queue("tag", "ann", "bob", encoding=codec.MSGPACK)
    a, b = await connect_all(match_id, tokens, codec.MSGPACK)
    await a.send({"type": "input", "input": {"dx": 1, "dy": 0}, "id": 1})
    await b.send({"type": "input", "input": {"dx": 0, "dy": -1}})
    for bad in ({"dx": 2, "dy": 0}, {"dx": True, "dy": 0}, {"dx": 1}, "left"):
        await b.send({"type": "input", "input": bad})
    await b.send({"type": "move", "move": {"cell": 1}})
    seqs, xs, ys, times, errors = [], [], [], [], []
    while True:
        message = await a.recv()
        if message["type"] == "match.over":
            break
        if message["type"] == "match.update":
            seqs.append(message["seq"])
            xs.append(message["state"]["players"][0]["x"])
            times.append(message["t"])
    while (message := await b.recv())["type"] != "match.over":
        if message["type"] == "error":
            errors.append(message["code"])
        elif message["type"] == "match.update":
            ys.append(message["state"]["players"][1]["y"])
    assert errors == ["invalid"] * 5
    assert seqs == list(range(1, 31))  # 1.5 s at 20 ticks/s, no gaps
    assert xs[-1] > xs[0] and all(x2 >= x1 for x1, x2 in pairwise(xs))
    assert ys[-1] < ys[0]
    assert times[-1] - times[0] >= 1000  # 29 tick intervals of 50 ms, against the clock
    match = await database_sync_to_async(check_replay)(match_id)
    assert match.reason == "win" and match.input_log


async def test_rps_never_shows_a_hidden_choice_to_the_wrong_connection():
    tokens, match_id = await queue("rps", "ann", "bob")
    _, spy_token = await database_sync_to_async(guest)("spy")
    a, b = await connect_all(match_id, tokens)
    spy = await match_client(match_id, spy_token)
    await spy.expect("match.state")
    await a.send({"type": "move", "move": {"choice": "rock"}})
    mine, theirs, watched = [await c.expect("match.update") for c in (a, b, spy)]
    assert mine["state"]["choice"] == "rock" and mine["state"]["chosen"] == [True, False]
    for frame in (theirs, watched):
        assert "rock" not in codec.encode_json(frame), frame
        assert frame["state"]["chosen"] == [True, False]
    await b.send({"type": "sync"})
    assert "rock" not in codec.encode_json(await b.expect("match.state"))
    await b.send({"type": "move", "move": {"choice": "paper"}})
    revealed = await spy.expect("match.update")
    assert revealed["state"]["history"][0]["choices"] == ["rock", "paper"]
    await b.send({"type": "move", "move": {"choice": "scissors"}})
    await a.send({"type": "move", "move": {"choice": "rock"}})  # a wins round two
    await b.send({"type": "move", "move": {"choice": "rock"}})
    await b.send({"type": "move", "move": {"choice": "paper"}})
    assert (await b.until("error"))["code"] == "illegal_move"  # b already chose
    await a.send({"type": "move", "move": {"choice": "paper"}})  # a wins 2-1
    assert (await spy.until("match.over"))["result"]["winner"] == 0
    await database_sync_to_async(check_replay)(match_id)


async def test_a_seat_that_never_connects_abandons_the_match(settings):
    settings.GAMESERVER_JOIN_TIMEOUT = 0.3
    tokens, match_id = await queue("tictactoe", "ann", "bob")
    a = await match_client(match_id, tokens[0])
    await a.expect("match.state")
    over = await a.expect("match.over", timeout=3)
    assert over["result"] == {"winner": None, "ranking": [], "reason": "abandoned"}
    assert await a.closed_with() == 1000
    match = await database_sync_to_async(Match.objects.get)(id=match_id)
    assert (match.status, match.reason) == ("over", "abandoned")
    again = await lobby_client(tokens[1])  # bob never came: no longer in a match, but cooling down
    await again.send({"type": "queue.join", "game": "tictactoe", "id": 7})
    refused = await again.expect("error")
    assert (refused["code"], refused["id"]) == ("cooldown", 7)
    assert 0 < refused["retry_after_s"] <= 30


async def test_a_dropped_player_reconnects_and_plays_on_then_forfeits(settings):
    settings.GAMESERVER_RECONNECT_GRACE = 0.5
    tokens, match_id = await queue("tictactoe", "ann", "bob")
    a, b = await connect_all(match_id, tokens)
    await a.send({"type": "move", "move": {"cell": 4}})
    await a.expect("match.update")
    await b.close()
    gone = await a.expect("player.disconnected")
    assert gone == {"type": "player.disconnected", "seat": 1, "grace_s": 0.5}
    b = await match_client(match_id, tokens[1])
    state = await b.expect("match.state")
    assert (state["status"], state["seq"], state["seat"]) == ("active", 1, 1)
    assert state["state"]["board"][4] == "X"
    assert await a.expect("player.reconnected") == {"type": "player.reconnected", "seat": 1}
    await b.send({"type": "move", "move": {"cell": 0}})
    assert (await a.expect("match.update"))["seq"] == 2
    await b.expect("match.update")
    await b.close()
    await a.expect("player.disconnected")
    over = await a.expect("match.over", timeout=3)
    assert over["result"] == {"winner": 0, "ranking": [0, 1], "reason": "forfeit"}
    match = await database_sync_to_async(check_replay)(match_id)
    assert await database_sync_to_async(match.moves.count)() == 2


async def test_a_draw_replays_to_its_result():
    tokens, match_id = await queue("tictactoe", "ann", "bob")
    a, b = await connect_all(match_id, tokens)
    for n, cell in enumerate([0, 1, 2, 4, 3, 5, 7, 6, 8]):
        await (a, b)[n % 2].send({"type": "move", "move": {"cell": cell}})
        await a.expect("match.update")
    over = await a.expect("match.over")
    assert over["result"] == {"winner": None, "ranking": [0, 1], "reason": "draw"}
    await database_sync_to_async(check_replay)(match_id)
