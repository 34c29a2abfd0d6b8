"""In-process helpers for the hostile-client tests: the gauge, a matched pair, and a
server whose ``send`` waits while its client does not read.
"""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from prometheus_client import REGISTRY

from tests.helpers import Client, guest, lobby_client


def gauge(kind: str) -> float:
    """The ``gs_open_sockets`` gauge of ``kind`` sockets in this process."""
    return REGISTRY.get_sample_value("gs_open_sockets", {"kind": kind}) or 0.0


async def matched(game: str = "tictactoe") -> tuple[str, list[str], list[Client]]:
    """Two guests matched for ``game``: the match id, their tokens and lobby sockets by seat."""
    tokens = [(await database_sync_to_async(guest)(n))[1] for n in ("ann", "bob")]
    lobbies = [await lobby_client(t) for t in tokens]
    for client in lobbies:
        await client.send({"type": "queue.join", "game": game})
    found = [await client.until("match.found") for client in lobbies]
    if found[0]["seat"] == 1:
        tokens.reverse()
        lobbies.reverse()
    return found[0]["match_id"], tokens, lobbies


def stalling_app(reading: asyncio.Event):
    """The ASGI app, behind a server whose ``send`` of a frame waits until ``reading``
    is set, once the socket got its first frame (as uvicorn's waits on a full buffer).
    """
    from gameserver.asgi import application

    async def app(scope, receive, send):
        frames = 0

        async def slow_send(event):
            nonlocal frames
            if event["type"] == "websocket.send":
                frames += 1
                if frames > 1:
                    await reading.wait()
            await send(event)

        await application(scope, receive, slow_send)

    return app
