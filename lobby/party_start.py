"""``party.start``: a party's private match, of exactly its members plus any bots.

Private matches are unrated and start at once. Each start turns the seats one place
(the party's ``starts``), so playing again moves everyone on: in tic-tac-toe the other
player opens. The start is checked at both ends: the backend marks the party starting
(one start at a time), and once the match is recorded the party must still have the
same members; if someone left meanwhile the match is recorded as abandoned and the
leader is told to start again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gameserver import protocol
from gameserver.identity import Identity
from gameserver.protocol import ClientError
from match import persistence
from match.games import Game, Outcome
from match.registry import get_game
from match.runtime.hosting import hosts

from .notify import tell
from .seating import match_found, seat_match

if TYPE_CHECKING:
    from .parties import Parties, Party


def bots_wanted(game: Game, value: Any) -> int:
    """The ``bots`` of a ``party.start``: an int from 0 to one less than the game's seats,
    and more than 0 only for a game with bots; else ``invalid``."""
    if value is None:
        return 0
    if type(value) is not int or not 0 <= value < game.max_players:
        limit = game.max_players - 1
        raise ClientError(protocol.INVALID, f"'bots' is a whole number from 0 to {limit}")
    if value and not game.has_bot():
        raise ClientError(protocol.INVALID, f"{game.name} has no bots")
    return value


class PrivateMatches:
    """The ``party.start`` command, mixed into the party service."""

    backend: Parties

    async def led(self, player: Identity, channel: str) -> Party:
        raise NotImplementedError

    async def check_matches(self, party: Party) -> None:
        raise NotImplementedError

    async def start(
        self, player: Identity, channel: str, request: dict[str, Any], rid: Any = None
    ) -> None:
        """``party.start``: the match of the members plus ``bots``; ``match.found`` to all."""
        game = get_game(request.get("game"))
        if game is None:
            raise ClientError(protocol.UNKNOWN_GAME, f"no game called {request.get('game')!r}")
        bots = bots_wanted(game, request.get("bots"))
        party = await self.led(player, channel)
        seats = len(party.members) + bots
        if not game.min_players <= seats <= game.max_players:
            wanted = f"{game.min_players} to {game.max_players}"
            message = f"{game.name} seats {wanted} players, not {seats} (members and bots)"
            raise ClientError(protocol.INVALID, message)
        await self.check_matches(party)
        party = await self.backend.start(party.code, player.id)
        ids = [m.id for m in party.members]
        try:
            humans = [Identity(m.id, m.name) for m in party.members]
            record = await seat_match(game, humans, bots, rated=False, rotate=party.starts - 1)
        except BaseException:
            await self.backend.started(party.code, ids)
            raise
        if not await self.backend.started(party.code, ids):
            await persistence.afinish_match(record.id, Outcome(None, [], "abandoned"), None, [])
            raise ClientError(protocol.INVALID, "the party changed meanwhile: start again")
        if hosts.ownership is None:
            hosts.start(record)  # one process: host it now; many: the first socket's process
        for member in party.members:
            found = match_found(record, member.id, party=party.code)
            await tell(member.channel, found, rid if member.channel == channel else None)
