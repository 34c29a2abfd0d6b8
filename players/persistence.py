"""The players' own database functions: small, one job each, wrapped once for async code."""

from __future__ import annotations

import time

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction

from .models import Player


def create_guest(name: str) -> Player:
    """A new guest player called ``name``."""
    return Player.objects.create(name=name)


def player_for_user(user_id: int, username: str) -> tuple[str, str]:
    """The (id, name) of the player linked to a Django user, created on first use."""
    with transaction.atomic():
        player, _ = Player.objects.get_or_create(user_id=user_id, defaults={"name": username})
    return player.id, player.name


def player_exists(player_id: str) -> bool:
    """Whether a player of this id exists (one primary-key lookup)."""
    return Player.objects.filter(pk=player_id).exists()


aplayer_for_user = database_sync_to_async(player_for_user)
aplayer_exists = database_sync_to_async(player_exists)

# Players seen in the database lately: player id -> monotonic time until which that
# holds. Only existing players are kept; a deleted one is forgotten at once here
# (``forget``, on post_delete) and within the TTL in other processes.
_known: dict[str, float] = {}
KNOWN_MAX = 100_000


async def aknown_player(player_id: str) -> bool:
    """True if the player exists: from the short-lived cache, else one indexed lookup."""
    now = time.monotonic()
    if _known.get(player_id, 0.0) > now:
        return True
    exists = await aplayer_exists(player_id)
    if exists:
        if len(_known) >= KNOWN_MAX:
            _known.clear()
        _known[player_id] = now + settings.GAMESERVER_PLAYER_CACHE_TTL
    return exists


def forget(sender: object, instance: Player, **kwargs: object) -> None:
    """A player was deleted: its tokens stop opening sockets."""
    _known.pop(instance.pk, None)
