"""What the moderation commands share: who is acting, and turning refusals into errors."""

from __future__ import annotations

import getpass
import os

from django.core.management.base import BaseCommand, CommandParser


def actor(given: str | None) -> str:
    """``--by``, else the user running the command."""
    if given:
        return given
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("USER", "?")
    return f"{user} (manage.py)"


class ModerationCommand(BaseCommand):
    """A moderation command: the target's id, and who acts (``--by``)."""

    target = "PLAYER_ID"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(self.target.lower(), metavar=self.target)
        parser.add_argument("--by", help="who acts, for the audit log (default: your user)")
