"""The bot players: one Player row per bot name, shared by every match that seats bots.

A match seats at most one of each ("Bot 1", "Bot 2", ...), since a player holds one seat
per match; the rows are made on first use and kept, so a thousand bot matches still make
only as many rows as the largest match had bots.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.db import transaction

from .models import Player


def bot_name(number: int) -> str:
    return f"Bot {number}"


def bot_players(count: int) -> list[tuple[str, str]]:
    """``(id, name)`` of Bot 1 to Bot ``count``, creating the missing ones."""
    names = [bot_name(n) for n in range(1, count + 1)]
    found = dict(Player.objects.filter(bot=True, name__in=names).values_list("name", "id"))
    for name in names:
        if name not in found:
            # The unique bot name makes a concurrent creation in another process fail
            # here; get_or_create then reads the row the other process made.
            with transaction.atomic():
                player, _ = Player.objects.get_or_create(name=name, bot=True)
            found[name] = player.id
    return [(found[name], name) for name in names]


abot_players = database_sync_to_async(bot_players)
