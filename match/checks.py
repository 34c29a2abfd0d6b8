"""System checks: every installed game loads and sets up with its configured options."""

from __future__ import annotations

import random
from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def games_set_up(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A game that cannot set up a match with its options would fail every match."""
    from .registry import installed_games

    errors: list[Error] = []
    try:
        games = installed_games()
    except Exception as exc:
        return [Error(f"GAMESERVER_GAMES cannot be loaded: {exc}", id="match.E001")]
    for name, game in games.items():
        options = game.resolve_options(settings.GAMESERVER_GAME_OPTIONS.get(name))
        try:
            game.setup(game.min_players, options, random.Random(0))
        except Exception as exc:
            errors.append(Error(f"game {name!r} with options {options}: {exc}", id="match.E002"))
        timeout = options.get("turn_timeout_s", 0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
            message = f"game {name!r}: turn_timeout_s must be a number of seconds >= 0 (0: off)"
            errors.append(Error(message, id="match.E003"))
    return errors
