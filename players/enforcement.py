"""Bans acting at once on every server process (protocol.md, "Moderation").

Each process joins the ``moderation`` group of the channel layer once, when its first
socket opens. On a ban every process closes the player's sockets it holds with 4403,
drops the player's ticket and party membership (and, through ``BAN_HOOKS``, anything
else the player holds), and the process hosting the player's unfinished match ends
it as ``forfeit`` for the player's seat. Channel layers may drop an event, and a ban
may come from a process with no channel layer to share (``manage.py`` without Redis):
so each process also sweeps for bans it has not acted on every
``GAMESERVER_BAN_SWEEP`` seconds. Acting on a ban twice changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from gameserver import delivery
from gameserver.protocol import CLOSE_BANNED

from .models import Ban, active_bans
from .moderation import GROUP

log = logging.getLogger("players.enforcement")

# What else a banned player holds: each hook is awaited with the player's id (a party
# membership is dropped by ``enforce`` itself).
BAN_HOOKS: list[Callable[[str], Awaitable[None]]] = []


def newest_ban() -> int:
    return Ban.objects.order_by("-id").values_list("id", flat=True).first() or 0


def bans_after(ban_id: int) -> list[tuple[int, str]]:
    """(ban id, player id) of the bans in force made after ``ban_id``, oldest first."""
    found = active_bans().filter(id__gt=ban_id).order_by("id")
    return list(found.values_list("id", "player_id"))


anewest_ban = database_sync_to_async(newest_ban)
abans_after = database_sync_to_async(bans_after)


async def forfeit_match(player_id: str) -> None:
    """End the player's unfinished match as forfeit, if this process hosts it (or
    becomes its host: nobody else did).
    """
    from match.runtime.host import MatchHost
    from match.runtime.hosting import hosts

    match_id = await hosts.unfinished_match_of(player_id)
    if match_id is None:
        return
    found = await hosts.open(match_id)
    if isinstance(found, MatchHost):
        seat = found.seat_of(player_id)
        if seat is not None:
            await found.forfeit(seat, CLOSE_BANNED)


async def enforce(player_id: str) -> None:
    """Everything a ban does in this process; safe to repeat."""
    from lobby.party_service import parties
    from lobby.service import lobby

    await forfeit_match(player_id)
    await lobby.leave(player_id)
    await parties.drop(player_id)  # out of their party: its other members are told
    for hook in BAN_HOOKS:
        await hook(player_id)
    for consumer in delivery.local_consumers():
        identity = getattr(consumer, "identity", None)
        if identity is not None and identity.id == player_id and consumer.is_open:
            await consumer.close(CLOSE_BANNED)


class Enforcer:
    """This process's ears for bans: a channel in the ``moderation`` group, and a sweep."""

    def __init__(self) -> None:
        self.started_on: asyncio.AbstractEventLoop | None = None
        self.channel: str | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.seen = 0  # the sweep has looked at every ban up to this id
        self.acted: set[int] = set()  # bans acted on since

    async def ensure_running(self) -> None:
        """Called as a socket opens: join the group and start listening (once per loop)."""
        loop = asyncio.get_running_loop()
        if self.started_on is loop:
            return
        self.started_on = loop
        layer = get_channel_layer()
        # The sockets' own prefix: RedisChannelLayer receives every process-local channel
        # of a prefix through one list, and a second prefix starves the first.
        self.channel = await layer.new_channel()
        await layer.group_add(GROUP, self.channel)
        self.seen = await anewest_ban()
        self.tasks = [loop.create_task(self.listen()), loop.create_task(self.sweep())]

    async def listen(self) -> None:
        layer = get_channel_layer()
        while True:
            try:
                event = await layer.receive(self.channel)
                if event.get("type") == "moderation.ban":
                    await self.act(event["ban"], event["player"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("acting on a moderation event failed")
                await asyncio.sleep(1)

    async def act(self, ban_id: int, player_id: str) -> None:
        if ban_id in self.acted:
            return
        self.acted.add(ban_id)
        log.info("player %s is banned: closing their sockets, ending their match", player_id)
        await enforce(player_id)

    async def sweep(self) -> None:
        """Act on the bans no event brought; renew the group (core layers expire it)."""
        while True:
            await asyncio.sleep(settings.GAMESERVER_BAN_SWEEP)
            try:
                for ban_id, player_id in await abans_after(self.seen):
                    self.seen = max(self.seen, ban_id)
                    await self.act(ban_id, player_id)
                self.acted = {b for b in self.acted if b > self.seen}
                with contextlib.suppress(Exception):
                    await get_channel_layer().group_add(GROUP, self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sweeping for bans failed")

    def stop(self) -> None:
        """Stop listening (a test's loop is ending); the next socket starts it again."""
        for task in self.tasks:
            task.cancel()
        self.tasks, self.started_on, self.acted = [], None, set()


enforcer = Enforcer()
