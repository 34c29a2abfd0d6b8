"""The Redis matchmaker across processes: several instances on one prefix stand for
several server processes (and one test runs real processes).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from pathlib import Path

import pytest

from lobby.matchmaker import PLACING, QUEUED
from lobby.matchmaker_redis import RedisMatchmaker
from tests.lobby.test_matchmaker_contract import LONG, TAG, TICTACTOE, Queue, fill, ids
from tests.services import delete_keys, require_redis

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def cluster():
    """``cluster(n, **options)``: n matchmakers sharing one fresh prefix, like n processes."""
    url, prefix = require_redis(), f"test:mm:{secrets.token_hex(6)}:"
    made: list[RedisMatchmaker] = []

    def make(n: int, **options) -> list[RedisMatchmaker]:
        made.extend(RedisMatchmaker(url, prefix=prefix, **options) for _ in range(n))
        return made[-n:]

    make.url, make.prefix = url, prefix
    yield make
    if made:
        await delete_keys(made[0].redis, prefix)
    for mm in made:
        await mm.close()


def check_groups(groups: list[list[str]], everyone: set[str], low: int, high: int) -> None:
    taken = [pid for group in groups for pid in group]
    assert len(taken) == len(set(taken)), "a player was handed out twice"
    assert set(taken) <= everyone
    assert all(low <= len(group) <= high for group in groups)


async def test_racing_passes_hand_out_each_player_once(cluster):
    mms = cluster(4)
    queue = Queue(time.time() - 1)  # else the last tickets' enqueue times lie ahead of now
    tickets = [queue.ticket(f"p{i:03}", "tag") for i in range(100)]
    done, groups = asyncio.Event(), []

    async def passes(mm: RedisMatchmaker) -> None:
        while True:
            last = done.is_set()  # once every ticket is in, one more pass drains the queue
            groups.extend(ids(await mm.take_groups(TAG, 0.0)))
            if last:
                return
            await asyncio.sleep(0)

    runners = [asyncio.create_task(passes(mm)) for mm in mms]
    added = await asyncio.gather(*(mms[i % 4].add(t) for i, t in enumerate(tickets)))
    done.set()
    await asyncio.gather(*runners)
    assert all(added)
    everyone = {t.player.id for t in tickets}
    check_groups(groups, everyone, TAG.min_players, TAG.max_players)
    left = {p for p in everyone if await mms[0].status(p) == QUEUED}
    assert {p for g in groups for p in g} | left == everyone, "a player was lost"
    assert len(left) < TAG.min_players


async def test_concurrent_passes_over_a_full_queue(cluster):
    mms = cluster(5)
    await fill(mms[0], " ".join(f"p{i:03}" for i in range(100)))
    results = await asyncio.gather(*(mm.take_groups(TICTACTOE, LONG) for mm in mms * 4))
    groups = [group for result in results for group in ids(result)]
    check_groups(groups, {f"p{i:03}" for i in range(100)}, 2, 2)
    assert len(groups) == 50
    assert await mms[3].queue_lengths() == {"tictactoe": 0}


WORKER = """
import asyncio, json, sys
from lobby.matchmaker_redis import RedisMatchmaker
from match.games.base import GameInfo

async def main(url, prefix):
    mm, groups = RedisMatchmaker(url, prefix=prefix), []
    info = GameInfo("tictactoe", 2, 2, False)
    print("ready", flush=True)
    while not await mm.redis.exists(prefix + "done") or (await mm.queue_lengths())["tictactoe"]:
        groups += [[t.player.id for t in g] for g in await mm.take_groups(info, 3600.0)]
        await asyncio.sleep(0.001)
    await mm.close()
    print(json.dumps(groups))

asyncio.run(main(*sys.argv[1:]))
"""


async def test_racing_processes_hand_out_each_player_once(cluster):
    """Three real processes run passes while this one queues 200 players."""
    [mm] = cluster(1)
    args = [sys.executable, "-c", WORKER, cluster.url, cluster.prefix]
    workers = [
        await asyncio.create_subprocess_exec(*args, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
        for _ in range(3)
    ]
    async with asyncio.timeout(30):
        assert [await w.stdout.readline() for w in workers] == [b"ready\n"] * 3
    queue = Queue()
    everyone = {f"p{i:03}" for i in range(200)}
    for pid in sorted(everyone):
        assert await mm.add(queue.ticket(pid))
        await asyncio.sleep(0.001)
    await mm.redis.set(cluster.prefix + "done", 1)
    outputs = [await asyncio.wait_for(w.communicate(), 30) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0]
    per_process = [json.loads(out) for out, _ in outputs]
    groups = [group for result in per_process for group in result]
    check_groups(groups, everyone, 2, 2)
    assert len(groups) == 100, "a player was lost"
    assert sum(1 for result in per_process if result) >= 2, "only one process took groups"


async def test_only_one_instance_leads(cluster):
    mms = cluster(3, lease_ttl=0.3)
    leaders = set()
    for _ in range(10):
        answers = [await mm.lead() for mm in mms]
        assert answers.count(True) == 1
        leaders.add(answers.index(True))
        await asyncio.sleep(0.05)
    assert len(leaders) == 1, "a renewed lease changed hands"


async def test_another_instance_takes_over_a_lapsed_lease(cluster):
    a, b = cluster(2, lease_ttl=0.3)
    assert await a.lead()
    for _ in range(6):  # renewed well past one TTL
        await asyncio.sleep(0.1)
        assert await a.lead()
        assert not await b.lead()
    await asyncio.sleep(0.4)  # a stops renewing, as if its process died
    assert await b.lead()
    assert not await a.lead()


async def test_closing_gives_the_lease_up_at_once(cluster):
    [b] = cluster(1, lease_ttl=30)
    a = RedisMatchmaker(require_redis(), prefix=cluster.prefix, lease_ttl=30)
    assert await a.lead()
    assert not await b.lead()
    await a.close()
    assert await b.lead()


async def test_a_leave_on_another_process_removes_the_ticket(cluster):
    a, b = cluster(2)
    await fill(a, "ann bob cat")
    assert await b.status("ann") == QUEUED
    assert not await b.remove("ann", "chan.bob")
    assert await b.remove("ann", "chan.ann")
    assert await a.status("ann") is None
    assert ids(await a.take_groups(TICTACTOE, LONG)) == [["bob", "cat"]]
    assert await a.status("bob") == PLACING


async def test_a_leave_on_another_process_while_placing(cluster):
    a, b = cluster(2)
    await fill(a, "ann bob")
    [group] = await a.take_groups(TICTACTOE, LONG)
    assert not await b.remove("bob", "chan.bob")
    assert await a.settle(group) == {"bob"}
    assert await b.status("bob") is None


async def test_a_lapsed_placing_frees_the_players_and_voids_the_placer(cluster):
    """A placer that stalls past ``placing_ttl`` must not place players who moved on."""
    a, b = cluster(2, placing_ttl=0.2)
    await fill(a, "ann bob")
    [group] = await a.take_groups(TICTACTOE, LONG)
    assert await b.status("ann") == PLACING
    await asyncio.sleep(0.3)
    assert await b.status("ann") is None
    await fill(b, "ann bob")
    [again] = await b.take_groups(TICTACTOE, LONG)
    assert await a.settle(group) == {"ann", "bob"}
    assert await b.status("ann") == PLACING
    assert await b.settle(again) == set()


async def test_no_keys_are_left_behind(cluster):
    [mm] = cluster(1)
    await fill(mm, "a b c d")
    [one, two] = await mm.take_groups(TICTACTOE, LONG)
    await mm.remove("c")
    assert await mm.settle(one) == set()
    assert await mm.settle(two) == {"c"}
    await mm.give_back([two[1]])
    await mm.remove("d")
    keys = {key.decode() async for key in mm.redis.scan_iter(match=cluster.prefix + "*")}
    assert keys == {cluster.prefix + "games"}


async def test_load_waits_for_a_connection_instead_of_failing(cluster):
    [mm] = cluster(1, max_connections=3)
    queue = Queue()
    tickets = [queue.ticket(f"p{i:03}") for i in range(300)]
    assert all(await asyncio.gather(*(mm.add(t) for t in tickets)))
    assert await mm.queue_lengths() == {"tictactoe": 300}
    assert len(await mm.take_groups(TICTACTOE, LONG)) == 150


async def test_a_process_is_alive_while_it_runs_and_dead_at_once_when_killed(cluster):
    """Presence: a process's subscription lasts exactly as long as its connections."""
    [mm] = cluster(1)
    script = (
        "import asyncio, sys\n"
        "from lobby.matchmaker_redis import RedisMatchmaker\n"
        "async def main():\n"
        "    mm = RedisMatchmaker(sys.argv[1], prefix=sys.argv[2])\n"
        "    await mm.ready()\n"
        "    print(mm.token, flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, cluster.url, cluster.prefix,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        token = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        assert await mm.alive({token, "nobody"}) == {token}
    finally:
        proc.kill()
        await proc.wait()
    for _ in range(200):  # the kernel closed its connection: Redis knows at once
        if not await mm.alive({token}):
            break
        await asyncio.sleep(0.01)
    assert await mm.alive({token}) == set()
