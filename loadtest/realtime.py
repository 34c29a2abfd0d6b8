"""W2, tag-realtime: R rooms of 8 bots, each sending an input 20 times a second.

Delivery latency runs from the update's server time ``t`` to its arrival here (the
tester and the server share a clock on one machine). A room's update rate is that of
its slowest bot: updates received in the window over the window (one update either
way is the window's edges). One pacer task sends every bot's input, spread over the period.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from typing import Any

import msgpack
import orjson

from .client import Wire
from .scenario import Scenario, latency, per_1000, per_s

ROOM = 8
SLOTS = 10  # the pacer wakes SLOTS times per input period, for a tenth of the bots each
ROOM_RATE_OK = 19.5  # "every room at 20 updates/s", within 2.5 %
P99_OK_MS = 50.0
JOIN = {"type": "queue.join", "game": "tag"}


class Player:
    """One W2 bot: its sockets, its room, and what it has seen."""

    __slots__ = (
        "input",
        "lobby",
        "match",
        "match_id",
        "over",
        "seat",
        "seq",
        "started",
        "token",
        "updates",
    )

    def __init__(self, token: str, lobby: Wire) -> None:
        self.token, self.lobby = token, lobby
        self.match: Wire | None = None
        self.match_id, self.seat, self.seq, self.updates, self.input = "", 0, 0, 0, 0
        self.over = False
        self.started = asyncio.Event()


class TagRealtime(Scenario):
    """R rooms of tag, 8 bots each, all moving all the time."""

    name = "w2"
    title = "W2 tag-realtime"

    async def prepare(self) -> None:
        ids = await self.w.guests(self.w.config.rooms * ROOM, "w2-")
        self.players: list[Player] = await asyncio.gather(*(self.enter(t) for _, t in ids))
        for player in self.players:  # all at once, so that every group fills to 8
            await self.send(player.lobby, JOIN)
        self.readers: list[asyncio.Task[None]] = []
        await asyncio.gather(*(self.matched(p) for p in self.players))
        async with asyncio.timeout(30):
            await asyncio.gather(*(p.started.wait() for p in self.players))
        self.inputs = self.encoded_inputs()

    async def enter(self, token: str) -> Player:
        lobby = await self.open("/ws/lobby/", token)
        await self.recv(lobby)  # welcome
        return Player(token, lobby)

    async def matched(self, player: Player) -> None:
        async with asyncio.timeout(30):
            joined = await self.recv(player.lobby)
            found = await self.recv(player.lobby)
        if joined.get("type") != "queue.joined" or found.get("type") != "match.found":
            raise RuntimeError(f"queueing for tag failed: {joined} / {found}")
        if len(found["players"]) != ROOM:
            self.rec.error("room_not_full")
        player.match_id, player.seat = found["match_id"], found["seat"]
        via = self.w.match_server(player.seat)
        player.match = await self.open(f"/ws/match/{player.match_id}/", player.token, via)
        self.readers.append(asyncio.create_task(self.read(player)))
        player.input = (self.w.rng.randrange(3) - 1, self.w.rng.randrange(3) - 1)

    def encoded_inputs(self) -> dict[tuple[int, int], bytes]:
        pack = msgpack.packb if self.w.encoding.endswith("msgpack") else orjson.dumps
        return {
            (dx, dy): pack({"type": "input", "input": {"dx": dx, "dy": dy}})
            for dx, dy in itertools.product((-1, 0, 1), repeat=2)
        }

    async def read(self, player: Player) -> None:
        """Everything the server sends one bot, until match.over (or the socket closes,
        unless ``reconnect``: then the bot reconnects and reads on)."""
        while True:
            try:
                return await self.read_socket(player)
            except Exception as exc:
                if not self.w.config.reconnect:
                    return None if self.w.stop.is_set() else self.fail("connection", exc)
            await self.reopen(player)
            if player.over:
                return

    async def reopen(self, player: Player) -> None:
        """A new match socket after the old one dropped; the failover is timed."""
        dropped, path = time.perf_counter(), f"/ws/match/{player.match_id}/"
        self.rec.count("match_drops")
        player.match = None
        attempt = 0
        while player.match is None:
            try:
                wire = await self.open(
                    path, player.token, self.w.match_server(player.seat, attempt)
                )
                first = await wire.recv()
            except Exception:
                attempt += 1
                self.rec.count("match_reopen_failed")
                await asyncio.sleep(0.1)
                continue
            if first.get("type") != "match.state":
                await self.close(wire)
                continue
            elapsed = time.perf_counter() - dropped
            self.rec.sample("failover", elapsed * 1000)
            self.rec.note("failovers", f"{player.match_id}:{player.seat}:{dropped}", elapsed)
            if first["seq"] < player.seq:
                self.rec.error("seq_backwards")
            player.seq = first["seq"]
            player.match = wire
            if first["status"] == "over":  # it ended while this bot was away
                self.rec.note("results", f"{player.match_id}:{player.seat}", first["result"])
                player.over = True

    async def read_socket(self, player: Player) -> None:
        rec, wire = self.rec, player.match
        assert wire is not None
        while True:
            message = await wire.recv()
            arrived = time.time() * 1000
            rec.count("received")
            kind = message["type"]
            if kind == "match.update":
                rec.sample("update_delivery", arrived - message["t"])
                if message["seq"] != player.seq + 1:
                    rec.count("seq_gaps")
                player.seq = message["seq"]
                if rec.recording:
                    player.updates += 1
            elif kind in ("match.state", "match.started"):
                player.seq = message["seq"]
                if kind == "match.started" or message["status"] == "active":
                    player.started.set()
            elif kind == "match.over":
                rec.note("results", f"{player.match_id}:{player.seat}", message["result"])
                player.over = True
                return
            elif kind == "error":
                code = message.get("code", "error")
                if code == "match_over":  # an input that crossed the match's end: not an error
                    rec.count("late_inputs")
                    continue
                rec.error(code)

    async def run(self) -> None:
        pacer = asyncio.create_task(self.pace())
        await self.w.stop.wait()
        pacer.cancel()
        await asyncio.gather(pacer, return_exceptions=True)
        for player in self.players:
            self.rec.low("room_updates", player.match_id, player.updates)

    async def pace(self) -> None:
        """Send every bot's input ``rate`` times a second, a slot of bots at a time."""
        slots = [self.players[k::SLOTS] for k in range(SLOTS)]
        step = 1.0 / self.w.config.rate / SLOTS
        binary = self.w.encoding.endswith("msgpack")
        due = time.monotonic()
        for k in itertools.count():
            due += step
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -1.0:  # far behind: skip the backlog rather than burst
                due = time.monotonic()
            for player in slots[k % SLOTS]:
                if self.w.rng.random() < 0.05:  # change direction about once a second
                    player.input = (self.w.rng.randrange(3) - 1, self.w.rng.randrange(3) - 1)
                if player.match is None or player.over:
                    continue  # reconnecting, or its match is over
                try:
                    await player.match.ws.send(self.inputs[player.input], text=not binary)
                except Exception:  # dropped: its reader reconnects
                    continue
            self.rec.count("inputs", len(slots[k % SLOTS]))
            self.rec.count("sent", len(slots[k % SLOTS]))

    async def finish(self) -> None:
        """One bot per room resigns, which ends the match for all; then close everything."""
        rooms = {p.match_id: p for p in self.players}
        for player in rooms.values():
            if player.match is not None and not player.over:
                with contextlib.suppress(Exception):
                    await player.match.send({"type": "resign"})
        await asyncio.wait(self.readers, timeout=5)
        for reader in self.readers:
            reader.cancel()
        sockets = [p.match for p in self.players if p.match] + [p.lobby for p in self.players]
        await asyncio.gather(*(self.close(s) for s in sockets))

    @staticmethod
    def headline(result: dict[str, Any]) -> dict[str, Any]:
        window = result["window_s"] or float("nan")
        rates = sorted(n / window for n in result["lows"].get("room_updates", {}).values())
        rooms_ok = sum(rate >= ROOM_RATE_OK - 1 / window for rate in rates)  # +-1 at the edges
        figures = {
            "rooms": result["config"]["rooms"],
            "rooms_formed": len(rates),
            **latency(result, "update_delivery", "p50", "p99"),
            "room_rate_min": round(rates[0], 2) if rates else None,
            "room_rate_median": round(rates[len(rates) // 2], 2) if rates else None,
            "rooms_at_20_hz": rooms_ok,
            "outbound_per_s": per_s(result, "received"),
            "inputs_per_s": per_s(result, "inputs"),
            "messages_per_s": per_s(result, "messages"),
            "seq_gaps": result["counts"].get("seq_gaps", 0),
            "errors": result["totals"].get("errors", 0),
            "server_cpu_util": result["server"].get("cpu_util"),
            "server_cpu_s_per_1000_messages": per_1000(result, "messages"),
        }
        p99 = figures["update_delivery_p99_ms"]
        figures["ok"] = bool(
            rates
            and rooms_ok == len(rates) == result["config"]["rooms"]
            and p99 is not None
            and p99 < P99_OK_MS
            and not figures["errors"]
        )
        return figures
