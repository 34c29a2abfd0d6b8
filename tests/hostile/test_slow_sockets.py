"""Sockets that stop reading, through the real ASGI app behind a server that pushes back.

``stalling_app`` stands for a server whose ``send`` waits while the client does not
read (as uvicorn's does): the others must not notice, and the socket must be closed.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from tests.helpers import Client, guest, match_client
from tests.hostile.asgi import gauge, matched, stalling_app

pytestmark = [pytest.mark.django_db(transaction=True)]


async def test_a_player_who_does_not_read_is_closed_and_forfeits(settings):
    """A seat whose socket cannot take its frames is closed with 4408: the match goes on
    for the other, the seat is disconnected, and forfeits after the grace.
    """
    settings.GAMESERVER_RECONNECT_GRACE = 0.5
    settings.GAMESERVER_SEND_QUEUE = 4
    settings.GAMESERVER_SEND_TIMEOUT = 30  # the queue bound closes it, not the timeout
    match_id, tokens, _ = await matched()
    reading = asyncio.Event()
    ann = Client(f"/ws/match/{match_id}/?token={tokens[0]}", app=stalling_app(reading))
    await ann.connect()
    bob = await match_client(match_id, tokens[1])
    await bob.until("match.started")
    for n in range(8):  # the pongs pile up in ann's outbox: the 5th waiting one closes it
        await ann.send({"type": "ping", "n": n})
    gone = await bob.until("player.disconnected")
    assert gone["seat"] == 0
    reading.set()
    assert (await ann.until("<closed>"))["code"] == 4408
    over = await bob.until("match.over")
    assert over["result"]["reason"] == "forfeit" and over["result"]["winner"] == 1


async def test_tag_goes_on_beside_a_spectator_that_stops_reading(settings):
    """Real-time updates supersede each other in a lagging socket's queue, so only its
    stall closes it (4408), and the players' ticks never wait for it.
    """
    settings.GAMESERVER_FILL_TIMEOUT = 0.2
    settings.GAMESERVER_GAME_OPTIONS = {"tag": {"duration_s": 3}}
    settings.GAMESERVER_SEND_TIMEOUT = 0.5
    match_id, tokens, _ = await matched("tag")
    before = gauge("match")
    _, token = await database_sync_to_async(guest)("cat")
    reading = asyncio.Event()
    watcher = Client(f"/ws/match/{match_id}/?token={token}", app=stalling_app(reading))
    await watcher.connect()
    seats = [await match_client(match_id, t) for t in tokens]
    for client in seats:
        await client.until("match.started")
    for client in seats:  # 1.5 s of ticks reach both players while the watcher stalls
        updates = [await client.until("match.update") for _ in range(30)]
        assert [u["seq"] for u in updates] == list(range(updates[0]["seq"], updates[0]["seq"] + 30))
    assert gauge("match") == before + 2  # the watcher is gone
    reading.set()
    got = []
    while (message := await watcher.recv())["type"] != "<closed>":
        got.append(message["type"])
    assert message["code"] == 4408
    assert got.count("match.update") <= 1  # the stalled frame at most: the rest were dropped
    for client in seats:
        await client.until("match.over")
