"""The only code that touches the ORM for the async side: small functions, one job each.

Each sync function runs inside ``transaction.atomic``; the ``a``-prefixed names are the
same functions wrapped once with ``database_sync_to_async`` for the consumers and hosts,
here the runtime's own (``gameserver.dbthread``): never behind an HTTP view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgpack
import orjson
from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from gameserver.dbthread import runtime_sync_to_async as database_sync_to_async
from players import ratings

from .games import Outcome
from .models import InputChunk, Match, Move, Seat


@dataclass
class SeatRecord:
    seat: int
    player_id: str
    name: str
    rating: float = ratings.NEW_PLAYER  # the player's rating when the match formed
    bot: bool = False

    def as_player(self) -> dict[str, Any]:
        """The seat as ``match.found`` and ``match.state`` list it."""
        return {
            "id": self.player_id,
            "name": self.name,
            "seat": self.seat,
            "rating": self.rating,
            "bot": self.bot,
        }


@dataclass
class MatchRecord:
    """What a host needs to (re)build a match: plain data, no ORM objects."""

    id: str
    game: str
    seed: int
    options: dict[str, Any]
    status: str
    created_ts: float
    seats: list[SeatRecord]
    moves: list[tuple[int, Any]] = field(default_factory=list)  # (seat, move) in order
    input_log: bytes | None = None
    result: dict[str, Any] | None = None
    final_state: Any = None
    journal: Journaled | None = None  # real-time: the inputs journaled while it played


@dataclass
class Journaled:
    """A real-time match's input journal: ticks played, the seq promised, the changes."""

    ticks: int
    seq: int
    changes: list[list[Any]]


def create_match(
    game: str,
    seed: int,
    options: dict[str, Any],
    player_ids: list[str],
    rated: bool = True,
    seat_ratings: list[float] | None = None,
) -> str:
    """A new waiting match with ``player_ids`` seated in order; returns its id.

    ``rated``: the result moves ratings (the public queue's matches). ``seat_ratings``:
    the players' ratings as the matchmaker saw them, else read now.
    """
    with transaction.atomic():
        if seat_ratings is None:
            found = ratings.current_ratings(game, player_ids)
            seat_ratings = [found[pid] for pid in player_ids]
        match = Match.objects.create(game=game, seed=seed, options=options, rated=rated)
        Seat.objects.bulk_create(
            Seat(match=match, seat=i, player_id=pid, rating=rating)
            for i, (pid, rating) in enumerate(zip(player_ids, seat_ratings, strict=True))
        )
    return match.id


def load_match(match_id: str) -> MatchRecord | None:
    """Everything about one match, or None if there is no such match."""
    match = Match.objects.filter(id=match_id).first()
    if match is None:
        return None
    seats = [
        SeatRecord(s.seat, s.player_id, s.player.name, seat_rating(s), s.player.bot)
        for s in match.seats.select_related("player").order_by("seat")
    ]
    moves = [(m.seat, m.payload) for m in match.moves.order_by("seq")]
    result = None
    if match.status in ENDED:  # a voided match is over for the runtime too
        result = {"winner": match.winner, "ranking": match.ranking, "reason": match.reason}
    return MatchRecord(
        id=match.id,
        game=match.game,
        seed=match.seed,
        options=match.options,
        status=Match.Status.OVER if match.status in ENDED else match.status,
        created_ts=match.created.timestamp(),
        seats=seats,
        moves=moves,
        input_log=bytes(match.input_log) if match.input_log is not None else None,
        result=result,
        final_state=match.final_state,
        journal=load_journal(match_id),
    )


def load_journal(match_id: str) -> Journaled | None:
    """The input chunks of a real-time match, joined; None if it has none."""
    chunks = list(InputChunk.objects.filter(match_id=match_id).order_by("id"))
    if not chunks:
        return None
    changes = [change for chunk in chunks for change in msgpack.unpackb(bytes(chunk.inputs))]
    return Journaled(
        ticks=max(c.ticks for c in chunks), seq=max(c.seq for c in chunks), changes=changes
    )


def record_input_chunks(rows: list[tuple[str, int, int, list[list[Any]]]]) -> None:
    """Commit real-time input chunks ``(match id, ticks, seq, changes)`` in one transaction."""
    with transaction.atomic():
        InputChunk.objects.bulk_create(
            InputChunk(match_id=m, ticks=t, seq=q, inputs=msgpack.packb(c, use_bin_type=True))
            for m, t, q, c in rows
        )


def mark_started(match_id: str) -> None:
    """Record that every seat connected and play began."""
    Match.objects.filter(id=match_id, status=Match.Status.WAITING).update(
        status=Match.Status.ACTIVE, started=timezone.now()
    )


def seat_ranks(outcome: Outcome) -> dict[int, int]:
    """Each ranked seat's rank (1 = best): every seat 1 on a draw, none when abandoned."""
    if outcome.reason == "draw":
        return dict.fromkeys(outcome.ranking, 1)
    return {seat: i + 1 for i, seat in enumerate(outcome.ranking)}


def finish_match(
    match_id: str,
    outcome: Outcome,
    final_state: Any,
    moves: list[tuple[int, Any]],
    input_log: bytes | None = None,
) -> Finished:
    """Commit a result, the ranks, the move log and the rating moves in one transaction, once.

    ``moves`` is the whole log, numbered from 1; moves already stored are kept. When the
    match already has a result nothing is written and the stored one comes back: the
    conditional update lets one writer through, so a retried or duplicated write never
    counts twice, nor moves a rating twice.
    """
    with transaction.atomic():
        rated = rated_game(match_id, outcome)
        if rated is not None:
            ratings.lock_game(rated)
        won = (
            Match.objects.filter(id=match_id)
            .exclude(status__in=ENDED)
            .update(
                status=Match.Status.OVER,
                ended=timezone.now(),
                winner=outcome.winner,
                ranking=list(outcome.ranking),
                reason=outcome.reason,
                final_state=final_state,
                input_log=input_log,
            )
        )
        if not won:
            return stored_result(match_id)
        if moves:
            Move.objects.bulk_create(
                (
                    Move(match_id=match_id, seq=seq, seat=seat, payload=move)
                    for seq, (seat, move) in enumerate(moves, start=1)
                ),
                ignore_conflicts=True,
            )
        ranks = [When(seat=seat, then=Value(rank)) for seat, rank in seat_ranks(outcome).items()]
        Seat.objects.filter(match_id=match_id).update(rank=Case(*ranks, default=None))
        moved = rate_result(match_id, rated, outcome) if rated is not None else None
    return Finished(True, outcome.as_dict(), moved)


# Ratings of a result ------------------------------------------------------------------

ENDED = [Match.Status.OVER, Match.Status.VOIDED]


@dataclass
class Finished:
    """What a result write found. ``written``: this call wrote it (else it was there
    already: a retry, or another host). ``result`` as stored; ``ratings``, for a rated
    match, each seat's rating before and after (``match.over``'s ``ratings``).
    """

    written: bool
    result: dict[str, Any] | None = None
    ratings: list[dict[str, Any]] | None = None

    def __bool__(self) -> bool:
        return self.written


def seat_rating(seat: Seat) -> float:
    return ratings.NEW_PLAYER if seat.rating is None else seat.rating


def rated_game(match_id: str, outcome: Outcome) -> str | None:
    """The match's game when this result moves ratings: a rated match, not abandoned,
    that ranks at least two seats (a timeout nobody moved in ranks none)."""
    if outcome.reason == Match.Reason.ABANDONED or len(outcome.ranking) < 2:
        return None
    found = Match.objects.filter(id=match_id, rated=True).values_list("game", flat=True)
    return found.first()


def rate_result(match_id: str, game: str, outcome: Outcome) -> list[dict[str, Any]]:
    """Move the seats' ratings by the result (ranked seats only) and keep them on the seats."""
    ranks = seat_ranks(outcome)
    seats = list(Seat.objects.filter(match_id=match_id, seat__in=list(ranks)).order_by("seat"))
    placed = [
        ratings.Placed(s.seat, s.player_id, ranks[s.seat], s.seat == outcome.winner) for s in seats
    ]
    order, moved = ratings.rate_match(game, placed)
    for seat, change in zip(seats, moved, strict=True):
        seat.rating_before, seat.rating_after = change["before"], change["after"]
    Seat.objects.bulk_update(seats, ["rating_before", "rating_after"])
    Match.objects.filter(id=match_id).update(rating_order=order)
    return moved


def stored_result(match_id: str) -> Finished:
    """The result already written, with the ratings it moved."""
    match = Match.objects.filter(id=match_id).first()
    if match is None or match.status not in ENDED:
        return Finished(False)
    result = {"winner": match.winner, "ranking": match.ranking, "reason": match.reason}
    seats = match.seats.order_by("seat")
    moved = [
        {"seat": s.seat, "before": s.rating_before, "after": s.rating_after}
        for s in seats
        if s.rating_after is not None
    ]
    return Finished(False, result, moved or None)


def discard_match(match_id: str) -> bool:
    """Delete a match that was never announced (a member dropped out while it was being
    formed): it is no one's history. A match that started or ended is kept."""
    with transaction.atomic():
        deleted, _ = Match.objects.filter(id=match_id, status=Match.Status.WAITING).delete()
    return bool(deleted)


def record_moves(rows: list[tuple[str, int, int, Any]]) -> None:
    """Commit applied moves ``(match id, seq, seat, move)``; rows already there are kept.

    The hottest write of the server (every move waits for it), so it skips the ORM's
    query building: one prepared INSERT for the whole batch.
    """
    sql = (
        f"INSERT INTO {Move._meta.db_table} (match_id, seq, seat, payload)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )
    params = [(m, seq, seat, orjson.dumps(move).decode()) for m, seq, seat, move in rows]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)


def unfinished_matches() -> list[str]:
    """The ids of every match that is not over, oldest first."""
    return list(
        Match.objects.exclude(status__in=ENDED).order_by("created").values_list("id", flat=True)
    )


def unfinished_match_of(player_id: str) -> str | None:
    """The id of a match the player is seated in that is not over, if any."""
    unfinished = [Match.Status.WAITING, Match.Status.ACTIVE]
    seats = Seat.objects.filter(player_id=player_id, match__status__in=unfinished)
    return seats.order_by().values_list("match_id", flat=True).first()


acreate_match = database_sync_to_async(create_match)
# On the runtime's thread too: loads in the default thread pool left connections that
# PostgreSQL test runs could not flush (a takeover storm queues its loads; measured
# failover stays within its targets, docs/deploy.md).
aload_match = database_sync_to_async(load_match)
amark_started = database_sync_to_async(mark_started)
afinish_match = database_sync_to_async(finish_match)
adiscard_match = database_sync_to_async(discard_match)
aunfinished_match_of = database_sync_to_async(unfinished_match_of)
arecord_moves = database_sync_to_async(record_moves)
arecord_input_chunks = database_sync_to_async(record_input_chunks)
aunfinished_matches = database_sync_to_async(unfinished_matches)
