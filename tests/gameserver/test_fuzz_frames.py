"""Random frames at both sockets never crash the server, and a normal match still plays."""

from __future__ import annotations

import msgpack
import orjson
import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from gameserver import codec, delivery
from lobby import service
from lobby.matchmaker import MemoryMatchmaker
from match.runtime.hosting import hosts
from tests.helpers import Client, guest, lobby_client
from tests.match.test_tictactoe_match import SEVEN

pytestmark = [pytest.mark.django_db(transaction=True)]

KNOWN = ["ping", "queue.join", "queue.leave", "move", "input", "resign", "sync", "welcome"]
REPLIES = {"pong", "error", "queue.joined", "queue.left", "match.state", "match.update", "ack"}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
plain = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
messages = st.fixed_dictionaries(
    {"type": st.sampled_from(KNOWN) | st.text(max_size=10)},
    optional={
        "id": plain,
        "game": st.sampled_from(["tictactoe", "tag", "rps", "nope"]) | plain,
        "move": plain | st.fixed_dictionaries({"cell": st.integers(-3, 12) | plain}),
        "input": plain | st.fixed_dictionaries({"dx": plain, "dy": plain}),
    },
)


frames = st.one_of(
    messages.map(lambda m: ("text", orjson.dumps(m).decode())),
    messages.map(lambda m: ("bytes", msgpack.packb(m))),
    st.text(max_size=50).map(lambda t: ("text", t)),
    st.binary(max_size=50).map(lambda b: ("bytes", b)),
    plain.map(lambda v: ("bytes", msgpack.packb(v))),
    st.integers(200, 3000).map(
        lambda d: ("text", '{"type": "ping", "x": ' + "[" * d + "]" * d + "}")
    ),
    st.integers(200, 3000).map(lambda d: ("bytes", b"\x91" * d + b"\xc0")),
    st.just(("bytes", msgpack.packb({"type": "ping", "n": 2**64 - 1, "b": b"\xff"}))),
    st.just(("bytes", msgpack.packb({"type": "move", "move": msgpack.ExtType(5, b"x")}))),
)


async def drain(client: Client) -> list[dict]:
    """Everything the socket sent in reply so far: a ping is the barrier, since a socket
    handles its frames in order. Stops early if the server closed the socket.
    """
    if client.closed is not None:
        return []
    barrier = f"barrier-{id(client)}-{client.pings}"
    client.pings += 1
    await client.send({"type": "ping", "id": barrier})
    seen = []
    while True:
        message = await client.recv(timeout=10)
        if message["type"] == "<closed>":
            return seen
        if message == {"type": "pong", "id": barrier}:
            return seen
        seen.append(message)


async def send_raw(client: Client, kind: str, payload) -> None:
    await client.comm.send_input({"type": "websocket.receive", kind: payload})


async def scenario(batch: list[tuple[str, object]]) -> None:
    hosts.__init__()
    service.lobby.__init__(MemoryMatchmaker())
    delivery._local.clear()
    from channels.db import database_sync_to_async

    (_, tf), (_, tg), (_, ta), (_, tb) = [
        await database_sync_to_async(guest)(n) for n in ("fuzz", "foil", "ann", "bob")
    ]
    # The fuzzer holds a lobby socket and a seat in a live match.
    fuzz_lobby, foil = await lobby_client(tf, codec.MSGPACK), await lobby_client(tg)
    match_id = await pair(fuzz_lobby, foil)
    fuzz_match = Client(f"/ws/match/{match_id}/?token={tf}")
    await fuzz_match.connect()
    foil_match = Client(f"/ws/match/{match_id}/?token={tg}")
    await foil_match.connect()
    for kind, payload in batch:
        for target in (fuzz_lobby, fuzz_match):
            await send_raw(target, kind, payload)
            for reply in await drain(target):
                assert reply.get("code") != "internal", reply
                assert reply["type"] in REPLIES | {"match.found", "match.started", "match.over"}
    await drain(foil_match)
    for target in (fuzz_lobby, fuzz_match):
        if target.closed is not None:
            assert target.closed in (1000, 4429), target.closed  # match over, or flooding
            continue
        replies = await drain(target)  # answers its barrier ping: alive
        assert target.closed is None or any(r["type"] == "match.over" for r in replies)
    for client in (fuzz_lobby, fuzz_match, foil, foil_match):
        await client.close()  # a ticket the fuzzer took dies with its socket
    await play_normal_match(ta, tb)


async def pair(a: Client, b: Client) -> str:
    for client in (a, b):  # one after the other, so that a sits in seat 0
        await client.send({"type": "queue.join", "game": "tictactoe"})
        await client.until("queue.joined")
    return (await b.until("match.found"))["match_id"]


async def play_normal_match(ta: str, tb: str) -> None:
    a, b = await lobby_client(ta), await lobby_client(tb)
    match_id = await pair(a, b)
    ma = Client(f"/ws/match/{match_id}/?token={ta}")
    mb = Client(f"/ws/match/{match_id}/?token={tb}", codec.MSGPACK)
    await ma.connect()
    await mb.connect()
    await ma.until("match.started")
    for n, cell in enumerate(SEVEN):
        await (ma, mb)[n % 2].send({"type": "move", "move": {"cell": cell}})
        await ma.expect("match.update")
    over = await ma.expect("match.over")
    assert over["result"]["winner"] == 0


@hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(frames, min_size=1, max_size=12))
@example(
    batch=[("text", '{"type":"resign"}'), ("text", '{"type":"queue.join","game":"tictactoe"}')]
)
def test_random_frames_never_break_the_server(batch, settings):
    settings.GAMESERVER_RATE = 10_000
    settings.GAMESERVER_RATE_BURST = 10_000
    async_to_sync(scenario)(batch)
