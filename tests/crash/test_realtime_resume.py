"""A real-time match killed mid-play resumes within about a second of where it was.

Its inputs are journaled about once a second; after ``kill -9`` the rebuilt match (on
the same process restarted, or on another process) replays them, waits for its seats,
then ticks on, and ``seq`` continues above every ``seq`` a client saw.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from gameserver import codec
from tests.live import Server, cluster, migrate, postgres_database, server_env, start
from tests.services import postgres_url, redis_url, require_postgres, require_redis
from tests.test_cluster import http, join

pytestmark = [pytest.mark.live]
TICK_RATE = 20
LOST_TICKS_MAX = 30  # the journal's second, its write, and a tick or two of slack
OPTIONS = json.dumps({"tag": {"duration_s": 30}})


async def tag_match(lobby: Server) -> tuple[list[str], str]:
    tokens = [http(f"{lobby.url}/api/guest", {"name": n})["token"] for n in ("a", "b")]
    sockets = []
    for token in tokens:
        ws = await websockets.connect(f"{lobby.ws}/ws/lobby/?token={token}")
        await ws.recv()  # welcome
        await ws.send(codec.encode_json({"type": "queue.join", "game": "tag"}))
        sockets.append(ws)
    found = []
    for ws in sockets:
        async with asyncio.timeout(10):
            while (message := codec.decode(await ws.recv(), None))["type"] != "match.found":
                pass
        found.append(message)
        await ws.close()
    by_seat = sorted(zip(found, tokens, strict=True), key=lambda pair: pair[0]["seat"])
    return [token for _, token in by_seat], found[0]["match_id"]


async def play_for(sockets, seconds: float) -> dict:
    """Send inputs and read updates for ``seconds``; the last update seen."""
    for n, ws in enumerate(sockets):
        direction = {"dx": 1 if n else -1, "dy": 1}
        await ws.send(codec.encode_json({"type": "input", "input": direction}))
    last: dict = {}
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        async with asyncio.timeout(5):
            message = codec.decode(await sockets[0].recv(), None)
        if message["type"] == "match.update":
            assert not last or message["seq"] == last["seq"] + 1
            last = message
    return last


async def no_update_for(ws, seconds: float) -> None:
    """Nothing ticks: a rebuilt match waits for every seat before it goes on."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                message = codec.decode(await ws.recv(), None)
                assert message["type"] != "match.update", message
    except TimeoutError:
        pass


async def check_resume(crashed, survivor: Server, tokens: list[str], match_id: str) -> None:
    sockets = [(await join(crashed, match_id, t))[0] for t in tokens]
    last = await play_for(sockets, 2.5)
    assert last["seq"] >= 2 * TICK_RATE - 5
    crashed.kill()
    if crashed is survivor:
        crashed.restart()
    first, state = await join(survivor, match_id, tokens[0])
    assert state["status"] == "active"
    assert state["seq"] > last["seq"], (state["seq"], last["seq"])  # never backwards
    lost = last["state"]["tick"] - state["state"]["tick"]
    assert 0 <= lost <= LOST_TICKS_MAX, (state["state"]["tick"], last["state"]["tick"])
    assert state["state"]["remaining_s"] - last["state"]["remaining_s"] <= 1.5
    await no_update_for(first, 1.0)
    second, _ = await join(survivor, match_id, tokens[1])
    resumed = await play_for([first, second], 1.0)
    assert resumed["seq"] > state["seq"] and resumed["state"]["tick"] > state["state"]["tick"]
    for ws in (first, second):  # a close handshake would wait behind unread updates
        ws.transport.abort()


async def test_a_restarted_process_resumes_its_real_time_match(tmp_path):
    require_postgres()
    with postgres_database(postgres_url()) as database:
        env = server_env({"DATABASE_URL": database, "GAMESERVER_FILL_TIMEOUT": "0.5",
                          "GAMESERVER_GAME_OPTIONS": OPTIONS}, tmp_path)  # fmt: skip
        migrate(env)
        proc = start(env, tmp_path)
        try:
            tokens, match_id = await tag_match(proc)
            await check_resume(proc, proc, tokens, match_id)
            assert f"match {match_id}: rebuilt after restart" in proc.log_path.read_text()
        finally:
            proc.kill()  # a stop waits for the rebuilt match's ticks; nothing is left to keep


async def test_a_real_time_match_resumes_on_another_process(tmp_path):
    require_redis()
    require_postgres()
    with postgres_database(postgres_url()) as database:
        env = {"DATABASE_URL": database, "REDIS_URL": redis_url(db=2),
               "GAMESERVER_FILL_TIMEOUT": "0.5", "GAMESERVER_GAME_OPTIONS": OPTIONS}  # fmt: skip
        with cluster(2, env, tmp_path) as (victim, survivor):
            tokens, match_id = await tag_match(survivor)
            await check_resume(victim, survivor, tokens, match_id)
            logged = survivor.log_path.read_text()
            assert f"match {match_id}: taken over from" in logged
            assert f"match {match_id}: resumed at tick" in logged
            survivor.kill()
