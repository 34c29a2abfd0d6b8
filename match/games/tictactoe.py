"""Tic-tac-toe: the worked example of a turn-based game.

State: ``{"board": [None | "X" | "O"] * 9, "turn": seat, "marks": ["X", "O"]}``.
A move is ``{"cell": 0..8}``. Seat 0 plays X and moves first. Its bot searches the
whole game (``bot = "search"``), so it never loses.
"""

from __future__ import annotations

import random
from typing import Any

from .base import Game, IllegalMove, Outcome, State

LINES = (
    (0, 1, 2), (3, 4, 5), (6, 7, 8),
    (0, 3, 6), (1, 4, 7), (2, 5, 8),
    (0, 4, 8), (2, 4, 6),
)  # fmt: skip
CELL_NAMES = (
    "top left", "top", "top right",
    "left", "centre", "right",
    "bottom left", "bottom", "bottom right",
)  # fmt: skip


def winning_mark(board: list[str | None]) -> str | None:
    """The mark that has three in a row, if any."""
    for a, b, c in LINES:
        if board[a] is not None and board[a] == board[b] == board[c]:
            return board[a]
    return None


class TicTacToe(Game):
    """Two players take turns marking a 3x3 board; three in a row wins."""

    name = "tictactoe"
    min_players = 2
    max_players = 2
    bot = "search"  # no secrets and a small tree: the search plays it perfectly
    title = "Tic-tac-toe"
    description = "Three in a row on a 3x3 board. Two players, X moves first."
    options = {"turn_timeout_s": 60}  # seconds a seat may take for its move (0: no limit)

    def setup(self, players: int, options: dict[str, Any], rng: random.Random) -> State:
        return {"board": [None] * 9, "turn": 0, "marks": ["X", "O"]}

    def apply(self, state: State, seat: int, move: Any) -> State:
        if self.outcome(state) is not None:
            raise IllegalMove("illegal_move", "the match is over")
        if seat != state["turn"]:
            raise IllegalMove("not_your_turn", f"it is seat {state['turn']}'s turn")
        if not isinstance(move, dict) or set(move) != {"cell"}:
            raise IllegalMove("invalid", 'a move is {"cell": 0..8}')
        cell = move["cell"]
        if type(cell) is not int or not 0 <= cell <= 8:
            raise IllegalMove("invalid", "cell must be an integer from 0 to 8")
        if state["board"][cell] is not None:
            raise IllegalMove("illegal_move", f"cell {cell} is taken")
        board = list(state["board"])
        board[cell] = state["marks"][seat]
        return {**state, "board": board, "turn": 1 - seat}

    def legal_moves(self, state: State, seat: int) -> list[Any]:
        if seat != state["turn"] or self.outcome(state) is not None:
            return []
        return [{"cell": cell} for cell, mark in enumerate(state["board"]) if mark is None]

    def outcome(self, state: State) -> Outcome | None:
        mark = winning_mark(state["board"])
        if mark is not None:
            winner = state["marks"].index(mark)
            return Outcome(winner, [winner, 1 - winner], "win")
        if all(cell is not None for cell in state["board"]):
            return Outcome(None, [0, 1], "draw")
        return None

    def to_move(self, state: State) -> list[int]:
        """The seat whose turn it is, until the game is decided."""
        return [] if self.outcome(state) is not None else [state["turn"]]

    def standing(self, state: State) -> list[int]:
        return [0, 1]

    def describe_move(self, state: State, seat: int, move: Any) -> str:
        cell = move.get("cell") if isinstance(move, dict) else None
        return (
            CELL_NAMES[cell]
            if type(cell) is int and 0 <= cell <= 8
            else super().describe_move(state, seat, move)
        )
