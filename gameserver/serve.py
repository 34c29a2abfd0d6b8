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


def timed_httptools(timeout: float) -> type:
    """uvicorn's httptools protocol, dropping a connection that has sent no whole request
    within ``timeout`` seconds (uvicorn times only idle keep-alive connections)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class TimedHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.loop.call_later(timeout, self.handshake_expired)

        def handshake_expired(self) -> None:
            upgraded = self.transport.get_protocol() is not self  # now a WebSocket's
            if not upgraded and self.cycle is None and not self.transport.is_closing():
                self.transport.close()

    return TimedHttpToolsProtocol


def run_uvicorn(host: str, port: int) -> None:
    import uvicorn

    max_bytes, timeout, compression = limits()
    uvicorn.run(
        APP,
        host=host,
        port=port,
        loop="uvloop",
        http=timed_httptools(timeout),
        ws="websockets-sansio",
        ws_max_size=max_bytes,
        ws_per_message_deflate=compression,
        timeout_keep_alive=max(1, int(timeout)),
        lifespan="off",
        access_log=False,
        log_level=os.environ.get("UVICORN_LOG_LEVEL", "warning"),
    )


def accept_deflate(offers: list[Any]) -> Any:
    """Autobahn's answer to permessage-deflate offers: accept the first one."""
    from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept

    deflate = [o for o in offers if isinstance(o, PerMessageDeflateOffer)]
    return PerMessageDeflateOfferAccept(deflate[0]) if deflate else None


def daphne_factories(timeout: float, compression: bool) -> tuple[type, type]:
    """daphne's WebSocket and HTTP factories with the limits the command line lacks."""
    from daphne.http_protocol import HTTPFactory
    from daphne.ws_protocol import WebSocketFactory

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

    return ClosingWebSocketFactory, TimedHTTPFactory


def run_daphne(host: str, port: int) -> None:
    from daphne import server
    from daphne.cli import CommandLineInterface

    max_bytes, timeout, compression = limits()
    server.WebSocketFactory, server.HTTPFactory = daphne_factories(timeout, compression)
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
