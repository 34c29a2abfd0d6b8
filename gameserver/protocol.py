"""Protocol v1: message types, error codes and the client error.

Everything a socket says to a client is named here, so the wire contract in
``docs/protocol.md`` has one home in the code.
"""

from __future__ import annotations

from typing import Any

PROTOCOL_VERSION = 1

# Error codes (protocol.md, "Envelope").
BAD_MESSAGE = "bad_message"
UNKNOWN_TYPE = "unknown_type"
INVALID = "invalid"
UNKNOWN_GAME = "unknown_game"
ALREADY_QUEUED = "already_queued"
NOT_QUEUED = "not_queued"
IN_MATCH = "in_match"
NOT_YOUR_TURN = "not_your_turn"
ILLEGAL_MOVE = "illegal_move"
NOT_A_PLAYER = "not_a_player"
NOT_STARTED = "not_started"
MATCH_OVER = "match_over"
RATE_LIMITED = "rate_limited"
TOO_LARGE = "too_large"
# Parties (protocol.md, "Additions to v1").
UNKNOWN_PARTY = "unknown_party"
PARTY_FULL = "party_full"
NOT_LEADER = "not_leader"
IN_PARTY = "in_party"
INTERNAL = "internal"  # extension: the server failed; the request had no effect

# Close codes.
CLOSE_NORMAL = 1000
CLOSE_TOO_BIG = 1009
CLOSE_UNAUTHORIZED = 4401
CLOSE_BANNED = 4403  # the player is banned (protocol.md, "Moderation")
CLOSE_NOT_FOUND = 4404
CLOSE_RATE_LIMITED = 4429
CLOSE_TOO_SLOW = 4408  # extension: the client did not read what it was sent fast enough
CLOSE_HOST_MOVED = 4503  # extension: the match moved to another process; reconnect
CLOSE_SERVER_ERROR = 4500  # extension: the server could not record the result
CLOSE_TOO_MANY_SOCKETS = 4409  # extension: the player holds as many sockets as allowed
CLOSE_SPECTATORS_FULL = 4413  # extension: the match has as many spectators as allowed

# Match statuses.
WAITING = "waiting"
ACTIVE = "active"
OVER = "over"


class ClientError(Exception):
    """A request the server refuses: becomes an error frame; the socket stays open."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error(code: str, message: str, request_id: Any = None) -> dict[str, Any]:
    """An error frame, carrying the request's ``id`` when it had one."""
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if request_id is not None:
        frame["id"] = request_id
    return frame


def request_id(message: dict[str, Any]) -> Any:
    """The request's ``id`` if it is a string or an integer (not a bool), else None."""
    rid = message.get("id")
    if isinstance(rid, str) or (type(rid) is int and -(2**63) <= rid < 2**64):
        return rid
    return None


def check_envelope(message: Any) -> str:
    """The message's ``type``; raises ClientError(bad_message) if it has none."""
    if not isinstance(message, dict):
        raise ClientError(BAD_MESSAGE, "a message must be a map")
    kind = message.get("type")
    if not isinstance(kind, str):
        raise ClientError(BAD_MESSAGE, "a message needs a string 'type'")
    return kind


def pong(message: dict[str, Any]) -> dict[str, Any]:
    """The reply to a ping: every field echoed, with the type changed."""
    return {**message, "type": "pong"}
