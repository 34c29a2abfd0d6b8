"""Match history for staff: list, filters, search, seats and moves inline, and replays.

The replay page rebuilds every state of a finished match by running its game's own
rules over the stored seed and log, and checks the rebuilt end against the stored
result: every replay is a determinism check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from .games import Game, State
from .models import Match, Move, Seat
from .registry import get_game
from .runtime.replay import replay, unpack_inputs

# Matches that ended by the rules: the rules' outcome of the final state must agree.
RULED_REASONS = (Match.Reason.WIN, Match.Reason.DRAW)
TURN_INTERVAL_MS = 800


def plain(data: Any) -> Any:
    """``data`` as the JSON field stores it, so that rebuilt and stored states compare."""
    return json.loads(json.dumps(data))


def differences(rebuilt: Any, stored: Any) -> str:
    """Which top-level keys differ between two states, for the mismatch banner."""
    if isinstance(rebuilt, dict) and isinstance(stored, dict):
        keys = sorted(k for k in rebuilt.keys() | stored.keys() if rebuilt.get(k) != stored.get(k))
        return ", ".join(keys)
    return "the whole state"


@dataclass
class Replay:
    """A match rebuilt by its rules: every state, what led to each, and the verdict."""

    frames: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def frame(step: int, state: State, caption: str, seat=None, move=None) -> dict[str, Any]:
    return {"step": step, "state": state, "seat": seat, "move": move, "caption": caption}


def turn_frames(states: list[State], moves: list[Move], names: dict[int, str]) -> list[dict]:
    """One frame per state of a turn-based match; each after setup carries its move."""
    frames = [frame(0, states[0], "setup")]
    for step, (state, move) in enumerate(zip(states[1:], moves, strict=False), start=1):
        who = f"seat {move.seat} ({names.get(move.seat, '?')})"
        caption = f"{who} played {json.dumps(move.payload)}"
        frames.append(frame(step, state, caption, move.seat, move.payload))
    return frames


def tick_frames(states: list[State], changes: list[list[Any]]) -> list[dict]:
    """One frame per state of a real-time match: its tick and the inputs changed on it."""
    changed: dict[int, list[str]] = {}
    for tick, seat, value in changes:
        changed.setdefault(tick + 1, []).append(f"seat {seat} input {json.dumps(value)}")
    frames = [frame(0, states[0], "setup")]
    for step, state in enumerate(states[1:], start=1):
        inputs = changed.get(step)
        caption = f"tick {step}: " + "; ".join(inputs) if inputs else f"tick {step}"
        frames.append(frame(step, state, caption))
    return frames


def check_result(game: Game, match: Match, final: State) -> list[str]:
    """What differs between the rebuilt end of ``match`` and its stored result."""
    problems = []
    if final != match.final_state:
        where = differences(final, match.final_state)
        problems.append(f"The rebuilt final state differs from the stored one ({where}).")
    if match.reason not in RULED_REASONS:
        return problems
    outcome = game.outcome(final)
    if outcome is None:
        return [*problems, "The rules say the rebuilt match is not over."]
    rebuilt = plain(outcome.as_dict())
    stored = {"winner": match.winner, "ranking": match.ranking, "reason": match.reason}
    for key in ("winner", "ranking", "reason"):
        if rebuilt[key] != stored[key]:
            problems.append(f"The rules give {key} {rebuilt[key]!r}, the record {stored[key]!r}.")
    return problems


def rebuild(game: Game, match: Match) -> Replay:
    """Replay ``match`` with its game's rules and check it against the stored result."""
    moves = list(match.moves.order_by("seq"))
    names = {s.seat: s.player.name for s in match.seats.all()}
    blob = bytes(match.input_log) if match.input_log is not None else None
    try:
        pairs = [(m.seat, m.payload) for m in moves]
        states = plain(replay(game, len(names), match.options, match.seed, pairs, blob))
    except Exception as error:  # a log the rules refuse is a finding, not a crash
        return Replay(problems=[f"The rules refused the stored log: {error!r}."])
    if game.tick_rate:
        frames = tick_frames(states, unpack_inputs(blob)[1])
    else:
        frames = turn_frames(states, moves, names)
    return Replay(frames, check_result(game, match, states[-1]))


def seat_names(match: Match) -> dict[int, str]:
    return {s.seat: s.player.name for s in match.seats.all()}


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SeatInline(ReadOnlyInline):
    model = Seat
    fields = ("seat", "player", "rank", "rating", "rating_change")
    readonly_fields = fields

    @admin.display(description="rating before → after")
    def rating_change(self, seat: Seat) -> str:
        if seat.rating_before is None or seat.rating_after is None:
            return "-"
        return f"{seat.rating_before['rating']:.2f} → {seat.rating_after['rating']:.2f}"


class MoveInline(ReadOnlyInline):
    model = Move
    fields = ("seq", "seat", "payload")
    readonly_fields = fields


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    """Every match: who played, how it ended, how long it took, and its replay."""

    list_display = (
        "id", "game", "players", "status", "result", "reason", "created", "duration",
        "replay_link",
    )  # fmt: skip
    list_filter = ("game", "status", "reason", ("created", admin.DateFieldListFilter))
    search_fields = ("id", "seats__player__name")
    date_hierarchy = "created"
    readonly_fields = (
        "id", "game", "rated", "seed", "options", "status", "created", "started", "ended",
        "winner_name", "ranking_names", "reason", "final_state",
    )  # fmt: skip
    exclude = ("input_log", "winner", "ranking", "rating_order")
    actions = ("void_matches",)
    inlines = (SeatInline, MoveInline)
    list_per_page = 50
    change_form_template = "admin/match/match_change_form.html"
    replay_template = "admin/match/replay.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Match]:
        return super().get_queryset(request).prefetch_related("seats__player")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Match | None = None) -> bool:
        return False  # a record of what happened: viewed, never edited (no Save buttons)

    def has_void_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("match.change_match")

    @admin.action(description="Void the selected matches", permissions=["void"])
    def void_matches(self, request: HttpRequest, queryset: QuerySet[Match]) -> None:
        """Void each (ratings recomputed); say which could not be, and why."""
        from players.moderation import ModerationError
        from players.voiding import void_match

        by = f"{request.user.get_username()} (admin)"
        for match in queryset:
            try:
                done = void_match(match.id, by)
                note = "Voided" if done else "Already voided:"
                self.message_user(request, f"{note} {match}.", messages.SUCCESS)
            except ModerationError as error:
                self.message_user(request, f"Not voided: {error}", messages.WARNING)

    @admin.display(description="winner")
    def winner_name(self, match: Match) -> str:
        if match.winner is None:
            return "-"
        return seat_names(match).get(match.winner, str(match.winner))

    @admin.display(description="ranking")
    def ranking_names(self, match: Match) -> str:
        names = seat_names(match)
        return ", ".join(names.get(seat, str(seat)) for seat in match.ranking or []) or "-"

    def get_urls(self):
        """The model's admin URLs plus ``<id>/replay/``, before the catch-all ``<id>/``."""
        name = f"{self.opts.app_label}_{self.opts.model_name}_replay"
        view = self.admin_site.admin_view(self.replay_view)
        return [path("<path:object_id>/replay/", view, name=name), *super().get_urls()]

    @admin.display(description="players")
    def players(self, match: Match) -> str:
        return ", ".join(s.player.name for s in match.seats.all())

    @admin.display(description="result")
    def result(self, match: Match) -> str:
        if match.status not in (Match.Status.OVER, Match.Status.VOIDED):
            return "-"
        if match.winner is None:
            return "no winner"
        return f"{seat_names(match).get(match.winner, match.winner)} won"

    @admin.display(description="replay")
    def replay_link(self, match: Match) -> str:
        if match.status not in (Match.Status.OVER, Match.Status.VOIDED):
            return "-"
        url = reverse("admin:match_match_replay", args=[quote(match.pk)])
        return format_html('<a href="{}">replay</a>', url)

    def replay_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Called for ``<id>/replay/``: every step of a finished match and the verdict."""
        match = self.get_object(request, unquote(object_id))
        if match is None:
            raise Http404(f"no match {object_id!r}")
        if not self.has_view_permission(request, match):
            raise PermissionDenied
        game = get_game(match.game)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": match,
            "title": f"Replay of {match}",
            "game": game,
            "notice": None,
            "replay": None,
        }
        if match.status not in (Match.Status.OVER, Match.Status.VOIDED):
            context["notice"] = "This match is not over yet: a match replays once it has ended."
        elif game is None:
            context["notice"] = f"The game {match.game!r} is not installed on this server."
        else:
            context["replay"] = rebuild(game, match)
            context["info"] = {
                "game": game.name,
                "players": [s.player.name for s in match.seats.all()],
                "interval_ms": 1000 // game.tick_rate if game.tick_rate else TURN_INTERVAL_MS,
            }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.replay_template, context)
