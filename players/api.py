"""The players' HTTP API: guest identities (protocol.md, "Transport"), leaderboards and
player pages (protocol.md, "Leaderboards and players").
"""

from __future__ import annotations

import json
import math
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from gameserver import addresses, limits
from gameserver.http import problem
from gameserver.identity import mint_token, read_token
from match.registry import get_game

from . import board, ratings
from .models import Player, is_id

MAX_NAME = 40


@csrf_exempt
@require_POST
def guest(request: HttpRequest) -> JsonResponse:
    """``POST /api/guest {"name"}`` -> 201 with the player and a signed token.

    At most ``GAMESERVER_GUESTS_PER_MINUTE`` new guests per client address (429 with
    ``Retry-After`` past that), except for ``GAMESERVER_UNLIMITED_ADDRESSES``.
    """
    address = addresses.request_address(request)
    if not addresses.unlimited(address) and (wait := limits.guests.take(address)):
        answer = problem(429, "rate_limited", "too many new guests from this address")
        answer["Retry-After"] = str(max(1, math.ceil(min(wait, 3600))))
        return answer
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return problem(400, "bad_message", "the body must be JSON")
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        return problem(400, "invalid", f"'name' must be 1 to {MAX_NAME} characters")
    player = Player.objects.create(name=name.strip())
    return JsonResponse(
        {
            "player": {"id": player.id, "name": player.name},
            "token": mint_token(player.id, player.name),
        },
        status=201,
    )


# Leaderboards and players (protocol.md, "Leaderboards and players") ------------------


def page_number(raw: str | None) -> int | None:
    """A page number from the query string (1 when absent), or None if malformed."""
    if raw is None:
        return 1
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10**9 else None


def page_url(request: HttpRequest, number: int) -> str:
    params = request.GET.copy()
    params.pop("around", None)
    params["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def board_page_number(request: HttpRequest, game: str, size: int) -> int | JsonResponse:
    """The page asked for (``page``, or the one ``around`` a player), or the error."""
    around = request.GET.get("around")
    if around is None:
        number = page_number(request.GET.get("page"))
        if number is None:
            return problem(400, "invalid", "'page' must be a whole number from 1")
        return number
    if "page" in request.GET:
        return problem(400, "invalid", "ask for a 'page' or for 'around' a player, not both")
    if not is_id(around):
        return problem(400, "invalid", f"{around!r} is not a player id")
    stands = board.position(game, around)
    if stands is None:
        return problem(404, "not_on_board", f"player {around!r} is not on the {game} board")
    return stands // size + 1


@require_GET
def leaderboard(request: HttpRequest, game: str) -> JsonResponse:
    """``GET /api/leaderboard/<game>?page=N`` or ``?around=<player id>``: best first."""
    if get_game(game) is None:
        return problem(404, "unknown_game", f"no game called {game!r}")
    size = settings.GAMESERVER_LEADERBOARD_PAGE_SIZE
    number = board_page_number(request, game, size)
    if isinstance(number, JsonResponse):
        return number
    lines = board.page(game, (number - 1) * size, size + 1)
    if number > 1 and not lines:
        return problem(404, "not_found", f"the {game} board has no page {number}")
    return JsonResponse(
        {
            "game": game,
            "page": number,
            "results": [line.as_dict() for line in lines[:size]],
            "next": page_url(request, number + 1) if len(lines) > size else None,
            "previous": page_url(request, number - 1) if number > 1 else None,
        }
    )


@require_GET
def player_detail(request: HttpRequest, player_id: str) -> JsonResponse:
    """``GET /api/players/<id>``: who they are, their ratings, where their matches are."""
    if not is_id(player_id):
        return problem(400, "invalid", f"{player_id!r} is not a player id")
    player = Player.objects.filter(id=player_id).first()
    if player is None:
        return problem(404, "not_found", f"no player {player_id!r}")
    matches = request.build_absolute_uri(f"{reverse('matches')}?{urlencode({'player': player.id})}")
    return JsonResponse(
        {
            "id": player.id,
            "name": player.name,
            "created": player.created.isoformat(),
            "bot": player.bot,
            "ratings": ratings.ratings_of(player.id),
            "matches": matches,
        }
    )


@csrf_exempt
@require_POST
def refresh(request: HttpRequest) -> JsonResponse:
    """``POST /api/token {"token"}`` -> 200 with the player and a fresh token (extension).

    A client whose token nears its end (sockets close with 4401 when it expires) trades
    it, while it is still valid, for a new one of the same player; 403 otherwise.
    """
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return problem(400, "bad_message", "the body must be JSON")
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str):
        return problem(400, "invalid", "'token' must be a string")
    identity = read_token(token)
    player = Player.objects.filter(pk=identity.id).first() if identity else None
    if player is None:
        return problem(403, "unauthorized", "the token is bad, expired or of no player")
    return JsonResponse(
        {
            "player": {"id": player.id, "name": player.name},
            "token": mint_token(player.id, player.name),
        }
    )
