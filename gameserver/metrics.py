"""Prometheus metrics, served at ``/metrics`` (one set per server process).

The sockets' own counters live here; each package registers its own metrics in the
same registry (the match runtime's are in ``match.runtime.metrics``).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge
from prometheus_client.exposition import generate_latest

from . import addresses

FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

open_sockets = Gauge("gs_open_sockets", "Open WebSockets.", ["kind"])
messages_in = Counter("gs_messages_in", "Frames received from clients.", ["kind"])
messages_out = Counter("gs_messages_out", "Frames sent to clients.", ["kind"])
queue_length = Gauge("gs_queue_length", "Tickets waiting, by game.", ["game"])
slow_sockets = Counter("gs_slow_sockets", "Sockets closed for not reading (4408).", ["kind"])


def metrics_allowed(request: HttpRequest) -> bool:
    """From ``GAMESERVER_METRICS_ADDRESSES``, or with ``GAMESERVER_METRICS_TOKEN`` as a
    bearer token (``Authorization: Bearer <token>``)."""
    token = settings.GAMESERVER_METRICS_TOKEN
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    return addresses.within(
        addresses.request_address(request), settings.GAMESERVER_METRICS_ADDRESSES
    )


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``/metrics``: this process's metrics; 403 for anyone else."""
    if not metrics_allowed(request):
        answer = HttpResponse("metrics are not public\n", status=403, content_type="text/plain")
        answer["WWW-Authenticate"] = "Bearer"
        return answer
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
