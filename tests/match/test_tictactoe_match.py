"""A whole tic-tac-toe match through the real ASGI application, in both encodings."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from gameserver import codec
from match.models import Match
from tests.helpers import Client, guest, lobby_client, match_client

pytestmark = [pytest.mark.django_db(transaction=True)]

X_WINS = [0, 3, 1, 4, 2]  # X takes the top row
SEVEN = [0, 1, 2, 3, 4, 5, 6]  # lowest empty cell each time: X wins on its 4th move


async def matched_pair(encoding: str = codec.JSON):
    """Two guests queue for tic-tac-toe; returns their tokens, lobby clients and match."""
    (ida, ta), (idb, tb) = [await database_sync_to_async(guest)(n) for n in ("ann", "bob")]
    la, lb = await lobby_client(ta, encoding), await lobby_client(tb, encoding)
    await la.send({"type": "queue.join", "game": "tictactoe", "id": 1})
    assert await la.expect("queue.joined") == {"type": "queue.joined", "game": "tictactoe", "id": 1}
    await lb.send({"type": "queue.join", "game": "tictactoe"})
    await lb.expect("queue.joined")
    fa, fb = await la.expect("match.found"), await lb.expect("match.found")
    assert fa["match_id"] == fb["match_id"]
    assert (fa["seat"], fb["seat"]) == (0, 1)
    assert fa["players"] == [
        {"id": ida, "name": "ann", "seat": 0, "rating": 0.0, "bot": False},
        {"id": idb, "name": "bob", "seat": 1, "rating": 0.0, "bot": False},
    ]
    return (ta, tb), (la, lb), fa["match_id"]


@pytest.mark.parametrize("encoding", [codec.JSON, codec.MSGPACK])
async def test_a_match_plays_to_a_win_and_is_recorded(encoding):
    (ta, tb), lobbies, match_id = await matched_pair(encoding)
    a = await match_client(match_id, ta, encoding)
    first = await a.expect("match.state")
    assert (first["seat"], first["status"], first["seq"]) == (0, "waiting", 0)
    assert first["state"] == {"board": [None] * 9, "turn": 0, "marks": ["X", "O"]}
    b = await match_client(match_id, tb, encoding)
    assert (await b.expect("match.state"))["seat"] == 1
    for client in (a, b):
        started = await client.expect("match.started")
        assert started["seq"] == 0 and isinstance(started["t"], int)
    players = [a, b]
    for n, cell in enumerate(SEVEN, start=1):
        await players[(n - 1) % 2].send({"type": "move", "move": {"cell": cell}})
        for client in players:
            update = await client.expect("match.update")
            assert update["seq"] == n
            assert update["state"]["board"][cell] == "XO"[(n - 1) % 2]
    for client in players:
        over = await client.expect("match.over")
        assert over["result"] == {"winner": 0, "ranking": [0, 1], "reason": "win"}
        assert await client.closed_with() == 1000
    match = await database_sync_to_async(Match.objects.get)(id=match_id)
    assert (match.status, match.winner, match.reason) == ("over", 0, "win")
    assert await database_sync_to_async(match.moves.count)() == 7
    for lobby in lobbies:
        await lobby.close()


async def test_spectator_sees_everything_and_cannot_play():
    (ta, tb), _, match_id = await matched_pair()
    _, tc = await database_sync_to_async(guest)("cat")
    watcher = await match_client(match_id, tc)
    assert (await watcher.expect("match.state"))["seat"] is None
    a, b = await match_client(match_id, ta), await match_client(match_id, tb)
    await a.expect("match.state")
    await b.expect("match.state")
    await watcher.expect("match.started")
    await watcher.send({"type": "move", "move": {"cell": 4}, "id": "w1"})
    refused = await watcher.expect("error")
    assert (refused["code"], refused["id"]) == ("not_a_player", "w1")
    await watcher.send({"type": "resign"})
    assert (await watcher.expect("error"))["code"] == "not_a_player"
    await a.until("match.started")
    await a.send({"type": "move", "move": {"cell": 4}})
    assert (await watcher.expect("match.update"))["state"]["board"][4] == "X"


async def test_move_errors_keep_the_socket_and_the_state():
    (ta, tb), _, match_id = await matched_pair()
    a = await match_client(match_id, ta)
    await a.expect("match.state")
    await a.send({"type": "move", "move": {"cell": 0}, "id": 7})
    assert (await a.expect("error")) == {
        "type": "error",
        "code": "not_started",
        "message": "the match has not started",
        "id": 7,
    }
    b = await match_client(match_id, tb)
    await b.expect("match.state")
    await a.expect("match.started")
    await b.expect("match.started")
    await b.send({"type": "move", "move": {"cell": 0}})
    assert (await b.expect("error"))["code"] == "not_your_turn"
    for bad in ({"cell": 9}, {"cell": True}, {"cell": "1"}, {"cell": 1.0}, {}, [1], None):
        await a.send({"type": "move", "move": bad})
        assert (await a.expect("error"))["code"] == "invalid", bad
    await a.send({"type": "move"})
    assert (await a.expect("error"))["code"] == "invalid"
    await a.send({"type": "input", "input": {"dx": 1, "dy": 0}})
    assert (await a.expect("error"))["code"] == "invalid"
    await a.send({"type": "move", "move": {"cell": 0}, "id": "m1"})
    assert (await a.expect("match.update"))["seq"] == 1
    assert await a.expect("ack") == {"type": "ack", "id": "m1", "seq": 1}
    await b.expect("match.update")
    await b.send({"type": "move", "move": {"cell": 0}})
    assert (await b.expect("error"))["code"] == "illegal_move"
    await b.send({"type": "sync"})
    state = await b.expect("match.state")
    assert state["seq"] == 1 and state["state"]["board"][0] == "X"


async def test_resign_ends_the_match_for_the_other_seat():
    (ta, tb), _, match_id = await matched_pair()
    a, b = await match_client(match_id, ta), await match_client(match_id, tb)
    await a.until("match.started")
    await b.until("match.started")
    await b.send({"type": "resign"})
    for client in (a, b):
        over = await client.expect("match.over")
        assert over["result"] == {"winner": 0, "ranking": [0, 1], "reason": "resign"}
        assert await client.closed_with() == 1000
    await a.close()
    late = await match_client(match_id, ta)
    final = await late.expect("match.state")
    assert final["status"] == "over" and final["result"]["reason"] == "resign"
    assert await late.closed_with() == 1000


async def test_unknown_match_closes_4404():
    _, token = await database_sync_to_async(guest)("ann")
    client = await match_client("nosuchmatch", token)
    assert await client.closed_with() == 4404


async def test_the_winning_move_is_acked_before_match_over_and_sync_carries_the_id():
    (ta, tb), _, match_id = await matched_pair()
    a, b = await match_client(match_id, ta), await match_client(match_id, tb)
    await a.until("match.started")
    await b.until("match.started")
    await b.send({"type": "sync", "id": "s1"})
    assert (await b.expect("match.state"))["id"] == "s1"
    for n, cell in enumerate(X_WINS):
        await (a, b)[n % 2].send({"type": "move", "move": {"cell": cell}, "id": n})
        await a.expect("match.update")
        await b.expect("match.update")
        assert await (a, b)[n % 2].expect("ack") == {"type": "ack", "id": n, "seq": n + 1}
    assert (await a.expect("match.over"))["result"]["winner"] == 0


async def test_resign_is_acked():
    (ta, tb), _, match_id = await matched_pair()
    a, b = await match_client(match_id, ta), await match_client(match_id, tb)
    await a.until("match.started")
    await b.until("match.started")
    await a.send({"type": "resign", "id": "r"})
    assert await a.expect("ack") == {"type": "ack", "id": "r"}
    assert (await a.expect("match.over"))["result"]["reason"] == "resign"


async def test_a_player_gone_at_the_end_does_not_stop_the_ending_for_the_others():
    """An ASGI server may raise on a send to a client that has just gone, before the
    consumer hears of the disconnect (uvicorn raises ``ClientDisconnected``, an OSError).
    The seat that went away must not keep the others from ``match.over`` and their close,
    nor keep the finished match in the host registry."""
    from gameserver.asgi import application
    from match.runtime.hosting import hosts

    gone = asyncio.Event()

    async def vanishing(scope, receive, send):
        async def send_or_fail(message):
            if gone.is_set():
                raise OSError("the client has gone")
            await send(message)

        return await application(scope, receive, send_or_fail)

    (ta, tb), _, match_id = await matched_pair()
    b = Client(f"/ws/match/{match_id}/?token={tb}", app=vanishing)  # first in, first closed
    assert (await b.connect())[0]
    await b.expect("match.state")
    a = await match_client(match_id, ta)
    for client in (a, b):
        await client.until("match.started")
    players = [a, b]
    for n, cell in enumerate(SEVEN[:-1], start=1):
        await players[(n - 1) % 2].send({"type": "move", "move": {"cell": cell}})
        for client in players:
            assert (await client.expect("match.update"))["seq"] == n
    gone.set()
    await a.send({"type": "move", "move": {"cell": SEVEN[-1]}, "id": "last"})
    assert (await a.expect("match.update"))["seq"] == 7
    assert await a.expect("ack") == {"type": "ack", "id": "last", "seq": 7}
    assert (await a.expect("match.over"))["result"]["winner"] == 0
    assert await a.closed_with() == 1000
    assert match_id not in hosts.hosts
    match = await database_sync_to_async(Match.objects.get)(id=match_id)
    assert (match.status, match.winner) == ("over", 0)
