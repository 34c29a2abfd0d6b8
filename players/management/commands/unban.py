"""``manage.py unban PLAYER_ID``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from players.moderation import ModerationError, unban

from ._moderation import ModerationCommand, actor


class Command(ModerationCommand):
    help = "Lift a player's ban: they may connect again."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            unban(options["player_id"], actor(options["by"]))
        except ModerationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"unbanned {options['player_id']}")
