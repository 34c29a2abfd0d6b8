"""This process's match hosts, and how a match socket finds its match's host.

With one process (no ``REDIS_URL``) every match is hosted here. With many, the
ownership keys in Redis say which process hosts a match: a socket that reaches that
process joins the host directly (the hot path); one that reaches another process
talks to it through the channel layer. A match whose host died is claimed by the next
process that needs it, and rebuilt from the database.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from gameserver.codec import Frame
from gameserver.protocol import CLOSE_HOST_MOVED, OVER

from .. import persistence
from ..persistence import MatchRecord
from ..registry import get_game
from .host import MatchHost
from .inbox import RemoteEvents
from .journal import Journal
from .metrics import register_active_matches
from .ownership import Ownership, make_ownership
from .remote import RemoteConnection, RemoteHost

log = logging.getLogger("match.runtime.hosting")
Found = MatchHost | RemoteHost | MatchRecord | None


class HostRegistry(RemoteEvents):
    """Finds or builds the host of a match; at most one per match in the whole cluster."""

    def __init__(self) -> None:
        self.hosts: dict[str, MatchHost] = {}
        self.loading: dict[str, asyncio.Future[Found]] = {}
        self.journal = Journal()
        self.ownership: Ownership | None = make_ownership()
        self.channel: str | None = None  # this process's host channel, once it has one
        self.tasks: list[asyncio.Task[None]] = []
        self.started_on: asyncio.AbstractEventLoop | None = None
        self.remotes: dict[str, RemoteConnection] = {}
        self.seated: dict[str, str] = {}  # player id -> id of the match hosted here
        self.inflight: dict[Any, asyncio.Task[None]] = {}  # remote socket -> its last event

    def get(self, match_id: str) -> MatchHost | None:
        return self.hosts.get(match_id)

    async def unfinished_match_of(self, player_id: str) -> str | None:
        """The player's match that is not over. One process hosts every such match (the
        reaper resumes them after a restart), so it knows without asking the database.
        """
        if not settings.GAMESERVER_CROSS_PROCESS:
            return self.seated.get(player_id)
        return await persistence.aunfinished_match_of(player_id)

    def start(self, record: MatchRecord) -> MatchHost:
        """Host a match this process created, loaded or claimed (once)."""
        if record.id in self.hosts:
            return self.hosts[record.id]
        game = get_game(record.game)
        if game is None:
            raise LookupError(f"match {record.id}: game {record.game!r} is not installed")
        host = MatchHost(record, game, self.dispose, self.journal)
        self.hosts[record.id] = host
        self.seated.update((seat.player_id, record.id) for seat in record.seats)
        host.open()
        return host

    def dispose(self, host: MatchHost) -> None:
        if self.hosts.get(host.id) is host:
            del self.hosts[host.id]
            for seat in host.seats:
                if self.seated.get(seat.player_id) == host.id:
                    del self.seated[seat.player_id]
            if self.ownership and self.channel:
                task = asyncio.get_running_loop().create_task(
                    self.ownership.release(host.id, self.channel)
                )
                task.add_done_callback(lambda t: t.exception())

    async def open(self, match_id: str) -> Found:
        """The host of a match (here or remote), the record of a finished one, or None.

        Concurrent callers for one match share one load.
        """
        await self.ensure_running()
        host = self.hosts.get(match_id)
        if host is not None:
            return host
        pending = self.loading.get(match_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Found] = asyncio.get_running_loop().create_future()
        self.loading[match_id] = future
        try:
            result = await self.load(match_id)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it
            raise
        finally:
            del self.loading[match_id]

    async def load(self, match_id: str) -> Found:
        record = await persistence.aload_match(match_id)
        if record is None or record.status == OVER:
            return record
        if match_id in self.hosts:
            return self.hosts[match_id]
        if self.ownership is None or self.channel is None:
            return self.start(record)
        owner = await self.ownership.claim(match_id, self.channel)
        if owner == self.channel:
            # The database may have moved on while another process hosted it.
            record = await persistence.aload_match(match_id)
            if record is None or record.status == OVER:
                await self.ownership.release(match_id, self.channel)
                return record
            return self.start(record)
        return RemoteHost(record, owner)

    # Background work ---------------------------------------------------------------

    async def ensure_running(self) -> None:
        """Start this process's host channel, heartbeat and reaper (once per loop)."""
        loop = asyncio.get_running_loop()
        if self.started_on is loop:
            return
        self.started_on = loop
        if self.ownership is not None:
            # The sockets' own prefix: RedisChannelLayer receives every process-local
            # channel through one list per prefix, and a second prefix starves the first.
            self.channel = await get_channel_layer().new_channel()
            self.tasks = [
                loop.create_task(self.receive_loop()),
                loop.create_task(self.heartbeat()),
                loop.create_task(self.reaper(settings.GAMESERVER_REAP_INTERVAL)),
            ]
        else:  # one process: resume what a restart left, before answering anyone
            await self.resume_unfinished()

    async def heartbeat(self) -> None:
        """Renew this process's ownership keys; drop the matches it lost."""
        assert self.ownership is not None and self.channel is not None
        while True:
            await asyncio.sleep(self.ownership.ttl_ms / 3000)
            try:
                lost = await self.ownership.renew(list(self.hosts), self.channel)
            except Exception:
                log.exception("renewing match ownership failed")
                continue
            for match_id in lost:
                host = self.hosts.pop(match_id, None)
                if host is not None:
                    log.error("match %s: lost ownership, closing its sockets", match_id)
                    host.stop_timers()
                    host.status = OVER
                    for conn in list(host.connections):
                        await host.close_quietly(conn, CLOSE_HOST_MOVED)

    async def reaper(self, interval: float | None) -> None:
        """Host the unfinished matches nobody hosts, so their timeouts still fire.

        One process: once, at start (matches left by a restart). Many: every interval.
        """
        while True:
            await self.resume_unfinished()
            if interval is None:
                return
            await asyncio.sleep(interval)

    async def resume_unfinished(self) -> None:
        try:
            for match_id in await persistence.aunfinished_matches():
                if match_id not in self.hosts and not await self.hosted_elsewhere(match_id):
                    await self.open(match_id)
        except Exception:
            log.exception("resuming unfinished matches failed")

    async def hosted_elsewhere(self, match_id: str) -> bool:
        return self.ownership is not None and await self.ownership.owner(match_id) is not None


def finished_state_message(record: MatchRecord, seat: int | None) -> dict[str, Any]:
    """``match.state`` for a match that is over, read from its record."""
    game = get_game(record.game)
    state = game.view(record.final_state, seat) if game and record.final_state else None
    return {
        "type": "match.state",
        "match_id": record.id,
        "game": record.game,
        "seat": seat,
        "status": OVER,
        "seq": len(record.moves),
        "state": state,
        "result": record.result,
        "players": [s.as_player() for s in record.seats],
    }


def finished_frame(record: MatchRecord, seat: int | None) -> Frame:
    return Frame(finished_state_message(record, seat))


hosts = HostRegistry()
register_active_matches(lambda: ((h.game.name, h.status) for h in list(hosts.hosts.values())))
