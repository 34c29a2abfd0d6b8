"""Parties and bots across real server processes on Redis and PostgreSQL: members whose
lobby sockets sit on different processes, and a bot match whose host is killed.
"""

from __future__ import annotations

import asyncio
import zlib

import pytest
import websockets

from gameserver import codec
from tests.live import Server, cluster, postgres_database
from tests.services import (
    clear_server_keys,
    postgres_url,
    redis_url,
    require_postgres,
    require_redis,
)
from tests.test_cluster import http, join, recv

pytestmark = [pytest.mark.live]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    require_redis()
    require_postgres()
    url = redis_url(db=5)  # the server-process tests' database, one module at a time
    clear_server_keys(url)
    with postgres_database(postgres_url()) as database:
        env = {
            "DATABASE_URL": database,
            "REDIS_URL": url,
            "GAMESERVER_FILL_TIMEOUT": "0.5",
            "GAMESERVER_HOST_TTL": "2",
            "GAMESERVER_REAP_INTERVAL": "1",
            "GAMESERVER_BOT_DELAY": "0.1",
            "GAMESERVER_RATE": "1000",
            "GAMESERVER_RATE_BURST": "1000",
        }
        with cluster(2, env, tmp_path_factory.mktemp("parties")) as procs:
            yield procs


class Person:
    """A guest with a lobby socket on one process."""

    def __init__(self, name: str, lobby: Server) -> None:
        self.lobby = lobby
        made = http(f"{lobby.url}/api/guest", {"name": name})
        self.id, self.token = made["player"]["id"], made["token"]

    async def connect(self) -> Person:
        self.ws = await websockets.connect(f"{self.lobby.ws}/ws/lobby/?token={self.token}")
        await recv(self.ws, "welcome")
        return self

    async def send(self, message: dict) -> None:
        await self.ws.send(codec.encode_json(message))

    async def expect(self, kind: str, timeout: float = 10) -> dict:
        return await recv(self.ws, kind, timeout)


async def party(*people: Person) -> str:
    """The first person creates a party, the others join it; returns its code."""
    await people[0].send({"type": "party.create"})
    code = (await people[0].expect("party.state"))["party"]["code"]
    for n, person in enumerate(people[1:], start=1):
        await person.send({"type": "party.join", "code": code.lower()})
        for member in people[: n + 1]:
            state = await member.expect("party.state")
        assert [m["id"] for m in state["party"]["members"]] == [p.id for p in people[: n + 1]]
    return code


async def next_message(ws, timeout: float = 10) -> dict:
    """The next message that is not a presence notice, nor the refusal of a move sent
    after the winning move while the result was being written (``match.over`` follows)."""
    while True:
        message = codec.decode(await asyncio.wait_for(ws.recv(), timeout), None)
        if message["type"] in ("player.disconnected", "player.reconnected"):
            continue
        if message["type"] == "error" and message["code"] == "match_over":
            continue
        return message


async def lowest_free(sockets: dict[int, object], state: dict) -> tuple[dict, int]:
    """The humans (``sockets`` by seat) play the lowest free cell on their turns, the bots
    theirs; returns match.over and how many moves the bots made."""
    bot_moves = 0
    while True:
        turn = state["turn"]
        if turn in sockets:
            move = {"type": "move", "move": {"cell": state["board"].index(None)}}
            await sockets[turn].send(codec.encode_json(move))
        messages = [await next_message(ws) for ws in sockets.values()]
        if messages[0]["type"] == "match.over":
            return messages[0], bot_moves
        assert messages[0]["type"] == "match.update", messages[0]
        bot_moves += turn not in sockets
        state = messages[0]["state"]


async def play_tictactoe(procs: list[Server], found: dict, tokens: dict[str, str]) -> dict:
    """Every human of the match on the match's home process, as the proxy would send them."""
    home = procs[zlib.crc32(found["match_id"].encode()) % len(procs)]
    humans = [p for p in found["players"] if not p["bot"]]
    sockets = {p["seat"]: (await join(home, found["match_id"], tokens[p["id"]]))[0] for p in humans}
    for ws in sockets.values():
        state = (await recv(ws, "match.started"))["state"]
    over, _ = await lowest_free(sockets, state)
    return over


async def test_a_party_across_processes_plays_privately_and_again(servers):
    ann, bob = await Person("ann", servers[0]).connect(), await Person("bob", servers[1]).connect()
    code = await party(ann, bob)
    tokens = {ann.id: ann.token, bob.id: bob.token}
    for first in (ann.id, bob.id):
        await ann.send({"type": "party.start", "game": "tictactoe", "id": 1})
        found = [await p.expect("match.found") for p in (ann, bob)]
        assert found[0]["match_id"] == found[1]["match_id"] and found[1]["party"] == code
        assert found[0]["players"][0]["id"] == first  # played again: seats turned
        over = await play_tictactoe(servers, found[0], tokens)
        assert over["result"]["winner"] == 0
        detail = http(f"{servers[1].url}/api/matches/{found[0]['match_id']}")
        assert detail["status"] == "over"
    await bob.ws.close()  # a member's socket closes: the leader on the other process hears
    state = await ann.expect("party.state")
    assert [m["id"] for m in state["party"]["members"]] == [ann.id]
    await ann.ws.close()


async def test_a_party_across_processes_queues_as_one_ticket(servers):
    ann, bob = await Person("ann", servers[0]).connect(), await Person("bob", servers[1]).connect()
    code = await party(ann, bob)
    await ann.send({"type": "party.queue", "game": "tag"})
    for person in (ann, bob):
        assert (await person.expect("queue.joined"))["party"] == code
        assert (await person.expect("party.state"))["party"]["queued"] == "tag"
    await bob.ws.close()  # bob leaves mid-queue: the party leaves the queue everywhere
    await ann.expect("queue.left")
    assert (await ann.expect("party.state"))["party"]["queued"] is None
    cat = await Person("cat", servers[1]).connect()
    await cat.send({"type": "party.join", "code": code})
    await ann.expect("party.state")
    await cat.expect("party.state")
    await ann.send({"type": "party.queue", "game": "tag"})
    for person in (ann, cat):
        await person.expect("queue.joined")
        await person.expect("party.state")
    dan = await Person("dan", servers[0]).connect()
    await dan.send({"type": "queue.join", "game": "tag"})
    await dan.expect("queue.joined")
    found = [await p.expect("match.found") for p in (ann, cat, dan)]
    assert len({f["match_id"] for f in found}) == 1
    assert [p["id"] for p in found[0]["players"]] == [ann.id, cat.id, dan.id]
    for person in (ann, cat, dan):
        await person.ws.close()


async def test_a_bot_match_survives_its_host_being_killed(servers):
    ann = await Person("ann", servers[0]).connect()
    await party(ann)
    await ann.send({"type": "party.start", "game": "tictactoe", "bots": 1})
    found = await ann.expect("match.found")
    match_id = found["match_id"]
    home = zlib.crc32(match_id.encode()) % 2
    victim, survivor = servers[home], servers[1 - home]
    ws, _ = await join(victim, match_id, ann.token)
    await recv(ws, "match.started")
    await ws.send(codec.encode_json({"type": "move", "move": {"cell": 0}}))
    await recv(ws, "match.update")
    bot_move = await recv(ws, "match.update")  # the bot answered on the victim
    assert bot_move["seq"] == 2
    victim.kill()
    try:
        ws, state = await join(survivor, match_id, ann.token, deadline=30)
        assert (state["status"], state["seq"]) == ("active", 2)
        assert [p["bot"] for p in state["players"]] == [False, True]
        over, bot_moves = await lowest_free({0: ws}, state["state"])
        assert bot_moves >= 1 and over["result"]["winner"] in (None, 1)  # the rebuilt bot played on
        detail = http(f"{survivor.url}/api/matches/{match_id}")
        assert (detail["status"], len(detail["moves"])) == ("over", over["seq"])
    finally:
        victim.restart()
