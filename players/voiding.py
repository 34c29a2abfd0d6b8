"""Voiding a finished match, and recomputing every rating it touched (protocol.md,
"Moderation").

A void replays, in the order results moved ratings, every later rated match of the
voided match's players, and of everyone those matches touched, from the ratings each
player had before they were first touched. It is one transaction that holds the game's
rating lock alone, so no result of that game commits halfway through it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models import Count, F

from match.models import Match, Seat

from . import ratings
from .models import ModerationAction, is_id
from .moderation import ModerationError
from .ratings import Skill


def skill_of(rating: dict[str, Any]) -> Skill:
    """A rating object as stored on a seat (its wins are counted apart)."""
    return Skill(rating["mu"], rating["sigma"], rating["matches"])


def rated_results(game: str):
    """Every result of the game that moved ratings, in the order it did."""
    query = Match.objects.filter(game=game, rated=True, status=Match.Status.OVER)
    query = query.exclude(rating_order=None).order_by("rating_order", "id")
    return query.prefetch_related("seats")


def rated_seats(match: Match) -> list[Seat]:
    return sorted((s for s in match.seats.all() if s.rank is not None), key=lambda s: s.seat)


def replay_result(match: Match, current: dict[str, Skill]) -> None:
    """Rate one match again from ``current`` (a player not touched yet starts from the
    rating stored on their seat, which nothing changed), updating ``current`` and the
    seats' before and after.
    """
    seats = rated_seats(match)
    for s in seats:
        if s.player_id not in current:
            current[s.player_id] = skill_of(s.rating_before)
    before = [current[s.player_id] for s in seats]
    after = ratings.rate(before, [s.rank for s in seats], [s.seat == match.winner for s in seats])
    for seat, b, a in zip(seats, before, after, strict=True):
        seat.rating_before, seat.rating_after = b.as_dict(), a.as_dict()
        current[seat.player_id] = a
    Seat.objects.bulk_update(seats, ["rating_before", "rating_after"])


def recompute(voided: Match) -> dict[str, Skill]:
    """Replay what followed ``voided`` for everyone it touched: their ratings now."""
    current = {s.player_id: skill_of(s.rating_before) for s in rated_seats(voided)}
    later = rated_results(voided.game).filter(rating_order__gt=voided.rating_order)
    for match in later:
        if any(s.player_id in current for s in match.seats.all()):
            replay_result(match, current)
    return current


def wins(game: str, player_ids: set[str]) -> dict[str, int]:
    """How many rated results of the game each player won."""
    seats = Seat.objects.filter(
        player_id__in=player_ids,
        match__game=game,
        match__rated=True,
        match__status=Match.Status.OVER,
        match__rating_order__isnull=False,
        match__winner=F("seat"),
    )
    counted = seats.values("player_id").annotate(n=Count("id")).values_list("player_id", "n")
    return dict(counted)


def void_match(match_id: str, by: str) -> bool:
    """Void a finished match and recompute the ratings it moved; False (and nothing
    changed) if it was voided already.
    """
    if not is_id(match_id):
        raise ModerationError(f"{match_id!r} is not a match id")
    game = Match.objects.filter(id=match_id).values_list("game", flat=True).first()
    if game is None:
        raise ModerationError(f"no match {match_id!r}")
    with transaction.atomic():
        ratings.lock_game(game, alone=True)
        match = Match.objects.select_for_update().get(id=match_id)
        if match.status == Match.Status.VOIDED:
            return False
        if match.status != Match.Status.OVER:
            raise ModerationError(f"match {match_id} is not over ({match.status}): nothing to void")
        moved = match.rated and match.rating_order is not None
        current = recompute(match) if moved else {}
        Match.objects.filter(id=match_id).update(status=Match.Status.VOIDED)
        Seat.objects.filter(match_id=match_id).update(rating_before=None, rating_after=None)
        won = wins(game, set(current))
        final = {pid: replace(skill, wins=won.get(pid, 0)) for pid, skill in current.items()}
        ratings.store_skills(game, final)
        ModerationAction.objects.create(kind=ModerationAction.Kind.VOID, match_id=match_id, by=by)
    return True


def replay_history(game: str) -> tuple[dict[str, Skill], dict[tuple[str, int], tuple]]:
    """Every rating of the game rebuilt from nothing, by the library alone, and each seat's
    (before, after): what the stored ratings must equal.
    """
    current: dict[str, Skill] = {}
    seats: dict[tuple[str, int], tuple] = {}
    start = ratings.fresh()
    with transaction.atomic():
        for match in rated_results(game):
            placed = rated_seats(match)
            before = [current.get(s.player_id, start) for s in placed]
            won = [s.seat == match.winner for s in placed]
            after = ratings.rate(before, [s.rank for s in placed], won)
            for s, b, a in zip(placed, before, after, strict=True):
                seats[(match.id, s.seat)] = (b.as_dict(), a.as_dict())
                current[s.player_id] = a
    return current, seats
