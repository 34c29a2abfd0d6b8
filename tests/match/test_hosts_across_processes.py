"""Two host registries on real Redis ownership keys, as two processes would have them."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from gameserver import codec
from match import persistence
from match.runtime import hosting as hosts_module
from match.runtime.hosting import HostRegistry
from match.runtime.remote import RemoteHost
from tests.helpers import guest
from tests.services import require_redis

pytestmark = [pytest.mark.django_db(transaction=True)]


async def test_a_join_that_beats_the_owners_build_is_served_not_refused(settings, monkeypatch):
    """Process A claims a match, then loads it from the database; a socket on process B
    that saw A's claim may send its join before A's host exists. A must wait for the build
    and answer with the state, not close the socket as if A had lost the match."""
    settings.REDIS_URL = require_redis()
    settings.GAMESERVER_CROSS_PROCESS = True
    (pa, _), (pb, _) = [await database_sync_to_async(guest)(n) for n in ("ann", "bob")]
    match_id = await persistence.acreate_match("tictactoe", 7, {}, [pa, pb])
    a, b = HostRegistry(), HostRegistry()
    loads, reloading, release_reload = [], asyncio.Event(), asyncio.Event()
    real_load = persistence.aload_match

    async def slow_reload(mid: str):
        loads.append(mid)
        if len(loads) == 1:  # A's load after its claim: held until B's join is in
            reloading.set()
            await release_reload.wait()
        return await real_load(mid)

    monkeypatch.setattr(hosts_module.persistence, "aload_match", slow_reload)
    try:
        a_open = asyncio.ensure_future(a.open(match_id))
        await asyncio.wait_for(reloading.wait(), 5)
        remote = await b.open(match_id)
        assert isinstance(remote, RemoteHost) and remote.channel == a.channel
        layer = get_channel_layer()
        socket_channel = await layer.new_channel("socket.")
        join = {"type": "host.join", "reply_to": socket_channel, "match_id": match_id,
                "player": pb, "name": "bob", "encoding": codec.JSON}  # fmt: skip
        joining = asyncio.ensure_future(a.remote_event(join))
        await asyncio.sleep(0.05)
        release_reload.set()
        await asyncio.wait_for(asyncio.gather(a_open, joining), 5)
        event = await asyncio.wait_for(layer.receive(socket_channel), 5)
        assert event["type"] == "match.frame", event
        assert (event["kind"], codec.decode(event["text"], None)["seat"]) == ("match.state", 1)
    finally:
        for registry in (a, b):
            for task in registry.tasks:
                task.cancel()
            for host in list(registry.hosts.values()):
                host.stop_timers()
                await registry.ownership.release(host.id, registry.channel)
