"""Parties on the lobby socket, through the real ASGI application."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from gameserver.identity import mint_token
from match.games import Game
from match.games.tictactoe import TicTacToe
from match.models import Match
from match.registry import installed_games
from tests.helpers import guest, lobby_client, match_client

pytestmark = [pytest.mark.django_db(transaction=True)]


class Silent(TicTacToe):
    """Tic-tac-toe without bots: it does not enumerate its moves."""

    name = "silent"
    bot = None
    legal_moves = Game.legal_moves


@pytest.fixture
def silent_installed(settings):
    settings.GAMESERVER_GAMES = [*settings.GAMESERVER_GAMES, f"{__name__}.Silent"]
    installed_games.cache_clear()
    yield
    installed_games.cache_clear()


async def people(*names: str):
    """``(player id, lobby client)`` for each name."""
    out = []
    for name in names:
        pid, token = await database_sync_to_async(guest)(name)
        out.append((pid, await lobby_client(token)))
    return out


async def error(client, request: dict, code: str) -> dict:
    await client.send({**request, "id": "e"})
    reply = await client.expect("error")
    assert (reply["code"], reply["id"]) == (code, "e"), reply
    return reply


async def party_of(*names: str):
    """A party of the named players (the first leads); returns (ids, clients, code)."""
    found = await people(*names)
    ids, clients = [p for p, _ in found], [c for _, c in found]
    await clients[0].send({"type": "party.create", "id": 1})
    created = await clients[0].expect("party.state")
    code = created["party"]["code"]
    for n, client in enumerate(clients[1:], start=1):
        await client.send({"type": "party.join", "code": code.lower(), "id": "j"})
        for other in clients[:n]:
            assert [m["id"] for m in (await other.expect("party.state"))["party"]["members"]] == (
                ids[: n + 1]
            )
        assert (await client.expect("party.state"))["id"] == "j"
    return ids, clients, code


async def test_create_join_leave_and_the_code_goes_with_the_last_member():
    (ann, a), (bob, b), (_, c) = await people("ann", "bob", "cat")
    await a.send({"type": "party.create", "id": 1})
    created = await a.expect("party.state")
    code = created["party"]["code"]
    assert created == {
        "type": "party.state",
        "id": 1,
        "party": {"code": code, "leader": ann, "members": [{"id": ann, "name": "ann"}],
                  "queued": None},
    }  # fmt: skip
    await b.send({"type": "party.join", "code": code.lower(), "id": 2})
    expected = [{"id": ann, "name": "ann"}, {"id": bob, "name": "bob"}]
    assert (await a.expect("party.state"))["party"]["members"] == expected
    joined = await b.expect("party.state")
    assert (joined["id"], joined["party"]["members"]) == (2, expected)
    await c.send({"type": "party.state", "id": 3})
    assert await c.expect("party.state") == {"type": "party.state", "party": None, "id": 3}
    await a.send({"type": "party.leave", "id": 4})
    assert await a.expect("party.left") == {"type": "party.left", "code": code, "id": 4}
    assert (await b.expect("party.state"))["party"]["leader"] == bob
    await b.send({"type": "party.leave"})
    await b.expect("party.left")
    await error(c, {"type": "party.join", "code": code}, "unknown_party")
    assert await a.nothing() and await b.nothing()


async def test_bad_requests_get_clear_errors_and_change_nothing(settings, silent_installed):
    settings.GAMESERVER_PARTY_SIZE = 2
    ids, (a, b), code = await party_of("ann", "bob")
    [(_, c), (_, d)] = await people("cat", "dan")
    for bad in ["K7QM2", "K7QM2PQ", "K7QM0P", "K7QMIP", 123456, None]:
        await error(c, {"type": "party.join", "code": bad}, "invalid")
    await error(c, {"type": "party.join", "code": "ZZZZZZ"}, "unknown_party")
    await error(c, {"type": "party.join", "code": code}, "party_full")
    await error(a, {"type": "party.create"}, "in_party")
    await c.send({"type": "party.create"})
    other = (await c.expect("party.state"))["party"]["code"]
    await error(a, {"type": "party.join", "code": other}, "in_party")
    await error(d, {"type": "party.leave"}, "unknown_party")
    await error(b, {"type": "party.start", "game": "tictactoe"}, "not_leader")
    await error(b, {"type": "party.queue", "game": "tag"}, "not_leader")
    await error(d, {"type": "party.start", "game": "tictactoe"}, "unknown_party")
    await error(a, {"type": "party.start", "game": "chess"}, "unknown_game")
    await error(a, {"type": "party.queue", "game": "chess"}, "unknown_game")
    for bots in [-1, 2, 1.0, True, "1"]:
        await error(a, {"type": "party.start", "game": "tictactoe", "bots": bots}, "invalid")
    await error(a, {"type": "party.start", "game": "silent", "bots": 1}, "invalid")
    await error(c, {"type": "party.start", "game": "tictactoe"}, "invalid")  # alone, no bots
    await error(a, {"type": "party.queue", "game": "tictactoe"}, "invalid")  # fills it
    await error(b, {"type": "queue.join", "game": "tag"}, "in_party")
    await error(d, {"type": "queue.join", "game": "silent", "bots": True}, "invalid")
    await error(d, {"type": "queue.join", "game": "tag", "bots": 1}, "invalid")
    await a.send({"type": "party.state", "id": "s"})
    party = (await a.expect("party.state"))["party"]
    assert (party["code"], party["leader"], party["queued"]) == (code, ids[0], None)
    assert [m["id"] for m in party["members"]] == ids
    assert await b.nothing() and await a.nothing()


async def test_parties_bigger_than_the_game_are_refused():
    _, clients, _ = await party_of("ann", "bob", "cat")
    await error(clients[0], {"type": "party.start", "game": "tictactoe"}, "invalid")
    await error(clients[0], {"type": "party.start", "game": "tag", "bots": 6}, "invalid")
    await clients[0].send({"type": "party.start", "game": "tag", "bots": 5, "id": "ok"})
    found = await clients[0].expect("match.found")
    assert len(found["players"]) == 8 and found["id"] == "ok"


async def test_a_closed_socket_leaves_and_the_earliest_member_leads():
    ids, (a, b, c), _ = await party_of("ann", "bob", "cat")
    await a.close()
    for client in (b, c):
        party = (await client.expect("party.state"))["party"]
        assert party["leader"] == ids[1] and [m["id"] for m in party["members"]] == ids[1:]
    await b.close()
    assert (await c.expect("party.state"))["party"]["leader"] == ids[2]


async def test_joining_again_from_another_socket_moves_the_membership():
    ids, (a, b), code = await party_of("ann", "bob")
    b2 = await lobby_client(mint_token(ids[1], "bob"))  # bob's second tab
    await b2.send({"type": "party.join", "code": code, "id": 9})
    assert await b.expect("party.left") == {"type": "party.left", "code": code}
    await a.expect("party.state")
    assert (await b2.expect("party.state"))["id"] == 9
    await b.close()  # the old socket closing changes nothing now
    assert await a.nothing(0.2)
    await b2.close()
    assert [m["id"] for m in (await a.expect("party.state"))["party"]["members"]] == ids[:1]


async def play_tictactoe(found: list[dict], tokens: dict[str, str], cells: list[int]):
    """Play a match of the found players to its end; returns match.over."""
    match_id = found[0]["match_id"]
    by_seat = sorted(found, key=lambda f: f["seat"])
    sockets = []
    for f in by_seat:
        me = next(p for p in f["players"] if p["seat"] == f["seat"])
        sockets.append(await match_client(match_id, tokens[me["id"]]))
    for s in sockets:
        await s.until("match.started")
    for n, cell in enumerate(cells):
        await sockets[n % 2].send({"type": "move", "move": {"cell": cell}})
        for s in sockets:
            await s.until("match.update")
    overs = [await s.until("match.over") for s in sockets]
    return overs[0]


async def test_a_private_match_starts_at_once_is_unrated_and_the_party_plays_again():
    (ann, ta), (bob, tb) = [await database_sync_to_async(guest)(n) for n in ("ann", "bob")]
    a, b = await lobby_client(ta), await lobby_client(tb)
    await a.send({"type": "party.create"})
    code = (await a.expect("party.state"))["party"]["code"]
    await b.send({"type": "party.join", "code": code})
    await a.expect("party.state")
    await b.expect("party.state")
    tokens = {ann: ta, bob: tb}
    for round_, first in enumerate([ann, bob, ann]):
        await a.send({"type": "party.start", "game": "tictactoe", "bots": 0, "id": round_})
        fa, fb = await a.expect("match.found"), await b.expect("match.found")
        assert (fa["id"], fa["party"], fb["party"]) == (round_, code, code)
        assert "id" not in fb and fa["match_id"] == fb["match_id"]
        assert [p["id"] for p in fa["players"]] == [first, bob if first == ann else ann]
        assert not any(p["bot"] for p in fa["players"])
        if round_ == 0:
            await error(a, {"type": "party.start", "game": "tictactoe"}, "in_match")
        over = await play_tictactoe([fa, fb], tokens, [0, 3, 1, 4, 2])
        assert over["result"]["winner"] == 0
        match = await database_sync_to_async(Match.objects.get)(id=fa["match_id"])
        assert (match.status, match.rated) == ("over", False)
    await a.send({"type": "party.state"})
    assert len((await a.expect("party.state"))["party"]["members"]) == 2


async def test_a_member_leaving_mid_start_abandons_that_match(monkeypatch):
    import lobby.party_start as party_start

    ids, (a, b), _ = await party_of("ann", "bob")
    real = party_start.seat_match

    async def slow_seating(*args, **kwargs):
        record = await real(*args, **kwargs)
        await b.close()  # bob's socket closes while the match is being made
        return record

    monkeypatch.setattr(party_start, "seat_match", slow_seating)
    await a.send({"type": "party.start", "game": "tictactoe", "id": 5})
    assert [m["id"] for m in (await a.expect("party.state"))["party"]["members"]] == ids[:1]
    assert (await a.expect("error"))["code"] == "invalid"
    statuses = await database_sync_to_async(
        lambda: list(Match.objects.values_list("status", "reason"))
    )()
    assert statuses == [("over", "abandoned")]
    monkeypatch.setattr(party_start, "seat_match", real)
    await a.send({"type": "party.start", "game": "tictactoe", "bots": 1, "id": 6})
    found = await a.expect("match.found")
    assert sorted(p["bot"] for p in found["players"]) == [False, True]
