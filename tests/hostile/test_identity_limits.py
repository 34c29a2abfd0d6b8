"""Identity and the limits per player, per match and per address (gameserver.limits)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from django.core import signing
from django.test import Client as HttpClient

from gameserver import limits, protocol
from gameserver.addresses import client_address
from gameserver.identity import SALT, mint_token
from gameserver.secret import MissingSecretKey, secret_key
from players import persistence
from players.models import Player
from tests.helpers import Client, guest, lobby_client, match_client
from tests.hostile.matches import started_match
from tests.live import ROOT

pytestmark = [pytest.mark.django_db(transaction=True)]

OLD_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"  # what the repository had


@pytest.fixture(autouse=True)
def fresh_limits():
    limits.guests.buckets.clear()
    persistence._known.clear()
    yield
    limits.guests.buckets.clear()


async def opened(path: str, **kwargs) -> Client:
    client = Client(path, **kwargs)
    connected, _ = await client.connect()
    assert connected, path
    return client


async def refused(path: str) -> bool:
    return not (await Client(path).connect())[0]


# The key ------------------------------------------------------------------------------


def test_the_key_is_made_once_kept_private_and_survives_restarts(tmp_path):
    assert secret_key("from-the-environment", tmp_path, "redis://x") == "from-the-environment"
    with ThreadPoolExecutor(8) as pool:  # processes starting at once agree on one key
        keys = set(pool.map(lambda _: secret_key("", tmp_path, ""), range(16)))
    assert len(keys) == 1
    key = keys.pop()
    assert len(key) >= 50 and key != OLD_KEY
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert secret_key("", tmp_path, "") == key  # the next start reads it back
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]  # no drafts left
    assert (tmp_path / "new").exists() is False
    secret_key("", tmp_path / "new", "")
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
    with pytest.raises(MissingSecretKey):
        secret_key("", tmp_path / "other", "redis://127.0.0.1:6379/0")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(MissingSecretKey, match="GAMESERVER_DATA_DIR"):
        secret_key("", tmp_path / "a-file" / "data", "")  # no directory can be made there


def test_many_processes_refuse_to_start_without_a_shared_key(tmp_path):
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    env["GAMESERVER_DATA_DIR"] = str(tmp_path)
    env.pop("SECRET_KEY", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert done.returncode != 0
    assert b"SECRET_KEY must be set" in done.stderr
    assert not (tmp_path / "secret_key").exists()


async def test_a_token_signed_with_the_old_repository_key_is_refused():
    pid, _ = await database_sync_to_async(guest)("ann")
    forged = signing.dumps({"id": pid, "name": "eve"}, salt=SALT, key=OLD_KEY, compress=True)
    assert await refused(f"/ws/lobby/?token={forged}")


async def test_tokens_of_unknown_or_deleted_players_are_refused():
    assert await refused(f"/ws/lobby/?token={mint_token('NoSuchPlayer', 'ghost')}")
    pid, token = await database_sync_to_async(guest)("ann")
    first = await opened(f"/ws/lobby/?token={token}")  # now in the cache of known players
    await first.expect("welcome")
    await first.close()
    await database_sync_to_async(Player.objects.filter(pk=pid).delete)()
    assert await refused(f"/ws/lobby/?token={token}")


async def test_identity_must_be_proven_within_the_handshake_timeout(settings, monkeypatch):
    _, token = await database_sync_to_async(guest)("ann")
    settings.GAMESERVER_HANDSHAKE_TIMEOUT = 0.2

    async def stuck(player_id: str) -> bool:
        await asyncio.sleep(5)
        return True

    monkeypatch.setattr(persistence, "aplayer_exists", stuck)
    assert await refused(f"/ws/lobby/?token={token}")


# Sockets per player and spectators per match --------------------------------------


async def test_a_player_holds_at_most_the_allowed_sockets(settings):
    settings.GAMESERVER_MAX_SOCKETS_PER_PLAYER = 3
    pid, token = await database_sync_to_async(guest)("ann")
    held = [await lobby_client(token) for _ in range(3)]
    over = await opened(f"/ws/lobby/?token={token}")
    assert await over.closed_with() == protocol.CLOSE_TOO_MANY_SOCKETS
    other_match = await opened(f"/ws/match/nosuchmatch/?token={token}")  # every kind counts
    assert await other_match.closed_with() == protocol.CLOSE_TOO_MANY_SOCKETS
    _, other_token = await database_sync_to_async(guest)("bob")
    await (await lobby_client(other_token)).close()  # another player is not affected
    await held[0].close()  # returns once its consumer is done: the slot is back
    assert limits.sockets_of[pid] == 2
    again = await lobby_client(token)
    for client in [again, *held[1:]]:
        await client.close()
    assert pid not in limits.sockets_of


async def test_a_match_takes_at_most_the_allowed_spectators(settings):
    settings.GAMESERVER_MAX_SPECTATORS = 2
    match_id, seats = await started_match()
    watchers = []
    for name in ("cy", "di", "ed"):
        _, token = await database_sync_to_async(guest)(name)
        watchers.append(await match_client(match_id, token))
    for watcher in watchers[:2]:
        assert (await watcher.expect("match.state"))["seat"] is None
    assert await watchers[2].closed_with() == protocol.CLOSE_SPECTATORS_FULL
    await watchers[0].close()
    assert limits.spectators_of[match_id] == 1
    _, token = await database_sync_to_async(guest)("fay")
    late = await match_client(match_id, token)
    assert (await late.expect("match.state"))["seat"] is None
    await seats[0].send({"type": "move", "move": {"cell": 4}, "id": 1})  # seats still play
    assert (await seats[0].until("ack"))["id"] == 1


# Guests per address ----------------------------------------------------------------


def new_guest(http: HttpClient, **extra) -> tuple[int, str | None]:
    answer = http.post("/api/guest", {"name": "g"}, content_type="application/json", **extra)
    return answer.status_code, answer.headers.get("Retry-After")


def test_guest_creation_is_limited_per_address(settings):
    settings.GAMESERVER_GUESTS_PER_MINUTE = 3
    http = HttpClient(REMOTE_ADDR="198.51.100.7")
    assert [new_guest(http)[0] for _ in range(3)] == [201, 201, 201]
    status, retry = new_guest(http)
    assert status == 429 and retry is not None and 1 <= int(retry) <= 20
    # Another address is not affected; X-Forwarded-For from an untrusted peer is ignored.
    assert new_guest(HttpClient(REMOTE_ADDR="198.51.100.8"))[0] == 201
    assert new_guest(http, HTTP_X_FORWARDED_FOR="203.0.113.1")[0] == 429
    settings.GAMESERVER_UNLIMITED_ADDRESSES = ["198.51.100.0/24"]
    assert [new_guest(http)[0] for _ in range(5)] == [201] * 5


def test_behind_a_trusted_proxy_the_forwarded_client_is_limited(settings):
    settings.GAMESERVER_GUESTS_PER_MINUTE = 2
    settings.GAMESERVER_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = HttpClient(REMOTE_ADDR="10.1.2.3")
    one = {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    assert [new_guest(proxy, **one)[0] for _ in range(3)] == [201, 201, 429]
    assert new_guest(proxy, HTTP_X_FORWARDED_FOR="203.0.113.6")[0] == 201
    # A client cannot pick its address: the left of the header is its own text.
    spoofed = {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.5"}
    assert new_guest(proxy, **spoofed)[0] == 429


def test_client_address_walks_trusted_proxies_only(settings):
    settings.GAMESERVER_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert client_address("192.0.2.1", "203.0.113.9") == "192.0.2.1"  # untrusted peer
    assert client_address("127.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert client_address("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2") == "203.0.113.9"
    assert client_address("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert client_address("127.0.0.1", None) == "127.0.0.1"


def test_address_buckets_refill_and_forget_full_ones():
    buckets = limits.AddressBuckets(lambda: 60)  # one a second, burst 60
    assert all(buckets.take("a", now=0.0) == 0 for _ in range(60))
    assert buckets.take("a", now=0.0) == pytest.approx(1.0)
    assert buckets.take("a", now=1.0) == 0
    for i in range(3000):
        buckets.take(f"x{i}", now=100.0 + i)
    assert len(buckets.buckets) < 2100  # full buckets were swept
