"""Players: everyone who plays, a guest with a name or a Django user; their ratings, bans
and the moderation log.
"""

from __future__ import annotations

import secrets
import string

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

ID_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 12


def new_id() -> str:
    """A short unguessable id (71 bits), letters and digits only: safe in any URL."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def is_id(value: str) -> bool:
    """Whether ``value`` has the shape of a player or match id (it may still not exist)."""
    return 0 < len(value) <= 16 and all(c in ID_ALPHABET for c in value)


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


class Rating(models.Model):
    """A player's OpenSkill rating in one game; ``ordinal`` (mu - 3 sigma) ranks the board.

    A row exists once the player has finished a rated match of that game.
    """

    player = models.ForeignKey(Player, related_name="ratings", on_delete=models.CASCADE)
    game = models.CharField(max_length=40)
    mu = models.FloatField()
    sigma = models.FloatField()
    ordinal = models.FloatField()
    matches = models.IntegerField(default=0)
    wins = models.IntegerField(default=0)
    # The order of the last result that moved this rating (see players.ratings).
    last_order = models.BigIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["player", "game"], name="one_rating_per_game")
        ]
        # A leaderboard page is a short walk down this index from its offset.
        indexes = [models.Index(fields=["game", "-ordinal", "player"], name="rating_board")]

    def __str__(self) -> str:
        return f"{self.game}: {self.ordinal:.2f}"

    def as_dict(self) -> dict[str, float | int]:
        """The protocol's rating object."""
        return {"mu": self.mu, "sigma": self.sigma, "rating": self.ordinal, "matches": self.matches}


def active_bans() -> models.QuerySet[Ban]:
    """The bans in force now: not lifted, and without an end or ending later."""
    now = timezone.now()
    return Ban.objects.filter(lifted__isnull=True).filter(Q(until__isnull=True) | Q(until__gt=now))


class Ban(models.Model):
    """A player shut out by staff, with a reason and optionally an end; lifted by an unban."""

    player = models.ForeignKey(Player, related_name="bans", on_delete=models.CASCADE)
    reason = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    until = models.DateTimeField(null=True, blank=True)
    by = models.CharField(max_length=150)
    lifted = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["player", "lifted"])]

    def __str__(self) -> str:
        return f"ban of {self.player_id}"

    @property
    def in_force(self) -> bool:
        return self.lifted is None and (self.until is None or self.until > timezone.now())


class ModerationAction(models.Model):
    """The audit log: who banned, unbanned or voided what, when, and why."""

    class Kind(models.TextChoices):
        BAN = "ban"
        UNBAN = "unban"
        VOID = "void"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    player = models.ForeignKey(
        Player, null=True, blank=True, related_name="moderation", on_delete=models.SET_NULL
    )
    match_id = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    until = models.DateTimeField(null=True, blank=True)
    by = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.by}"
