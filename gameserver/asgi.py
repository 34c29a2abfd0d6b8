"""ASGI entry point: Django for HTTP, the lobby and match sockets for WebSockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")
django_asgi_app = get_asgi_application()  # before importing consumers: apps must be ready

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from lobby.routing import websocket_urlpatterns as lobby_urls  # noqa: E402
from match.routing import websocket_urlpatterns as match_urls  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AuthMiddlewareStack(URLRouter(lobby_urls + match_urls)),
    }
)
