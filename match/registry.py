"""The installed games, named in the ``GAMESERVER_GAMES`` setting."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .games import Game


@cache
def installed_games() -> dict[str, Game]:
    """Every installed game by name, loaded once from ``settings.GAMESERVER_GAMES``."""
    games: dict[str, Game] = {}
    for path in settings.GAMESERVER_GAMES:
        game = import_string(path)()
        games[game.name] = game
    return games


def get_game(name: object) -> Game | None:
    """The installed game called ``name``, or None."""
    return installed_games().get(name) if isinstance(name, str) else None
