"""Parties in Redis, shared by every server process.

Keys, all under one prefix (``gs:party:`` by default):

- ``x:<code>``: the party as JSON (leader, members with their lobby channels and join
  times, the queue it waits in and the ticket holding it, starts);
- ``m:<player>``: a hash ``code``, ``channel``: the player's membership.

Every change is one Lua script, so two processes never see half of one. Both kinds of
key expire after ``ttl`` unless refreshed: each process refreshes the memberships of its
own sockets (``refresh``), so the parties of a process that died without saying its
members left lapse by themselves. A member whose membership lapsed is dropped by the
next script that reads the party (``on_change`` hears of it). A party whose last member
leaves is deleted at once. The scripts derive keys from the prefix: one Redis server.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from gameserver import protocol

from .parties import (
    START_TTL,
    Change,
    Member,
    Parties,
    Party,
    new_code,
    refuse,
    unknown,
)
from .parties_lua import (
    CREATE,
    GET,
    JOIN,
    LEAVE,
    PARTY_OF,
    PRELUDE,
    QUEUE,
    REFRESH,
    START,
    STARTED,
    UNQUEUE,
)
from .redis_client import connect

MESSAGES = {
    protocol.IN_PARTY: "you are already in a party",
    protocol.NOT_LEADER: "only the party's leader can do that",
    protocol.ALREADY_QUEUED: "the party is queued: leave the queue first",
    protocol.IN_MATCH: "the party is starting a match",
}


class RedisParties(Parties):
    """Parties in one Redis server: for many server processes."""

    def __init__(
        self,
        url: str,
        prefix: str = "gs:party:",
        ttl: float = 20.0,
        max_connections: int = 50,
        pool_timeout: float = 10.0,
    ) -> None:
        self.redis = connect(url, max_connections, pool_timeout)
        self.prefix = prefix
        self.ttl = ttl
        self.ttl_ms = max(1, round(ttl * 1000))
        script = self.redis.register_script
        self._create, self._join, self._leave = (
            script(PRELUDE + body) for body in (CREATE, JOIN, LEAVE)
        )
        self._get, self._party_of, self._queue = (
            script(PRELUDE + body) for body in (GET, PARTY_OF, QUEUE)
        )
        self._unqueue, self._start, self._started, self._refresh = (
            script(PRELUDE + body) for body in (UNQUEUE, START, STARTED, REFRESH)
        )

    async def run(self, script: Any, *args: Any) -> dict[str, Any]:
        """Run a script; tell ``on_change`` of lapsed members it dropped on the way."""
        out: dict[str, Any] = orjson.loads(await script(args=[self.prefix, self.ttl_ms, *args]))
        if out.get("pruned") and self.on_change is not None:
            await self.on_change(change(out))
        return out

    def result(self, out: dict[str, Any]) -> Party:
        """The party a script left, or the refusal it reported."""
        error = out.get("error")
        if error == protocol.UNKNOWN_PARTY:
            raise unknown(out.get("code", "?"))
        if error == protocol.PARTY_FULL:
            raise refuse(error, "the party is full")
        if error is not None:
            raise refuse(error, MESSAGES.get(error, error))
        return Party.from_dict(out["party"])

    async def create(self, member: Member) -> Party:
        while True:
            party = Party(new_code(), member.id, [member])
            body = orjson.dumps(party.as_dict())
            out = await self.run(self._create, body, member.id, member.channel)
            if out.get("error") != "taken":
                return self.result(out)

    async def join(self, code: str, member: Member, limit: int) -> Change:
        out = await self.run(self._join, code, orjson.dumps(vars(member)), limit)
        out["code"] = out.get("code", code)
        self.result(out)
        return change(out)

    async def leave(self, player_id: str, channel: str | None = None) -> Change | None:
        out = await self.run(self._leave, player_id, channel or "")
        return change(out) if out.get("left") else None

    async def get(self, code: str) -> Party | None:
        out = await self.run(self._get, code)
        return Party.from_dict(out["party"]) if out.get("party") else None

    async def party_of(self, player_id: str) -> tuple[str, str] | None:
        out = await self.run(self._party_of, player_id)
        return (out["code"], out["channel"]) if out.get("code") else None

    async def queue(self, code: str, leader: str, game: str) -> Party:
        out = await self.run(self._queue, code, leader, game, time.time(), START_TTL)
        return self.result({"code": code, **out})

    async def unqueue(self, code: str, game: str | None = None) -> Change | None:
        out = await self.run(self._unqueue, code, game or "")
        return change(out) if out.get("done") else None

    async def start(self, code: str, leader: str) -> Party:
        out = await self.run(self._start, code, leader, time.time(), START_TTL)
        return self.result({"code": code, **out})

    async def started(self, code: str, member_ids: list[str]) -> bool:
        out = await self.run(self._started, code, orjson.dumps(member_ids))
        return bool(out.get("same"))

    async def refresh(self, members: list[tuple[str, str]]) -> None:
        if members:
            await self.run(self._refresh, *(part for pair in members for part in pair))

    async def close(self) -> None:
        await self.redis.aclose()


def change(out: dict[str, Any]) -> Change:
    """A script's reply as a ``Change``."""
    party = Party.from_dict(out["party"]) if out.get("party") else None
    return Change(out["code"], party, out.get("ticket"), out.get("game"), out.get("moved"))
