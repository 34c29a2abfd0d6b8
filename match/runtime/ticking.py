"""A real-time match's tick loop, as the match host runs it.

Ticks run at the game's rate against the monotonic clock. A rebuilt match first waits
for every seat to come back (its grace timers end it otherwise). While it runs, the
process's input journal writes its input changes about once a second, and a tick never
takes ``seq`` past what the last journal write promised: a rebuild continues from that
promise, so ``seq`` never goes backwards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from gameserver.protocol import ACTIVE, OVER

from ..games import Game, Outcome
from . import metrics

if TYPE_CHECKING:
    from .journal import Journal

log = logging.getLogger("match.runtime.host")


class Ticker:
    """The tick loop of a match host (mixed into ``MatchHost``)."""

    id: str
    game: Game
    status: str
    state: Any
    seq: int
    seq_limit: int
    ticks: int
    inputs: dict[int, Any]
    resumed: bool
    seats: list[Any]
    journal: Journal

    def connected_seats(self) -> set[int]:
        raise NotImplementedError

    async def after_change(
        self, state: Any, seq: int, move: tuple[int, Any] | None = None
    ) -> Outcome | None:
        raise NotImplementedError

    async def end(self, outcome: Outcome, force: bool = False) -> None:
        raise NotImplementedError

    @property
    def tick_rate(self) -> int:
        return self.game.tick_rate

    async def run_ticks(self) -> None:
        """Tick at a fixed rate against the monotonic clock: late ticks catch up, no drift.

        A rebuilt match first waits for every seat to come back (or the grace to end it).
        Inputs are journaled about once a second while it runs.
        """
        if self.resumed:
            # Polled: seats come back through join, which knows nothing of this wait.
            while self.status == ACTIVE and len(self.connected_seats()) < len(self.seats):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if self.status == ACTIVE:
                log.info("match %s: resumed at tick %d (seq %d)", self.id, self.ticks, self.seq)
        self.journal.inputs.watch(self)
        try:
            await self.tick_loop(1.0 / self.game.tick_rate)
        finally:
            self.journal.inputs.forget(self)

    async def tick_loop(self, period: float) -> None:
        due = time.monotonic()
        while self.status == ACTIVE:
            due += period
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -1.0:  # over a second behind: skip the backlog, don't spiral
                due = time.monotonic()
            metrics.tick_lateness.observe(max(0.0, -delay))
            if self.status == ACTIVE and await self.may_tick():
                self.state = self.game.tick(self.state, dict(self.inputs), period)
                self.ticks += 1
                self.seq += 1
                outcome = await self.after_change(self.state, self.seq)
                if outcome is not None:
                    await self.end(outcome, force=True)

    async def may_tick(self) -> bool:
        """Whether the next tick may run: still ours, and within the journal's seq promise."""
        if not await self.journal.owned(self.id):
            self.status = OVER  # hosted elsewhere now: the heartbeat closes its sockets
            return False
        if self.seq + 1 > self.seq_limit:
            try:
                await self.journal.inputs.flush(self)
            except Exception:
                log.exception("match %s: journaling inputs failed", self.id)
        return self.seq + 1 <= self.seq_limit
