"""Pure game rules: one module per game, and the interface they share (``base``)."""

from .base import Game, GameInfo, IllegalMove, Outcome, State

__all__ = ["Game", "GameInfo", "IllegalMove", "Outcome", "State"]
