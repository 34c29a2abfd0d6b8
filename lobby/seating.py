"""Seating a new match: the players in order, then any bots, recorded as waiting.

The queue's passes and a party's private matches both seat their matches here, and
tell each seated player with ``match_found``.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings

from gameserver import protocol
from gameserver.identity import Identity
from match import persistence
from match.games import Game
from match.persistence import MatchRecord, SeatRecord
from players.bots import abot_players
from players.ratings import acurrent_ratings


async def seat_match(
    game: Game,
    humans: list[Identity],
    bots: int = 0,
    rated: bool = True,
    rotate: int = 0,
    seen: dict[str, float] | None = None,
) -> MatchRecord:
    """Record a new waiting match of ``humans`` and then ``bots`` bot players, the order
    turned by ``rotate`` places (a party playing again moves everyone one seat on).
    ``seen``: players' ratings as the matchmaker saw them; the others' are read now."""
    seated = [SeatRecord(0, p.id, p.name) for p in humans]
    seated += [SeatRecord(0, pid, name, bot=True) for pid, name in await abot_players(bots)]
    seen = dict(seen or {})
    unseen = [s.player_id for s in seated if s.player_id not in seen]
    if unseen:
        seen.update(await acurrent_ratings(game.name, unseen))
    for seat in seated:
        seat.rating = seen[seat.player_id]
    turn = rotate % len(seated)
    seated = seated[turn:] + seated[:turn]
    for number, seat in enumerate(seated):
        seat.seat = number
    seed = secrets.randbits(62)
    options = game.resolve_options(settings.GAMESERVER_GAME_OPTIONS.get(game.name))
    ids = [s.player_id for s in seated]
    at = [s.rating for s in seated]
    match_id = await persistence.acreate_match(game.name, seed, options, ids, rated, at)
    return MatchRecord(match_id, game.name, seed, options, protocol.WAITING, time.time(), seated)


def match_found(record: MatchRecord, player_id: str, **extra: Any) -> dict[str, Any]:
    """The ``match.found`` message for one seated player (``extra``: more fields)."""
    seat = next(s.seat for s in record.seats if s.player_id == player_id)
    return {
        "type": "match.found",
        "match_id": record.id,
        "game": record.game,
        "seat": seat,
        "players": [s.as_player() for s in record.seats],
        **extra,
    }
