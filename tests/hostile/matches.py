"""A started match for the hostile-client tests."""

from __future__ import annotations

from channels.db import database_sync_to_async

from tests.helpers import Client, guest, lobby_client, match_client


async def started_match() -> tuple[str, list[Client]]:
    """A tic-tac-toe match of two fresh guests, both seats connected."""
    tokens = [(await database_sync_to_async(guest)(n))[1] for n in ("ann", "bob")]
    lobbies = [await lobby_client(t) for t in tokens]
    for lobby in lobbies:
        await lobby.send({"type": "queue.join", "game": "tictactoe"})
        await lobby.expect("queue.joined")
    match_id = (await lobbies[0].expect("match.found"))["match_id"]
    seats = [await match_client(match_id, t) for t in tokens]
    for seat in seats:
        await seat.until("match.started")
    return match_id, seats
