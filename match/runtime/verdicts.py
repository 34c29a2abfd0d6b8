"""Endings the host decides, not the rules: resign and forfeit, the turn timer's
``timeout``, and the notice that a no-show abandoned a match.
"""

from __future__ import annotations

import logging
from typing import Any

from gameserver.protocol import ACTIVE

from ..games import Outcome
from ..persistence import SeatRecord
from .room import Room
from .signals import match_abandoned
from .turns import TurnClock, late_outcome

log = logging.getLogger("match.runtime.host")


class Verdicts(Room):
    """The part of ``MatchHost`` that rules on a seat that left, stalled or never came."""

    seats: list[SeatRecord]
    state: Any
    status: str
    turns: TurnClock
    arrived: set[int]

    async def end(self, outcome: Outcome, force: bool = False) -> None:
        raise NotImplementedError

    def outcome_without(self, seat: int, reason: str) -> Outcome:
        """The result when ``seat`` leaves: the others as they stand, then ``seat``."""
        seats = range(len(self.seats))
        standing = [s for s in self.game.standing(self.state) if s in seats]
        others = [s for s in standing + list(seats) if s != seat]
        ranking = [*dict.fromkeys(others), seat]
        return Outcome(ranking[0], ranking, reason)

    def arm_turn(self) -> dict[str, Any]:
        """Restart the turn timer for the current state; the deadline fields for clients."""
        return self.turns.arm(self.state, self.later, self.turn_expired)

    async def turn_expired(self) -> None:
        """The turn timer fired: the late seats lose the match (reason ``timeout``)."""
        if self.status != ACTIVE:
            return
        late = self.turns.late()
        if not late:  # fired a moment early: wait for the rest
            self.arm_turn()
            return
        await self.end(late_outcome(self.game, self.state, len(self.seats), late))

    async def tell_no_show(self) -> None:
        """The join timeout abandoned the match: say who came and who did not."""
        present = [s.player_id for s in self.seats if s.seat in self.arrived]
        missing = [s.player_id for s in self.seats if s.seat not in self.arrived]
        answers = await match_abandoned.asend_robust(
            sender=type(self), match_id=self.id, present=present, missing=missing
        )
        for _, answer in answers:
            if isinstance(answer, Exception):
                log.error("match %s: handling the no-show failed: %r", self.id, answer)
