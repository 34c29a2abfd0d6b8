"""This process's match hosts, and how a match socket finds its match's host.

With one process (no ``REDIS_URL``) every match is hosted here. With many, the
ownership keys in Redis say which process hosts a match: a socket that reaches that
process joins the host directly (the hot path); one that reaches another process
talks to it through the channel layer. A match whose host's process died is claimed by
the next process that needs it once that process's liveness key is gone, and rebuilt
from the database; a rebuilt match that its rules had already decided ends at once.
Every takeover and rebuild is logged (INFO) and counted on ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from gameserver.codec import Frame
from gameserver.protocol import CLOSE_HOST_MOVED, OVER

from .. import persistence
from ..persistence import MatchRecord
from ..registry import get_game
from . import metrics
from .host import MatchHost
from .inbox import RemoteEvents
from .journal import Journal
from .metrics import register_active_matches
from .ownership import Ownership, make_ownership
from .remote import RemoteConnection, RemoteHost

log = logging.getLogger("match.runtime.hosting")
Found = MatchHost | RemoteHost | MatchRecord | None
ALIVE_CACHE_S = 0.08


class HostRegistry(RemoteEvents):
    """Finds or builds the host of a match; at most one per match in the whole cluster."""

    def __init__(self) -> None:
        self.hosts: dict[str, MatchHost] = {}
        self.loading: dict[str, asyncio.Future[Found]] = {}
        self.ownership: Ownership | None = make_ownership()
        self.journal = Journal(self.owned, settings.GAMESERVER_INPUT_JOURNAL_INTERVAL)
        self.beat = asyncio.Event()  # set (and replaced) after every heartbeat
        self.liveness: dict[str, tuple[float, bool]] = {}  # channel -> (checked, alive)
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

    def start(self, record: MatchRecord, why: str = "") -> MatchHost:
        """Host a match this process created, loaded or claimed (once).

        ``why`` names a rebuild (``restart``, ``takeover``, ``orphaned``): it is logged
        and counted when the match had begun before.
        """
        if record.id in self.hosts:
            return self.hosts[record.id]
        game = get_game(record.game)
        if game is None:
            raise LookupError(f"match {record.id}: game {record.game!r} is not installed")
        host = MatchHost(record, game, self.dispose, self.journal)
        self.hosts[record.id] = host
        self.seated.update((seat.player_id, record.id) for seat in record.seats)
        if why and host.resumed:
            rebuilt(host, why)
        host.open()
        return host

    async def owned(self, match_id: str) -> bool:
        """Whether this process still hosts the match; past the lease, after a renewal."""
        if self.ownership is None:
            return True
        while not self.ownership.lease_valid() and match_id in self.hosts:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.beat.wait(), self.ownership.process_ttl)
        return match_id in self.hosts

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
        """Claim the match, then read it (one read: what a takeover waits for). Claimed
        first, the record read is the one the new host starts from: the old owner no
        longer writes once its key is gone."""
        if self.ownership is None or self.channel is None:
            return await self.load_here(match_id, "restart")
        owner, how = await self.ownership.claim(match_id, self.channel)
        if owner != self.channel:
            record = await persistence.aload_match(match_id)
            if record is None or record.status == OVER:
                return record
            return RemoteHost(record, owner)
        found = await self.load_here(match_id, "orphaned" if how in ("free", "mine") else how)
        if not isinstance(found, MatchHost):  # no such match, or over: not ours to keep
            await self.ownership.release(match_id, self.channel)
        return found

    async def load_here(self, match_id: str, why: str) -> Found:
        """Host the match here (``why``: restart, orphaned, or the dead owner's channel)."""
        record = await persistence.aload_match(match_id)
        if record is None or record.status == OVER:
            return record
        if match_id in self.hosts:
            return self.hosts[match_id]
        if why not in ("restart", "orphaned"):
            log.info("match %s: taken over from %s (owner process gone)", match_id, why)
            metrics.takeovers.labels("owner_gone").inc()
            why = "takeover"
        return await self.started(self.start(record, why))

    async def started(self, host: MatchHost) -> Found:
        """The host; or, for a rebuilt match that its rules had decided, its result."""
        if host.ending is None:
            return host
        await asyncio.wait([host.ending])
        return await persistence.aload_match(host.id)

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
        """Renew this process's liveness and ownership keys; drop the matches it lost.

        Matches are also dropped when no renewal succeeded for a whole ``HOST_TTL``: by
        then their keys are gone from Redis and another process may have claimed them.
        """
        assert self.ownership is not None and self.channel is not None
        renewed = time.monotonic()
        while True:
            try:
                lost = await self.ownership.renew(list(self.hosts), self.channel)
                renewed = time.monotonic()
            except Exception:
                log.exception("renewing match ownership failed")
                stale = time.monotonic() - renewed > self.ownership.ttl_ms / 1000
                lost = list(self.hosts) if stale else []
            self.beat.set()
            self.beat = asyncio.Event()
            for match_id in lost:
                await self.drop(match_id)
            await asyncio.sleep(self.ownership.beat_s)

    async def drop(self, match_id: str) -> None:
        """Stop hosting a match another process may host now; its sockets reconnect."""
        host = self.hosts.pop(match_id, None)
        if host is None:
            return
        log.error("match %s: lost ownership, closing its sockets", match_id)
        metrics.lost.labels("taken_over").inc()
        for seat in host.seats:
            if self.seated.get(seat.player_id) == match_id:
                del self.seated[seat.player_id]
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
        """Whether a live process holds the match's key (a dead one's may be taken)."""
        if self.ownership is None:
            return False
        owner = await self.ownership.owner(match_id)
        return owner is not None and await self.ownership.alive(owner)

    async def owner_alive(self, channel: str) -> bool:
        """Whether the process behind a host channel still renews its liveness key.

        Asked by every socket on a remote host several times a second: one answer per
        channel serves them all for ``ALIVE_CACHE_S``.
        """
        if self.ownership is None:
            return True
        now = time.monotonic()
        cached = self.liveness.get(channel)
        if cached is None or now - cached[0] > ALIVE_CACHE_S:
            cached = self.liveness[channel] = (now, await self.ownership.alive(channel))
            if len(self.liveness) > 1000:  # forget old answers (dead processes' channels)
                self.liveness = {k: v for k, v in self.liveness.items() if now - v[0] < 1}
        return cached[1]


def rebuilt(host: MatchHost, why: str) -> None:
    """Log and count a match rebuilt from the database."""
    metrics.rebuilds.labels(why).inc()
    if host.decided is not None:
        metrics.rebuilt_decided.inc()
        log.info(
            "match %s: rebuilt (%s) at seq %d: already decided, ending it (%s)",
            host.id, why, host.seq, host.decided.as_dict(),
        )  # fmt: skip
    elif why == "restart":
        log.info("match %s: rebuilt after restart at seq %d", host.id, host.seq)
    else:
        log.info("match %s: rebuilt (%s) at seq %d", host.id, why, host.seq)


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
        "seq": max(len(record.moves), record.journal.seq if record.journal else 0),
        "state": state,
        "result": record.result,
        "players": [s.as_player() for s in record.seats],
    }


def finished_frame(record: MatchRecord, seat: int | None) -> Frame:
    return Frame(finished_state_message(record, seat))


hosts = HostRegistry()
register_active_matches(lambda: ((h.game.name, h.status) for h in list(hosts.hosts.values())))
