"""A real daphne process and a real WebSocket client play tic-tac-toe in both encodings."""

from __future__ import annotations

import json
import urllib.request

import pytest
import websockets

from gameserver import codec
from tests.live import server

pytestmark = [pytest.mark.live]


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    with server({}, tmp_path_factory.mktemp("live")) as url:
        yield url


def http(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return answer.status, json.loads(answer.read())


class Peer:
    """One real WebSocket connection speaking protocol v1."""

    def __init__(self, ws, encoding: str) -> None:
        self.ws, self.encoding = ws, encoding

    @classmethod
    async def open(cls, url: str, encoding: str) -> Peer:
        ws = await websockets.connect(url, subprotocols=[encoding])
        assert ws.subprotocol == encoding
        return cls(ws, encoding)

    async def send(self, message: dict) -> None:
        if self.encoding == codec.MSGPACK:
            await self.ws.send(codec.encode_msgpack(message))
        else:
            await self.ws.send(codec.encode_json(message))

    async def recv(self, kind: str) -> dict:
        """The next message, which must be ``kind`` (presence notices are skipped)."""
        while True:
            frame = await self.ws.recv()
            assert isinstance(frame, bytes) == (self.encoding == codec.MSGPACK)
            message = codec.decode(frame if isinstance(frame, str) else None,
                                   frame if isinstance(frame, bytes) else None)  # fmt: skip
            if message["type"] not in ("player.disconnected", "player.reconnected"):
                assert message["type"] == kind, message
                return message


async def start_match(url: str, encoding: str) -> tuple[str, list[Peer], list[str]]:
    """Two guests queue for tic-tac-toe and join their match; returns the match id, the
    match sockets by seat (both past ``match.started``) and the tokens by seat.
    """
    ws_url = url.replace("http", "ws")
    guests = [http(f"{url}/api/guest", {"name": n})[1] for n in ("ann", "bob")]
    lobbies = []
    for g in guests:
        peer = await Peer.open(f"{ws_url}/ws/lobby/?token={g['token']}", encoding)
        await peer.recv("welcome")
        await peer.send({"type": "queue.join", "game": "tictactoe"})
        await peer.recv("queue.joined")
        lobbies.append(peer)
    found = [await peer.recv("match.found") for peer in lobbies]
    for peer in lobbies:
        await peer.ws.close()
    match_id = found[0]["match_id"]
    by_seat = sorted(zip(found, guests, strict=True), key=lambda pair: pair[0]["seat"])
    tokens = [g["token"] for _, g in by_seat]
    players = [
        await Peer.open(f"{ws_url}/ws/match/{match_id}/?token={t}", encoding) for t in tokens
    ]
    for peer in players:
        await peer.recv("match.state")
    for peer in players:
        await peer.recv("match.started")
    return match_id, players, tokens


@pytest.mark.parametrize("encoding", [codec.JSON, codec.MSGPACK])
async def test_real_clients_play_to_the_end(live_url, encoding):
    match_id, players, _ = await start_match(live_url, encoding)
    for n, cell in enumerate(range(7)):
        await players[n % 2].send({"type": "move", "move": {"cell": cell}})
        for peer in players:
            assert (await peer.recv("match.update"))["seq"] == n + 1
    for peer in players:
        over = await peer.recv("match.over")
        assert over["result"]["winner"] == 0
        with pytest.raises(websockets.ConnectionClosedOK):
            await peer.ws.recv()
        assert peer.ws.close_code == 1000
    _, detail = http(f"{live_url}/api/matches/{match_id}")
    assert detail["status"] == "over" and detail["reason"] == "win"
    assert len(detail["moves"]) == 7


async def test_a_real_server_refuses_a_bad_token_with_403(live_url):
    ws_url = live_url.replace("http", "ws")
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{ws_url}/ws/lobby/?token=forged")
    assert refused.value.response.status_code == 403


async def test_a_restarted_embedded_server_resumes_its_matches(tmp_path):
    from tests.live import migrate, server_env, start

    env = server_env({"GAMESERVER_RECONNECT_GRACE": "30"}, tmp_path)
    migrate(env)
    proc = start(env, tmp_path)
    try:
        match_id, players, tokens = await start_match(proc.url, codec.JSON)
        url = f"{proc.ws}/ws/match/{match_id}/?token="
        for n in range(3):
            await players[n % 2].send({"type": "move", "move": {"cell": n}})
            for peer in players:
                await peer.recv("match.update")
        proc.kill()
        proc.restart()
        players = [await Peer.open(url + t, codec.JSON) for t in tokens]
        for peer in players:
            state = await peer.recv("match.state")
            assert (state["status"], state["seq"]) == ("active", 3)
            assert state["state"]["board"][:3] == ["X", "O", "X"]
        for n in range(3, 7):
            await players[n % 2].send({"type": "move", "move": {"cell": n}})
            for peer in players:
                assert (await peer.recv("match.update"))["seq"] == n + 1
        for peer in players:
            assert (await peer.recv("match.over"))["result"]["winner"] == 0
        _, detail = http(f"{proc.url}/api/matches/{match_id}")
        assert [m["seq"] for m in detail["moves"]] == list(range(1, 8))
    finally:
        proc.stop()
