"""``manage.py ban PLAYER_ID [--reason TEXT] [--until ISO-8601]``."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from players.moderation import ModerationError, ban

from ._moderation import ModerationCommand, actor


def moment(text: str) -> datetime.datetime:
    """An ISO 8601 time; without a zone it is UTC."""
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--until {text!r} is not an ISO 8601 time") from None
    return when if timezone.is_aware(when) else when.replace(tzinfo=datetime.UTC)


class Command(ModerationCommand):
    help = "Ban a player: their sockets close with 4403 on every process, their match forfeits."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--reason", default="", help="why (shown in the admin)")
        parser.add_argument("--until", help="when the ban ends (ISO 8601; default: never)")

    def handle(self, *args: Any, **options: Any) -> None:
        until = moment(options["until"]) if options["until"] else None
        try:
            made = ban(options["player_id"], actor(options["by"]), options["reason"], until)
        except ModerationError as error:
            raise CommandError(str(error)) from None
        ends = f"until {made.until.isoformat()}" if made.until else "for good"
        self.stdout.write(f"banned {made.player} {ends}")
