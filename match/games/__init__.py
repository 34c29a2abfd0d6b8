"""Pure game rules: one module per game, and the interface they share (``base``)."""

from .base import BotKind, Game, GameInfo, IllegalMove, Outcome, State

__all__ = ["BotKind", "Game", "GameInfo", "IllegalMove", "Outcome", "State"]
