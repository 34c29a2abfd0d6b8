"""Matches, seats and moves: the match history admins review and replay."""

from __future__ import annotations

from django.db import models

from players.models import Player, new_id


class Match(models.Model):
    """One match of one game: its seed and options, how far it got, and how it ended."""

    class Status(models.TextChoices):
        WAITING = "waiting"
        ACTIVE = "active"
        OVER = "over"
        VOIDED = "voided"  # over, then voided by staff: counts for nobody

    class Reason(models.TextChoices):
        WIN = "win"
        DRAW = "draw"
        RESIGN = "resign"
        FORFEIT = "forfeit"
        ABANDONED = "abandoned"
        TIMEOUT = "timeout"

    id = models.CharField(primary_key=True, max_length=16, default=new_id, editable=False)
    game = models.CharField(max_length=40, db_index=True)
    seed = models.BigIntegerField()
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    ended = models.DateTimeField(null=True, blank=True)
    winner = models.SmallIntegerField(null=True, blank=True)
    ranking = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=10, choices=Reason.choices, blank=True)
    final_state = models.JSONField(null=True, blank=True)
    # Real-time games: the input log, one compact MessagePack blob per match.
    input_log = models.BinaryField(null=True, blank=True)
    # Formed by the public queue with no bots: the result moves the players' ratings.
    rated = models.BooleanField(default=False)
    # Where the result stands in the order ratings moved (players.ratings): later than
    # every earlier rated result of each of its players, whatever the clocks said.
    rating_order = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "matches"
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["status", "created"]),
            models.Index(fields=["game", "rating_order"], name="match_in_rating_order"),
        ]

    def __str__(self) -> str:
        return f"{self.game} {self.id}"

    @property
    def duration(self):
        """How long the match was played, once it has ended."""
        if self.ended and (self.started or self.created):
            return self.ended - (self.started or self.created)
        return None


class Seat(models.Model):
    """A player's seat in a match, and where they finished."""

    match = models.ForeignKey(Match, related_name="seats", on_delete=models.CASCADE)
    seat = models.SmallIntegerField()
    player = models.ForeignKey(Player, related_name="seats", on_delete=models.PROTECT)
    rank = models.SmallIntegerField(null=True, blank=True)
    # The rating (ordinal) the player had when the match formed, as the players saw it;
    # then, written with the result of a rated match, the rating objects before and after.
    rating = models.FloatField(null=True, blank=True)
    rating_before = models.JSONField(null=True, blank=True)
    rating_after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["match", "seat"]
        constraints = [
            models.UniqueConstraint(fields=["match", "seat"], name="one_player_per_seat"),
            models.UniqueConstraint(fields=["match", "player"], name="one_seat_per_player"),
        ]

    def __str__(self) -> str:
        return f"seat {self.seat}: {self.player.name}"


class Move(models.Model):
    """One applied move of a turn-based match, in order."""

    match = models.ForeignKey(Match, related_name="moves", on_delete=models.CASCADE)
    seq = models.IntegerField()
    seat = models.SmallIntegerField()
    payload = models.JSONField()

    class Meta:
        ordering = ["match", "seq"]
        constraints = [models.UniqueConstraint(fields=["match", "seq"], name="one_move_per_seq")]

    def __str__(self) -> str:
        return f"move {self.seq} by seat {self.seat}"


class InputChunk(models.Model):
    """Real-time matches: the input changes of about a second, journaled while it plays.

    ``ticks`` is how many ticks the match had played when the chunk was written (every
    change in it applies at or before that tick); ``seq`` is a ``seq`` the host promised
    not to pass before its next write, so that a rebuilt match never sends a smaller one.
    """

    match = models.ForeignKey(Match, related_name="input_chunks", on_delete=models.CASCADE)
    ticks = models.IntegerField()
    seq = models.IntegerField()
    inputs = models.BinaryField()

    class Meta:
        ordering = ["match", "id"]

    def __str__(self) -> str:
        return f"inputs to tick {self.ticks}"
