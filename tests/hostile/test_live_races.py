"""Fast and unlucky clients against real server processes: one process of each ASGI
server (daphne, uvicorn, and granian where it is installed), and clusters on Redis
with both channel layers.

- A client that sends ``queue.join`` the instant it reads ``match.over`` is never
  refused, whichever process hosts the match and whichever holds the lobby socket.
- A player whose lobby socket was on a process killed with ``kill -9`` is not matched:
  the others are matched with someone else at once, and the player may queue again at
  once from another process.
- A no-show's partner, whose lobby socket is on another process than the match's host,
  is put back in the queue; the no-show is refused with ``cooldown``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import websockets

from gameserver import codec
from loadtest.probe import free_port, wait_healthy
from tests.live import ROOT, Server, cluster, migrate, postgres_database, server_env, start
from tests.services import postgres_url, redis_url, require_postgres, require_redis

pytestmark = [pytest.mark.live]
CYCLES = 25
ENV = {
    "GAMESERVER_FILL_TIMEOUT": "0.5",
    "GAMESERVER_JOIN_TIMEOUT": "2",
    "GAMESERVER_RATE": "1000",
    "GAMESERVER_RATE_BURST": "1000",
    # The same two players meet again and again: their ratings part, any will do.
    "GAMESERVER_SKILL_WINDOW": "1e9",
}


def http(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


class Player:
    """A guest with a lobby socket on one process."""

    def __init__(self, name: str, base: str) -> None:
        self.name, self.base = name, base
        identity = http(f"{base}/api/guest", {"name": name})
        self.id, self.token = identity["player"]["id"], identity["token"]
        self.lobby = None
        self.sockets: list = []

    async def open_lobby(self, base: str | None = None) -> None:
        ws_base = (base or self.base).replace("http", "ws", 1)
        self.lobby = await websockets.connect(f"{ws_base}/ws/lobby/?token={self.token}")
        self.sockets.append(self.lobby)
        assert (await recv(self.lobby))["type"] == "welcome"

    async def join(self) -> dict:
        await self.lobby.send(codec.encode_json({"type": "queue.join", "game": "tictactoe"}))
        return await recv(self.lobby)

    async def match(self, base: str, match_id: str):
        ws_base = base.replace("http", "ws", 1)
        ws = await websockets.connect(f"{ws_base}/ws/match/{match_id}/?token={self.token}")
        self.sockets.append(ws)
        return ws


async def recv(ws, timeout: float = 10) -> dict:
    """The next message, skipping presence notices."""
    async with asyncio.timeout(timeout):
        while True:
            message = codec.decode(await ws.recv(), None)
            if message["type"] not in ("player.disconnected", "player.reconnected"):
                return message


async def until(ws, kind: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while (message := await recv(ws))["type"] != kind:
            pass
    return message


async def join_soon(player: Player, tries: int = 200) -> None:
    for _ in range(tries):
        if (await player.join())["type"] == "queue.joined":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{player.name} is still refused")


async def requeue_at_match_over(players: list[Player], match_bases: list[str]) -> list[dict]:
    """``CYCLES`` matches: seat 1 resigns at once; at match.over both queue again in the
    same instant. Returns every refusal of those queue.joins."""
    refusals: list[dict] = []
    for player in players:
        assert (await player.join())["type"] == "queue.joined"
    for _ in range(CYCLES):
        found = [await until(p.lobby, "match.found") for p in players]
        seats = sorted(zip(found, players, match_bases, strict=True), key=lambda f: f[0]["seat"])
        sockets = [await p.match(base, f["match_id"]) for f, p, base in seats]
        for ws in sockets:
            await until(ws, "match.started")
        await sockets[1].send(codec.encode_json({"type": "resign"}))

        async def over_then_queue(ws, player: Player) -> None:
            assert (await until(ws, "match.over"))["result"]["reason"] == "resign"
            await player.lobby.send(codec.encode_json({"type": "queue.join", "game": "tictactoe"}))

        await asyncio.gather(
            *(over_then_queue(ws, p) for ws, (_, p, _) in zip(sockets, seats, strict=True))
        )
        for player in players:
            answer = await recv(player.lobby)
            if answer["type"] != "queue.joined":
                refusals.append(answer)
                await join_soon(player)  # count every cycle's refusals, not just the first
        for ws in sockets:
            await ws.close()
    return refusals


SERVERS = {  # how each ASGI server serves the application on a port
    "daphne": ["daphne", "-b", "127.0.0.1", "-p", "{port}"],
    "uvicorn": ["uvicorn", "--host", "127.0.0.1", "--port", "{port}", "--lifespan", "off"],
    "granian": ["granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", "{port}"],
}


@contextlib.contextmanager
def one_process(kind: str, tmp: Path) -> Iterator[str]:
    """One server process of ``kind`` on a migrated SQLite database; yields its URL."""
    if importlib.util.find_spec(kind) is None:
        pytest.skip(f"{kind} is not installed")
    env = server_env(ENV, tmp)
    migrate(env)
    port = free_port()
    args = [a.format(port=port) for a in SERVERS[kind]]
    with open(tmp / f"{kind}.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", *args, "gameserver.asgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("kind", sorted(SERVERS))
async def test_requeue_at_match_over_on_one_process(kind, tmp_path):
    with one_process(kind, tmp_path) as url:
        players = [Player(n, url) for n in ("ann", "bob")]
        for player in players:
            await player.open_lobby()
        refusals = await requeue_at_match_over(players, [url, url])
    assert refusals == [], f"{len(refusals)} of {2 * CYCLES} re-queues refused"


class Layered:
    """Two processes on Redis and PostgreSQL with one channel layer, and how to start more."""

    def __init__(self, procs: list[Server], env: dict[str, str], tmp: Path) -> None:
        self.procs, self.env, self.tmp = procs, env, tmp

    def spare(self) -> Server:
        """One more process of the cluster (stopped with it), e.g. to kill."""
        proc = start(self.env, self.tmp)
        self.procs.append(proc)
        return proc


@pytest.fixture(scope="module", params=["pubsub", "core"])
def layer_cluster(request, tmp_path_factory):
    require_redis()
    require_postgres()
    url = redis_url(db={"pubsub": 7, "core": 8}[request.param])
    redis.Redis.from_url(url).flushdb()  # this file's own database: no tickets of old runs
    tmp = tmp_path_factory.mktemp(request.param)
    with postgres_database(postgres_url()) as database:
        env = {**ENV, "DATABASE_URL": database, "REDIS_URL": url,
               "GAMESERVER_CHANNEL_LAYER": request.param}  # fmt: skip
        with cluster(2, env, tmp) as procs:
            yield Layered(procs, server_env(env, tmp), tmp)


@pytest.fixture
async def people():
    """``people(name, base)``: a new guest; every socket they opened closes at the end."""
    made: list[Player] = []

    def make(name: str, base: str) -> Player:
        made.append(Player(name, base))
        return made[-1]

    yield make
    for player in made:
        for ws in player.sockets:
            await ws.close()


async def test_requeue_at_match_over_across_processes(layer_cluster, people):
    """Lobby sockets on both processes, match sockets crossed: the host is on one, the
    other's frames and refusal checks go through Redis and the database."""
    first, second = layer_cluster.procs[:2]
    players = [people("ann", first.url), people("bob", second.url)]
    for player in players:
        await player.open_lobby()
    refusals = await requeue_at_match_over(players, [second.url, first.url])
    assert refusals == [], f"{len(refusals)} of {2 * CYCLES} re-queues refused"


async def test_a_player_on_a_killed_process_is_not_matched(layer_cluster, people):
    survivor, victim = layer_cluster.procs[0], layer_cluster.spare()
    ann = people("ann", victim.url)
    await ann.open_lobby()
    assert (await ann.join())["type"] == "queue.joined"
    victim.kill()  # ann's ticket stays in Redis; her lobby socket is gone
    bob, cat = people("bob", survivor.url), people("cat", survivor.url)
    await bob.open_lobby()
    assert (await bob.join())["type"] == "queue.joined"
    with pytest.raises(TimeoutError):  # not matched with a player who cannot hear it
        await recv(bob.lobby, timeout=1)
    await cat.open_lobby()
    assert (await cat.join())["type"] == "queue.joined"
    found = [await until(p.lobby, "match.found", timeout=3) for p in (bob, cat)]
    assert found[0]["match_id"] == found[1]["match_id"]
    assert {p["name"] for p in found[0]["players"]} == {"bob", "cat"}
    await ann.open_lobby(survivor.url)  # she comes back through another process
    assert (await ann.join())["type"] == "queue.joined"  # free at once
    assert http(f"{survivor.url}/api/matches?player={ann.id}")["results"] == []


async def test_a_no_show_across_processes_requeues_the_partner(layer_cluster, people):
    first, second = layer_cluster.procs[:2]
    ann, bob = people("ann", first.url), people("bob", second.url)
    for player in (ann, bob):
        await player.open_lobby()
        assert (await player.join())["type"] == "queue.joined"
    found = await until(ann.lobby, "match.found")
    await until(bob.lobby, "match.found")
    match = await ann.match(second.url, found["match_id"])  # bob never connects
    over = await until(match, "match.over", timeout=15)
    assert over["result"]["reason"] == "abandoned"
    back = await recv(ann.lobby)
    assert (back["type"], back.get("requeued"), back.get("match_id")) == (
        "queue.joined",
        True,
        found["match_id"],
    )
    refused = await bob.join()
    assert (refused["type"], refused.get("code")) == ("error", "cooldown")
    assert 0 < refused["retry_after_s"] <= 30
