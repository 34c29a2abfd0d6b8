"""Durable moves: every applied move is committed before anyone sees it.

Moves from all matches of this process queue here; one writer commits whatever has
queued up in one transaction (a group commit), so a busy server pays one commit for
many moves while each move still waits for its own to be on disk. A killed process
therefore loses no move that any player has seen.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .. import persistence

log = logging.getLogger("match.runtime.journal")


class Journal:
    """Batches move writes; ``append`` returns once the move is committed."""

    def __init__(self) -> None:
        self.pending: list[tuple[tuple[str, int, int, Any], asyncio.Future[None]]] = []
        self.writer: asyncio.Task[None] | None = None

    async def append(self, match_id: str, seq: int, seat: int, move: Any) -> None:
        future = asyncio.get_running_loop().create_future()
        self.pending.append(((match_id, seq, seat, move), future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self.write())
        await future

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
