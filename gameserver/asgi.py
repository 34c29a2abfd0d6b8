"""ASGI entry point: Django for HTTP, the lobby and match sockets for WebSockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")
django_asgi_app = get_asgi_application()  # before importing consumers: apps must be ready

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from gameserver.identity import IdentityMiddleware  # noqa: E402
from gameserver.limits import SocketLimits  # noqa: E402
from lobby.routing import websocket_urlpatterns as lobby_urls  # noqa: E402
from match.routing import websocket_urlpatterns as match_urls  # noqa: E402

websocket_urls = lobby_urls + match_urls
if os.environ.get("GAMESERVER_BENCH_RELAY") == "1":  # the baseline of `make bench`
    from loadtest.benchrelay import websocket_urlpatterns as bench_urls

    websocket_urls = websocket_urls + bench_urls

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SocketLimits(IdentityMiddleware(URLRouter(websocket_urls))),
    }
)
