"""One contract for every party backend: the same tests on memory and on Redis."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from lobby.parties import (
    CODE_ALPHABET,
    Member,
    MemoryParties,
    PartyError,
    normalize_code,
)
from tests.services import delete_keys, require_redis


@pytest.fixture(params=["memory", "redis"])
async def backend(request):
    if request.param == "memory":
        yield MemoryParties()
        return
    from lobby.parties_redis import RedisParties

    prefix = f"test:party:{secrets.token_hex(6)}:"
    parties = RedisParties(require_redis(), prefix=prefix)
    try:
        yield parties
    finally:
        await delete_keys(parties.redis, prefix)
        await parties.close()


def member(pid: str, joined: float | None = None) -> Member:
    return Member(pid, pid.upper(), f"chan.{pid}", *([joined] if joined is not None else []))


async def refused(code: str, call) -> None:
    with pytest.raises(PartyError) as caught:
        await call
    assert caught.value.code == code, caught.value.message


async def party_of(backend, *pids: str):
    """A party led by the first of ``pids``, the others joined in order."""
    party = await backend.create(member(pids[0], 1.0))
    for n, pid in enumerate(pids[1:], start=2):
        await backend.join(party.code, member(pid, float(n)), 8)
    return await backend.get(party.code)


def test_codes_are_six_characters_without_look_alikes():
    assert len(CODE_ALPHABET) == 31 and not set("01OIL") & set(CODE_ALPHABET)
    assert normalize_code("k7qm2p") == "K7QM2P"
    for bad in ["K7QM2", "K7QM2PP", "K7QM0P", "K7QMOP", "K7QM1P", "K7QMLP", "K7-M2P", 7, None]:
        assert normalize_code(bad) is None, bad


async def test_create_makes_a_led_party_with_a_fresh_code(backend):
    party = await backend.create(member("ann"))
    assert normalize_code(party.code) == party.code
    assert party.public() == {
        "code": party.code,
        "leader": "ann",
        "members": [{"id": "ann", "name": "ANN"}],
        "queued": None,
    }
    assert await backend.party_of("ann") == (party.code, "chan.ann")
    assert (await backend.get(party.code)).public() == party.public()
    await refused("in_party", backend.create(member("ann")))
    other = await backend.create(member("bob"))
    assert other.code != party.code


async def test_join_adds_members_in_order_up_to_the_limit(backend):
    party = await backend.create(member("ann"))
    change = await backend.join(party.code, member("bob"), 3)
    assert [m.id for m in change.party.members] == ["ann", "bob"]
    assert (change.ticket, change.moved) == (None, None)
    await backend.join(party.code, member("cat"), 3)
    await refused("party_full", backend.join(party.code, member("dan"), 3))
    await refused("unknown_party", backend.join("ZZZZZZ", member("dan"), 3))
    elsewhere = await backend.create(member("eve"))
    await refused("in_party", backend.join(elsewhere.code, member("bob"), 8))
    assert await backend.party_of("dan") is None
    assert [m.id for m in (await backend.get(party.code)).members] == ["ann", "bob", "cat"]


async def test_joining_ones_own_party_again_moves_the_membership(backend):
    party = await party_of(backend, "ann", "bob")
    await backend.queue(party.code, "ann", "tag")
    again = Member("bob", "BOB", "chan.bob-2")
    change = await backend.join(party.code, again, 2)  # full, but bob is already in it
    assert change.moved == "chan.bob"
    assert (change.ticket, change.game) == ("ann", "tag")  # its ticket named the old socket
    assert change.party.queued is None
    assert await backend.party_of("bob") == (party.code, "chan.bob-2")
    assert await backend.leave("bob", "chan.bob") is None  # the old socket closing: nothing
    assert len((await backend.get(party.code)).members) == 2


async def test_a_new_member_takes_a_queued_party_out_of_the_queue(backend):
    party = await party_of(backend, "ann", "bob")
    await backend.queue(party.code, "ann", "tag")
    change = await backend.join(party.code, member("cat"), 8)
    assert (change.ticket, change.game, change.party.queued) == ("ann", "tag", None)
    assert [m.id for m in change.party.members] == ["ann", "bob", "cat"]


async def test_the_earliest_member_leads_when_the_leader_leaves(backend):
    party = await party_of(backend, "ann", "bob", "cat")
    assert await backend.leave("ann", "chan.other") is None
    change = await backend.leave("ann", "chan.ann")
    assert change.code == party.code and change.party.leader == "bob"
    assert [m.id for m in change.party.members] == ["bob", "cat"]
    assert await backend.party_of("ann") is None
    assert await backend.leave("ann") is None
    await backend.join(party.code, member("ann", 9.0), 8)
    assert (await backend.leave("bob")).party.leader == "cat"


async def test_the_last_one_out_ends_the_party_and_its_code(backend):
    party = await party_of(backend, "ann", "bob")
    await backend.leave("bob")
    change = await backend.leave("ann")
    assert (change.code, change.party) == (party.code, None)
    assert await backend.get(party.code) is None
    await refused("unknown_party", backend.join(party.code, member("cat"), 8))
    if hasattr(backend, "redis"):  # nothing left behind
        keys = [k async for k in backend.redis.scan_iter(match=backend.prefix + "*")]
        assert keys == []


async def test_queueing_is_for_the_leader_once(backend):
    party = await party_of(backend, "ann", "bob")
    await refused("not_leader", backend.queue(party.code, "bob", "tag"))
    await refused("unknown_party", backend.queue("ZZZZZZ", "ann", "tag"))
    queued = await backend.queue(party.code, "ann", "tag")
    assert (queued.queued, queued.ticket) == ("tag", "ann")
    await refused("already_queued", backend.queue(party.code, "ann", "tag"))
    await refused("already_queued", backend.start(party.code, "ann"))
    assert await backend.unqueue(party.code, "tictactoe") is None
    change = await backend.unqueue(party.code)
    assert (change.ticket, change.game, change.party.queued) == ("ann", "tag", None)
    assert await backend.unqueue(party.code) is None


async def test_a_member_leaving_takes_the_party_out_of_the_queue(backend):
    party = await party_of(backend, "ann", "bob", "cat")
    await backend.queue(party.code, "ann", "tag")
    change = await backend.leave("cat")
    assert (change.ticket, change.game, change.party.queued) == ("ann", "tag", None)
    again = await backend.queue(party.code, "ann", "tag")
    assert again.queued == "tag"
    change = await backend.leave("ann")  # the leader holds the ticket
    assert (change.ticket, change.party.leader, change.party.queued) == ("ann", "bob", None)


async def test_one_start_at_a_time_and_each_start_counted(backend):
    party = await party_of(backend, "ann", "bob")
    await refused("not_leader", backend.start(party.code, "bob"))
    started = await backend.start(party.code, "ann")
    assert started.starts == 1
    await refused("in_match", backend.start(party.code, "ann"))
    await refused("in_match", backend.queue(party.code, "ann", "tag"))
    assert await backend.started(party.code, ["ann", "bob"])
    assert (await backend.start(party.code, "ann")).starts == 2
    await backend.leave("bob")
    assert not await backend.started(party.code, ["ann", "bob"])  # bob left meanwhile
    assert not await backend.started("ZZZZZZ", ["ann"])


async def test_concurrent_joins_never_overfill(backend):
    party = await backend.create(member("lead"))
    joins = [backend.join(party.code, member(f"p{i}"), 5) for i in range(12)]
    results = await asyncio.gather(*joins, return_exceptions=True)
    refusals = [r for r in results if isinstance(r, PartyError)]
    assert len(refusals) == 8 and {r.code for r in refusals} == {"party_full"}
    assert len((await backend.get(party.code)).members) == 5


async def test_concurrent_creates_put_a_player_in_one_party(backend):
    results = await asyncio.gather(
        *(backend.create(member("ann")) for _ in range(6)), return_exceptions=True
    )
    made = [r for r in results if not isinstance(r, Exception)]
    assert len(made) == 1
    assert await backend.party_of("ann") == (made[0].code, "chan.ann")
