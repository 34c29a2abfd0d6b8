"""Durable play: every applied move is committed before anyone sees it, and real-time
inputs are committed about once a second.

Moves from all matches of this process queue here; one writer commits whatever has
queued up in one transaction (a group commit), so a busy server pays one commit for
many moves while each move still waits for its own to be on disk. A killed process
therefore loses no move that any player has seen.

Real-time matches change far too often for that: ``InputJournal`` writes each match's
new input changes and tick count every ``GAMESERVER_INPUT_JOURNAL_INTERVAL`` seconds,
all matches in one transaction. Each write also promises a ``seq`` the host will not
pass before its next write; a rebuilt match continues from that promise, so ``seq``
never goes backwards however much of the last second was lost.

With many processes a write counts only while this process still owns the match
(``owned``): a process that was paused past its lease waits for its next renewal, and
drops the match if another process took it over meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from .. import persistence

log = logging.getLogger("match.runtime.journal")
Owned = Callable[[str], Awaitable[bool]]


async def always_owned(match_id: str) -> bool:
    return True


class HostLost(Exception):
    """This process no longer owns the match: what it was about to do must not count."""


class Journal:
    """Batches move writes; ``append`` returns once the move is committed (and ours)."""

    def __init__(self, owned: Owned = always_owned, inputs_every: float = 1.0) -> None:
        self.pending: list[tuple[tuple[str, int, int, Any], asyncio.Future[None]]] = []
        self.writer: asyncio.Task[None] | None = None
        self.owned = owned
        self.inputs = InputJournal(inputs_every, owned)

    async def append(self, match_id: str, seq: int, seat: int, move: Any) -> None:
        if not await self.owned(match_id):
            raise HostLost(match_id)
        future = asyncio.get_running_loop().create_future()
        self.pending.append(((match_id, seq, seat, move), future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self.write())
        await future
        if not await self.owned(match_id):  # paused between the two checks: not ours now
            raise HostLost(match_id)

    async def write(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                await persistence.arecord_moves([row for row, _ in batch])
            except Exception as exc:
                log.exception("writing %d moves failed", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)


class Ticking(Protocol):
    """What the input journal needs of a real-time host."""

    id: str
    ticks: int
    seq: int
    seq_limit: int
    journaled: int
    input_changes: list[list[Any]]
    tick_rate: int


class InputJournal:
    """Writes every real-time host's new input changes, ticks and seq promise together."""

    def __init__(self, interval: float, owned: Owned = always_owned) -> None:
        self.interval = interval
        self.owned = owned
        self.hosts: dict[str, Ticking] = {}
        self.task: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()

    def reserve(self, host: Ticking) -> int:
        """How far past its current seq a host may run before its next write lands."""
        return max(1, math.ceil(host.tick_rate * self.interval * 3))

    def watch(self, host: Ticking) -> None:
        """Journal ``host`` from now on, until ``forget``."""
        self.hosts[host.id] = host
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    def forget(self, host: Ticking) -> None:
        if self.hosts.get(host.id) is host:
            del self.hosts[host.id]

    async def run(self) -> None:
        while self.hosts:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:
                log.exception("journaling real-time inputs failed")

    async def flush(self, only: Ticking | None = None) -> None:
        """Write a chunk for each host (or just ``only``); then raise their seq limits."""
        async with self.lock:
            hosts = [only] if only is not None else list(self.hosts.values())
            chunks = [(h, h.ticks, h.seq + self.reserve(h), len(h.input_changes)) for h in hosts]
            chunks = [c for c in chunks if await self.owned(c[0].id)]
            if not chunks:
                return
            rows = [(h.id, t, q, h.input_changes[h.journaled : n]) for h, t, q, n in chunks]
            await persistence.arecord_input_chunks(rows)
            for host, _, seq, n in chunks:
                host.journaled = n
                host.seq_limit = max(host.seq_limit, seq)
