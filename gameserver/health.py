"""``/healthz``: 200 when the database and the channel layer answer, 503 otherwise."""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

log = logging.getLogger("gameserver.health")


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        log.exception("health: the database does not answer")
        return False


async def channel_layer_ok() -> bool:
    """Send a message to a fresh channel and read it back."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async with asyncio.timeout(2):
            channel = await layer.new_channel()
            await layer.send(channel, {"type": "health.check"})
            return (await layer.receive(channel)).get("type") == "health.check"
    except Exception:
        log.exception("health: the channel layer does not answer")
        return False


async def healthz(request):
    db = await sync_to_async(database_ok, thread_sensitive=True)()
    layer = await channel_layer_ok()
    ok = db and layer
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "database": db, "channel_layer": layer},
        status=200 if ok else 503,
    )
