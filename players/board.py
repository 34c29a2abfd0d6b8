"""Leaderboards: one game's ratings, best first, banned players left out.

A page is two short index walks: the page's player ids straight from the
``rating_board`` index (game, rating descending, player), skipping the offset inside
the index, then those few rows with their names. Where a player stands is a count
over the same index. Ties in rating go to the lower player id, so the order is total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .models import Rating, active_bans


@dataclass(frozen=True)
class Entry:
    """One line of a board."""

    rank: int
    player_id: str
    name: str
    rating: float
    mu: float
    sigma: float
    matches: int
    wins: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "player": {"id": self.player_id, "name": self.name},
            "rating": self.rating,
            "mu": self.mu,
            "sigma": self.sigma,
            "matches": self.matches,
            "wins": self.wins,
        }


def listed(game: str) -> QuerySet[Rating]:
    """Everyone on the game's board, best first."""
    banned = active_bans().values("player_id")
    query = Rating.objects.filter(game=game).exclude(player_id__in=banned)
    return query.order_by("-ordinal", "player_id")


def page(game: str, offset: int, limit: int) -> list[Entry]:
    """``limit`` lines of the board from ``offset`` (0 = the best)."""
    ids = list(listed(game).values_list("player_id", flat=True)[offset : offset + limit])
    rows = Rating.objects.filter(game=game, player_id__in=ids).select_related("player")
    by_id = {row.player_id: row for row in rows}
    return [
        Entry(
            offset + i + 1,
            pid,
            by_id[pid].player.name,
            by_id[pid].ordinal,
            by_id[pid].mu,
            by_id[pid].sigma,
            by_id[pid].matches,
            by_id[pid].wins,
        )
        for i, pid in enumerate(ids)
        if pid in by_id
    ]


def position(game: str, player_id: str) -> int | None:
    """How many stand above the player on the board (0 = the best); None if not on it."""
    # By the (player, game) key, unordered: the board's order would walk its index.
    found = Rating.objects.filter(game=game, player_id=player_id).values_list("ordinal", flat=True)
    mine = next(iter(found[:1]), None)
    if mine is None or active_bans().filter(player_id=player_id).exists():
        return None
    # Two range counts on the index, not one OR that no index serves.
    better = listed(game).filter(ordinal__gt=mine).count()
    return better + listed(game).filter(ordinal=mine, player_id__lt=player_id).count()
