"""However a socket ends, its cleanup runs exactly once: through the real ASGI app.

A socket the server closes itself (4429, 4408, 4404, 1000) loses its ticket, counts as
a disconnected seat, leaves the ``open_sockets`` gauge, and is sent one close only.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from lobby.service import lobby
from tests.helpers import Client, guest, lobby_client, match_client
from tests.hostile.asgi import gauge, matched

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def strict(settings):
    """A rate of 1 a second with a burst of 3; three refusals in 5 s close."""
    settings.GAMESERVER_RATE = 1
    settings.GAMESERVER_RATE_BURST = 3
    settings.GAMESERVER_RATE_STRIKES = 3
    settings.GAMESERVER_RECONNECT_GRACE = 0.5


async def flood_until_closed(client: Client, count: int = 20) -> int:
    """Send ``count`` pings at once; the close code the server then sends."""
    for _ in range(count):
        await client.send({"type": "ping"})
    while (message := await client.recv())["type"] != "<closed>":
        assert message["type"] in ("pong", "error"), message
    return client.closed


async def seated_pair(game: str = "tictactoe") -> tuple[str, list[Client], list[Client]]:
    """Two guests in a started match of ``game``: its id, their lobby and match sockets."""
    match_id, tokens, lobbies = await matched(game)
    seats = [await match_client(match_id, t) for t in tokens]
    for client in seats:
        await client.until("match.started")
    return match_id, lobbies, seats


async def test_a_flooder_closed_with_4429_loses_its_ticket(strict):
    before = gauge("lobby")
    _, flooder_token = await database_sync_to_async(guest)("eve")
    flooder = await lobby_client(flooder_token)
    await flooder.send({"type": "queue.join", "game": "tictactoe"})
    await flooder.expect("queue.joined")
    assert await flood_until_closed(flooder) == 4429
    assert await lobby.matchmaker.queue_lengths() in ({}, {"tictactoe": 0})
    _, honest_token = await database_sync_to_async(guest)("ann")
    honest = await lobby_client(honest_token)
    await honest.send({"type": "queue.join", "game": "tictactoe"})
    await honest.expect("queue.joined")
    assert await honest.nothing(0.3)  # no match.found with the ghost of the flooder
    await honest.close()
    await flooder.close()
    assert gauge("lobby") == before


async def test_a_seat_closed_by_the_server_is_disconnected_then_forfeits(strict):
    _, _, (ann, bob) = await seated_pair()
    assert await flood_until_closed(ann) == 4429
    gone = await bob.until("player.disconnected")
    assert gone == {"type": "player.disconnected", "seat": 0, "grace_s": 0.5}
    over = await bob.until("match.over")
    assert over["result"] == {"winner": 1, "ranking": [1, 0], "reason": "forfeit"}
    assert await bob.closed_with() == 1000
    assert await ann.nothing(0.2)  # one close only, though the match then closed every socket


async def test_the_open_sockets_gauge_counts_every_ending(strict, settings):
    before = {kind: gauge(kind) for kind in ("lobby", "match")}
    match_id, lobbies, (ann, bob) = await seated_pair()
    _, token = await database_sync_to_async(guest)("cat")
    nowhere = Client(f"/ws/match/none/?token={token}")
    await nowhere.connect()
    assert await nowhere.closed_with() == 4404
    watcher = await match_client(match_id, token)
    await watcher.expect("match.state")
    await lobbies[0].close()  # the client closes
    assert await flood_until_closed(lobbies[1]) == 4429  # the server closes: rate
    await bob.send({"type": "resign"})  # the match ends: the server closes with 1000
    for client in (ann, bob, watcher):
        assert (await client.until("<closed>"))["code"] == 1000
        assert await client.nothing(0.05)
    assert {kind: gauge(kind) for kind in before} == before


async def test_a_consumer_that_fails_still_cleans_up(monkeypatch):
    from lobby.consumers import LobbyConsumer

    async def broken(self):
        raise RuntimeError("opened failed")

    monkeypatch.setattr(LobbyConsumer, "opened", broken)
    before = gauge("lobby")
    _, token = await database_sync_to_async(guest)("ann")
    client = Client(f"/ws/lobby/?token={token}")
    await client.connect()
    with pytest.raises(RuntimeError):
        await client.comm.wait(1)
    assert gauge("lobby") == before


async def test_a_match_socket_closed_by_its_own_watchdog_still_leaves_its_host():
    """The watchdog (a remote host is gone: 4503) runs the cleanup itself, which must not
    cancel the watchdog halfway through telling the host that the socket left.
    """
    from match.consumers import MatchConsumer

    left = []

    class Host:
        async def leave(self, conn):
            await asyncio.sleep(0)  # a channel-layer send, as RemoteHost.leave does
            left.append(conn)

    consumer = MatchConsumer()
    consumer.host = Host()

    async def watch():
        await consumer.closed(4503)

    consumer.watchdog = asyncio.get_running_loop().create_task(watch())
    await consumer.watchdog
    assert left == [consumer]
