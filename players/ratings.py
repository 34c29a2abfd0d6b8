"""Ratings: OpenSkill's Plackett-Luce model with the library's defaults, per player per game.

The maths is the library's; this module only carries ratings between it and the
database. ``rate_match`` runs inside the transaction that writes a match's result, so
a result and the rating moves it causes commit together, or not at all.

Results are numbered in the order they moved ratings, the way a Lamport clock numbers
events: a result's ``order`` is one more than the last order of any of its players'
ratings, read under the rows' locks. So every player's results are numbered in the
order they happened to that player, whatever the clocks of the processes that wrote
them said, and replaying every result by that number rebuilds every rating exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.db import connection
from openskill.models import PlackettLuce

from .models import Rating

MODEL = PlackettLuce()


@dataclass(frozen=True)
class Skill:
    """One player's rating in one game: OpenSkill's mu and sigma, and the counts."""

    mu: float
    sigma: float
    matches: int = 0
    wins: int = 0

    @property
    def ordinal(self) -> float:
        """What players see and boards sort by: the library's ordinal (mu - 3 sigma)."""
        return float(MODEL.rating(mu=self.mu, sigma=self.sigma).ordinal())

    def as_dict(self) -> dict[str, Any]:
        """The protocol's rating object."""
        return {"mu": self.mu, "sigma": self.sigma, "rating": self.ordinal, "matches": self.matches}

    @classmethod
    def from_row(cls, row: Rating) -> Skill:
        return cls(row.mu, row.sigma, row.matches, row.wins)


def fresh() -> Skill:
    """A new player's rating: the model's defaults (mu 25, sigma 25/3)."""
    start = MODEL.rating()
    return Skill(start.mu, start.sigma)


NEW_PLAYER = fresh().ordinal


def rate(before: list[Skill], ranks: list[int], won: list[bool]) -> list[Skill]:
    """Everyone's rating after one match: one player per team, ``ranks`` 1 = best (ties
    share a rank), ``won`` who counts a win.
    """
    teams = [[MODEL.rating(mu=s.mu, sigma=s.sigma)] for s in before]
    rated = MODEL.rate(teams, ranks=list(ranks))
    return [
        Skill(team[0].mu, team[0].sigma, s.matches + 1, s.wins + int(w))
        for team, s, w in zip(rated, before, won, strict=True)
    ]


def lock_game(game: str, alone: bool = False) -> None:
    """Order rating writes of one game: result writes share a lock, a void holds it alone.

    PostgreSQL: a transaction-scoped advisory lock. SQLite runs one writing transaction
    at a time anyway (``transaction_mode`` IMMEDIATE), so it needs nothing more.
    """
    if connection.vendor != "postgresql":
        return
    call = "pg_advisory_xact_lock" if alone else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {call}(hashtext(%s))", [f"ratings:{game}"])


def locked_rows(game: str, player_ids: list[str]) -> dict[str, Rating]:
    """The players' current ratings, their rows locked until the transaction ends.

    A player without a row gets one at the defaults first (racing inserts of the same
    row: one wins, the other does nothing), so that every row can be locked; the rows
    are locked in id order, so two writers never wait for each other in a circle.
    """
    start = fresh()
    Rating.objects.bulk_create(
        [
            Rating(player_id=pid, game=game, mu=start.mu, sigma=start.sigma, ordinal=start.ordinal)
            for pid in sorted(set(player_ids))
        ],
        ignore_conflicts=True,
    )
    rows = Rating.objects.select_for_update().filter(game=game, player_id__in=player_ids)
    return {row.player_id: row for row in rows.order_by("player_id")}


def store_skills(game: str, skills: dict[str, Skill], order: int | None = None) -> None:
    """Write players' ratings of one game (and the order of the result that moved them);
    a player left with no rated match has none.
    """
    rows = list(Rating.objects.filter(game=game, player_id__in=list(skills)))
    gone = [row.pk for row in rows if skills[row.player_id].matches == 0]
    for row in rows:
        skill = skills[row.player_id]
        row.mu, row.sigma, row.ordinal = skill.mu, skill.sigma, skill.ordinal
        row.matches, row.wins = skill.matches, skill.wins
        row.last_order = row.last_order if order is None else order
    fields = ["mu", "sigma", "ordinal", "matches", "wins", "last_order"]
    Rating.objects.bulk_update([row for row in rows if row.pk not in gone], fields)
    Rating.objects.filter(pk__in=gone).delete()


@dataclass(frozen=True)
class Placed:
    """A seat as the result placed it: who sat there, their rank, whether they won."""

    seat: int
    player_id: str
    rank: int
    won: bool


def rate_match(game: str, placed: list[Placed]) -> tuple[int, list[dict[str, Any]]]:
    """Move the ratings of a match's players by its result; call inside its transaction.

    Returns the result's order and, per seat, the rating objects before and after
    (``match.over``'s ``ratings``).
    """
    rows = locked_rows(game, [p.player_id for p in placed])
    order = 1 + max(row.last_order for row in rows.values())
    before = [Skill.from_row(rows[p.player_id]) for p in placed]
    after = rate(before, [p.rank for p in placed], [p.won for p in placed])
    store_skills(game, {p.player_id: s for p, s in zip(placed, after, strict=True)}, order)
    return order, [
        {"seat": p.seat, "before": b.as_dict(), "after": a.as_dict()}
        for p, b, a in zip(placed, before, after, strict=True)
    ]


def ratings_of(player_id: str) -> dict[str, dict[str, Any]]:
    """The player's rating object in every game they have a rated match of."""
    rows = Rating.objects.filter(player_id=player_id, matches__gt=0).order_by("game")
    return {row.game: Skill.from_row(row).as_dict() for row in rows}


def rating_of(player_id: str, game: str) -> float:
    """The player's rating (ordinal) in one game; a new player's if they have none."""
    row = Rating.objects.filter(player_id=player_id, game=game).values("ordinal").first()
    return NEW_PLAYER if row is None else row["ordinal"]


def current_ratings(game: str, player_ids: list[str]) -> dict[str, float]:
    """Each player's rating (ordinal) in one game, a new player's where they have none."""
    rows = Rating.objects.filter(game=game, player_id__in=player_ids)
    found = dict(rows.values_list("player_id", "ordinal"))
    return {pid: found.get(pid, NEW_PLAYER) for pid in player_ids}


aratings_of = database_sync_to_async(ratings_of)
arating_of = database_sync_to_async(rating_of)
acurrent_ratings = database_sync_to_async(current_ratings)
