"""Who is on a socket: signed guest tokens, or the Django session of a logged-in user.

A token is ``django.core.signing`` data (player id and name) with a timestamp; it
expires after ``GAMESERVER_TOKEN_MAX_AGE`` seconds. Its signature needs no database;
whether its player still exists does (``players.persistence.aknown_player``, cached).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.core import signing
from django.http.request import split_domain_port, validate_host

from .addresses import scope_scheme

SALT = "gameserver.token"


@dataclass(frozen=True)
class Identity:
    """A player as a socket knows them: an id and a display name."""

    id: str
    name: str
    expires: float | None = field(default=None, compare=False)  # epoch seconds, tokens only

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


def mint_token(player_id: str, name: str) -> str:
    """A signed, timestamped token naming the player."""
    return signing.dumps({"id": player_id, "name": name}, salt=SALT, compress=True)


def read_token(token: str) -> Identity | None:
    """The identity in a valid, unexpired token; None for a bad, forged or expired one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.GAMESERVER_TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    pid, name = data.get("id"), data.get("name")
    if isinstance(pid, str) and isinstance(name, str):
        signed_at = signing.b62_decode(token.rsplit(":", 2)[1])
        return Identity(pid, name, signed_at + settings.GAMESERVER_TOKEN_MAX_AGE)
    return None


def query_token(scope: dict[str, Any]) -> str | None:
    """The ``token`` query parameter of a socket's URL."""
    query = scope.get("query_string", b"").decode("latin-1")
    values = parse_qs(query).get("token")
    return values[0] if values else None


async def resolve(scope: dict[str, Any]) -> Identity | None:
    """The socket's identity, or None: unknown, or banned (protocol.md, "Moderation")."""
    identity = await identify(scope)
    if identity is None:
        return None
    from players.moderation import ais_banned  # the ORM lives with the models

    return None if await ais_banned(identity.id) else identity


async def identify(scope: dict[str, Any]) -> Identity | None:
    """The socket's identity: its token, else its logged-in session user, else None."""
    token = query_token(scope)
    if token is not None:
        from players.persistence import aknown_player

        identity = read_token(token)
        if identity is None or not await aknown_player(identity.id):
            return None  # a forged or expired token, or one of a player who is gone
        return identity
    user = scope.get("user")
    if user is None:
        return None
    from players.persistence import aplayer_for_user  # the ORM lives with the models

    if not user.is_authenticated:  # AuthMiddleware has already loaded the user
        return None
    pid, name = await aplayer_for_user(user.pk, user.get_username())
    return Identity(pid, name)


class IdentityMiddleware:
    """Sockets that carry a token skip the session and user lookup (a database thread
    hop per connection); the others go through Channels' ``AuthMiddlewareStack``.
    """

    def __init__(self, inner: Any) -> None:
        from channels.auth import AuthMiddlewareStack

        self.inner = inner
        self.with_session = AuthMiddlewareStack(inner)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if query_token(scope) is not None:
            return await self.inner(scope, receive, send)
        return await self.with_session(scope, receive, send)


def header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def host_allowed(scope: dict[str, Any]) -> bool:
    """The socket's ``Host`` is one of ``ALLOWED_HOSTS``, as Django checks for HTTP.

    A scope with neither a Host header nor a server (an in-process test client) has
    no host to check.
    """
    host = header(scope, b"host")
    if host is None:
        server = scope.get("server")
        if not server:
            return True
        host = str(server[0])
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)


def origin_allowed(scope: dict[str, Any]) -> bool:
    """No Origin (a native client) is fine; a browser's Origin must be allowed.

    Allowed are the origins in ``GAMESERVER_ALLOWED_ORIGINS`` or, when that is
    empty, the site's own origin: the scheme the client used (``ws`` is ``http``,
    ``wss`` is ``https``; ``X-Forwarded-Proto`` from a trusted proxy) and the Host.
    """
    origin = header(scope, b"origin")
    if origin is None:
        return True
    allowed = settings.GAMESERVER_ALLOWED_ORIGINS
    if allowed:
        return "*" in allowed or origin.rstrip("/") in {a.rstrip("/") for a in allowed}
    host = header(scope, b"host")
    own = f"{scope_scheme(scope)}://{host}".lower()
    return host is not None and origin.rstrip("/").lower() == own
