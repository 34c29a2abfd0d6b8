"""Where a match stands after a restart or a takeover, from what the database holds.

A turn-based match replays its committed moves. A real-time match replays its
journaled ticks with the journaled input changes, and continues with each seat's
latest input and from the ``seq`` its last journal write promised (never below a
``seq`` any client saw). The caller asks the rules for the outcome of the result: a
match whose deciding move was committed before its host died is over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..games import Game, State
from ..persistence import MatchRecord
from .replay import initial_state, turn_states


@dataclass
class Rebuilt:
    """A match's state and counters, as its new host starts from them."""

    state: State
    seq: int
    ticks: int = 0
    inputs: dict[int, Any] = field(default_factory=dict)
    changes: list[list[Any]] = field(default_factory=list)

    @property
    def played(self) -> bool:
        """Whether anything happened before: then this is a rebuild, not a new match."""
        return self.seq > 0 or bool(self.changes)


def rebuild(game: Game, record: MatchRecord) -> Rebuilt:
    """The match ``record`` describes, replayed to its last durable move or tick."""
    state = initial_state(game, len(record.seats), record.options, record.seed)
    if not game.tick_rate:
        for after in turn_states(game, state, record.moves):
            state = after
        return Rebuilt(state, len(record.moves))
    journal = record.journal
    if journal is None:
        return Rebuilt(state, 0)
    dt = 1.0 / game.tick_rate
    inputs: dict[int, Any] = {}
    pending = iter(journal.changes)
    nxt = next(pending, None)
    for tick in range(journal.ticks + 1):
        while nxt is not None and nxt[0] <= tick:
            inputs[nxt[1]] = nxt[2]
            nxt = next(pending, None)
        if tick < journal.ticks:
            state = game.tick(state, inputs, dt)
    seq = max(journal.seq, journal.ticks)
    return Rebuilt(state, seq, journal.ticks, inputs, list(journal.changes))
