"""Match history for staff: list, filters, search, and seats and moves inline."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Match, Move, Player, Seat


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SeatInline(ReadOnlyInline):
    model = Seat
    fields = ("seat", "player", "rank")
    readonly_fields = fields


class MoveInline(ReadOnlyInline):
    model = Move
    fields = ("seq", "seat", "payload")
    readonly_fields = fields


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    """Every match: who played, how it ended and how long it took."""

    list_display = ("id", "game", "players", "status", "result", "reason", "created", "duration")
    list_filter = ("game", "status", "reason", ("created", admin.DateFieldListFilter))
    search_fields = ("id", "seats__player__name")
    date_hierarchy = "created"
    readonly_fields = (
        "id", "game", "seed", "options", "status", "created", "started", "ended",
        "winner", "ranking", "reason", "final_state",
    )  # fmt: skip
    exclude = ("input_log",)
    inlines = (SeatInline, MoveInline)
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Match]:
        return super().get_queryset(request).prefetch_related("seats__player")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="players")
    def players(self, match: Match) -> str:
        return ", ".join(s.player.name for s in match.seats.all())

    @admin.display(description="result")
    def result(self, match: Match) -> str:
        if match.status != Match.Status.OVER:
            return "-"
        if match.winner is None:
            return "no winner"
        names = {s.seat: s.player.name for s in match.seats.all()}
        return f"{names.get(match.winner, match.winner)} won"


@admin.register(Player)
class PlayerAdmin(admin.ModelAdmin):
    """Guests and users who have played."""

    list_display = ("id", "name", "user", "created")
    search_fields = ("id", "name", "user__username")
    readonly_fields = ("id", "created")
