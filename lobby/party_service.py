"""The lobby's parties: what the ``party.*`` commands do, and telling every member.

Members are told wherever their lobby sockets live (``lobby.notify``). The parties
themselves live in the backend (``lobby.parties``): memory for one process, Redis for
many, so nothing kept here is needed by another process to do its job.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings

from gameserver import protocol
from gameserver.identity import Identity
from gameserver.protocol import ClientError
from match.registry import get_game
from match.runtime.hosting import hosts
from players.ratings import acurrent_ratings

from .matchmaker import Ticket
from .notify import tell
from .parties import Change, Member, MemoryParties, Parties, Party, normalize_code
from .party_start import PrivateMatches
from .service import lobby

log = logging.getLogger("lobby.parties")


def seated(party: Party) -> list[tuple[str, str]]:
    """Who is in the party, through which socket."""
    return [(m.id, m.channel) for m in party.members]


def state_message(party: Party | None) -> dict[str, Any]:
    return {"type": "party.state", "party": party.public() if party else None}


class PartyService(PrivateMatches):
    """Parties on the lobby socket: the commands, the members' messages, the queue."""

    def __init__(self, backend: Parties) -> None:
        self.backend = backend
        backend.on_change = self.changed
        # channel -> player: the memberships of this process's sockets (a socket's own
        # membership is only ever made here, so a socket missing here is in no party)
        self.local: dict[str, str] = {}
        self.refresher: asyncio.Task[None] | None = None

    # Membership -------------------------------------------------------------------

    async def mine(self, player: Identity, channel: str) -> Party:
        """The party this socket is a member of, else ``unknown_party``."""
        found = await self.backend.party_of(player.id)
        party = await self.backend.get(found[0]) if found and found[1] == channel else None
        if party is None:
            raise ClientError(protocol.UNKNOWN_PARTY, "you are in no party")
        return party

    async def check_solo(self, player_id: str) -> None:
        """``in_party`` for a party member who asks for a ticket of their own."""
        if await self.backend.party_of(player_id):
            raise ClientError(protocol.IN_PARTY, "you are in a party: its leader queues it")

    async def check_unqueued(self, player_id: str) -> None:
        if await lobby.matchmaker.status(player_id):
            raise ClientError(protocol.ALREADY_QUEUED, "you are queued: leave the queue first")

    def track(self, player_id: str, channel: str) -> None:
        self.local[channel] = player_id
        if self.backend.ttl is not None and (self.refresher is None or self.refresher.done()):
            self.refresher = asyncio.get_running_loop().create_task(self.refresh_loop())

    async def refresh_loop(self) -> None:
        """Keep this process's memberships alive (their keys lapse if the process dies)."""
        assert self.backend.ttl is not None
        while True:
            await asyncio.sleep(self.backend.ttl / 4)
            try:
                await self.backend.refresh([(pid, ch) for ch, pid in list(self.local.items())])
            except Exception:
                log.exception("refreshing party memberships failed")

    # Commands -----------------------------------------------------------------------

    async def create(self, player: Identity, channel: str, rid: Any = None) -> None:
        """``party.create``: a new party led by the player; ``party.state`` to them."""
        await self.check_unqueued(player.id)
        party = await self.backend.create(Member(player.id, player.name, channel))
        self.track(player.id, channel)
        await tell(channel, state_message(party), rid)

    async def join(self, player: Identity, channel: str, value: Any, rid: Any = None) -> None:
        """``party.join``: into the party with that code; ``party.state`` to every member."""
        code = normalize_code(value)
        if code is None:
            raise ClientError(protocol.INVALID, "a party code is 6 letters and digits")
        await self.check_unqueued(player.id)
        member = Member(player.id, player.name, channel)
        change = await self.backend.join(code, member, settings.GAMESERVER_PARTY_SIZE)
        self.track(player.id, channel)
        if change.moved is not None and change.moved != channel:
            self.local.pop(change.moved, None)
            await tell(change.moved, {"type": "party.left", "code": code})
        await self.changed(change, reply=(channel, rid))

    async def leave(self, player: Identity, channel: str, rid: Any = None) -> None:
        """``party.leave``: ``party.left`` to the player, ``party.state`` to the others."""
        change = await self.backend.leave(player.id, channel)
        if change is None:
            raise ClientError(protocol.UNKNOWN_PARTY, "you are in no party")
        self.local.pop(channel, None)
        await tell(channel, {"type": "party.left", "code": change.code}, rid)
        await self.changed(change, also=[channel])

    async def drop(self, player_id: str, channel: str | None = None) -> None:
        """The player's lobby socket closed (or the player must go, ``channel`` None):
        out of the party. A socket that never joined one costs nothing."""
        if channel is not None and channel not in self.local:
            return
        try:
            change = await self.backend.leave(player_id, channel)
            if channel is not None:
                self.local.pop(channel, None)
            if change is not None:
                await self.changed(change)
        except Exception:
            log.exception("player %s leaving their party failed", player_id)

    async def state(self, player: Identity, channel: str, rid: Any = None) -> None:
        """``party.state`` request: the socket's party, or ``party: null``."""
        try:
            party: Party | None = await self.mine(player, channel)
        except ClientError:
            party = None
        await tell(channel, state_message(party), rid)

    # The queue --------------------------------------------------------------------------

    async def queue(self, player: Identity, channel: str, value: Any, rid: Any = None) -> None:
        """``party.queue``: the whole party takes one ticket; ``queue.joined`` to all."""
        game = get_game(value)
        if game is None:
            raise ClientError(protocol.UNKNOWN_GAME, f"no game called {value!r}")
        party = await self.led(player, channel)
        if len(party.members) >= game.max_players:
            message = f"the party fills every seat of {game.name}: start a private match"
            raise ClientError(protocol.INVALID, message)
        await self.check_matches(party)
        party = await self.backend.queue(party.code, player.id, game.name)
        ticket = Ticket(player, game.name, channel, party=party.code)
        ticket.members = [Identity(m.id, m.name) for m in party.members]
        ticket.channels = [m.channel for m in party.members]
        found = await acurrent_ratings(game.name, [m.id for m in ticket.members])
        ticket.rating = sum(found.values()) / len(found)  # a party plays at its mean
        if not await lobby.matchmaker.add(ticket):  # the leader holds a ticket: leave it be
            undone = await self.backend.unqueue(party.code, game.name)
            await self.changed(undone and Change(undone.code, undone.party))
            raise ClientError(protocol.ALREADY_QUEUED, "you are already queued")
        now = await self.backend.get(party.code)
        if now is None or now.queued != game.name or seated(now) != seated(party):
            await lobby.matchmaker.remove(player.id)  # a member left before the ticket was in
            raise ClientError(protocol.INVALID, "the party changed meanwhile: queue again")
        for member in party.members:
            joined = {"type": "queue.joined", "game": game.name, "party": party.code}
            await tell(member.channel, joined, rid if member.channel == channel else None)
        await self.changed(Change(party.code, party))
        lobby.ensure_timer()
        await lobby.run_pass(game.info())

    async def queue_leave(self, player: Identity, channel: str, rid: Any = None) -> bool:
        """``queue.leave`` by a member of a queued party: the party leaves the queue
        (``queue.left`` to every member). False when the socket's party is not queued."""
        if channel not in self.local:  # this socket is in no party: skip the backend
            return False
        found = await self.backend.party_of(player.id)
        if found is None or found[1] != channel:
            return False
        change = await self.backend.unqueue(found[0])
        if change is None:
            return False
        await self.changed(change, reply=(channel, rid), reply_kind="queue.left")
        return True

    async def placed(self, group: list[Ticket]) -> None:
        """The parties among a placed group's tickets are no longer queued."""
        for ticket in group:
            if ticket.party:
                change = await self.backend.unqueue(ticket.party, ticket.game)
                if change is not None:
                    await self.changed(Change(change.code, change.party))

    # Telling the members ------------------------------------------------------------------

    async def changed(
        self,
        change: Change | None,
        reply: tuple[str, Any] | None = None,
        also: list[str] | None = None,
        reply_kind: str = "party.state",
    ) -> None:
        """Tell everyone what a change did: the queue left (and the ticket taken out),
        then the party as it is now. ``reply``: ``(channel, id)`` of the requester."""
        if change is None:
            return
        channels = [m.channel for m in change.party.members] if change.party else []
        wanted, rid = reply or (None, None)
        if change.ticket is not None:
            await lobby.matchmaker.remove(change.ticket)
            left = {"type": "queue.left", "party": change.code}
            for channel in [*channels, *(also or [])]:
                mine = reply_kind == "queue.left" and channel == wanted
                await tell(channel, left, rid if mine else None)
        for channel in channels:
            mine = reply_kind == "party.state" and channel == wanted
            await tell(channel, state_message(change.party), rid if mine else None)

    async def check_matches(self, party: Party) -> None:
        """``in_match`` when a member is seated in a match that is not over."""
        for member in party.members:
            if await hosts.unfinished_match_of(member.id):
                message = f"{member.name} is in a match that is not over"
                raise ClientError(protocol.IN_MATCH, message)

    async def led(self, player: Identity, channel: str) -> Party:
        """The socket's party, which the player must lead (``not_leader``)."""
        party = await self.mine(player, channel)
        if party.leader != player.id:
            raise ClientError(protocol.NOT_LEADER, "only the party's leader can do that")
        return party


def make_parties() -> Parties:
    """Redis when ``REDIS_URL`` is set (many processes), else this process's memory."""
    if settings.REDIS_URL:
        from .parties_redis import RedisParties

        url = settings.REDIS_URL.split(",")[0].strip()
        return RedisParties(url, ttl=settings.GAMESERVER_PARTY_TTL)
    return MemoryParties()


parties = PartyService(make_parties())
