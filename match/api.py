"""The HTTP API of match history and replays (protocol.md, "HTTP")."""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from gameserver.http import problem
from players.models import is_id

from .games import Game
from .models import Match, Seat
from .registry import get_game
from .replaycache import replays
from .runtime.replay import replay

ENDED = (Match.Status.OVER, Match.Status.VOIDED)


def match_summary(match: Match) -> dict[str, Any]:
    return {
        "id": match.id,
        "game": match.game,
        "status": match.status,
        "created": match.created.isoformat(),
        "started": match.started.isoformat() if match.started else None,
        "ended": match.ended.isoformat() if match.ended else None,
        "winner": match.winner,
        "ranking": match.ranking,
        "reason": match.reason or None,
        "rated": match.rated,
        "players": [seat_summary(match, s) for s in match.seats.all()],
    }


def seat_summary(match: Match, seat: Seat) -> dict[str, Any]:
    """A seat with its rating (ordinal) before and after: null unless the result rated."""
    counts = match.rated and match.status == Match.Status.OVER and seat.rating_after is not None
    return {
        "id": seat.player_id,
        "name": seat.player.name,
        "seat": seat.seat,
        "rank": seat.rank,
        "rating_before": seat.rating_before["rating"] if counts else None,
        "rating_after": seat.rating_after["rating"] if counts else None,
    }


def bad_filter(request: HttpRequest) -> JsonResponse | None:
    """A clear error for a malformed player id, an unknown game or a bad page number."""
    player, game = request.GET.get("player"), request.GET.get("game")
    if player is not None and not is_id(player):
        return problem(400, "invalid", f"{player!r} is not a player id")
    if game is not None and get_game(game) is None:
        return problem(404, "unknown_game", f"no game called {game!r}")
    page = request.GET.get("page", "1")
    if not page.isdigit() or not 0 < int(page) < 10**9:
        return problem(400, "invalid", "'page' must be a whole number from 1")
    return None


@require_GET
def matches(request: HttpRequest) -> JsonResponse:
    """``GET /api/matches?player=&game=&status=&page=``, newest first."""
    if (refused := bad_filter(request)) is not None:
        return refused
    query = Match.objects.prefetch_related("seats__player").order_by("-created", "-id")
    if player := request.GET.get("player"):
        query = query.filter(seats__player_id=player)
    if game := request.GET.get("game"):
        query = query.filter(game=game)
    if status := request.GET.get("status"):
        query = query.filter(status=status)
    paginator = Paginator(query, settings.GAMESERVER_PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except (EmptyPage, PageNotAnInteger):
        return problem(404, "not_found", "no such page")
    following = None
    if page.has_next():
        params = request.GET.copy()
        params["page"] = page.next_page_number()
        following = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    results = [match_summary(m) for m in page.object_list]
    return JsonResponse({"results": results, "next": following})


@require_GET
def match_detail(request: HttpRequest, match_id: str) -> JsonResponse:
    """``GET /api/matches/<id>``: the match, its spectator view and its moves.

    An unfinished match shows no more than a spectator sees: the moves of a game with
    hidden information (a move is a secret until its round is resolved) wait until the
    match is over.
    """
    match, refused = find_match(match_id)
    if match is None:
        return refused
    game = get_game(match.game)
    stored = list(match.moves.all())
    hidden = match.status not in ENDED and (game is None or game.hidden_information)
    moves = [] if hidden else [{"seq": m.seq, "seat": m.seat, "move": m.payload} for m in stored]
    state = spectator_state(match, game, [(m.seat, m.payload) for m in stored])
    detail = {**match_summary(match), "state": state, "moves": moves, "moves_hidden": hidden}
    return JsonResponse(detail)


def spectator_state(match: Match, game: Game | None, log: list[tuple[int, Any]]) -> Any:
    """What a spectator sees now: the final state's view, or the view rebuilt from the
    stored moves (None for a real-time match in play, whose inputs are stored at the end).
    """
    if game is None:
        return None
    if match.status in ENDED:
        return None if match.final_state is None else game.view(match.final_state, None)
    if game.tick_rate:
        return None
    try:
        states = replay(game, match.seats.count(), match.options, match.seed, log)
    except Exception:  # a log the installed rules no longer accept
        return None
    return game.view(states[-1], None)


def find_match(match_id: str) -> tuple[Match | None, JsonResponse]:
    """The match, or None and the error answer for a malformed or unknown id."""
    if not is_id(match_id):
        return None, problem(400, "invalid", f"{match_id!r} is not a match id")
    match = Match.objects.prefetch_related("seats__player").filter(id=match_id).first()
    return match, problem(404, "not_found", f"no match {match_id!r}")


def replay_states(match: Match) -> list[Any]:
    """Every state of a finished match, rebuilt by its game's rules (spectator views)."""
    game = get_game(match.game)
    if game is None:
        return []
    moves = [(m.seat, m.payload) for m in match.moves.all()]
    blob = bytes(match.input_log) if match.input_log is not None else None
    states = replay(game, match.seats.count(), match.options, match.seed, moves, blob)
    return [game.view(state, None) for state in states]


@require_GET
def match_replay(request: HttpRequest, match_id: str) -> HttpResponse:
    """``GET /api/matches/<id>/replay`` (extension): the state after each step.

    A finished match's frames never change: they are rebuilt once and kept encoded
    (``replays``), so clients looping on a replay cost a query, not a rerun of the game.
    """
    match, refused = find_match(match_id)
    if match is None:
        return refused
    if match.status not in ENDED:
        return problem(409, "not_over", "a match replays once it is over")
    frames = replays.get(match.id)
    if frames is None:
        states = replay_states(match)
        frames = orjson.dumps([{"step": i, "state": s} for i, s in enumerate(states)])
        replays.put(match.id, frames)
    body = b'{"match":' + orjson.dumps(match_summary(match)) + b',"frames":' + frames + b"}"
    return HttpResponse(body, content_type="application/json")
