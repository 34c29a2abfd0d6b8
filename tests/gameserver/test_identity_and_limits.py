"""Who may open a socket, and what a socket may send."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client as HttpClient

from gameserver import codec
from gameserver.identity import SALT, mint_token, read_token
from tests.helpers import Client, guest, lobby_client

pytestmark = [pytest.mark.django_db(transaction=True)]


async def refused(path: str, **kwargs) -> bool:
    client = Client(path, **kwargs)
    connected, _ = await client.connect()  # closed before accept: servers answer HTTP 403
    return not connected


async def test_sockets_without_a_valid_identity_are_refused(settings):
    _, token = await database_sync_to_async(guest)("ann")
    assert await refused("/ws/lobby/")
    assert await refused("/ws/lobby/?token=garbage")
    assert await refused(f"/ws/lobby/?token={token[:-2]}xx")
    forged = signing.dumps({"id": "x", "name": "eve"}, salt=SALT, key="not-the-key")
    assert await refused(f"/ws/lobby/?token={forged}")
    assert await refused(f"/ws/match/abc/?token={forged}")
    settings.GAMESERVER_TOKEN_MAX_AGE = -1  # every token is now expired
    assert await refused(f"/ws/lobby/?token={token}")


def test_tokens_round_trip_and_reject_other_payloads():
    token = mint_token("p1", "ann")
    assert read_token(token).as_dict() == {"id": "p1", "name": "ann"}
    assert read_token(signing.dumps([1, 2], salt=SALT)) is None
    assert read_token(signing.dumps({"id": 1, "name": "x"}, salt=SALT)) is None


async def test_origin_rules(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "game.example"]
    _, token = await database_sync_to_async(guest)("ann")
    path = f"/ws/lobby/?token={token}"
    site = [(b"host", b"game.example:8000")]
    assert await refused(path, headers=[*site, (b"origin", b"https://evil.example")])
    same = Client(path, headers=[*site, (b"origin", b"http://game.example:8000")])
    assert (await same.connect())[0]
    native = Client(path)  # no Origin: a bot or a native client
    assert (await native.connect())[0]
    settings.GAMESERVER_ALLOWED_ORIGINS = ["https://play.example"]
    assert await refused(path, headers=[*site, (b"origin", b"http://game.example:8000")])
    allowed = Client(path, headers=[(b"origin", b"https://play.example")])
    assert (await allowed.connect())[0]


async def test_unknown_subprotocol_is_refused():
    _, token = await database_sync_to_async(guest)("ann")
    client = Client(f"/ws/lobby/?token={token}")
    client.comm.scope["subprotocols"] = ["chat.v2"]
    assert not (await client.connect())[0]


def login_cookie() -> bytes:
    User.objects.create_user("dora", password="pw")
    http = HttpClient()
    assert http.login(username="dora", password="pw")
    return f"sessionid={http.cookies['sessionid'].value}".encode()


async def test_a_logged_in_django_user_plays_as_themself():
    cookie = await database_sync_to_async(login_cookie)()
    client = Client("/ws/lobby/", headers=[(b"cookie", cookie)])
    assert (await client.connect())[0]
    welcome = await client.expect("welcome")
    assert welcome["player"]["name"] == "dora"
    again = Client("/ws/lobby/", headers=[(b"cookie", cookie)])
    await again.connect()
    assert (await again.expect("welcome"))["player"] == welcome["player"]


async def test_frames_over_the_size_limit_get_too_large(settings):
    settings.GAMESERVER_MAX_FRAME_BYTES = 1024
    _, token = await database_sync_to_async(guest)("ann")
    for encoding in (codec.JSON, codec.MSGPACK):
        client = await lobby_client(token, encoding)
        await client.send({"type": "ping", "pad": "é" * 600, "id": 1})
        assert (await client.expect("error"))["code"] == "too_large"
        await client.send({"type": "ping", "id": 2})
        assert (await client.expect("pong"))["id"] == 2


async def test_flooding_gets_rate_limited_then_closed(settings):
    settings.GAMESERVER_RATE = 1
    settings.GAMESERVER_RATE_BURST = 5
    settings.GAMESERVER_RATE_STRIKES = 3
    _, token = await database_sync_to_async(guest)("ann")
    client = await lobby_client(token)
    for _ in range(5):
        await client.send({"type": "ping"})
        await client.expect("pong")
    for _ in range(3):  # three refusals within the window are tolerated, the fourth closes
        await client.send({"type": "ping"})
    assert (await client.expect("error"))["code"] == "rate_limited"
    assert await client.nothing()  # one error frame a second at most
    await client.send({"type": "ping"})
    assert await client.closed_with() == 4429


async def test_a_pong_that_json_cannot_carry_is_refused_cleanly():
    _, token = await database_sync_to_async(guest)("ann")
    client = await lobby_client(token)  # JSON socket, sent a MessagePack frame with bytes
    await client.comm.send_to(bytes_data=codec.encode_msgpack({"type": "ping", "b": b"\x00"}))
    assert (await client.expect("error"))["code"] == "invalid"
    await client.send({"type": "ping"})
    await client.expect("pong")
