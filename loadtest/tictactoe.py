"""W1, tictactoe-cycle: queue, get matched, play the lowest empty cell, re-queue.

Both bots of a match take the lowest empty cell, so X (seat 0) wins with its fourth
mark on the seventh move. A move's round trip runs from sending it to receiving the
``match.update`` whose ``seq`` it made; queue wait from ``queue.join`` to ``match.found``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from .client import Wire
from .scenario import Scenario, latency, per_1000, per_s

CYCLE_TIMEOUT_S = 30.0  # one match, queue included: longer means something is stuck
JOIN = {"type": "queue.join", "game": "tictactoe"}


LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


def decided(state: dict[str, Any]) -> bool:
    """Whether the board is won or full: no move to make, match.over is on its way."""
    board = state["board"]
    won = any(board[a] and board[a] == board[b] == board[c] for a, b, c in LINES)
    return won or None not in board


class Seen:
    """One bot's view of one match, across its sockets: the state, the last seq and
    drop, the move in flight."""

    __slots__ = ("active", "dropped", "found_at", "match_id", "pending", "seat", "seq", "state")

    def __init__(self, match_id: str, seat: int, found_at: float) -> None:
        self.match_id, self.seat, self.found_at = match_id, seat, found_at
        self.seq = 0
        self.dropped: float | None = None
        self.active = False
        self.state: dict[str, Any] = {}
        self.pending: tuple[int, float] | None = None  # (the seq it makes, when it was sent)


class Refused(Exception):
    """The server answered with an error or something unexpected."""


class Bot:
    """One W1 player: its token and lobby socket."""

    __slots__ = ("id", "idle_since", "lobby", "longest_idle", "name", "token", "where")

    def __init__(self, name: str, token: str, lobby: Wire, player_id: str = "") -> None:
        self.name, self.token, self.lobby, self.id = name, token, lobby, player_id
        self.where = ""  # what the bot is waiting for: said when it times out
        self.idle_since = time.perf_counter()  # since its last match ended
        self.longest_idle = 0.0


class TicTacToeCycle(Scenario):
    """P bots cycling through tic-tac-toe matches as fast as the server lets them."""

    name = "w1"
    title = "W1 tictactoe-cycle"

    async def prepare(self) -> None:
        ids = await self.w.guests(self.w.config.players, "w1-")
        self.bots: list[Bot] = await asyncio.gather(*(self.enter(t) for _, t in ids))

    async def enter(self, token: str) -> Bot:
        lobby = await self.open("/ws/lobby/", token)
        welcome = await self.recv(lobby)
        if welcome.get("type") != "welcome":
            raise Refused(f"expected welcome, got {welcome}")
        return Bot(welcome["player"]["name"], token, lobby, welcome["player"]["id"])

    async def run(self) -> None:
        tasks = [asyncio.create_task(self.cycle_forever(bot)) for bot in self.bots]
        await self.w.wind_down(tasks)

    async def finish(self) -> None:
        await asyncio.gather(*(self.close(bot.lobby) for bot in self.bots))

    async def cycle_forever(self, bot: Bot) -> None:
        bot.idle_since = time.perf_counter()
        while not self.w.stop.is_set():
            self.idle(bot)
            try:
                async with asyncio.timeout(CYCLE_TIMEOUT_S):
                    await self.cycle(bot)
            except TimeoutError as exc:
                self.fail("timeout", exc)
                self.rec.note("timeouts", f"{bot.id}:{time.time():.3f}", bot.where)
            except Refused as exc:
                self.fail(str(exc), exc)
                await asyncio.sleep(0.1)
            except (ConnectionClosed, InvalidHandshake, OSError) as exc:
                if self.w.config.reconnect:  # expected when a process dies: not an error
                    self.rec.count("lobby_drops")
                else:
                    self.fail("lobby_connection", exc)
                await self.reenter(bot)
        self.idle(bot)

    def idle(self, bot: Bot) -> None:
        """Note the longest time the bot went without finishing a match (stuck players)."""
        bot.longest_idle = max(bot.longest_idle, time.perf_counter() - bot.idle_since)
        self.rec.note("longest_idle_s", bot.id, round(bot.longest_idle, 3))

    async def reenter(self, bot: Bot) -> None:
        """A new lobby socket after the old one broke (the ticket went with it)."""
        await self.close(bot.lobby)
        await asyncio.sleep(0.5)
        try:
            bot.lobby = (await self.enter(bot.token)).lobby
        except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError, Refused) as exc:
            if isinstance(exc, InvalidStatus):  # the proxy's 502s: counted by status
                self.rec.count(f"lobby_refused_{exc.response.status_code}")
            self.fail("reconnect", exc)

    async def cycle(self, bot: Bot) -> None:
        """One match: queue, wait for match.found, play it to the end."""
        queued = time.perf_counter()
        bot.where = "queue"
        await self.send(bot.lobby, JOIN)
        joined = await self.recv(bot.lobby)
        if joined.get("code") == "in_match" and self.w.config.reconnect:
            return await self.rejoin(bot)  # its match.found was lost with a dead process
        self.expect(joined, "queue.joined")
        found = self.expect(await self.recv(bot.lobby), "match.found")
        self.rec.sample("queue_wait", (time.perf_counter() - queued) * 1000)
        self.w.gauge("playing", 1)
        try:
            await self.attend(bot, found["match_id"], found["seat"])
        finally:
            self.w.gauge("playing", -1)

    async def rejoin(self, bot: Bot) -> None:
        """Find the player's unfinished match over HTTP, as a client would, and play it."""
        self.rec.count("in_match_rejoins")
        for status in ("active", "waiting"):
            page = await self.w.server.get_json(f"/api/matches?player={bot.id}&status={status}")
            for match in page["results"]:
                seat = next(p["seat"] for p in match["players"] if p["id"] == bot.id)
                return await self.attend(bot, match["id"], seat)
        await asyncio.sleep(0.2)  # over meanwhile: queue again

    async def attend(self, bot: Bot, match_id: str, seat: int) -> None:
        """Play the match to its end; with ``reconnect``, through dropped sockets."""
        path, attempt = f"/ws/match/{match_id}/", 0
        bot.where = f"match {match_id} seat {seat}"
        seen = Seen(match_id, seat, time.perf_counter())
        while True:
            try:
                match = await self.open(path, bot.token, self.w.match_server(seat, attempt))
            except (InvalidHandshake, OSError) as exc:
                if not self.w.config.reconnect:
                    raise Refused("match_handshake") from exc
                attempt += 1
                self.rec.count("match_reopen_failed")
                await asyncio.sleep(0.1)
                continue
            try:
                await self.play(match, seen)
                bot.idle_since = time.perf_counter()
                return
            except ConnectionClosed as exc:  # the lobby is fine: go on with it
                if not self.w.config.reconnect or (exc.rcvd and exc.rcvd.code == 1000):
                    raise Refused("match_connection") from exc
                seen.dropped = time.perf_counter()
                self.rec.count("match_drops")
            finally:
                await self.close(match)

    def expect(self, message: dict[str, Any], kind: str) -> dict[str, Any]:
        if message.get("type") != kind:
            raise Refused(message.get("code") or f"unexpected_{message.get('type')}")
        return message

    async def play(self, match: Wire, seen: Seen) -> None:
        """From match.state to match.over; each move's round trip is sampled."""
        first = self.expect(await self.recv(match), "match.state")
        self.resumed(seen, first["seq"])
        if self.took_state(seen, first):
            return
        while True:
            state = seen.state
            mine = seen.active and seen.pending is None and state["turn"] == seen.seat
            if mine and not decided(state):
                seen.pending = (seen.seq + 1, time.perf_counter())
                move = {"type": "move", "move": {"cell": state["board"].index(None)}}
                await self.send(match, move)
                self.rec.count("moves")
            if await self.handle(match, seen, await self.recv(match)):
                return

    def took_state(self, seen: Seen, message: dict[str, Any]) -> bool:
        """A ``match.state``: play on from it (a move in flight may be lost: move again);
        True when it says the match is over."""
        if message["status"] == "over":  # it ended while this socket was away
            self.over(message["result"], seen)
            return True
        seen.active, seen.seq, seen.state = (
            message["status"] == "active",
            message["seq"],
            message["state"],
        )
        seen.pending = None
        return False

    async def handle(self, match: Wire, seen: Seen, message: dict[str, Any]) -> bool:
        """One message during play; True once the match is over."""
        kind = message["type"]
        if kind == "match.update":
            seen.seq, seen.state = message["seq"], message["state"]
            if seen.pending is not None and seen.seq == seen.pending[0]:
                self.rec.sample("move_rtt", (time.perf_counter() - seen.pending[1]) * 1000)
                seen.pending = None
        elif kind == "match.started":
            seen.active, seen.seq, seen.state = True, message["seq"], message["state"]
            self.rec.sample("start_wait", (time.perf_counter() - seen.found_at) * 1000)
        elif kind == "match.state":  # the match's new host, on this same socket
            self.rec.count("moved_in_place")
            if message["seq"] < seen.seq:
                self.rec.error("seq_backwards")
            return self.took_state(seen, message)
        elif kind == "match.over":
            self.over(message["result"], seen)
            return True
        elif kind == "error":
            await self.send(match, {"type": "resign"})
            raise Refused(message.get("code", "error"))
        return False

    def resumed(self, seen: Seen, seq: int) -> None:
        """A match.state after a drop: time the failover; seq must not go backwards."""
        if seen.dropped is not None:
            self.rec.sample("failover", (time.perf_counter() - seen.dropped) * 1000)
            self.rec.note("failovers", f"{seen.match_id}:{seen.seat}:{seen.dropped}",
                          round(time.perf_counter() - seen.dropped, 3))  # fmt: skip
            seen.dropped = None
            if seq < seen.seq:
                self.rec.error("seq_backwards")
        seen.seq = seq

    def over(self, result: dict[str, Any], seen: Seen) -> None:
        self.rec.note("results", f"{seen.match_id}:{seen.seat}", result)
        if result.get("winner") != 0 or result.get("reason") != "win":
            self.rec.error("unexpected_result")
        elif seen.seat == 0:
            self.rec.count("matches")

    @staticmethod
    def headline(result: dict[str, Any]) -> dict[str, Any]:
        return {
            "players": result["config"]["players"],
            "matches_per_s": per_s(result, "matches"),
            **latency(result, "move_rtt", "p50", "p95", "p99"),
            **latency(result, "queue_wait", "p50", "p99"),
            "errors": result["totals"].get("errors", 0),
            "server_cpu_util": result["server"].get("cpu_util"),
            "messages_per_s": per_s(result, "messages"),
            "server_cpu_s_per_1000_matches": per_1000(result, "matches"),
            "server_cpu_s_per_1000_messages": per_1000(result, "messages"),
        }
