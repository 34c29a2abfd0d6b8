"""This process's match hosts, by match id."""

from __future__ import annotations

import asyncio
from typing import Any

from gameserver.codec import Frame
from gameserver.protocol import OVER

from . import persistence
from .host import MatchHost
from .persistence import MatchRecord
from .registry import get_game


class HostRegistry:
    """Finds or builds the host of a match; at most one per match in this process."""

    def __init__(self) -> None:
        self.hosts: dict[str, MatchHost] = {}
        self.loading: dict[str, asyncio.Future[MatchHost | MatchRecord | None]] = {}

    def get(self, match_id: str) -> MatchHost | None:
        return self.hosts.get(match_id)

    def start(self, record: MatchRecord) -> MatchHost:
        """Host a match this process has just created or loaded."""
        game = get_game(record.game)
        if game is None:
            raise LookupError(f"match {record.id}: game {record.game!r} is not installed")
        host = MatchHost(record, game, self.dispose)
        self.hosts[record.id] = host
        host.open()
        return host

    def dispose(self, host: MatchHost) -> None:
        if self.hosts.get(host.id) is host:
            del self.hosts[host.id]

    async def open(self, match_id: str) -> MatchHost | MatchRecord | None:
        """The live host of a match, the record of a finished one, or None if unknown.

        Concurrent callers for one match share one database load.
        """
        host = self.hosts.get(match_id)
        if host is not None:
            return host
        pending = self.loading.get(match_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.loading[match_id] = future
        try:
            result = await self._load(match_id)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it
            raise
        finally:
            del self.loading[match_id]

    async def _load(self, match_id: str) -> MatchHost | MatchRecord | None:
        record = await persistence.aload_match(match_id)
        if record is None or record.status == OVER:
            return record
        return self.hosts.get(match_id) or self.start(record)


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
    }


def finished_frame(record: MatchRecord, seat: int | None) -> Frame:
    return Frame(finished_state_message(record, seat))


hosts = HostRegistry()
