"""Bots: seats that the match host plays from the game's own pure rules.

Two calls, one per kind of game:

- ``choose_move(game, state, seat, rng, budget)`` for a turn-based game: the move a bot
  in ``seat`` plays now, or None when ``seat`` has nothing to play (not its turn, or
  the match is over). Which bot plays is the game's choice (``Game.bot_kind()``):
  ``"random"`` is ``RandomBot``, ``"search"`` is ``SearchBot``.
- ``choose_input(game, state, seat, rng)`` for a real-time game: the game's own
  ``bot_input``, normalised by ``check_input`` as a player's input would be.

Like the games, this module is pure: everything random comes from the ``rng`` it is
given, so a bot given the same state and an ``rng`` seeded alike plays the same move
(``bot_rng`` makes one from the match's seed). The host should still not call
``choose_move`` on its event loop with a search bot: see ``SearchBot`` for the cost.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Protocol

from .base import Game, State

#: Nodes (states visited) a search may spend on one move, unless told otherwise.
SEARCH_BUDGET = 20_000
#: Moves a search looks ahead at most: deeper (or round a cycle) counts as unknown.
MAX_DEPTH = 200

WIN, DRAW, LOSS = 1, 0, -1


def choose_move(
    game: Game, state: State, seat: int, rng: random.Random, budget: int = SEARCH_BUDGET
) -> Any:
    """The move the game's bot plays for ``seat`` now, or None if ``seat`` has none.

    ``budget`` caps a search (see ``SearchBot``); a random bot ignores it.
    """
    return make_bot(game, seat, budget).choose(state, rng)


def choose_input(game: Game, state: State, seat: int, rng: random.Random) -> Any:
    """The input a bot in ``seat`` of a real-time game sends now, as ``check_input`` returns
    it (so it is exactly what a player's accepted input would be)."""
    return game.check_input(state, seat, game.bot_input(state, seat, rng))


def bot_rng(seed: int, seat: int, seq: int) -> random.Random:
    """A generator for the bot in ``seat`` at update ``seq`` of the match with ``seed``.

    Derived, not kept: a match rebuilt from its seed and log gives its bots the same
    generators, so they go on exactly as they would have.
    """
    return random.Random(f"bot:{seed}:{seat}:{seq}")


class MoveBot(Protocol):
    """A bot for one seat of a turn-based game."""

    def choose(self, state: State, rng: random.Random) -> Any:
        """The move to play now, or None if the seat has none."""
        ...


def make_bot(game: Game, seat: int, budget: int = SEARCH_BUDGET) -> MoveBot:
    """The bot that the game asks for (``Game.bot_kind()``), for ``seat``.

    The host may keep one per bot seat for a whole match: a ``SearchBot`` remembers
    what it has proved, which makes its later moves nearly free.
    """
    kind = game.bot_kind()
    if kind == "random":
        return RandomBot(game, seat)
    if kind == "search":
        return SearchBot(game, seat, budget)
    raise ValueError(f"{game.name} has no bot for turn-based moves (bot kind {kind!r})")


class RandomBot:
    """Plays uniformly at random among ``legal_moves``: the right bot for a game of
    simultaneous secret choices such as rock-paper-scissors, and a yardstick for tests."""

    def __init__(self, game: Game, seat: int) -> None:
        self.game = game
        self.seat = seat

    def choose(self, state: State, rng: random.Random) -> Any:
        """One of ``legal_moves``, each as likely; None if there is none."""
        moves = self.game.legal_moves(state, self.seat)
        return rng.choice(moves) if moves else None


@dataclass(frozen=True)
class SearchResult:
    """What a search found: the move (None if the seat had none), its value for the bot
    (``WIN``, ``DRAW`` or ``LOSS``), the nodes it visited, and whether it stayed within
    its budget (then the value is proved, and the move is perfect play)."""

    move: Any
    value: int
    nodes: int
    complete: bool


class SearchBot:
    """Alpha-beta search through the game's own ``legal_moves``, ``apply`` and ``outcome``,
    for any turn-based game without secrets.

    The bot's value of a finished match is ``WIN`` if its seat won, ``DRAW`` if nobody
    did, ``LOSS`` otherwise; every other seat is taken to play against the bot (with
    more than two seats, they are assumed to gang up on it). Where several seats may
    move (simultaneous choices), the bot moves first and the others answer knowing its
    move, so it never counts on what they are about to choose. But it reads the whole
    state, a choice already made in secret included: a game with secrets declares
    ``bot = "random"`` instead.

    A table of proved bounds, keyed by ``repr(state)``, lets the search meet a position
    once however it is reached; it lives as long as the bot, so a bot kept for a match
    gets faster as it plays. ``budget`` caps the nodes of one ``search``: past it (or
    past ``MAX_DEPTH`` moves ahead), every position not yet proved counts as a draw and
    nothing that depends on it is stored. So the bot plays perfectly on games whose
    tree fits the budget, and plays what it has proved (wins taken, losses avoided) on
    larger ones. One search at a time per bot: the table is not locked.

    Cost, tic-tac-toe, measured on one 2.6 GHz core: about 4 microseconds a node. The
    empty board takes at most 4,806 nodes (about 20 ms), the second move at most 1,670
    (11 ms), the third at most 903 (6 ms), later moves under 400 (2 ms); every
    position is solved well inside ``SEARCH_BUDGET``. A fresh bot on every call costs
    that; a bot kept for the match answers its later moves from its table. The host
    runs a search in an executor: a thread is enough, since Python switches threads
    every few milliseconds and the event loop keeps turning meanwhile.

    Moves are deterministic given ``rng``, which only shuffles the bot's own moves so
    that equally good ones vary from match to match.
    """

    def __init__(self, game: Game, seat: int, budget: int = SEARCH_BUDGET) -> None:
        self.game = game
        self.seat = seat
        self.budget = budget
        self.table: dict[str, tuple[int, int]] = {}
        self.nodes = 0
        self.cuts = 0  # positions left unknown, for want of budget or depth
        self.order: list[int] = [seat]

    def choose(self, state: State, rng: random.Random) -> Any:
        """The move ``search`` finds; None if the seat has none."""
        return self.search(state, rng).move

    def search(self, state: State, rng: random.Random) -> SearchResult:
        """The best move for the bot's seat: a win at once if there is one, else the
        first (in an order shuffled by ``rng``) of the best values."""
        moves = list(self.game.legal_moves(state, self.seat))
        if not moves:
            return SearchResult(None, DRAW, 0, True)
        rng.shuffle(moves)
        self.nodes = self.cuts = 0
        self.order = [self.seat, *sorted(set(self.game.standing(state)) - {self.seat})]
        children = [(move, self.game.apply(state, self.seat, move)) for move in moves]
        for move, child in children:
            outcome = self.game.outcome(child)
            if outcome is not None and outcome.winner == self.seat:
                return SearchResult(move, WIN, 0, True)
        best, value = children[0][0], LOSS
        for move, child in children:
            score = self.node(child, value, WIN, 1)
            if score > value:
                best, value = move, score
            if value == WIN:
                break
        return SearchResult(best, value, min(self.nodes, self.budget), self.cuts == 0)

    def node(self, state: State, alpha: int, beta: int, depth: int) -> int:
        """The value of ``state``, ``depth`` moves ahead (fail-soft: at most ``alpha`` or
        at least ``beta`` when the true value lies outside the window); stored in the
        table when nothing below it was cut."""
        self.nodes += 1
        key = repr(state)
        lower, upper = self.table.get(key, (LOSS, WIN))
        if lower >= beta or lower == upper:
            return lower
        if upper <= alpha:
            return upper
        if self.nodes > self.budget or depth > MAX_DEPTH:  # unknown: as good as a draw
            self.cuts += 1
            return min(max(DRAW, lower), upper)
        cuts = self.cuts
        alpha, beta = max(alpha, lower), min(beta, upper)
        value = self.expand(state, alpha, beta, depth)
        if self.cuts == cuts:
            self.table[key] = proved(value, alpha, beta, lower, upper)
        return value

    def expand(self, state: State, alpha: int, beta: int, depth: int) -> int:
        """Minimax over the moves of whoever moves in ``state``: the bot maximises, the
        others minimise; a state where nobody can move is scored by ``final``."""
        mover, moves = self.turn(state)
        if mover is None:
            return self.final(state)
        maximising = mover == self.seat
        best = LOSS if maximising else WIN
        for move in moves:
            value = self.node(self.game.apply(state, mover, move), alpha, beta, depth + 1)
            if maximising:
                best, alpha = max(best, value), max(alpha, value)
            else:
                best, beta = min(best, value), min(beta, value)
            if alpha >= beta:
                break
        return best

    def turn(self, state: State) -> tuple[int | None, list[Any]]:
        """Who moves in ``state`` and with what: the bot if it can, else the lowest seat
        that can; ``(None, [])`` when nobody can."""
        for seat in self.order:
            moves = self.game.legal_moves(state, seat)
            if moves:
                return seat, moves
        return None, []

    def final(self, state: State) -> int:
        """The bot's value of a state where nobody can move: its outcome for the bot
        (a state that is not over, yet where nobody can move, counts as a draw)."""
        outcome = self.game.outcome(state)
        if outcome is None or outcome.winner is None:
            return DRAW
        return WIN if outcome.winner == self.seat else LOSS


def proved(value: int, alpha: int, beta: int, lower: int, upper: int) -> tuple[int, int]:
    """The bounds ``(lower, upper)`` narrowed by a search of window ``(alpha, beta)`` that
    returned ``value``: an upper bound if it failed low, a lower one if it failed high."""
    if value <= alpha:
        return lower, min(upper, value)
    if value >= beta:
        return max(lower, value), upper
    return value, value
