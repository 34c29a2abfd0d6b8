"""Matches across processes: the two ends of a match socket whose host lives elsewhere.

``RemoteConnection`` stands, in the host's process, for a socket in another process:
frames go to that socket's consumer through the channel layer, already encoded.
``RemoteHost`` stands, in the socket's process, for the host: commands go to the
host process's channel. Channel layers may drop messages: every state-bearing frame
carries its ``seq``, and a consumer that sees a gap asks for the full state.
"""

from __future__ import annotations

from typing import Any

from gameserver.codec import MSGPACK, Frame
from gameserver.delivery import layer_send
from gameserver.identity import Identity

from ..persistence import MatchRecord

STATEFUL = {"match.state", "match.started", "match.update", "match.over"}


class RemoteConnection:
    """A socket in another process, as its match's host sees it."""

    def __init__(self, channel: str, identity: Identity, seat: int | None, encoding: str):
        self.channel = channel
        self.identity = identity
        self.seat = seat
        self.encoding = encoding

    async def send_frame(self, frame: Frame, latest: bool = False) -> None:
        event: dict[str, Any] = {"type": "match.frame", "kind": frame.message.get("type")}
        if event["kind"] in STATEFUL:
            event["seq"] = frame.message.get("seq")
        if latest:
            event["latest"] = True
        if self.encoding == MSGPACK:
            event["bytes"] = frame.binary
        else:
            event["text"] = frame.text
        await layer_send(self.channel, event)

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        await layer_send(self.channel, {"type": "match.close", "code": code or 1000})


class RemoteHost:
    """The host of a match in another process, as a socket's consumer sees it."""

    def __init__(self, record: MatchRecord, channel: str) -> None:
        self.id = record.id
        self.seats = record.seats
        self.channel = channel

    def seat_of(self, player_id: str) -> int | None:
        return next((s.seat for s in self.seats if s.player_id == player_id), None)

    async def send(self, conn: Any, kind: str, **fields: Any) -> None:
        event = {"type": kind, "match_id": self.id, "reply_to": conn.channel_name, **fields}
        await layer_send(self.channel, event)

    async def join(self, conn: Any) -> None:
        who = conn.identity
        await self.send(conn, "host.join", player=who.id, name=who.name, encoding=conn.encoding)

    async def leave(self, conn: Any) -> None:
        await self.send(conn, "host.leave")

    async def command(self, conn: Any, name: str, payload: Any = None, rid: Any = None) -> None:
        await self.send(conn, "host.command", command=name, payload=payload, rid=rid)

    async def move(self, conn: Any, move: Any, rid: Any = None) -> None:
        await self.command(conn, "move", move, rid)

    async def input(self, conn: Any, value: Any, rid: Any = None) -> None:
        await self.command(conn, "input", value, rid)

    async def resign(self, conn: Any, rid: Any = None) -> None:
        await self.command(conn, "resign", None, rid)

    async def sync(self, conn: Any, rid: Any = None) -> None:
        await self.command(conn, "sync", None, rid)

    async def list_moves(self, conn: Any, rid: Any = None) -> None:
        await self.command(conn, "list_moves", None, rid)
