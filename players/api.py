"""The players' HTTP API: guest identities (protocol.md, "Transport")."""

from __future__ import annotations

import json
import math

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gameserver import addresses, limits
from gameserver.http import problem
from gameserver.identity import mint_token, read_token

from .models import Player

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
