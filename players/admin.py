"""Players, their ratings and bans, and the moderation log in the admin.

Staff ban and unban from the player list (the action bar takes a reason and an end),
and void from the match list (``match.admin``); every action leaves an audit row.
Records the server writes (ratings, bans, the log) are read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from . import moderation
from .models import Ban, ModerationAction, Player, Rating, active_bans


class ReadOnly:
    """A record nobody edits by hand: it shows without Save buttons."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RatingInline(ReadOnly, admin.TabularInline):
    model = Rating
    fields = readonly_fields = ("game", "ordinal", "mu", "sigma", "matches", "wins", "updated")
    extra = 0


class BanInline(ReadOnly, admin.TabularInline):
    model = Ban
    fields = readonly_fields = ("created", "by", "reason", "until", "lifted", "lifted_by")
    extra = 0


class BanFields(forms.Form):
    """What a ban takes besides the players: a reason and an end (empty: for good)."""

    reason = forms.CharField(required=False, label="Reason")
    until = forms.DateTimeField(required=False, label="Until")


class BanForm(ActionForm):
    """The action bar, with the ban's fields as text: the action checks them (``BanFields``)
    and says what is wrong, where the admin would only say "no action selected".
    """

    reason = forms.CharField(required=False, label="Reason")
    until = forms.CharField(required=False, label="Until", help_text="empty: for good")


def acting(request: HttpRequest) -> str:
    return f"{request.user.get_username()} (admin)"


@admin.register(Player)
class PlayerAdmin(admin.ModelAdmin):
    """Guests and users who have played; ban and unban here."""

    list_display = ("id", "name", "user", "bot", "created", "banned")
    list_filter = ("bot",)
    search_fields = ("id", "name", "user__username")
    readonly_fields = ("id", "created")
    inlines = (RatingInline, BanInline)
    action_form = BanForm
    actions = ("ban_players", "unban_players")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Player]:
        banned = Exists(active_bans().filter(player=OuterRef("pk")))
        return super().get_queryset(request).annotate(is_banned=banned)

    @admin.display(description="banned", boolean=True, ordering="is_banned")
    def banned(self, player: Player) -> bool:
        return bool(getattr(player, "is_banned", False))

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("players.add_ban")

    @admin.action(description="Ban the selected players", permissions=["moderate"])
    def ban_players(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        form = BanFields(request.POST)
        if not form.is_valid():
            self.message_user(request, f"Not banned: {form.errors.as_text()}", messages.ERROR)
            return
        reason, until = form.cleaned_data["reason"], form.cleaned_data["until"]
        for player in queryset:
            try:
                moderation.ban(player.id, acting(request), reason, until)
                self.message_user(request, f"Banned {player.name}.", messages.SUCCESS)
            except moderation.ModerationError as error:
                self.message_user(request, f"Not banned: {error}", messages.WARNING)

    @admin.action(description="Unban the selected players", permissions=["moderate"])
    def unban_players(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        for player in queryset:
            try:
                moderation.unban(player.id, acting(request))
                self.message_user(request, f"Unbanned {player.name}.", messages.SUCCESS)
            except moderation.ModerationError as error:
                self.message_user(request, f"Not unbanned: {error}", messages.WARNING)


@admin.register(Ban)
class BanAdmin(ReadOnly, admin.ModelAdmin):
    """Every ban, in force or lifted."""

    list_display = ("player", "reason", "created", "until", "by", "lifted", "lifted_by", "active")
    list_filter = (("lifted", admin.EmptyFieldListFilter),)
    search_fields = ("player__id", "player__name", "reason", "by")

    @admin.display(description="in force", boolean=True)
    def active(self, ban: Ban) -> bool:
        return ban.in_force


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnly, admin.ModelAdmin):
    """The audit log: who banned, unbanned or voided what, and when."""

    list_display = ("at", "kind", "by", "player_link", "match_link", "reason", "until")
    list_filter = ("kind",)
    search_fields = ("by", "player__name", "player__id", "match_id", "reason")
    date_hierarchy = "at"

    @admin.display(description="player")
    def player_link(self, action: ModerationAction) -> str:
        if action.player is None:
            return "-"
        url = reverse("admin:players_player_change", args=[action.player_id])
        return format_html('<a href="{}">{}</a>', url, action.player.name)

    @admin.display(description="match")
    def match_link(self, action: ModerationAction) -> str:
        if not action.match_id:
            return "-"
        url = reverse("admin:match_match_change", args=[action.match_id])
        return format_html('<a href="{}">{}</a>', url, action.match_id)
