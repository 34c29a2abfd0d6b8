"""Events from match sockets in other processes, as the hosting process handles them.

A socket whose match is hosted elsewhere sends its join, commands and leave to the
host process's channel (``match.runtime.remote.RemoteHost``); this is the receiving
end, mixed into the process's host registry.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import TYPE_CHECKING, Any

from channels.layers import get_channel_layer

from gameserver.codec import Frame
from gameserver.identity import Identity
from gameserver.protocol import CLOSE_HOST_MOVED, ClientError, error

from .remote import RemoteConnection

if TYPE_CHECKING:
    from .host import MatchHost

log = logging.getLogger("match.runtime.hosting")


class RemoteEvents:
    """The receive loop of the process's host channel and the handling of its events."""

    hosts: dict[str, MatchHost]
    loading: dict[str, asyncio.Future[Any]]
    remotes: dict[str, RemoteConnection]
    inflight: dict[Any, asyncio.Task[None]]
    channel: str | None

    async def receive_loop(self) -> None:
        """Events from sockets elsewhere: in order per socket, concurrently across sockets.

        A move waits for its commit; handled one at a time, every remote move of every
        match in this process would queue behind the previous one's database write.
        """
        layer = get_channel_layer()
        loop = asyncio.get_running_loop()
        while True:
            event = await layer.receive(self.channel)
            sender = event.get("reply_to")
            task = loop.create_task(self.handle_remote(event, self.inflight.get(sender)))
            self.inflight[sender] = task
            task.add_done_callback(functools.partial(self.handled, sender))

    async def handle_remote(self, event: dict[str, Any], after: asyncio.Task[None] | None) -> None:
        if after is not None:
            await asyncio.wait([after])  # the same socket's earlier event first
        try:
            await self.remote_event(event)
        except Exception:
            log.exception("host event %s failed", event.get("type"))

    def handled(self, sender: Any, task: asyncio.Task[None]) -> None:
        if self.inflight.get(sender) is task:
            del self.inflight[sender]

    async def remote_event(self, event: dict[str, Any]) -> None:
        """A join, command or leave from a socket in another process."""
        reply_to, match_id = event["reply_to"], event.get("match_id", "")
        host, conn = self.hosts.get(match_id), self.remotes.get(reply_to)
        if host is None and event["type"] == "host.join" and match_id in self.loading:
            # Claimed here a moment ago and still being built: a socket elsewhere that
            # saw the claim may be quicker than the build. Wait for it, do not refuse.
            with contextlib.suppress(Exception):
                await asyncio.shield(self.loading[match_id])
            host = self.hosts.get(match_id)
        if event["type"] == "host.leave":
            self.remotes.pop(reply_to, None)
            if host is not None and conn is not None:
                await host.leave(conn)
            return
        if host is None:  # not (or no longer) ours: the socket reconnects and finds out
            await RemoteConnection(reply_to, Identity("", ""), None, "").close(CLOSE_HOST_MOVED)
            return
        if event["type"] == "host.join":
            identity = Identity(event["player"], event["name"])
            conn = RemoteConnection(
                reply_to, identity, host.seat_of(identity.id), event["encoding"]
            )
            self.remotes[reply_to] = conn
            await host.join(conn)
        elif event["type"] == "host.command" and conn is not None:
            await self.remote_command(host, conn, event)

    async def remote_command(self, host: MatchHost, conn: RemoteConnection, event: dict) -> None:
        method = getattr(host, event["command"], None)
        if (
            event["command"] not in {"move", "input", "resign", "sync", "list_moves"}
            or method is None
        ):
            return
        args = () if event["command"] in {"resign", "sync", "list_moves"} else (event["payload"],)
        try:
            await method(conn, *args, event.get("rid"))
        except ClientError as exc:
            await conn.send_frame(Frame(error(exc.code, exc.message, event.get("rid"))))
