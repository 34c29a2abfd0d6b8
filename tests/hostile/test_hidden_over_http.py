"""A seat that reads the HTTP API during a match learns no more than a spectator.

Rock-paper-scissors hides the current round's choices: a seat that could read the other
seat's choice from ``GET /api/matches/<id>`` would win every round.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client as HttpClient

from gameserver import codec
from tests.helpers import guest, lobby_client, match_client

pytestmark = [pytest.mark.django_db(transaction=True)]


async def get(path: str) -> tuple[int, dict]:
    answer = await database_sync_to_async(HttpClient().get)(path)
    return answer.status_code, answer.json()


async def playing(game: str):
    """Two guests matched in ``game``, both connected; returns the match id and sockets."""
    tokens = [(await database_sync_to_async(guest)(n))[1] for n in ("ann", "bob")]
    lobbies = [await lobby_client(t) for t in tokens]
    for lobby in lobbies:
        await lobby.send({"type": "queue.join", "game": game})
        await lobby.expect("queue.joined")
    match_id = (await lobbies[0].expect("match.found"))["match_id"]
    await lobbies[1].expect("match.found")
    sockets = [await match_client(match_id, t) for t in tokens]
    for socket in sockets:
        await socket.until("match.started")
    return match_id, sockets


async def test_a_hidden_choice_stays_off_every_http_answer_until_the_match_is_over():
    match_id, (a, b) = await playing("rps")
    await a.send({"type": "move", "move": {"choice": "rock"}, "id": 1})
    await a.until("ack")
    spectator_view = (await b.expect("match.update"))["state"]  # what bob may see
    for path in (
        f"/api/matches/{match_id}",
        "/api/matches",
        "/api/matches?status=active",
        f"/api/matches/{match_id}/replay",
    ):
        _, body = await get(path)
        assert "rock" not in codec.encode_json(body), (path, body)
    status, detail = await get(f"/api/matches/{match_id}")
    assert (status, detail["status"], detail["moves"], detail["moves_hidden"]) == (
        200,
        "active",
        [],
        True,
    )
    assert detail["state"] == {**spectator_view, "choice": None}
    assert detail["state"]["chosen"] == [True, False]
    assert (await get(f"/api/matches/{match_id}/replay"))[0] == 409
    # bob plays blind and the match runs to its end; then everything may be shown
    for choice_a, choice_b in (("paper", "paper"), ("scissors", "rock"), ("paper", "rock")):
        await b.send({"type": "move", "move": {"choice": choice_b}})
        await a.send({"type": "move", "move": {"choice": choice_a}})
    assert (await a.until("match.over"))["result"]["winner"] in (0, 1)
    status, detail = await get(f"/api/matches/{match_id}")
    assert (detail["status"], detail["moves_hidden"]) == ("over", False)
    assert detail["moves"][0] == {"seq": 1, "seat": 0, "move": {"choice": "rock"}}
    frames = (await get(f"/api/matches/{match_id}/replay"))[1]["frames"]
    assert frames[-1]["state"] == detail["state"]


async def test_a_game_without_secrets_shows_its_moves_and_state_while_it_runs():
    match_id, (a, b) = await playing("tictactoe")
    await a.send({"type": "move", "move": {"cell": 4}})
    update = await b.expect("match.update")
    _, detail = await get(f"/api/matches/{match_id}")
    assert detail["moves"] == [{"seq": 1, "seat": 0, "move": {"cell": 4}}]
    assert (detail["moves_hidden"], detail["state"]) == (False, update["state"])
