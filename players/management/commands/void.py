"""``manage.py void MATCH_ID``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from players.moderation import ModerationError
from players.voiding import void_match

from ._moderation import ModerationCommand, actor


class Command(ModerationCommand):
    help = "Void a finished match: it counts for nobody and the ratings it moved are recomputed."
    target = "MATCH_ID"

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = void_match(options["match_id"], actor(options["by"]))
        except ModerationError as error:
            raise CommandError(str(error)) from None
        said = "voided" if done else "was voided already: nothing changed for"
        self.stdout.write(f"{said} match {options['match_id']}")
