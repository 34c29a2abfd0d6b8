"""The players' own database functions: small, one job each, wrapped once for async code."""

from __future__ import annotations

from channels.db import database_sync_to_async
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


aplayer_for_user = database_sync_to_async(player_for_user)
