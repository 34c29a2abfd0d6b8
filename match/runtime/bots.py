"""Bot seats: the host plays them itself, from the game's own pure rules, with no socket.

A ``BotSeat`` stands among the host's connections as a socket would, so a bot seat
counts as connected (a match starts once its human seats connect; a bot never needs a
grace period) and hears every frame the host sends. It never encodes them: a frame only
tells it that the state may have changed. Then:

- turn-based: ``GAMESERVER_BOT_DELAY`` seconds later, if the seat has a move, the
  game's bot (``match.games.bots``) chooses one in a worker thread, never on the event
  loop, and the host applies it exactly as a player's move: checked, journaled and
  broadcast. A state that changed while the bot was thinking is thought about again.
- real-time: every ``INPUT_EVERY`` ticks the bot sets its input from the game's
  ``bot_input`` (cheap, so inline) through the host's ``input``, as a player's would be.

Bots draw from ``bot_rng(seed, seat, seq)``. A match rebuilt from its seed and log (a
restart, a failover) seats the same bots, because the seat's player is a bot Player,
and they play on from where the match stood.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from django.conf import settings

from gameserver.codec import Frame
from gameserver.identity import Identity
from gameserver.protocol import ACTIVE, ClientError

from ..games.bots import MoveBot, bot_rng, choose_input, make_bot
from ..persistence import SeatRecord

if TYPE_CHECKING:
    from .host import MatchHost

log = logging.getLogger("match.runtime.bots")

#: Ticks between two inputs of a real-time bot (20 ticks a second: 10 decisions a second).
INPUT_EVERY = 2
#: The frames after which the state may have changed.
STATE_FRAMES = {"match.state", "match.started", "match.update"}

_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    """The threads every bot of this process thinks in (``GAMESERVER_BOT_THREADS``)."""
    global _executor
    if _executor is None:
        threads = max(1, settings.GAMESERVER_BOT_THREADS)
        _executor = ThreadPoolExecutor(threads, thread_name_prefix="bot")
    return _executor


class BotSeat:
    """One bot's seat in one match, standing in for a socket among the host's connections."""

    def __init__(self, host: MatchHost, seat: SeatRecord) -> None:
        self.host = host
        self.seat: int | None = seat.seat
        self.number = seat.seat
        self.identity = Identity(seat.player_id, seat.name)
        # Kept for the whole match: a search bot remembers what it has proved.
        self.player: MoveBot | None = None
        if not host.game.tick_rate:
            self.player = make_bot(host.game, seat.seat)
        self.timer: asyncio.TimerHandle | None = None
        self.thinking = False
        self.closed = False

    async def send_frame(self, frame: Frame, latest: bool = False) -> None:
        """Called for every frame the host sends: the state may have changed."""
        if frame.message.get("type") in STATE_FRAMES:
            self.react()

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Called when the match ends: nothing more to play."""
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()

    def react(self) -> None:
        """Plan the bot's next action after a change (never waits: frames go out meanwhile)."""
        host = self.host
        if self.closed or host.status != ACTIVE:
            return
        if host.game.tick_rate:
            if host.ticks % INPUT_EVERY == 0:
                host.spawn(self.steer())
        elif not self.thinking:  # a thinking bot checks the state again when it is done
            if self.timer is not None:
                self.timer.cancel()
            self.timer = host.later(settings.GAMESERVER_BOT_DELAY, self.play)

    async def steer(self) -> None:
        """A real-time bot's input for the coming ticks."""
        host = self.host
        if self.closed or host.status != ACTIVE:
            return
        rng = bot_rng(host.seed, self.number, host.seq)
        await host.input(self, choose_input(host.game, host.state, self.number, rng))

    async def play(self) -> None:
        """A turn-based bot's move, if it has one now: chosen in a thread, played as a move."""
        host, self.timer = self.host, None
        if self.closed or host.status != ACTIVE or self.player is None:
            return
        state, seq = host.state, host.seq
        if not host.game.legal_moves(state, self.number):
            return  # not its turn: the next change wakes it
        rng = bot_rng(host.seed, self.number, seq)
        self.thinking = True
        try:
            loop = asyncio.get_running_loop()
            move = await loop.run_in_executor(executor(), self.player.choose, state, rng)
        finally:
            self.thinking = False
        if self.closed or host.status != ACTIVE:
            return
        if host.seq != seq:  # someone moved meanwhile: think again about the new state
            self.react()
            return
        await self.submit(move)

    async def submit(self, move: Any) -> None:
        if move is None:
            return
        try:
            await self.host.move(self, move)
        except ClientError as exc:
            log.warning("match %s: bot in seat %d played %r: %s", self.host.id, self.number,
                        move, exc.message)  # fmt: skip


def attach_bots(host: MatchHost) -> list[BotSeat]:
    """Seat the match's bots; called once its host opens, whether new or rebuilt."""
    bots = [BotSeat(host, seat) for seat in host.seats if seat.bot]
    for bot in bots:
        host.connections.append(bot)
        grace = host.grace.pop(bot.number, None)  # a rebuilt match: bots never left
        if grace is not None:
            grace.cancel()
        bot.react()  # an active match (rebuilt): play on
    return bots
