"""The game interface: what a game module gives the match host.

A game is pure rules over plain data (dicts, lists, str, int, float, bool, None):
no I/O, no Django, no asyncio, no global ``random``. Given the same seed and the
same log of moves (or inputs), a game replays to the same state; the host relies
on that for replays and for rebuilding a match after a restart.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

State = dict[str, Any]

REASONS = ("win", "draw", "resign", "forfeit", "abandoned", "timeout")

#: How a bot plays a game: see ``Game.bot``.
BotKind = Literal["search", "random", "input"]
BOT_KINDS: tuple[BotKind, ...] = ("search", "random", "input")


class IllegalMove(Exception):
    """Raised by ``apply`` (or ``check_input``) to refuse a move; the state is unchanged.

    ``code`` is one of the protocol's error codes that a game may give:
    ``illegal_move``, ``not_your_turn`` or ``invalid``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Outcome:
    """How a match ended: the winning seat (or None), seats best first, and why."""

    winner: int | None
    ranking: list[int]
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"winner": self.winner, "ranking": list(self.ranking), "reason": self.reason}


@dataclass(frozen=True)
class GameInfo:
    """A game's metadata as the lobby announces it."""

    name: str
    min_players: int
    max_players: int
    realtime: bool
    options: dict[str, Any] = field(default_factory=dict)


class Game:
    """Base class of a game's rules. Subclass it and override what the game needs.

    Turn-based games (``tick_rate == 0``) implement ``apply``; real-time games
    implement ``check_input`` and ``tick``. Every game implements ``setup``,
    ``outcome`` and ``view``. Methods never mutate their arguments: they return
    a new state.

    A game that wants bots (``match.games.bots``) adds ``legal_moves`` (turn-based)
    or ``bot_input`` (real-time), and may say how its bot plays with ``bot``.
    """

    name: ClassVar[str] = ""
    min_players: ClassVar[int] = 2
    max_players: ClassVar[int] = 2
    tick_rate: ClassVar[int] = 0
    #: Default options; a match's options are these updated by the caller's.
    options: ClassVar[dict[str, Any]] = {}
    #: How a bot plays this game; None: decided by its hooks (see ``bot_kind``).
    #: ``"search"`` looks ahead through ``apply`` and ``outcome``: only for games
    #: without secrets, since it reads the whole state. ``"random"`` picks uniformly
    #: among ``legal_moves``. ``"input"`` asks ``bot_input`` (real-time games).
    bot: ClassVar[BotKind | None] = None
    #: What the lobby shows of the game: a title (default: the name, capitalised) and a
    #: sentence about it.
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""

    @classmethod
    def display_title(cls) -> str:
        return cls.title or cls.name.replace("_", " ").capitalize()

    #: True when ``view`` hides part of the state (a hand, a secret choice): the move log
    #: of an unfinished match then reveals it, so the server shows it only once it is over.
    hidden_information: ClassVar[bool] = False

    @classmethod
    def info(cls) -> GameInfo:
        return GameInfo(
            cls.name, cls.min_players, cls.max_players, cls.tick_rate > 0, dict(cls.options)
        )

    @classmethod
    def bot_kind(cls) -> BotKind | None:
        """How a bot plays this game: the declared ``bot``; else ``"input"`` for a game
        with ``bot_input``, ``"random"`` for one with ``legal_moves``; else None (no bots).
        """
        if cls.bot is not None:
            return cls.bot
        if cls.bot_input is not Game.bot_input:
            return "input"
        if cls.legal_moves is not Game.legal_moves:
            return "random"
        return None

    @classmethod
    def has_bot(cls) -> bool:
        """Whether bots can take seats in this game's matches."""
        return cls.bot_kind() is not None

    @classmethod
    def resolve_options(cls, options: dict[str, Any] | None) -> dict[str, Any]:
        """The defaults updated by known keys of ``options``; unknown keys are dropped."""
        merged = dict(cls.options)
        for key, value in (options or {}).items():
            if key in merged:
                merged[key] = value
        return merged

    def setup(self, players: int, options: dict[str, Any], rng: random.Random) -> State:
        """Called once when a match is created: the initial state for ``players`` seats."""
        raise NotImplementedError

    def apply(self, state: State, seat: int, move: Any) -> State:
        """Called for a turn-based move by ``seat``; returns the new state or raises IllegalMove."""
        raise IllegalMove("illegal_move", f"{self.name} takes no moves")

    def legal_moves(self, state: State, seat: int) -> list[Any]:
        """Called by a bot: every move ``apply`` would accept from ``seat`` now, each a fresh
        object; empty when it is not ``seat``'s turn or the match is over.

        Turn-based games with bots implement it; the default raises NotImplementedError,
        which means "this game does not enumerate its moves".
        """
        raise NotImplementedError(f"{self.name} does not enumerate its moves")

    def check_input(self, state: State, seat: int, input: Any) -> Any:
        """Called for a real-time input: returns it normalised, or raises IllegalMove."""
        raise IllegalMove("illegal_move", f"{self.name} takes no inputs")

    def tick(self, state: State, inputs: dict[int, Any], dt: float) -> State:
        """Called ``tick_rate`` times a second with each seat's latest input (absent: none yet)."""
        return state

    def bot_input(self, state: State, seat: int, rng: random.Random) -> Any:
        """Called by a real-time bot before a tick: the input ``seat`` sends now, which
        ``check_input`` accepts. ``rng`` is the bot's own seeded generator.

        Real-time games with bots implement it; the default raises NotImplementedError.
        """
        raise NotImplementedError(f"{self.name} has no bot input")

    def outcome(self, state: State) -> Outcome | None:
        """Called after every move or tick: how the match ended, or None while it goes on."""
        raise NotImplementedError

    def view(self, state: State, seat: int | None) -> dict[str, Any]:
        """What ``seat`` (None: a spectator) may see of the state. Default: everything."""
        return state

    def to_move(self, state: State) -> list[int]:
        """Seats the game waits on for a move now (any order); the host runs their turn
        timer (option ``turn_timeout_s``). Default: none, so no timer."""
        return []

    def standing(self, state: State) -> list[int]:
        """Seats best first as the match stands now; used to rank a resign or forfeit."""
        return list(range(len(state.get("players", [])) or self.max_players))

    def describe_move(self, state: State, seat: int, move: Any) -> str:
        """A short caption for ``move`` by ``seat`` from ``state`` (before the move), for
        move buttons, move lists and replays. Default: the move as compact JSON."""
        return json.dumps(move, separators=(", ", ": "), sort_keys=True)
