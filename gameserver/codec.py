"""The two wire encodings: JSON in text frames, MessagePack in binary frames.

A ``Frame`` is one outgoing message encoded lazily, at most once per encoding, so a
broadcast to many sockets pays for one encoding per view, not one per recipient.
"""

from __future__ import annotations

from typing import Any

import msgpack
import orjson

JSON = "gameserver.v1.json"
MSGPACK = "gameserver.v1.msgpack"
SUBPROTOCOLS = (JSON, MSGPACK)


class DecodeError(ValueError):
    """A frame that is not valid JSON or MessagePack."""


def decode(text: str | None, data: bytes | None) -> Any:
    """Decode a received frame by its kind: text is JSON, binary is MessagePack."""
    try:
        if text is not None:
            return orjson.loads(text)
        return msgpack.unpackb(data, raw=False, strict_map_key=True)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError) as exc:
        raise DecodeError(str(exc)) from exc
    except Exception as exc:  # msgpack raises a few other kinds on hostile input
        raise DecodeError(f"undecodable frame: {type(exc).__name__}") from exc


def encode_json(message: Any) -> str:
    return orjson.dumps(message).decode()


def encode_msgpack(message: Any) -> bytes:
    packed: bytes = msgpack.packb(message, use_bin_type=True)
    return packed


def is_plain(value: Any) -> bool:
    """True when ``value`` is data both encodings carry alike (str-keyed maps, no bytes)."""
    try:
        orjson.dumps(value)
    except TypeError:
        return False
    return True


class Frame:
    """One message to send, encoded on first use for each encoding."""

    __slots__ = ("_binary", "_text", "message")

    def __init__(self, message: dict[str, Any]) -> None:
        self.message = message
        self._text: str | None = None
        self._binary: bytes | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = encode_json(self.message)
        return self._text

    @property
    def binary(self) -> bytes:
        if self._binary is None:
            self._binary = encode_msgpack(self.message)
        return self._binary

    def asgi(self, encoding: str) -> dict[str, Any]:
        """The ``websocket.send`` event for a socket speaking ``encoding``."""
        if encoding == MSGPACK:
            return {"type": "websocket.send", "bytes": self.binary}
        return {"type": "websocket.send", "text": self.text}
