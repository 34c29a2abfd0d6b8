"""Rock-paper-scissors, best of three: the worked example of hidden information.

Both seats choose in secret, in any order; when both have chosen the round is
resolved and everyone sees both choices. A tied round is replayed. The first to
win two rounds wins the match; after nine rounds the higher score wins, or it is
a draw.

A move is ``{"choice": "rock" | "paper" | "scissors"}``. State::

    {"score": [int, int], "choices": [None | choice, None | choice],
     "history": [{"choices": [choice, choice], "winner": seat | None}, ...]}

``choices`` holds the current round's secrets, so the host must send each seat
``view(state, seat)``, never the state itself. For the same reason its bot must not
look ahead through the state: it chooses uniformly at random (``bot = "random"``),
which is also the best there is against anyone.
"""

from __future__ import annotations

import random
from typing import Any

from .base import Game, IllegalMove, Outcome, State

CHOICES = ("rock", "paper", "scissors")
BEATS = {"rock": "scissors", "paper": "rock", "scissors": "paper"}
WINS_NEEDED = 2
MAX_ROUNDS = 9


def round_winner(first: str, second: str) -> int | None:
    """Seat 0 or 1 if its choice beats the other's, None on a tie."""
    if first == second:
        return None
    return 0 if BEATS[first] == second else 1


class RockPaperScissors(Game):
    """Two players choose rock, paper or scissors in secret; best of three."""

    name = "rps"
    min_players = 2
    max_players = 2
    bot = "random"  # a search would read the other seat's secret choice in the state
    title = "Rock paper scissors"
    description = "Best of three. Both choose in secret; the choices show once both are in."
    hidden_information = True
    options = {"turn_timeout_s": 60}  # seconds a seat may take to choose (0: no limit)

    def setup(self, players: int, options: dict[str, Any], rng: random.Random) -> State:
        """Nobody has chosen and nothing has been played."""
        return {"score": [0, 0], "choices": [None, None], "history": []}

    def apply(self, state: State, seat: int, move: Any) -> State:
        """Record ``seat``'s secret choice; resolve the round once both have chosen."""
        if self.outcome(state) is not None:
            raise IllegalMove("illegal_move", "the match is over")
        if seat not in (0, 1):
            raise IllegalMove("invalid", "rps has seats 0 and 1")
        if not isinstance(move, dict) or set(move) != {"choice"} or move["choice"] not in CHOICES:
            raise IllegalMove("invalid", 'a move is {"choice": "rock" | "paper" | "scissors"}')
        if state["choices"][seat] is not None:
            raise IllegalMove("illegal_move", "you already chose this round")
        choices = list(state["choices"])
        choices[seat] = move["choice"]
        if None in choices:
            return {**state, "choices": choices}
        winner = round_winner(*choices)
        score = list(state["score"])
        if winner is not None:
            score[winner] += 1
        played = {"choices": choices, "winner": winner}
        return {"score": score, "choices": [None, None], "history": [*state["history"], played]}

    def legal_moves(self, state: State, seat: int) -> list[Any]:
        """The three choices while ``seat`` has not chosen this round; else none."""
        if seat not in (0, 1) or state["choices"][seat] is not None:
            return []
        if self.outcome(state) is not None:
            return []
        return [{"choice": choice} for choice in CHOICES]

    def outcome(self, state: State) -> Outcome | None:
        """Two round wins take the match; after the last round the score decides."""
        score = state["score"]
        if max(score) < WINS_NEEDED and len(state["history"]) < MAX_ROUNDS:
            return None
        if score[0] == score[1]:
            return Outcome(None, [0, 1], "draw")
        ranking = self.standing(state)
        return Outcome(ranking[0], ranking, "win")

    def to_move(self, state: State) -> list[int]:
        """The seats that have not chosen yet this round."""
        if self.outcome(state) is not None:
            return []
        return [seat for seat, choice in enumerate(state["choices"]) if choice is None]

    def standing(self, state: State) -> list[int]:
        """The higher score first; seat 0 first when level."""
        return [1, 0] if state["score"][1] > state["score"][0] else [0, 1]

    def describe_move(self, state: State, seat: int, move: Any) -> str:
        choice = move.get("choice") if isinstance(move, dict) else None
        return choice if choice in CHOICES else super().describe_move(state, seat, move)

    def view(self, state: State, seat: int | None) -> dict[str, Any]:
        """Who has chosen, the viewer's own choice, and every finished round."""
        return {
            "round": len(state["history"]) + 1,
            "score": state["score"],
            "chosen": [choice is not None for choice in state["choices"]],
            "choice": state["choices"][seat] if seat in (0, 1) else None,
            "history": state["history"],
        }

    def secret_variants(self, state: State, seat: int) -> list[State]:
        """States that differ from ``state`` only in what ``seat`` keeps secret.

        Not used by the server: the contract tests check that no other seat, and no
        spectator, can tell these states apart through ``view``.
        """
        if state["choices"][seat] is None:
            return []
        variants = []
        for choice in CHOICES:
            choices = list(state["choices"])
            choices[seat] = choice
            variants.append({**state, "choices": choices})
        return variants
