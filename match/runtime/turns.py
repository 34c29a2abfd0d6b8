"""The turn timer of a turn-based match: nobody holds a match forever by not moving.

A game names the seats it waits on (``Game.to_move``); the match's option
``turn_timeout_s`` (0: no timer) says how long each may take. A seat's time starts
when it becomes one to move and stops when it is no longer one: in tic-tac-toe that is
one turn, in rock-paper-scissors one round (the seat that chose first does not restart
the other's time). When the earliest seat's time runs out the host ends the match with
reason ``timeout``, the late seats ranked last. The timer is the host's, not the
game's: rules stay pure and replays never depend on a clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

from ..games import Game, Outcome, State

Later = Callable[[float, Callable[[], Coroutine[Any, Any, Any]]], asyncio.TimerHandle]
EARLY = 0.001  # a timer may fire this much before its deadline and still count


def turn_timeout(options: dict[str, Any]) -> float:
    """Seconds per turn from a match's options; 0 (no timer) when absent or not positive."""
    value = options.get("turn_timeout_s", 0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return max(float(value), 0.0)


def late_outcome(game: Game, state: State, players: int, late: list[int]) -> Outcome:
    """``timeout``: the seats that moved in time as they stand, then the late ones.

    When every seat is late nobody played on: no winner and no ranking, like ``abandoned``.
    """
    standing = [s for s in game.standing(state) if 0 <= s < players]
    order = list(dict.fromkeys(standing + list(range(players))))
    on_time = [s for s in order if s not in late]
    if not on_time:
        return Outcome(None, [], "timeout")
    ranking = on_time + [s for s in order if s in late]
    return Outcome(ranking[0], ranking, "timeout")


class TurnClock:
    """When each seat the game waits on became one to move, and the timer of the earliest."""

    def __init__(self, game: Game, options: dict[str, Any]) -> None:
        self.game = game
        self.timeout = 0.0 if game.tick_rate else turn_timeout(options)
        self.since: dict[int, float] = {}  # seat -> monotonic time it became one to move
        self.handle: asyncio.TimerHandle | None = None

    def arm(self, state: State, later: Later, expire: Callable[[], Coroutine[Any, Any, Any]]):
        """Called after every change of a running match: restart the timer for ``state``.

        Returns the fields that tell clients the deadline (empty without a timer).
        """
        self.stop()
        if not self.timeout:
            return {}
        now = time.monotonic()
        self.since = {seat: self.since.get(seat, now) for seat in self.game.to_move(state)}
        deadline = self.deadline()
        if deadline is None:
            return {}
        self.handle = later(max(deadline - now, 0.0), expire)
        return self.fields()

    def deadline(self) -> float | None:
        """The monotonic time at which the earliest waiting seat is late, if any."""
        if not self.timeout or not self.since:
            return None
        return min(self.since.values()) + self.timeout

    def late(self) -> list[int]:
        """The seats whose time has run out."""
        now = time.monotonic() + EARLY
        return sorted(seat for seat, t in self.since.items() if t + self.timeout <= now)

    def fields(self) -> dict[str, Any]:
        """``{"deadline": <server time, ms>}`` while a timer runs (the clock of ``t``)."""
        deadline = self.deadline()
        if deadline is None or self.handle is None:
            return {}
        return {"deadline": int((time.time() + deadline - time.monotonic()) * 1000)}

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
