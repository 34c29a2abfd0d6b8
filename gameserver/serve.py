"""The production server of one process, with the transport limits: ``make serve``.

    python -m gameserver.serve                    # uvicorn (httptools, uvloop); HOST, PORT
    python -m gameserver.serve --server daphne    # the same limits on daphne (``make run``)

Both refuse, in the transport and before reading it, any message over
``GAMESERVER_MAX_FRAME_BYTES`` (close 1009); compress nothing unless
``GAMESERVER_WS_COMPRESSION=1`` (and then the limit holds for the inflated size);
and drop a connection that has not sent a whole request within
``GAMESERVER_HANDSHAKE_TIMEOUT`` seconds. Why uvicorn: docs/performance.md,
"Choosing the server".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

APP = "gameserver.asgi:application"


def limits() -> tuple[int, float, bool]:
    """(largest message, handshake timeout, compression) from the settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")
    from django.conf import settings

    return (
        settings.GAMESERVER_MAX_FRAME_BYTES,
        settings.GAMESERVER_HANDSHAKE_TIMEOUT,
        settings.GAMESERVER_WS_COMPRESSION,
    )


def run_uvicorn(host: str, port: int) -> None:
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    max_bytes, timeout, compression = limits()

    class TimedHttpToolsProtocol(HttpToolsProtocol):
        """httptools that drops a connection with no whole request within the timeout
        (uvicorn itself only times idle keep-alive connections, after a response)."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.loop.call_later(timeout, self.handshake_expired)

        def handshake_expired(self) -> None:
            upgraded = self.transport.get_protocol() is not self  # now a WebSocket's
            if not upgraded and self.cycle is None and not self.transport.is_closing():
                self.transport.close()

    uvicorn.run(
        APP,
        host=host,
        port=port,
        loop="uvloop",
        http=TimedHttpToolsProtocol,
        ws="websockets-sansio",
        ws_max_size=max_bytes,
        ws_per_message_deflate=compression,
        timeout_keep_alive=max(1, int(timeout)),
        lifespan="off",
        access_log=False,
        log_level=os.environ.get("UVICORN_LOG_LEVEL", "warning"),
    )


def run_daphne(host: str, port: int) -> None:
    from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept
    from daphne import server
    from daphne.cli import CommandLineInterface
    from daphne.http_protocol import HTTPFactory
    from daphne.ws_protocol import WebSocketFactory

    max_bytes, timeout, compression = limits()

    def accept_deflate(offers: list[Any]) -> Any:
        deflate = [o for o in offers if isinstance(o, PerMessageDeflateOffer)]
        return PerMessageDeflateOfferAccept(deflate[0]) if deflate else None

    class ClosingWebSocketFactory(WebSocketFactory):  # type: ignore[misc]
        """Autobahn answers a message over the limit with close 1009 instead of
        dropping the TCP connection (its ``failByDrop``, on by default)."""

        def setProtocolOptions(self, **options: Any) -> None:
            if compression:
                options["perMessageCompressionAccept"] = accept_deflate
            super().setProtocolOptions(failByDrop=False, **options)

    class TimedHTTPFactory(HTTPFactory):  # type: ignore[misc]
        """Twisted's idle timeout of an HTTP connection (60 s) set to the handshake's."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.timeOut = timeout

    server.WebSocketFactory = ClosingWebSocketFactory
    server.HTTPFactory = TimedHTTPFactory
    size, wait = str(max_bytes), str(max(1, int(timeout)))
    CommandLineInterface().run(
        ["-b", host, "-p", str(port), "--websocket-max-message-size", size,
         "--websocket-max-frame-size", size, "--websocket_connect_timeout", wait, APP]
    )  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=("uvicorn", "daphne"), default="uvicorn")
    parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    (run_daphne if args.server == "daphne" else run_uvicorn)(args.host, args.port)


if __name__ == "__main__":
    main()
