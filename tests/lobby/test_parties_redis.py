"""The Redis party backend's own duties: memberships that lapse with their process."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from lobby.parties import Member
from tests.services import delete_keys, require_redis


@pytest.fixture
async def make():
    from lobby.parties_redis import RedisParties

    made = []

    def build(ttl: float = 20.0) -> RedisParties:
        parties = RedisParties(
            require_redis(), prefix=f"test:party:{secrets.token_hex(6)}:", ttl=ttl
        )
        made.append(parties)
        return parties

    yield build
    for parties in made:
        await delete_keys(parties.redis, parties.prefix)
        await parties.close()


async def keys(parties) -> list[bytes]:
    return [k async for k in parties.redis.scan_iter(match=parties.prefix + "*")]


def member(pid: str, n: float) -> Member:
    return Member(pid, pid.upper(), f"chan.{pid}", n)


async def test_a_party_whose_processes_died_expires_with_nothing_left(make):
    parties = make(ttl=0.4)
    party = await parties.create(member("ann", 1.0))
    await parties.join(party.code, member("bob", 2.0), 8)
    assert len(await keys(parties)) == 3
    await asyncio.sleep(1.0)  # nobody refreshed: both members' processes are gone
    assert await keys(parties) == []
    assert await parties.get(party.code) is None
    assert await parties.party_of("ann") is None
    fresh = await parties.create(member("ann", 3.0))  # free to play again
    assert fresh.leader == "ann"


async def test_refreshed_memberships_stay(make):
    parties = make(ttl=1.5)
    party = await parties.create(member("ann", 1.0))
    for _ in range(10):  # two seconds of refreshes, each well within the TTL
        await asyncio.sleep(0.2)
        await parties.refresh([("ann", "chan.ann"), ("ghost", "chan.ghost")])
    assert (await parties.get(party.code)).leader == "ann"
    await parties.refresh([("ann", "chan.elsewhere")])  # another socket's: not ann's membership
    await asyncio.sleep(2.0)
    assert await parties.get(party.code) is None


async def test_a_lapsed_member_is_dropped_and_the_change_told(make):
    parties = make()
    heard = []

    async def hear(change) -> None:
        heard.append(change)

    parties.on_change = hear
    party = await parties.create(member("ann", 1.0))
    await parties.join(party.code, member("bob", 2.0), 8)
    await parties.queue(party.code, "ann", "tag")
    await parties.redis.delete(parties.prefix + "m:ann")  # ann's process died long ago
    now = await parties.get(party.code)
    assert [m.id for m in now.members] == ["bob"] and now.leader == "bob"
    assert now.queued is None
    [change] = heard
    assert (change.code, change.ticket, change.game) == (party.code, "ann", "tag")
    assert [m.id for m in change.party.members] == ["bob"]
    assert await parties.get(party.code) is not None and len(heard) == 1  # told once
