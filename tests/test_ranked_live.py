"""Ranked play through real server processes: a rated match between two real clients,
the boards it shows on, and a ban and a void from ``manage.py``, on one process (SQLite,
no Redis) and across processes (Redis and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import zlib

import pytest
import websockets
from openskill.models import PlackettLuce

from gameserver import codec
from tests.live import ROOT, Server, cluster, postgres_database, server_env, start
from tests.services import postgres_url, redis_url, require_postgres, require_redis
from tests.test_cluster import http, join, recv

pytestmark = [pytest.mark.live]
SEVEN = [0, 1, 2, 3, 4, 5, 6]


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def http_error(url: str) -> tuple[int, dict]:
    try:
        http(url)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    raise AssertionError(f"{url} answered 200")


async def lobby(server: Server, token: str):
    ws = await websockets.connect(f"{server.ws}/ws/lobby/?token={token}")
    return ws, await recv(ws, "welcome")


async def queue(ws) -> None:
    await ws.send(codec.encode_json({"type": "queue.join", "game": "tictactoe"}))
    await recv(ws, "queue.joined")


async def rated_match(lobbies: list[Server], seats: list[Server]) -> dict:
    """ann and bob queue (lobby sockets kept open) and ann wins; what each saw."""
    guests = [
        http(f"{s.url}/api/guest", {"name": n})
        for s, n in zip(lobbies, ("ann", "bob"), strict=True)
    ]
    sockets = [(await lobby(s, g["token"]))[0] for s, g in zip(lobbies, guests, strict=True)]
    for ws in sockets:
        await queue(ws)
    found = [await recv(ws, "match.found") for ws in sockets]
    assert [p["rating"] for p in found[0]["players"]] == [0.0, 0.0]
    assert {p["bot"] for p in found[0]["players"]} == {False}
    order = sorted(range(2), key=lambda i: found[i]["seat"])  # ann, bob by seat
    match_id = found[0]["match_id"]
    games = [await join(seats[i], match_id, guests[order[i]]["token"]) for i in range(2)]
    assert [p["name"] for p in games[0][1]["players"]] == [
        guests[i]["player"]["name"] for i in order
    ]
    match_sockets = [ws for ws, _ in games]
    for ws in match_sockets:
        await recv(ws, "match.started")
    for n, cell in enumerate(SEVEN):
        await match_sockets[n % 2].send(codec.encode_json({"type": "move", "move": {"cell": cell}}))
        for ws in match_sockets:
            await recv(ws, "match.update")
    overs = [await recv(ws, "match.over") for ws in match_sockets]
    winner = guests[order[0]]
    return {"match": match_id, "over": overs[0], "guests": [guests[i] for i in order],
            "lobbies": [sockets[i] for i in order], "winner": winner}  # fmt: skip


def check_openskill(over: dict) -> None:
    """match.over's ratings are the library's numbers for a win from two new players."""
    model = PlackettLuce()
    [[won], [lost]] = model.rate([[model.rating()], [model.rating()]], ranks=[1, 2])
    before = {"mu": 25.0, "sigma": 25 / 3, "rating": 0.0, "matches": 0}
    assert over["ratings"] == [
        {"seat": 0, "before": before, "after": {"mu": won.mu, "sigma": won.sigma,
                                                 "rating": won.ordinal(), "matches": 1}},
        {"seat": 1, "before": before, "after": {"mu": lost.mu, "sigma": lost.sigma,
                                                 "rating": lost.ordinal(), "matches": 1}},
    ]  # fmt: skip


def check_boards(url: str, played: dict) -> None:
    ann, bob = (g["player"]["id"] for g in played["guests"])
    board = http(f"{url}/api/leaderboard/tictactoe")
    top = [line["player"]["id"] for line in board["results"]]
    assert top.index(ann) < top.index(bob)
    after = played["over"]["ratings"][0]["after"]
    assert http(f"{url}/api/players/{ann}")["ratings"] == {"tictactoe": after}
    detail = http(f"{url}/api/matches/{played['match']}")
    assert detail["rated"] and detail["players"][0]["rating_after"] == after["rating"]


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ranked")
    env = server_env({"GAMESERVER_BAN_SWEEP": "0.5"}, tmp)
    from tests.live import migrate

    migrate(env)
    proc = start(env, tmp)
    try:
        yield proc
    finally:
        proc.stop()


async def test_a_rated_match_between_real_clients(one_process):
    played = await rated_match([one_process] * 2, [one_process] * 2)
    check_openskill(played["over"])
    check_boards(one_process.url, played)
    _, welcome = await lobby(one_process, played["winner"]["token"])
    assert welcome["player"]["ratings"]["tictactoe"] == played["over"]["ratings"][0]["after"]
    for ws in played["lobbies"]:
        await ws.close()


async def test_ban_and_void_from_the_command_line_on_one_process(one_process):
    """Without Redis the command reaches the server through the database: its sweep."""
    played = await rated_match([one_process] * 2, [one_process] * 2)
    ann = played["guests"][0]["player"]["id"]
    env = one_process.env
    banned = manage(env, "ban", ann, "--reason", "test")
    assert banned.returncode == 0, banned.stderr
    async with asyncio.timeout(10):
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await played["lobbies"][0].recv()
    assert played["lobbies"][0].close_code == 4403
    with pytest.raises(websockets.InvalidStatus) as refused:
        await lobby(one_process, played["guests"][0]["token"])
    assert refused.value.response.status_code == 403
    assert http_error(f"{one_process.url}/api/leaderboard/tictactoe?around={ann}")[0] == 404
    voided = manage(env, "void", played["match"])
    assert voided.returncode == 0 and "voided match" in voided.stdout
    detail = http(f"{one_process.url}/api/matches/{played['match']}")
    assert detail["status"] == "voided"
    assert {p["rating_after"] for p in detail["players"]} == {None}
    bob = played["guests"][1]["player"]["id"]
    assert http(f"{one_process.url}/api/players/{bob}")["ratings"] == {}
    again = manage(env, "void", played["match"])
    assert again.returncode == 0 and "voided already" in again.stdout
    for args, says in ((["ban", "Zzzzzzzzzzzz"], "no player"), (["void", "x!"], "not a match")):
        failed = manage(env, *args)
        assert failed.returncode == 1 and says in failed.stderr
    assert manage(env, "unban", ann).returncode == 0
    back, _ = await lobby(one_process, played["guests"][0]["token"])
    await back.close()
    await played["lobbies"][1].close()


@pytest.fixture(scope="module", params=["pubsub", "core"])
def two_processes(request, tmp_path_factory):
    """Two processes on either channel layer (a ban's event must not starve the sockets'
    channels of RedisChannelLayer, which share one Redis list per prefix)."""
    require_redis()
    require_postgres()
    with postgres_database(postgres_url()) as database:
        env = {
            "DATABASE_URL": database,
            "REDIS_URL": redis_url(db=6),
            "GAMESERVER_CHANNEL_LAYER": request.param,
            "GAMESERVER_FILL_TIMEOUT": "0.5",
            "GAMESERVER_HOST_TTL": "3",
            "GAMESERVER_REAP_INTERVAL": "1",
            "GAMESERVER_BAN_SWEEP": "600",  # the event alone must do it
        }
        with cluster(2, env, tmp_path_factory.mktemp("ranked-cluster")) as procs:
            yield procs


async def test_a_ban_and_a_void_act_across_processes(two_processes):
    a, b = two_processes
    played = await rated_match([a, b], [a, b])  # ann's sockets on a, bob's on b
    check_openskill(played["over"])
    check_boards(b.url, played)
    ann, bob = (g["player"]["id"] for g in played["guests"])
    # A second match, hosted wherever its id hashes to, with ann's socket on the other.
    for ws in played["lobbies"]:
        await queue(ws)
    found = [await recv(ws, "match.found", timeout=20) for ws in played["lobbies"]]
    match_id = found[0]["match_id"]
    home = zlib.crc32(match_id.encode()) % 2
    tokens = [g["token"] for g in played["guests"]]
    seat_of = {f["seat"]: i for i, f in enumerate(found)}  # seat -> 0 ann / 1 bob
    places = {0: two_processes[1 - home], 1: two_processes[home]}  # ann away from the host
    sockets = {}
    for seat in (0, 1):
        who = seat_of[seat]
        sockets[who] = (await join(places[who], match_id, tokens[who]))[0]
    for ws in sockets.values():
        await recv(ws, "match.started")
    env = a.env
    banned = manage(env, "ban", ann, "--reason", "cheating")
    assert banned.returncode == 0, banned.stderr
    over = await recv(sockets[1], "match.over", timeout=10)
    assert over["result"]["reason"] == "forfeit"
    assert over["result"]["ranking"] == [found[1]["seat"], found[0]["seat"]]  # bob, ann
    for ws in (sockets[0], played["lobbies"][0]):
        async with asyncio.timeout(10):
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await ws.recv()
        assert ws.close_code == 4403
    for server in two_processes:
        with pytest.raises(websockets.InvalidStatus):
            await lobby(server, tokens[0])
    forfeited = http(f"{a.url}/api/matches/{match_id}")
    assert forfeited["status"] == "over" and forfeited["rated"]
    assert manage(env, "void", played["match"]).returncode == 0
    # ann's first win is gone; bob's rating is what the forfeit alone gave him.
    model = PlackettLuce()
    [[won], _] = model.rate([[model.rating()], [model.rating()]], ranks=[1, 2])
    assert http(f"{b.url}/api/players/{bob}")["ratings"]["tictactoe"]["mu"] == won.mu
    assert http(f"{a.url}/api/matches/{played['match']}")["status"] == "voided"
    await played["lobbies"][1].close()
