"""Moderation: bans, unbans and voids, each with an audit row (protocol.md, "Moderation").

The Django admin and ``manage.py ban|unban|void`` both call these. A ban is a row, then
(once it is committed) an event on the channel layer that every server process acts
on (``players.enforcement``); identity refuses a banned player's new sockets by asking
``is_banned``.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from .models import Ban, ModerationAction, Player, active_bans, is_id

log = logging.getLogger("players.moderation")

GROUP = "moderation"  # every server process listens here


class ModerationError(Exception):
    """A moderation request that cannot be done (unknown player, not banned...);
    nothing was changed.
    """


def is_banned(player_id: str) -> bool:
    """Whether a ban keeps the player out now."""
    return active_bans().filter(player_id=player_id).exists()


ais_banned = database_sync_to_async(is_banned)


def find_player(player_id: str) -> Player:
    if not is_id(player_id):
        raise ModerationError(f"{player_id!r} is not a player id")
    player = Player.objects.filter(id=player_id).first()
    if player is None:
        raise ModerationError(f"no player {player_id!r}")
    return player


def ban(player_id: str, by: str, reason: str = "", until: datetime.datetime | None = None) -> Ban:
    """Ban a player (until ``until``, else for good) and tell every process at once."""
    if until is not None and until <= timezone.now():
        raise ModerationError(f"the ban would end in the past ({until.isoformat()})")
    with transaction.atomic():
        player = find_player(player_id)
        if is_banned(player.id):
            raise ModerationError(f"{player} is banned already: unban first to change the ban")
        made = Ban.objects.create(player=player, reason=reason, until=until, by=by)
        ModerationAction.objects.create(
            kind=ModerationAction.Kind.BAN, player=player, reason=reason, until=until, by=by
        )
        event = {"type": "moderation.ban", "ban": made.id, "player": player.id}
        transaction.on_commit(lambda: announce(event))
    return made


def unban(player_id: str, by: str) -> int:
    """Lift every ban in force on the player; returns how many."""
    with transaction.atomic():
        player = find_player(player_id)
        lifted = active_bans().filter(player=player).update(lifted=timezone.now(), lifted_by=by)
        if not lifted:
            raise ModerationError(f"{player} is not banned")
        ModerationAction.objects.create(kind=ModerationAction.Kind.UNBAN, player=player, by=by)
    return lifted


def announce(event: dict[str, Any]) -> None:
    """Tell every server process (best effort: each also sweeps for bans it missed)."""
    try:
        async_to_sync(get_channel_layer().group_send)(GROUP, event)
    except Exception:
        log.exception("announcing %s failed; the processes' sweep will catch it", event)
