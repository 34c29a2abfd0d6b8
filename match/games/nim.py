"""Nim: the example game of docs/games.md, written the way a game developer adds one.

A pile of stones; the players take turns taking 1 to 3 of them, and whoever takes the
last stone wins. State: ``{"pile": int, "turn": seat, "taken": [int, int]}``; a move is
``{"take": 1 | 2 | 3}``. Not installed by default: add ``match.games.nim.Nim`` to
``GAMESERVER_GAMES``. The demo has no board for it, so it plays in the generic view,
one button per legal move.
"""

from __future__ import annotations

import random
from typing import Any

from .base import Game, IllegalMove, Outcome, State


class Nim(Game):
    """Two players take 1 to 3 stones in turn; taking the last stone wins."""

    name = "nim"
    title = "Nim"
    description = "Take 1 to 3 stones in turn from one pile: whoever takes the last one wins."
    options = {"pile": 15, "turn_timeout_s": 60}
    bot = "search"  # no secrets and a small tree: its bot plays perfectly

    def setup(self, players: int, options: dict[str, Any], rng: random.Random) -> State:
        return {"pile": int(options["pile"]), "turn": 0, "taken": [0, 0]}

    def apply(self, state: State, seat: int, move: Any) -> State:
        if self.outcome(state) is not None:
            raise IllegalMove("illegal_move", "the match is over")
        if seat != state["turn"]:
            raise IllegalMove("not_your_turn", f"it is seat {state['turn']}'s turn")
        take = move.get("take") if isinstance(move, dict) and set(move) == {"take"} else None
        if type(take) is not int or not 1 <= take <= 3:
            raise IllegalMove("invalid", 'a move is {"take": 1 | 2 | 3}')
        if take > state["pile"]:
            raise IllegalMove("illegal_move", f"only {state['pile']} left")
        taken = list(state["taken"])
        taken[seat] += take
        return {"pile": state["pile"] - take, "turn": 1 - seat, "taken": taken}

    def legal_moves(self, state: State, seat: int) -> list[Any]:
        if seat != state["turn"] or state["pile"] == 0:
            return []
        return [{"take": n} for n in (1, 2, 3) if n <= state["pile"]]

    def outcome(self, state: State) -> Outcome | None:
        if state["pile"] > 0:
            return None
        winner = 1 - state["turn"]  # the seat that just moved took the last stone
        return Outcome(winner, [winner, 1 - winner], "win")

    def to_move(self, state: State) -> list[int]:
        return [] if state["pile"] == 0 else [state["turn"]]

    def standing(self, state: State) -> list[int]:
        return [0, 1]

    def describe_move(self, state: State, seat: int, move: Any) -> str:
        take = move.get("take") if isinstance(move, dict) else None
        if type(take) is not int:
            return super().describe_move(state, seat, move)
        return f"take {take}"
