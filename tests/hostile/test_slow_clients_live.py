"""Real daphne and uvicorn processes beside sockets that never read, and a steady flood.

A spectator with a tiny receive buffer that sends large pings and never reads must not
slow anyone else down, must be closed by the server, and must not grow its memory.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time

import pytest
import websockets

from tests.hostile.clients import (
    NeverReads,
    Reader,
    form_match,
    guest,
    rss_mib,
    until_open_sockets,
)
from tests.live import SERVERS, serving

pytestmark = [pytest.mark.live]

ENV = {
    "GAMESERVER_FILL_TIMEOUT": "0.2",  # a tag group of two forms at once
    "GAMESERVER_GAME_OPTIONS": json.dumps({"tag": {"duration_s": 30}}),
}


@pytest.fixture(scope="module", params=SERVERS)
def live(request, tmp_path_factory):
    with serving(request.param, ENV, tmp_path_factory.mktemp(request.param)) as proc:
        yield proc


def gaps(times: list[float], began: float, ended: float) -> float:
    """The longest wait between ``began``, the arrivals in between, and ``ended``."""
    marks = [began, *[t for t in times if began < t < ended], ended]
    return max(b - a for a, b in itertools.pairwise(marks))


async def spectators(url: str, match_id: str, count: int) -> list[NeverReads]:
    tokens = [await guest(url, f"slow{n}") for n in range(count)]
    return [await NeverReads.open(url, f"/ws/match/{match_id}/?token={t}") for t in tokens]


async def test_tag_updates_keep_flowing_beside_sockets_that_never_read(live):
    match_id, seats = await form_match(live.url, "tag")
    rss_before = rss_mib(live.proc.pid)
    slow = await spectators(live.url, match_id, 5)
    began = time.monotonic()
    await asyncio.gather(*(s.pings(size=60_000, rate=30, seconds=5) for s in slow))
    await asyncio.sleep(began + 5 - time.monotonic())  # daphne's drops end them early
    ended = time.monotonic()
    worst = [gaps(seat.times("match.update"), began, ended) for seat in seats]
    grown = rss_mib(live.proc.pid) - rss_before
    assert max(worst) < 1.0, f"a player waited {max(worst):.1f} s for an update"
    assert grown < 15, f"the server grew by {grown:.0f} MiB"  # 1 MiB of queue each at most
    # The server let go of every slow spectator: only the two seats are still open.
    await until_open_sockets(live.url, "match", 2, timeout=10)
    if live.kind == "daphne":  # which also drops the connection (uvicorn cannot)
        assert all(isinstance(s.ended, OSError) for s in slow)
    for s in slow:
        s.close()
    for seat in seats:
        await seat.close()


async def test_tictactoe_acks_come_at_once_beside_a_socket_that_never_reads(live):
    match_id, seats = await form_match(live.url, "tictactoe")
    [slow] = await spectators(live.url, match_id, 1)
    pinging = asyncio.get_running_loop().create_task(slow.pings(60_000, 30, 30))
    await asyncio.sleep(1)  # its backlog builds up
    waits = []
    for n in range(7):
        began = time.monotonic()
        await seats[n % 2].send({"type": "move", "move": {"cell": n}, "id": n})
        await seats[n % 2].next("ack", id=n, timeout=20)
        waits.append(time.monotonic() - began)
        await asyncio.sleep(0.2)
    for seat in seats:
        assert (await seat.next("match.over"))["result"]["winner"] == 0
    pinging.cancel()
    slow.close()
    assert max(waits) < 1.0, f"an ack took {max(waits):.1f} s"


async def test_a_steady_flood_is_closed_with_4429_and_few_errors(live):
    token = await guest(live.url, "flood")
    flooder = await Reader.open(f"{live.ws}/ws/lobby/?token={token}")
    await flooder.next("welcome")
    began = time.monotonic()
    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(8):
            for n in itertools.count(1):  # 100 a second, over the rate of 40
                await flooder.send({"type": "ping"})
                await asyncio.sleep(began + n / 100 - time.monotonic())
    took = time.monotonic() - began
    await flooder.task
    errors = [m for _, m in flooder.seen if m["type"] == "error"]
    assert flooder.ws.close_code == 4429
    assert took < 5, f"closed after {took:.1f} s"
    assert 1 <= len(errors) <= 10 and {e["code"] for e in errors} == {"rate_limited"}


async def test_the_server_logged_no_error_through_all_this(live):
    """Every socket above ended once: no second close, no send after one, no traceback;
    nor when players close their sockets between two ticks.
    """
    for _ in range(3):
        _, seats = await form_match(live.url, "tag")
        await asyncio.sleep(0.2)
        for seat in seats:
            await seat.close()
    await asyncio.sleep(0.5)
    log = live.log_path.read_text()
    assert "Unexpected ASGI message" not in log
    assert "Traceback" not in log
