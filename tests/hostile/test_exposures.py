"""Smaller exposures: hosts and origins of sockets, /metrics, expired tokens, and move
commits that never wait behind an HTTP view."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.test import Client as HttpClient

from gameserver import protocol
from match import api
from tests.helpers import Client, guest, lobby_client
from tests.hostile.matches import started_match

pytestmark = [pytest.mark.django_db(transaction=True)]


async def accepted(path: str, headers: list[tuple[bytes, bytes]], **scope) -> bool:
    client = Client(path, headers=headers)
    client.comm.scope.update(scope)
    connected, _ = await client.connect()
    if connected:
        await client.close()
    return connected


async def test_sockets_honour_allowed_hosts(settings):
    settings.ALLOWED_HOSTS = ["play.example", ".games.example"]
    _, token = await database_sync_to_async(guest)("ann")
    path = f"/ws/lobby/?token={token}"
    assert await accepted(path, [(b"host", b"play.example")])
    assert await accepted(path, [(b"host", b"eu.games.example:8443")])
    # DNS rebinding: the attacker's page names its own host, and its origin matches it.
    rebound = [(b"host", b"evil.example"), (b"origin", b"http://evil.example")]
    assert not await accepted(path, rebound)
    assert not await accepted(path, [(b"host", b"evil.example")])
    # No Host header: the server's own address stands in for it, as Django does.
    assert not await accepted(path, [], server=("10.9.9.9", 80))


async def test_origins_are_compared_with_their_scheme(settings):
    settings.ALLOWED_HOSTS = ["game.example"]
    _, token = await database_sync_to_async(guest)("ann")
    path = f"/ws/lobby/?token={token}"
    host = (b"host", b"game.example:8000")
    plain, tls = b"http://game.example:8000", b"https://game.example:8000"
    assert await accepted(path, [host, (b"origin", plain)], scheme="ws")
    assert not await accepted(path, [host, (b"origin", tls)], scheme="ws")
    assert await accepted(path, [host, (b"origin", tls)], scheme="wss")
    assert not await accepted(path, [host, (b"origin", plain)], scheme="wss")
    # Behind a TLS proxy: its X-Forwarded-Proto counts only when the proxy is trusted.
    proxied = [host, (b"origin", tls), (b"x-forwarded-proto", b"https")]
    assert not await accepted(path, proxied, scheme="ws", client=("10.0.0.2", 5000))
    settings.GAMESERVER_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert await accepted(path, proxied, scheme="ws", client=("10.0.0.2", 5000))


def test_metrics_only_from_allowed_addresses_or_with_the_token(settings):
    assert HttpClient().get("/metrics").status_code == 200  # loopback, the default
    outsider = HttpClient(REMOTE_ADDR="203.0.113.4")
    assert outsider.get("/metrics").status_code == 403
    settings.GAMESERVER_METRICS_TOKEN = "s3cret-scrape-token"
    assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    answer = outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert answer.status_code == 200 and b"gs_open_sockets" in answer.content
    settings.GAMESERVER_METRICS_ADDRESSES = []
    assert HttpClient().get("/metrics").status_code == 403
    # A proxy on loopback that is not trusted does not make its clients loopback...
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.4"}
    settings.GAMESERVER_METRICS_ADDRESSES = ["127.0.0.1"]
    settings.GAMESERVER_TRUSTED_PROXIES = ["127.0.0.1"]
    assert HttpClient().get("/metrics", **forwarded).status_code == 403  # ...a trusted one says


async def test_a_socket_closes_with_4401_when_its_token_expires(settings):
    settings.GAMESERVER_TOKEN_MAX_AGE = 3  # from a whole second: it ends 2 to 3 s from now
    began = time.monotonic()
    _, token = await database_sync_to_async(guest)("ann")
    lobby = await lobby_client(token)
    assert await lobby.nothing(0.5)  # still open while the token is valid
    assert await lobby.closed_with(timeout=8) == protocol.CLOSE_UNAUTHORIZED
    assert 1.9 < time.monotonic() - began < 8


async def test_move_commits_do_not_wait_behind_a_slow_http_view(monkeypatch):
    """A view holding Django's one sync thread for 2 x 1.5 s does not delay an ack."""
    match_id, (x, _) = await started_match()
    slow_started = threading.Event()
    summary = api.match_summary

    def slow_summary(match):
        slow_started.set()
        time.sleep(1.5)
        return summary(match)

    monkeypatch.setattr(api, "match_summary", slow_summary)
    from gameserver.asgi import application

    host = [(b"host", b"127.0.0.1")]
    path = f"/api/matches/{match_id}"
    views = [HttpCommunicator(application, "GET", path, headers=host) for _ in range(2)]
    answers = [asyncio.ensure_future(view.get_response(timeout=10)) for view in views]
    assert await asyncio.to_thread(slow_started.wait, 5)
    began = time.monotonic()
    await x.send({"type": "move", "move": {"cell": 4}, "id": 7})
    assert (await x.until("ack", timeout=5))["id"] == 7
    waited = time.monotonic() - began
    assert waited < 1.0, f"the move's ack waited {waited:.2f} s behind HTTP"
    still_busy = not all(answer.done() for answer in answers)
    assert still_busy, "the slow views finished first: the test proved nothing"
    assert [(await answer)["status"] for answer in answers] == [200, 200]


async def test_move_commits_do_not_wait_behind_other_sync_database_work(monkeypatch):
    """Sockets' identity lookups (and anything else on ``database_sync_to_async``) share
    one thread; a slow one there does not hold up the match runtime's commits."""
    _, (x, _) = await started_match()
    from players import persistence

    slow_started = threading.Event()
    exists = persistence.player_exists

    def slow_exists(player_id: str) -> bool:
        slow_started.set()
        time.sleep(1.5)
        return exists(player_id)

    monkeypatch.setattr(persistence, "aplayer_exists", database_sync_to_async(slow_exists))
    persistence._known.clear()
    _, token = await database_sync_to_async(guest)("cy")
    joining = asyncio.ensure_future(lobby_client(token))  # its lookup holds the thread
    assert await asyncio.to_thread(slow_started.wait, 5)
    began = time.monotonic()
    await x.send({"type": "move", "move": {"cell": 4}, "id": 8})
    assert (await x.until("ack", timeout=5))["id"] == 8
    waited = time.monotonic() - began
    assert waited < 1.0, f"the move's ack waited {waited:.2f} s behind the shared thread"
    assert not joining.done(), "the slow lookup finished first: the test proved nothing"
    await (await joining).close()


async def test_a_finished_replay_is_rebuilt_once(monkeypatch):
    """Clients looping on a replay cost a query each, not a rerun of the whole game."""
    match_id, (x, o) = await started_match()
    for n, cell in enumerate([0, 3, 1, 4, 2]):
        await (x, o)[n % 2].send({"type": "move", "move": {"cell": cell}})
        await x.until("match.update")
    await x.until("match.over")
    runs = []
    rebuild = api.replay_states
    monkeypatch.setattr(api, "replay_states", lambda match: runs.append(1) or rebuild(match))
    http = HttpClient()
    answers = [await database_sync_to_async(http.get)(f"/api/matches/{match_id}/replay")]
    answers.append(await database_sync_to_async(http.get)(f"/api/matches/{match_id}/replay"))
    assert [a.status_code for a in answers] == [200, 200] and len(runs) == 1
    first, second = (a.json() for a in answers)
    assert first == second and len(first["frames"]) == 6
    assert first["frames"][5]["state"]["board"][:3] == ["X", "X", "X"]
    assert first["match"]["id"] == match_id and first["match"]["reason"] == "win"


def test_a_valid_token_is_traded_for_a_fresh_one(settings):
    http = HttpClient()
    made = http.post("/api/guest", {"name": "ann"}, content_type="application/json").json()

    def trade(token):
        return http.post("/api/token", {"token": token}, content_type="application/json")

    fresh = trade(made["token"])
    assert fresh.status_code == 200 and fresh.json()["player"] == made["player"]
    assert trade(made["token"][:-3] + "abc").status_code == 403
    assert http.post("/api/token", "{", content_type="application/json").status_code == 400
    settings.GAMESERVER_TOKEN_MAX_AGE = -1  # every token is now expired: too late to trade
    assert trade(fresh.json()["token"]).status_code == 403
