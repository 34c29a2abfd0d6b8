"""The ``moves`` extension: a seat asks for its legal moves, with captions, and whose turn
it is; and the lobby announces each game's title, description and bots."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from tests.helpers import Client, guest, match_client
from tests.match.test_tictactoe_match import matched_pair

pytestmark = [pytest.mark.django_db(transaction=True)]


async def started_match():
    (ta, tb), _lobbies, match_id = await matched_pair()
    a, b = await match_client(match_id, ta), await match_client(match_id, tb)
    for client in (a, b):
        await client.expect("match.state")
        await client.expect("match.started")
    return a, b, match_id


async def test_a_seat_gets_its_legal_moves_with_captions_and_whose_turn():
    a, b, _ = await started_match()
    await a.send({"type": "moves", "id": 7})
    reply = await a.expect("moves")
    assert reply["id"] == 7 and reply["seq"] == 0 and reply["to_move"] == [0]
    assert [m["move"] for m in reply["moves"]] == [{"cell": c} for c in range(9)]
    assert reply["moves"][4]["label"] == "centre"
    await b.send({"type": "moves"})
    assert (await b.expect("moves"))["moves"] == []  # not O's turn

    await a.send({"type": "move", "move": {"cell": 4}})
    for client in (a, b):
        await client.expect("match.update")
    await b.send({"type": "moves"})
    reply = await b.expect("moves")
    assert reply["seq"] == 1 and reply["to_move"] == [1]
    assert {"cell": 4} not in [m["move"] for m in reply["moves"]]
    assert len(reply["moves"]) == 8


async def test_spectators_are_refused():
    *_, match_id = await started_match()
    _, token = await database_sync_to_async(guest)("eve")
    spy = await match_client(match_id, token)
    await spy.expect("match.state")
    await spy.send({"type": "moves", "id": "m"})
    error = await spy.expect("error")
    assert (error["code"], error["id"]) == ("not_a_player", "m")


async def test_the_lobby_announces_titles_descriptions_and_bots():
    _, token = await database_sync_to_async(guest)("ann")
    games = {g["name"]: g for g in await announced_games(token)}
    assert games["tictactoe"]["title"] == "Tic-tac-toe"
    assert "3x3" in games["tictactoe"]["description"]
    assert games["tag"]["bots"] is True and games["rps"]["realtime"] is False


async def announced_games(token):
    client = Client(f"/ws/lobby/?token={token}")
    assert (await client.connect())[0]
    welcome = await client.expect("welcome")
    await client.close()
    return welcome["games"]
