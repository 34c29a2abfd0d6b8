"""The match host: the one authority over one match's state.

A host is created when a match is formed (or when the first socket of a match that
this process does not yet host arrives), lives as plain objects and timers on the event
loop, and is disposed of once the result is committed. Consumers never touch the state:
they call ``join``, ``leave``, ``move``, ``input``, ``resign`` and ``sync``; the host
sends every connection its own view, encoding each view once per encoding.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

from gameserver import protocol
from gameserver.codec import Frame, is_plain
from gameserver.protocol import ACTIVE, OVER, WAITING, ClientError

from .. import persistence
from ..games import Game, IllegalMove, Outcome
from ..persistence import MatchRecord
from . import metrics
from .bots import attach_bots
from .journal import HostLost, Journal
from .rebuild import rebuild
from .replay import pack_inputs
from .room import Connection
from .ticking import Ticker
from .turns import TurnClock
from .verdicts import Verdicts

log = logging.getLogger("match.runtime.host")
GAME_CODES = {protocol.ILLEGAL_MOVE, protocol.NOT_YOUR_TURN, protocol.INVALID}


class MatchHost(Ticker, Verdicts):
    """Owns one match: its state, its connections, its timers and its tick loop."""

    def __init__(
        self,
        record: MatchRecord,
        game: Game,
        dispose: Callable[[MatchHost], None],
        journal: Journal,
    ) -> None:
        super().__init__()
        self.id = record.id
        self.game = game
        self.seats = record.seats
        self.status = record.status
        self.created_ts = record.created_ts
        self.seed = record.seed  # bots draw from it
        rebuilt = rebuild(game, record)
        self.state = rebuilt.state
        self.moves: list[tuple[int, Any]] = list(record.moves)
        self.seq = rebuilt.seq
        self.ticks = rebuilt.ticks
        self.inputs: dict[int, Any] = rebuilt.inputs
        self.input_changes: list[list[Any]] = rebuilt.changes
        self.journaled = len(self.input_changes)  # changes already in the input journal
        self.seq_limit = self.seq  # the seq this host may reach before its next journal write
        self.resumed = self.status == ACTIVE  # rebuilt: it waits for its seats to come back
        # A match whose deciding move was committed but not its result: over at once.
        self.decided = game.outcome(self.state) if self.resumed else None
        self.ending: asyncio.Task[None] | None = None
        self.journal_failed = False  # then the final commit writes the whole log
        self.grace: dict[int, asyncio.TimerHandle] = {}
        self.join_timer: asyncio.TimerHandle | None = None
        self.tick_task: asyncio.Task[None] | None = None
        self.dispose = dispose
        self.journal = journal
        self.turns = TurnClock(game, record.options)
        self.arrived: set[int] = set()  # seats that connected at least once
        self.result_committed = False  # from then on its players are free to queue
        self.result_written = False  # this host's write was the one (not a duplicate)
        self.finished: persistence.Finished | None = None  # what the result write did

    # Lifecycle ---------------------------------------------------------------

    def open(self) -> None:
        """Called once the host is registered: arm the join timeout (or the seats' grace)."""
        if self.status == WAITING:
            deadline = self.created_ts + settings.GAMESERVER_JOIN_TIMEOUT - time.time()
            abandon = Outcome(None, [], "abandoned")
            self.join_timer = self.later(max(deadline, 0), lambda: self.end(abandon))
        elif self.decided is not None:  # the rules had decided it before its host died
            self.ending = self.spawn(self.end(self.decided))
        else:  # rebuilt after a restart: every seat must come back within the grace
            for seat in range(len(self.seats)):
                self.start_grace(seat)
            self.start_ticks()
        attach_bots(self)  # bot seats count as connected; after a rebuild they play on

    def seat_of(self, player_id: str) -> int | None:
        return next((s.seat for s in self.seats if s.player_id == player_id), None)

    def connected_seats(self) -> set[int]:
        return {c.seat for c in self.connections if c.seat is not None}

    async def join(self, conn: Connection) -> None:
        """Called when a socket of this match opens: send it the state; start or resume."""
        async with self.order:
            self.connections.append(conn)
            await conn.send_frame(Frame(self.state_message(conn.seat)))
        seat = conn.seat
        if seat is None or self.status == OVER:
            return
        self.arrived.add(seat)
        if seat in self.grace:
            self.grace.pop(seat).cancel()
            await self.broadcast({"type": "player.reconnected", "seat": seat}, skip=seat)
        elif self.status == WAITING and len(self.connected_seats()) == len(self.seats):
            await self.start()

    async def leave(self, conn: Connection) -> None:
        """Called when a socket of this match closes: a seat left empty gets its grace."""
        if conn in self.connections:
            self.connections.remove(conn)
        seat = conn.seat
        if seat is None or self.status != ACTIVE or seat in self.connected_seats():
            return
        self.start_grace(seat)
        grace = settings.GAMESERVER_RECONNECT_GRACE
        await self.broadcast({"type": "player.disconnected", "seat": seat, "grace_s": grace})

    def start_grace(self, seat: int) -> None:
        forfeit = self.outcome_without(seat, "forfeit")
        self.grace[seat] = self.later(
            settings.GAMESERVER_RECONNECT_GRACE, lambda: self.end(forfeit)
        )

    async def start(self) -> None:
        """Every seat is connected: the match becomes active."""
        if self.join_timer:
            self.join_timer.cancel()
        self.status = ACTIVE
        await persistence.amark_started(self.id)
        async with self.order:
            await self.broadcast_state("match.started", self.state, self.seq, self.arm_turn())
        self.start_ticks()

    def start_ticks(self) -> None:
        """Start the clock of an active match: the tick loop, or the turn timer."""
        if self.game.tick_rate and self.tick_task is None:
            self.tick_task = self.spawn(self.run_ticks())
        elif not self.game.tick_rate and self.turns.handle is None:
            self.arm_turn()

    # Commands ------------------------------------------------------------------

    def check_playing(self, conn: Connection) -> int:
        """The seat of a connection that may play now, else the protocol's error."""
        if conn.seat is None:
            raise ClientError(protocol.NOT_A_PLAYER, "spectators cannot play")
        if self.status == WAITING:
            raise ClientError(protocol.NOT_STARTED, "the match has not started")
        if self.status == OVER:
            raise ClientError(protocol.MATCH_OVER, "the match is over")
        return conn.seat

    def game_call(self, method: Callable[..., Any], *args: Any) -> Any:
        try:
            return method(*args)
        except IllegalMove as exc:
            code = exc.code if exc.code in GAME_CODES else protocol.ILLEGAL_MOVE
            raise ClientError(code, exc.message) from None

    async def move(self, conn: Connection, move: Any, rid: Any = None) -> None:
        """A turn-based move: applied, committed and broadcast (then acked), or refused."""
        seat = self.check_playing(conn)
        if self.game.tick_rate:
            raise ClientError(protocol.INVALID, f"{self.game.name} takes 'input', not 'move'")
        if not is_plain(move):
            raise ClientError(protocol.INVALID, "a move must be plain JSON data")
        arrived = time.perf_counter()
        self.state = self.game_call(self.game.apply, self.state, seat, move)
        self.moves.append((seat, move))
        self.seq += 1
        seq = self.seq
        clock = self.arm_turn()
        try:
            outcome = await self.after_change(self.state, seq, (seat, move), clock)
        except HostLost:  # another process took the match over: this move never counted
            log.warning("match %s: move %d dropped, the match is hosted elsewhere", self.id, seq)
            return
        metrics.move_latency.observe(time.perf_counter() - arrived)
        if rid is not None:
            await conn.send_frame(Frame({"type": "ack", "id": rid, "seq": seq}))
        if outcome is not None:
            await self.end(outcome, force=True)

    async def input(self, conn: Connection, value: Any, rid: Any = None) -> None:
        """A real-time input: it replaces the seat's latest input from the next tick."""
        seat = self.check_playing(conn)
        if not self.game.tick_rate:
            raise ClientError(protocol.INVALID, f"{self.game.name} takes 'move', not 'input'")
        value = self.game_call(self.game.check_input, self.state, seat, value)
        if not is_plain(value):
            raise ClientError(protocol.INVALID, "an input must be plain JSON data")
        if self.inputs.get(seat) != value:
            self.inputs[seat] = value
            self.input_changes.append([self.ticks, seat, value])
        if rid is not None:
            await conn.send_frame(Frame({"type": "ack", "id": rid}))

    async def resign(self, conn: Connection, rid: Any = None) -> None:
        seat = self.check_playing(conn)
        if rid is not None:
            await conn.send_frame(Frame({"type": "ack", "id": rid}))
        await self.end(self.outcome_without(seat, "resign"))

    async def sync(self, conn: Connection, rid: Any = None) -> None:
        """Resend the full state to one connection (after it saw a gap in ``seq``)."""
        message = self.state_message(conn.seat)
        if rid is not None:
            message["id"] = rid
        async with self.order:
            await conn.send_frame(Frame(message))

    async def list_moves(self, conn: Connection, rid: Any = None) -> None:
        """``moves`` (extension): the seat's legal moves now, each with its caption, and
        the seats that can move (for clients that draw no board of their own)."""
        seat = self.check_playing(conn)
        if self.game.tick_rate:
            raise ClientError(protocol.INVALID, f"{self.game.name} takes 'input', not 'move'")
        try:
            legal = self.game.legal_moves(self.state, seat)
            to_move = [s for s in range(len(self.seats)) if self.game.legal_moves(self.state, s)]
        except NotImplementedError:
            raise ClientError(
                protocol.INVALID, f"{self.game.name} does not list its moves"
            ) from None
        describe = self.game.describe_move
        message: dict[str, Any] = {
            "type": "moves",
            "seq": self.seq,
            "moves": [{"move": m, "label": describe(self.state, seat, m)} for m in legal],
            "to_move": to_move,
        }
        if rid is not None:
            message["id"] = rid
        async with self.order:
            await conn.send_frame(Frame(message))

    # Endings -----------------------------------------------------------------------

    async def after_change(
        self,
        state: Any,
        seq: int,
        move: tuple[int, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Outcome | None:
        """Commit the move and broadcast the new state; returns the outcome if it is over.

        ``state`` and ``seq`` are this change's own: later changes may already have
        happened while this one waited for its commit. The caller ends the match.
        """
        outcome = self.game.outcome(state)
        if outcome is not None:
            self.status = OVER  # refuse further moves while the update goes out
        async with self.order:
            if move is not None:
                await self.commit_move(seq, move)
            await self.broadcast_state("match.update", state, seq, extra)
        return outcome

    async def commit_move(self, seq: int, move: tuple[int, Any]) -> None:
        """Make the move durable before anyone sees it (the final commit retries a failure)."""
        try:
            await self.journal.append(self.id, seq, *move)
        except HostLost:
            raise
        except Exception:
            self.journal_failed = True
            log.exception("match %s: journaling move %d failed", self.id, seq)

    async def end(self, outcome: Outcome, force: bool = False) -> None:
        """Commit the result, then tell everyone and close their sockets. Runs once."""
        if self.status == OVER and not force:
            return
        no_show = self.status == WAITING and outcome.reason == "abandoned"
        self.status = OVER
        self.stop_timers()
        if not await self.commit(outcome):
            return
        self.result_committed = True  # the seats are free before match.over goes out
        message = {"type": "match.over", "result": outcome.as_dict()}
        if self.finished is not None and self.finished.ratings:
            message["ratings"] = self.finished.ratings  # rated matches only
        try:
            async with self.order:
                await self.broadcast_state("match.over", self.state, self.seq, message)
                for conn in list(self.connections):
                    await self.close_quietly(conn, protocol.CLOSE_NORMAL)
        finally:
            self.dispose(self)
        if no_show and self.result_written:  # not a match that ended elsewhere, or none
            await self.tell_no_show()

    async def commit(self, outcome: Outcome) -> bool:
        """Write the result once, retrying a failing database for a while."""
        log_blob = pack_inputs(self.ticks, self.input_changes) if self.game.tick_rate else None
        moves = self.moves if self.journal_failed else []  # else every move is stored
        for attempt in range(6):
            try:
                with metrics.result_write.time():
                    self.finished = await persistence.afinish_match(
                        self.id, outcome, self.state, moves, log_blob
                    )
                    self.result_written = bool(self.finished)
                return True
            except Exception:
                log.exception("match %s: writing the result failed (try %d)", self.id, attempt)
                await asyncio.sleep(0.2 * 2**attempt)
        for conn in list(self.connections):
            await self.close_quietly(conn, protocol.CLOSE_SERVER_ERROR)
        self.dispose(self)
        return False

    def stop_timers(self) -> None:
        self.turns.stop()
        for handle in [self.join_timer, *self.grace.values()]:
            if handle is not None:
                handle.cancel()
        self.grace.clear()
        if self.tick_task is not None and self.tick_task is not asyncio.current_task():
            self.tick_task.cancel()

    # Messages ---------------------------------------------------------------------

    def state_message(self, seat: int | None) -> dict[str, Any]:
        return {
            "type": "match.state",
            "match_id": self.id,
            "game": self.game.name,
            "seat": seat,
            "status": self.status,
            "seq": self.seq,
            "state": self.game.view(self.state, seat),
            **(self.turns.fields() if self.status == ACTIVE else {}),
            "players": [s.as_player() for s in self.seats],
        }

    # Moderation ---------------------------------------------------------------------

    async def forfeit(self, seat: int, close_code: int | None = None) -> None:
        """End the match as ``forfeit`` for ``seat`` (a banned player), whatever its state.

        With ``close_code`` the seat's sockets are closed with it first, so that they see
        that code rather than the match's normal close.
        """
        if self.status == OVER or not 0 <= seat < len(self.seats):
            return
        if close_code is not None:
            for conn in [c for c in self.connections if c.seat == seat]:
                self.connections.remove(conn)
                await self.close_quietly(conn, close_code)
        await self.end(self.outcome_without(seat, "forfeit"))
