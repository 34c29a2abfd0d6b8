"""Many server processes on Redis and PostgreSQL: matches across processes, and a
process killed mid-match that loses no match and no move.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import time
import urllib.request
import zlib
from pathlib import Path

import pytest
import redis
import websockets

from gameserver import codec
from loadtest import Config, run
from tests.live import Server, cluster, free_port, postgres_database
from tests.services import postgres_url, redis_url, require_postgres, require_redis

pytestmark = [pytest.mark.live]
SEVEN = [0, 1, 2, 3, 4, 5, 6]
# Real-time updates a second that prove frames flow between processes. Not a speed
# target (docs/performance.md measures speed, on an idle machine): the suite shares a
# busy machine, where 20 Hz rooms measured 3 to 9 updates a second. Frames starved by
# a blocked receive (the bug it guards against) arrive at well under 1 a second.
FLOWING_HZ = 1.0


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    require_redis()
    require_postgres()
    with postgres_database(postgres_url()) as database:
        env = {
            "DATABASE_URL": database,
            "REDIS_URL": redis_url(db=5),
            "GAMESERVER_FILL_TIMEOUT": "0.5",
            # A host's lease must outlast the longest stall of a busy machine's event loop:
            # at 3 s, a process starved of CPU for 2 s lost its matches mid-play (4503).
            "GAMESERVER_HOST_TTL": "6",
            "GAMESERVER_REAP_INTERVAL": "1",
            "GAMESERVER_RECONNECT_GRACE": "30",
            "GAMESERVER_RATE": "1000",
            "GAMESERVER_RATE_BURST": "1000",
            # The load tester's bots re-queue at once: they play whoever is there.
            "GAMESERVER_SKILL_WINDOW": "1e9",
        }
        with cluster(3, env, tmp_path_factory.mktemp("cluster")) as procs:
            yield procs


def http(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


async def recv(ws, kind: str, timeout: float = 10) -> dict:
    """The next message of type ``kind``, skipping presence notices."""
    async with asyncio.timeout(timeout):
        while True:
            message = codec.decode(await ws.recv(), None)
            if message["type"] in ("player.disconnected", "player.reconnected"):
                continue
            assert message["type"] == kind, message
            return message


async def matched(lobby_a: Server, lobby_b: Server) -> tuple[list[str], str]:
    """Two guests queue through the given processes; returns tokens by seat and the match id."""
    tokens = [
        http(f"{s.url}/api/guest", {"name": n})["token"]
        for s, n in ((lobby_a, "a"), (lobby_b, "b"))
    ]
    sockets = []
    for server, token in zip((lobby_a, lobby_b), tokens, strict=True):
        ws = await websockets.connect(f"{server.ws}/ws/lobby/?token={token}")
        await recv(ws, "welcome")
        await ws.send(codec.encode_json({"type": "queue.join", "game": "tictactoe"}))
        await recv(ws, "queue.joined")
        sockets.append(ws)
    found = [await recv(ws, "match.found") for ws in sockets]
    for ws in sockets:
        await ws.close()
    by_seat = sorted(zip(found, tokens, strict=True), key=lambda pair: pair[0]["seat"])
    return [token for _, token in by_seat], found[0]["match_id"]


async def join(server: Server, match_id: str, token: str, deadline: float = 20):
    """Open the match socket, retrying while the match's host moves (close 4503)."""
    async with asyncio.timeout(deadline):
        while True:
            ws = await websockets.connect(f"{server.ws}/ws/match/{match_id}/?token={token}")
            try:
                return ws, await recv(ws, "match.state")
            except websockets.ConnectionClosed:
                await asyncio.sleep(0.3)


async def play(sockets, cells, first_seq: int) -> None:
    for n, cell in enumerate(cells):
        await sockets[(first_seq + n) % 2].send(
            codec.encode_json({"type": "move", "move": {"cell": cell}})
        )
        for ws in sockets:
            assert (await recv(ws, "match.update"))["seq"] == first_seq + n + 1


async def one_match(procs: list[Server], lobbies: tuple[int, int], seats: tuple[int, int] | None):
    tokens, match_id = await matched(procs[lobbies[0]], procs[lobbies[1]])
    if seats is None:  # what the proxy does: every socket of a match to one process
        home = zlib.crc32(match_id.encode()) % len(procs)
        seats = (home, home)
    sockets = [(await join(procs[p], match_id, t))[0] for p, t in zip(seats, tokens, strict=True)]
    for ws in sockets:
        await recv(ws, "match.started")
    await play(sockets, SEVEN, 0)
    for ws in sockets:
        assert (await recv(ws, "match.over"))["result"]["winner"] == 0
    return match_id


def check_recorded(procs: list[Server], match_id: str, moves: int = 7) -> None:
    detail = http(f"{procs[-1].url}/api/matches/{match_id}")
    assert (detail["status"], detail["winner"], detail["reason"]) == ("over", 0, "win")
    assert [m["seq"] for m in detail["moves"]] == list(range(1, moves + 1))


async def test_matches_play_with_sockets_on_one_process_and_across_processes(servers):
    placements = [((0, 0), None), ((1, 1), (0, 1)), ((2, 2), (1, 2)), ((0, 0), (2, 0))]
    for lobbies, seats in placements:  # one at a time: pairs queued together match together
        check_recorded(servers, await one_match(servers, lobbies, seats))


async def test_a_killed_process_loses_no_match_and_no_move(servers):
    victim, survivor = servers[0], servers[1]
    tokens, match_id = await matched(survivor, survivor)
    sockets = [(await join(victim, match_id, t))[0] for t in tokens]  # hosted on the victim
    for ws in sockets:
        await recv(ws, "match.started")
    await play(sockets, [0, 1, 2], 0)
    victim.kill()
    try:
        rejoined = [await join(survivor, match_id, t) for t in tokens]
        for _, state in rejoined:
            assert (state["status"], state["seq"]) == ("active", 3)
            assert state["state"]["board"][:3] == ["X", "O", "X"]
        sockets = [ws for ws, _ in rejoined]
        await play(sockets, [3, 4, 5, 6], 3)
        for ws in sockets:
            assert (await recv(ws, "match.over"))["result"]["winner"] == 0
        check_recorded(servers[1:], match_id)
    finally:
        victim.restart()


class Bot:
    """One player: a lobby socket on one process, then a match socket."""

    def __init__(self, name: str, lobby: Server) -> None:
        self.name, self.lobby = name, lobby
        self.token = http(f"{lobby.url}/api/guest", {"name": name})["token"]
        self.found: list[dict] = []

    async def queue(self) -> None:
        ws = await websockets.connect(f"{self.lobby.ws}/ws/lobby/?token={self.token}")
        await recv(ws, "welcome")
        await ws.send(codec.encode_json({"type": "queue.join", "game": "tictactoe"}))
        await recv(ws, "queue.joined")
        self.found.append(await recv(ws, "match.found", timeout=30))
        try:  # nothing more may come: a second match.found would be a double placement
            async with asyncio.timeout(1):
                extra = await ws.recv()
            self.found.append(codec.decode(extra, None))
        except TimeoutError:
            pass
        await ws.close()


async def play_pair(procs: list[Server], match_id: str, tokens: list[str], spread: bool) -> None:
    home = zlib.crc32(match_id.encode()) % len(procs)
    places = [home + 1, home + 2] if spread else [home, home]
    sockets = [
        (await join(procs[p % len(procs)], match_id, t))[0]
        for p, t in zip(places, tokens, strict=True)
    ]
    for ws in sockets:
        await recv(ws, "match.started", timeout=30)
    await play(sockets, SEVEN, 0)
    for ws in sockets:
        assert (await recv(ws, "match.over", timeout=30))["result"]["winner"] == 0


async def test_a_hundred_players_over_three_processes_are_each_matched_once(servers):
    bots = [Bot(f"bot{i}", servers[i % 3]) for i in range(100)]
    await asyncio.gather(*(bot.queue() for bot in bots))
    assert all(len(bot.found) == 1 for bot in bots), [b.found for b in bots if len(b.found) != 1]
    matches: dict[str, dict[int, str]] = {}
    for bot in bots:
        found = bot.found[0]
        matches.setdefault(found["match_id"], {})[found["seat"]] = bot.token
    assert len(matches) == 50 and all(sorted(seats) == [0, 1] for seats in matches.values())
    await asyncio.gather(
        *(
            play_pair(servers, match_id, [seats[0], seats[1]], spread=n % 2 == 1)
            for n, (match_id, seats) in enumerate(matches.items())
        )
    )
    for match_id in matches:
        check_recorded(servers, match_id)


def run_until(config: Config, key: str, enough: int, runs: int = 8) -> dict:
    """Run the load tester until its runs count ``enough`` of ``key`` between them, each
    run free of errors: a busy machine plays fewer matches in a run, never wrong ones.
    Returns the last run's result."""
    total = 0
    for _ in range(runs):
        result = run(config)
        assert result["headline"]["errors"] == 0, result["totals"]
        total += result["counts"].get(key, 0)
        if total >= enough:
            return result
    raise AssertionError(f"{total} {key} in {runs} runs of {config.duration} s")


@pytest.mark.parametrize("scenario", ["w1", "w2"])
async def test_the_load_tester_plays_across_processes_without_errors(servers, scenario):
    """Lobby sockets on one process, match sockets round robin over all three by seat:
    most frames of every match cross processes through the channel layer, under load."""
    urls = ",".join(s.url for s in servers)
    config = Config(url=servers[0].url, match_urls=urls, scenario=scenario, players=40,
                    rooms=2, duration=3, warmup=1)  # fmt: skip
    if scenario == "w1":
        await asyncio.to_thread(run_until, config, "matches", 10)
    else:
        result = await asyncio.to_thread(run, config)
        assert result["headline"]["errors"] == 0, result["totals"]
        assert result["headline"]["rooms_formed"] == 2
        assert result["headline"]["seq_gaps"] == 0
        assert result["headline"]["room_rate_min"] >= FLOWING_HZ


async def test_redis_channel_layer_carries_matches_across_processes_too(tmp_path):
    """``GAMESERVER_CHANNEL_LAYER=core`` (RedisChannelLayer): the same cross-process play.
    Its process-local channels share one Redis list per prefix; a host channel with a
    prefix of its own starved the sockets' frames until a 5 s receive timeout."""
    require_redis()
    require_postgres()
    with postgres_database(postgres_url()) as db:
        env = {"DATABASE_URL": db, "REDIS_URL": redis_url(db=6), "GAMESERVER_FILL_TIMEOUT": "0.5",
               "GAMESERVER_CHANNEL_LAYER": "core", "GAMESERVER_SKILL_WINDOW": "1e9"}  # fmt: skip
        with cluster(2, env, tmp_path) as procs:
            urls = ",".join(s.url for s in procs)
            for scenario in ("w1", "w2"):
                config = Config(url=procs[0].url, match_urls=urls, scenario=scenario,
                                players=20, rooms=1, duration=3, warmup=1)  # fmt: skip
                result = await asyncio.to_thread(run_until, config, "received", 100)
            assert result["headline"]["room_rate_min"] >= FLOWING_HZ


@contextlib.contextmanager
def private_redis(tmp: Path):
    """A Redis server of this test's own, on a free port, that the test may restart."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(tmp)]  # fmt: skip
    procs = [subprocess.Popen(command, stdout=subprocess.DEVNULL)]

    def restart() -> None:
        procs[0].terminate()
        procs[0].wait(10)
        procs[0] = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        time.sleep(0.5)

    time.sleep(0.5)
    try:
        yield f"redis://127.0.0.1:{port}/0", restart
    finally:
        procs[0].terminate()
        procs[0].wait(10)


async def test_a_redis_restart_is_survived_without_restarting_the_servers(tmp_path):
    require_redis()
    require_postgres()
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: cannot run a private Redis to restart")
    with private_redis(tmp_path) as (url, restart_redis), postgres_database(postgres_url()) as db:
        env = {"DATABASE_URL": db, "REDIS_URL": url, "GAMESERVER_HOST_TTL": "3",
               "GAMESERVER_FILL_TIMEOUT": "0.5"}  # fmt: skip
        with cluster(2, env, tmp_path) as procs:
            tokens, match_id = await matched(procs[0], procs[0])
            home = zlib.crc32(match_id.encode()) % 2
            places = [home, 1 - home]  # one socket on the host, one through the channel layer
            sockets = [
                (await join(procs[p], match_id, t))[0] for p, t in zip(places, tokens, strict=True)
            ]
            for ws in sockets:
                await recv(ws, "match.started")
            await play(sockets, [0, 1, 2], 0)
            restart_redis()
            await asyncio.sleep(2)  # past a heartbeat: the host takes its key back
            await play(sockets, [3, 4, 5, 6], 3)  # both sockets stay open throughout
            for ws in sockets:
                assert (await recv(ws, "match.over"))["result"]["winner"] == 0
            check_recorded(procs, match_id)
            assert (await asyncio.to_thread(http, f"{procs[1].url}/healthz"))["status"] == "ok"


async def test_two_redis_hosts_shard_the_channel_layer(tmp_path):
    """``REDIS_URL`` with two hosts: channels-redis shards channels over both."""
    require_redis()
    require_postgres()
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: cannot run a second Redis")
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    with (
        private_redis(tmp_path) as (first, _),
        private_redis(second_dir) as (second, _),
        postgres_database(postgres_url()) as db,
    ):
        env = {"DATABASE_URL": db, "REDIS_URL": f"{first},{second}",
               "GAMESERVER_FILL_TIMEOUT": "0.5"}  # fmt: skip
        with cluster(2, env, tmp_path) as procs:
            for _ in range(3):  # several matches: their channels land on both shards
                tokens, match_id = await matched(procs[0], procs[1])
                home = zlib.crc32(match_id.encode()) % 2
                places = [home, 1 - home]
                sockets = [
                    (await join(procs[p], match_id, t))[0]
                    for p, t in zip(places, tokens, strict=True)
                ]
                for ws in sockets:
                    await recv(ws, "match.started")
                await play(sockets, SEVEN, 0)
                for ws in sockets:
                    assert (await recv(ws, "match.over"))["result"]["winner"] == 0
                check_recorded(procs, match_id)
        for url in (first, second):  # both shards carried game frames between the processes
            stats = redis.Redis.from_url(url).info("commandstats")
            assert stats.get("cmdstat_publish", {}).get("calls", 0) > 0, url
