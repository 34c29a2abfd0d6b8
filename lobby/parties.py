"""Parties: small groups of players who play together, behind one backend interface.

``Parties`` is the interface; ``MemoryParties`` keeps them in this process
(``lobby.parties_redis`` keeps them in Redis, so that the members of one party may sit
on different processes). Every method is one atomic change: it checks and changes the
party in one step, or raises ``PartyError`` and changes nothing.

A party belongs to its members' lobby sockets: a member is a player *and* the channel
of the socket that created or joined, so a member whose socket closes leaves (the
consumer calls ``leave``), and another tab of the same player is not a member.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from gameserver import protocol
from gameserver.protocol import ClientError

#: Letters and digits without look-alikes (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
#: Seconds a party stays "starting" if the process starting its match never says it did.
START_TTL = 30.0


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(value: Any) -> str | None:
    """The code in canonical (upper) case, or None if it is not a well-formed code."""
    if not isinstance(value, str) or len(value) != CODE_LENGTH:
        return None
    code = value.upper()
    return code if all(c in CODE_ALPHABET for c in code) else None


class PartyError(ClientError):
    """A party change the backend refused (``in_party``, ``unknown_party``...)."""


@dataclass
class Member:
    """A player in a party, through one lobby socket; ``joined`` orders who leads next."""

    id: str
    name: str
    channel: str
    joined: float = field(default_factory=time.time)

    def public(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


@dataclass
class Party:
    """A party as stored. ``ticket``: the player whose queue ticket holds the party while
    it is ``queued``; ``starts``: private matches started (it rotates the seats);
    ``starting``: when the start of a private match began (0: none under way)."""

    code: str
    leader: str
    members: list[Member]
    queued: str | None = None
    ticket: str | None = None
    starts: int = 0
    starting: float = 0.0

    def public(self) -> dict[str, Any]:
        """The ``party`` of a ``party.state`` message."""
        return {
            "code": self.code,
            "leader": self.leader,
            "members": [m.public() for m in self.members],
            "queued": self.queued,
        }

    def copy(self) -> Party:
        return Party.from_dict(self.as_dict())

    def member(self, player_id: str) -> Member | None:
        return next((m for m in self.members if m.id == player_id), None)

    def leader_member(self) -> Member:
        return next(m for m in self.members if m.id == self.leader)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "leader": self.leader,
            "members": [vars(m).copy() for m in self.members],
            "queued": self.queued,
            "ticket": self.ticket,
            "starts": self.starts,
            "starting": self.starting,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Party:
        members = [Member(**m) for m in data["members"]]
        return cls(
            data["code"], data["leader"], members, data.get("queued") or None,
            data.get("ticket") or None, data.get("starts", 0), data.get("starting", 0.0),
        )  # fmt: skip


@dataclass
class Change:
    """What a change did: the party after it (None: the party is gone), the queue ticket
    it took the party out of, if any (``ticket`` and ``game``), and the channel a member
    moved from when they joined again from another socket (``moved``)."""

    code: str
    party: Party | None
    ticket: str | None = None
    game: str | None = None
    moved: str | None = None


def refuse(code: str, message: str) -> PartyError:
    return PartyError(code, message)


def unknown(code: str) -> PartyError:
    return refuse(protocol.UNKNOWN_PARTY, f"there is no party {code}")


class Parties:
    """The party backend interface. A player is in at most one party."""

    #: Seconds a member's registration lives unless refreshed (None: it never lapses).
    ttl: float | None = None
    #: Awaited with the ``Change`` when a backend drops members whose registration lapsed.
    on_change: Callable[[Change], Awaitable[None]] | None = None

    async def create(self, member: Member) -> Party:
        """A new party led by ``member`` with a fresh code; ``in_party`` if in one."""
        raise NotImplementedError

    async def join(self, code: str, member: Member, limit: int) -> Change:
        """Add ``member``; ``unknown_party``, ``party_full`` (``limit``), ``in_party``.

        A player already in that party (another socket of theirs: a reconnect, another
        tab) moves their membership to ``member.channel`` (``Change.moved``). Either way
        a queued party leaves the queue: its ticket does not hold the new member (or
        names the old socket).
        """
        raise NotImplementedError

    async def leave(self, player_id: str, channel: str | None = None) -> Change | None:
        """Take the player out of their party (only a membership held by ``channel`` when
        given); the earliest joined then leads, and a queued party leaves the queue.
        None if the player was in no party."""
        raise NotImplementedError

    async def get(self, code: str) -> Party | None:
        raise NotImplementedError

    async def party_of(self, player_id: str) -> tuple[str, str] | None:
        """``(code, channel)`` of the player's membership, or None."""
        raise NotImplementedError

    async def queue(self, code: str, leader: str, game: str) -> Party:
        """Mark the party queued for ``game`` (its ticket: ``leader``'s); ``not_leader``,
        ``already_queued``, ``in_match`` (a start is under way), ``unknown_party``."""
        raise NotImplementedError

    async def unqueue(self, code: str, game: str | None = None) -> Change | None:
        """The party leaves the queue (of ``game`` only, if given); None if it was not in it."""
        raise NotImplementedError

    async def start(self, code: str, leader: str) -> Party:
        """Begin a private match: counts the start and marks the party starting;
        ``not_leader``, ``already_queued``, ``in_match`` (another start under way)."""
        raise NotImplementedError

    async def started(self, code: str, member_ids: list[str]) -> bool:
        """End the start; True if the party still has exactly ``member_ids``."""
        raise NotImplementedError

    async def refresh(self, members: list[tuple[str, str]]) -> None:
        """Keep the memberships ``(player id, channel)`` of this process's sockets alive."""


class MemoryParties(Parties):
    """Parties in this process's memory: for one server process."""

    def __init__(self) -> None:
        self.parties: dict[str, Party] = {}
        self.players: dict[str, str] = {}  # player id -> code

    async def create(self, member: Member) -> Party:
        if member.id in self.players:
            raise refuse(protocol.IN_PARTY, "you are already in a party")
        code = new_code()
        while code in self.parties:
            code = new_code()
        party = self.parties[code] = Party(code, member.id, [member])
        self.players[member.id] = code
        return party.copy()

    async def join(self, code: str, member: Member, limit: int) -> Change:
        party = self.parties.get(code)
        if self.players.get(member.id, code) != code:
            raise refuse(protocol.IN_PARTY, "you are already in a party")
        if party is None:
            raise unknown(code)
        held = party.member(member.id)
        if held is None and len(party.members) >= limit:
            raise refuse(protocol.PARTY_FULL, f"the party is full ({limit} players)")
        change = Change(code, party, party.ticket, party.queued)
        party.queued = party.ticket = None
        if held is not None:
            change.moved, held.channel = held.channel, member.channel
        else:
            party.members.append(member)
            self.players[member.id] = code
        change.party = party.copy()
        return change

    async def leave(self, player_id: str, channel: str | None = None) -> Change | None:
        party = self.parties.get(self.players.get(player_id, ""))
        member = party.member(player_id) if party else None
        if party is None or member is None or channel not in (None, member.channel):
            return None
        del self.players[player_id]
        party.members.remove(member)
        change = Change(party.code, party, party.ticket, party.queued)
        party.queued = party.ticket = None
        if not party.members:
            del self.parties[party.code]
            change.party = None
        else:
            if party.leader == player_id:
                party.leader = min(party.members, key=lambda m: m.joined).id
            change.party = party.copy()
        return change

    async def get(self, code: str) -> Party | None:
        party = self.parties.get(code)
        return party.copy() if party else None

    async def party_of(self, player_id: str) -> tuple[str, str] | None:
        party = self.parties.get(self.players.get(player_id, ""))
        member = party.member(player_id) if party else None
        return (party.code, member.channel) if party and member else None

    async def queue(self, code: str, leader: str, game: str) -> Party:
        party = self.led(code, leader)
        if party.queued is not None:
            raise refuse(protocol.ALREADY_QUEUED, f"the party is queued for {party.queued}")
        if party.starting > time.time() - START_TTL:
            raise refuse(protocol.IN_MATCH, "the party is starting a match")
        party.queued, party.ticket = game, leader
        return party.copy()

    async def unqueue(self, code: str, game: str | None = None) -> Change | None:
        party = self.parties.get(code)
        if party is None or party.queued is None or game not in (None, party.queued):
            return None
        change = Change(code, party, party.ticket, party.queued)
        party.queued = party.ticket = None
        change.party = party.copy()
        return change

    async def start(self, code: str, leader: str) -> Party:
        party = self.led(code, leader)
        if party.queued is not None:
            raise refuse(protocol.ALREADY_QUEUED, "the party is queued: leave the queue first")
        if party.starting > time.time() - START_TTL:
            raise refuse(protocol.IN_MATCH, "the party is already starting a match")
        party.starts += 1
        party.starting = time.time()
        return party.copy()

    async def started(self, code: str, member_ids: list[str]) -> bool:
        party = self.parties.get(code)
        if party is None:
            return False
        party.starting = 0.0
        return [m.id for m in party.members] == member_ids

    def led(self, code: str, leader: str) -> Party:
        party = self.parties.get(code)
        if party is None:
            raise unknown(code)
        if party.leader != leader:
            raise refuse(protocol.NOT_LEADER, "only the party's leader can do that")
        return party
