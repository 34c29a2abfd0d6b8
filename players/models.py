"""Players: everyone who plays, a guest with a name or a Django user."""

from __future__ import annotations

import secrets
import string

from django.conf import settings
from django.db import models

ID_ALPHABET = string.ascii_letters + string.digits


def new_id() -> str:
    """A short unguessable id (71 bits), letters and digits only: safe in any URL."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(12))


class Player(models.Model):
    """Someone who plays: a guest with a name, or a Django user (or a server-side bot)."""

    id = models.CharField(primary_key=True, max_length=16, default=new_id, editable=False)
    name = models.CharField(max_length=40)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)
    bot = models.BooleanField(default=False)

    class Meta:
        # The table the match app created before players had an app of their own.
        db_table = "match_player"
        indexes = [models.Index(fields=["name"])]
        # One row per bot name ("Bot 1", "Bot 2"...): processes creating one at once agree.
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(bot=True), name="one_bot_per_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"
