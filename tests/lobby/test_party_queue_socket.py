"""A party in the public queue, through the real ASGI application: one ticket, one match."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from match.models import Match
from tests.lobby.test_parties_socket import party_of, people

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def quick_fill(settings):
    settings.GAMESERVER_FILL_TIMEOUT = 0.3


async def queued(clients, code: str, game: str = "tag") -> None:
    """The leader queues the party: every member hears queue.joined, then party.state."""
    await clients[0].send({"type": "party.queue", "game": game, "id": "q"})
    for n, client in enumerate(clients):
        joined = await client.expect("queue.joined")
        assert (joined["game"], joined["party"], joined.get("id")) == (
            game,
            code,
            "q" if n == 0 else None,
        )
    for client in clients:
        assert (await client.expect("party.state"))["party"]["queued"] == game


async def test_a_party_of_two_queues_for_tag_and_is_placed_together(via_layer):
    ids, clients, code = await party_of("ann", "bob")
    await queued(clients, code)
    [(cat, c)] = await people("cat")
    await c.send({"type": "queue.join", "game": "tag"})
    await c.expect("queue.joined")
    found = [await x.expect("match.found", timeout=5) for x in (*clients, c)]
    assert len({f["match_id"] for f in found}) == 1
    assert [p["id"] for p in found[0]["players"]] == [*ids, cat]
    assert [f["seat"] for f in found] == [0, 1, 2]
    assert (found[0]["party"], found[1]["party"], "party" in found[2]) == (code, code, False)
    for client in clients:
        assert (await client.expect("party.state"))["party"]["queued"] is None
    match = await database_sync_to_async(Match.objects.get)(id=found[0]["match_id"])
    assert match.rated
    await clients[0].send({"type": "party.queue", "game": "tag", "id": 2})
    assert (await clients[0].expect("error"))["code"] == "in_match"


async def test_queue_leave_by_any_member_takes_the_party_out():
    _, (a, b), code = await party_of("ann", "bob")
    await queued([a, b], code)
    await b.send({"type": "queue.leave", "id": 7})
    assert await a.expect("queue.left") == {"type": "queue.left", "party": code}
    assert await b.expect("queue.left") == {"type": "queue.left", "party": code, "id": 7}
    for client in (a, b):
        assert (await client.expect("party.state"))["party"]["queued"] is None
    await b.send({"type": "queue.leave", "id": 8})
    assert (await b.expect("error"))["code"] == "not_queued"
    [(_, c)] = await people("cat")
    await c.send({"type": "queue.join", "game": "tag"})
    await c.expect("queue.joined")
    assert await c.nothing(0.8)  # the party's ticket is gone: nobody to match with


@pytest.mark.parametrize("how", ["party.leave", "socket closes"])
async def test_a_member_leaving_takes_the_party_out_of_the_queue(how):
    ids, (a, b, c), code = await party_of("ann", "bob", "cat")
    await queued([a, b, c], code)
    if how == "party.leave":
        await c.send({"type": "party.leave", "id": 3})
        assert (await c.expect("party.left"))["id"] == 3
        assert (await c.expect("queue.left"))["party"] == code
    else:
        await c.close()
    for client in (a, b):
        await client.expect("queue.left")
        party = (await client.expect("party.state"))["party"]
        assert (party["queued"], [m["id"] for m in party["members"]]) == (None, ids[:2])
    [(_, d)] = await people("dan")
    await d.send({"type": "queue.join", "game": "tag"})
    await d.expect("queue.joined")
    assert await d.nothing(0.8) and await a.nothing() and await b.nothing()
    await a.send({"type": "party.queue", "game": "tag"})  # the party may queue again
    for client in (a, b):
        await client.expect("queue.joined")
    found = [await x.until("match.found") for x in (a, b, d)]
    assert len({f["match_id"] for f in found}) == 1


async def test_the_leader_leaving_mid_queue_hands_over_and_dequeues():
    ids, (a, b), code = await party_of("ann", "bob")
    await queued([a, b], code)
    await a.close()
    await b.expect("queue.left")
    party = (await b.expect("party.state"))["party"]
    assert (party["leader"], party["queued"]) == (ids[1], None)
    await b.send({"type": "party.start", "game": "tictactoe", "bots": 1, "id": 1})
    found = await b.expect("match.found")
    assert [p["name"] for p in found["players"]] == ["bob", "Bot 1"]


async def test_a_new_member_takes_the_party_out_of_the_queue():
    ids, (a, b), code = await party_of("ann", "bob")
    await queued([a, b], code)
    [(cat, c)] = await people("cat")
    await c.send({"type": "party.join", "code": code, "id": 1})
    for client in (a, b, c):
        assert (await client.expect("queue.left"))["party"] == code
    for client in (a, b, c):
        party = (await client.expect("party.state"))["party"]
        assert (party["queued"], [m["id"] for m in party["members"]]) == (None, [*ids, cat])
