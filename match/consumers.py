"""The match socket: a seat (or a spectator) connected to the match's host."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from django.conf import settings

from gameserver import limits, protocol
from gameserver.protocol import ClientError
from gameserver.sockets import ProtocolConsumer
from players.enforcement import enforcer

from .runtime.host import MatchHost
from .runtime.hosting import finished_frame, hosts
from .runtime.remote import RemoteHost

CLOSE_RESTART = protocol.CLOSE_HOST_MOVED  # reconnect: the new host is elsewhere
WATCH_EVERY_S = 0.1  # how often a socket on a remote host checks that host's process


class MatchConsumer(ProtocolConsumer):
    """``/ws/match/<id>/``: forwards commands to the host; the host sends the frames.

    The host may be in this process (frames arrive straight from it) or in another
    (frames arrive through the channel layer as ``match.frame`` events).
    """

    kind = "match"
    commands = {
        "ping": "cmd_ping",
        "move": "cmd_move",
        "input": "cmd_input",
        "resign": "cmd_resign",
        "sync": "cmd_sync",
        "moves": "cmd_moves",
    }
    host: MatchHost | RemoteHost | None = None
    seat: int | None = None
    last_seq: int | None = None

    async def opened(self) -> None:
        """Join the match's host, or say the match is over, or that there is none (4404)."""
        match_id = self.scope["url_route"]["kwargs"]["match_id"]
        await enforcer.ensure_running()  # this process acts on bans from now on
        found = await hosts.open(match_id)
        if found is None:
            await self.close(protocol.CLOSE_NOT_FOUND)
        elif isinstance(found, MatchHost | RemoteHost):
            seat = found.seat_of(self.identity.id)
            if seat is None and not limits.admit_spectator(self.scope, match_id):
                await self.close(protocol.CLOSE_SPECTATORS_FULL)
                return
            self.host = found
            self.seat = seat
            await found.join(self)
            if isinstance(found, RemoteHost):
                self.watchdog = asyncio.get_running_loop().create_task(self.watch(found))
        else:
            seat = next((s.seat for s in found.seats if s.player_id == self.identity.id), None)
            await self.send_frame(finished_frame(found, seat))
            await self.close(protocol.CLOSE_NORMAL)

    async def closed(self, code: int) -> None:
        watchdog = getattr(self, "watchdog", None)
        if watchdog is not None and watchdog is not asyncio.current_task():
            watchdog.cancel()  # (the watchdog itself may be what closes the socket)
        if self.host is not None:
            await self.host.leave(self)

    async def watch(self, host: RemoteHost) -> None:
        """Follow a host in another process until this socket closes.

        The moment the host's process is gone (its liveness key expired), this process
        takes the match over (or finds who did) and the socket joins the new host.
        Otherwise: close (4503) when no state came within a TTL, or when another process
        owns the match now; the client reconnects and its socket finds the new host.
        """
        ttl = settings.GAMESERVER_HOST_TTL
        started = checked = time.monotonic()
        while self.is_open and self.host is host:
            await asyncio.sleep(WATCH_EVERY_S)
            with contextlib.suppress(Exception):
                if not await hosts.owner_alive(host.channel) and await self.keyed(host):
                    found = await self.take_over(host)
                    if found is None:
                        return
                    host, started = found, time.monotonic()
                    continue
                now = time.monotonic()
                if now - checked < ttl and (self.last_seq is not None or now - started < ttl):
                    continue
                checked = now
                if self.last_seq is None or await hosts.ownership.owner(host.id) != host.channel:
                    await self.close(CLOSE_RESTART)
                    return

    async def keyed(self, host: RemoteHost) -> bool:
        """Whether the match still has a key: its dead owner's, or its new owner's. None
        means Redis lost its keys (restarted): the live owner takes them back at its next
        heartbeat, so nobody may take the match over meanwhile."""
        return await hosts.ownership.owner(host.id) is not None

    async def take_over(self, dead: RemoteHost) -> RemoteHost | None:
        """The remote host's process died: join the match's new host (here if nobody
        else took it). Returns the new host when it too is remote, to watch it."""
        found = await hosts.open(dead.id)
        if not self.is_open:
            return None
        if not isinstance(found, MatchHost | RemoteHost):  # over meanwhile: reconnect to see
            await self.close(CLOSE_RESTART)
            return None
        self.host, self.last_seq = found, None
        await found.join(self)
        return found if isinstance(found, RemoteHost) else None

    def live_host(self) -> MatchHost | RemoteHost:
        if self.host is None:
            raise ClientError(protocol.MATCH_OVER, "the match is over")
        return self.host

    async def cmd_move(self, request: dict[str, Any], rid: Any) -> None:
        """``move``: a turn-based move; acknowledged with ``ack`` when it carried an id."""
        if "move" not in request:
            raise ClientError(protocol.INVALID, "'move' needs a 'move' field")
        await self.live_host().move(self, request["move"], rid)

    async def cmd_input(self, request: dict[str, Any], rid: Any) -> None:
        """``input``: a real-time input, applied from the next tick."""
        if "input" not in request:
            raise ClientError(protocol.INVALID, "'input' needs an 'input' field")
        await self.live_host().input(self, request["input"], rid)

    async def cmd_resign(self, request: dict[str, Any], rid: Any) -> None:
        """``resign``: the match ends, this seat last."""
        await self.live_host().resign(self, rid)

    async def cmd_sync(self, request: dict[str, Any], rid: Any) -> None:
        """``sync`` (extension): resend ``match.state``."""
        await self.live_host().sync(self, rid)

    async def cmd_moves(self, request: dict[str, Any], rid: Any) -> None:
        """``moves`` (extension): this seat's legal moves, with captions."""
        await self.live_host().list_moves(self, rid)

    async def match_frame(self, event: dict[str, Any]) -> None:
        """A frame from a host in another process; a gap in ``seq`` asks for the state."""
        seq, kind = event.get("seq"), event.get("kind")
        if kind == "match.update" and self.last_seq is not None and seq != self.last_seq + 1:
            if seq is not None and seq <= self.last_seq:
                return  # already seen
            self.last_seq = None
            await self.live_host().sync(self)
            return
        if seq is not None:
            self.last_seq = seq
        if kind == "match.update" and self.last_seq is None:
            return  # waiting for the state we asked for
        latest = kind == "match.update" and event.get("latest", False)
        if event.get("bytes") is not None:
            self.send_event({"type": "websocket.send", "bytes": event["bytes"]}, latest)
        else:
            self.send_event({"type": "websocket.send", "text": event["text"]}, latest)

    async def match_close(self, event: dict[str, Any]) -> None:
        """The remote host closes this socket (match over, or it no longer hosts it)."""
        if self.is_open:  # the watch may have closed it already (a second close raises)
            await self.close(event.get("code", protocol.CLOSE_NORMAL))
