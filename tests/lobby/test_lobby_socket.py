"""The lobby socket through the real ASGI application."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from tests.helpers import Client, guest, lobby_client

pytestmark = [pytest.mark.django_db(transaction=True)]


async def players(*names: str):
    return [await database_sync_to_async(guest)(n) for n in names]


async def test_welcome_names_the_player_and_the_games():
    [(pid, token)] = await players("ann")
    client = Client(f"/ws/lobby/?token={token}")
    assert (await client.connect())[0]
    welcome = await client.expect("welcome")
    assert welcome["protocol"] == 1
    assert welcome["player"] == {"id": pid, "name": "ann", "ratings": {}}
    games = {g["name"]: g for g in welcome["games"]}
    assert games["tictactoe"] == {
        "name": "tictactoe",
        "min_players": 2,
        "max_players": 2,
        "realtime": False,
        "title": "Tic-tac-toe",
        "description": "Three in a row on a 3x3 board. Two players, X moves first.",
        "bots": True,
    }


async def test_queue_errors_and_ping():
    [(_, token)] = await players("ann")
    client = await lobby_client(token)
    await client.send({"type": "ping", "t": 123, "id": "p"})
    assert await client.expect("pong") == {"type": "pong", "t": 123, "id": "p"}
    await client.send({"type": "queue.join", "game": "chess", "id": 2})
    assert (await client.expect("error"))["code"] == "unknown_game"
    await client.send({"type": "queue.join", "game": 5})
    assert (await client.expect("error"))["code"] == "invalid"
    await client.send({"type": "queue.leave", "id": 3})
    assert (await client.expect("error")) == {
        "type": "error",
        "code": "not_queued",
        "message": "you have no ticket",
        "id": 3,
    }
    await client.send({"type": "queue.join", "game": "tictactoe"})
    await client.expect("queue.joined")
    await client.send({"type": "queue.join", "game": "tictactoe"})
    assert (await client.expect("error"))["code"] == "already_queued"
    await client.send({"type": "queue.leave"})
    await client.expect("queue.left")
    await client.send({"type": "move", "move": {}})
    assert (await client.expect("error"))["code"] == "unknown_type"
    await client.send({"no": "type"})
    assert (await client.expect("error"))["code"] == "bad_message"
    await client.comm.send_to(text_data="{not json")
    assert (await client.expect("error"))["code"] == "bad_message"
    await client.comm.send_to(bytes_data=b"\xc1")
    assert (await client.expect("error"))["code"] == "bad_message"


async def test_a_ticket_dies_with_its_socket():
    (_, ta), (_, tb), (_, tc) = await players("ann", "bob", "cat")
    a = await lobby_client(ta)
    await a.send({"type": "queue.join", "game": "tictactoe"})
    await a.expect("queue.joined")
    await a.close()
    b = await lobby_client(tb)
    await b.send({"type": "queue.join", "game": "tictactoe"})
    await b.expect("queue.joined")
    assert await b.nothing(0.2)
    c = await lobby_client(tc)
    await c.send({"type": "queue.join", "game": "tictactoe"})
    await c.expect("queue.joined")
    assert (await b.expect("match.found"))["players"][1]["name"] == "cat"
    assert (await c.expect("match.found"))["seat"] == 1


async def test_nobody_is_in_two_matches(via_layer):
    """Matched players are refused a second ticket until their match is over."""
    (_, ta), (_, tb) = await players("ann", "bob")
    a, b = await lobby_client(ta), await lobby_client(tb)
    for client in (a, b):
        await client.send({"type": "queue.join", "game": "tictactoe"})
        await client.expect("queue.joined")
    found = await a.expect("match.found")  # through the channel layer (MessagePack)
    assert found["game"] == "tictactoe"
    await b.expect("match.found")
    a2 = await lobby_client(ta)  # a second tab
    await a2.send({"type": "queue.join", "game": "tictactoe"})
    assert (await a2.expect("error"))["code"] == "in_match"
    await a.send({"type": "queue.join", "game": "tictactoe"})
    assert (await a.expect("error"))["code"] == "in_match"
