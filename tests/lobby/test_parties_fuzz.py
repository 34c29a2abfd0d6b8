"""Random party commands from three players never break the server, and leave parties
that every member sees alike."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from gameserver import delivery
from lobby import party_service, service
from lobby.matchmaker import MemoryMatchmaker
from lobby.parties import MemoryParties
from match.runtime.hosting import hosts
from tests.gameserver.test_fuzz_frames import drain, plain
from tests.helpers import guest, lobby_client

pytestmark = [pytest.mark.django_db(transaction=True)]

# Weighted towards making and joining parties, so that later commands meet them.
COMMANDS = ["party.create", "party.create", "party.join", "party.join", "party.join",
            "party.leave", "party.start", "party.start", "party.queue", "party.queue",
            "party.state", "queue.join", "queue.leave"]  # fmt: skip
REPLIES = {"party.state", "party.left", "queue.joined", "queue.left", "match.found", "error"}
CODES = {"invalid", "unknown_party", "party_full", "not_leader", "in_party", "in_match",
         "already_queued", "not_queued", "unknown_game"}  # fmt: skip
KNOWN_CODE = "<the code of a party>"

steps = st.tuples(
    st.integers(0, 2),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(COMMANDS),
            "code": st.sampled_from([KNOWN_CODE] * 3) | st.text(max_size=7) | plain,
            "game": st.sampled_from(["tictactoe", "tag", "tag", "rps", "chess"] * 3) | plain,
        },
        optional={"bots": st.integers(-1, 8) | plain},
    ),
)


async def scenario(batch: list[tuple[int, dict]]) -> None:
    hosts.__init__()
    service.lobby.__init__(MemoryMatchmaker())
    party_service.parties.__init__(MemoryParties())
    delivery._local.clear()
    players = [await database_sync_to_async(guest)(n) for n in ("ann", "bob", "cat")]
    clients = [await lobby_client(token) for _, token in players]
    codes: list[str] = []
    for actor, message in batch:
        if message.get("code") == KNOWN_CODE:
            message = {**message, "code": codes[-1] if codes else "ZZZZZZ"}
        await clients[actor].send(message)
        for client in clients:
            for reply in await drain(client):
                assert reply["type"] in REPLIES, reply
                assert reply["type"] != "error" or reply["code"] in CODES, reply
                if reply["type"] == "party.state" and reply["party"]:
                    codes.append(reply["party"]["code"])
    await check_consistent(clients, [pid for pid, _ in players])
    for client in clients:
        await client.close()


async def check_consistent(clients, ids: list[str]) -> None:
    """Each player's party, as the server tells it, lists them; members agree on it."""
    seen: dict[str, dict] = {}
    for client, pid in zip(clients, ids, strict=True):
        await client.send({"type": "party.state", "id": "check"})
        [reply] = [r for r in await drain(client) if r.get("id") == "check"]
        party = reply["party"]
        if party is None:
            continue
        members = [m["id"] for m in party["members"]]
        assert pid in members and party["leader"] in members
        assert len(set(members)) == len(members) and set(members) <= set(ids)
        assert seen.setdefault(party["code"], party) == party


@hsettings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(steps, min_size=1, max_size=15))
def test_random_party_commands_leave_consistent_parties(batch, settings):
    settings.GAMESERVER_RATE = 10_000
    settings.GAMESERVER_RATE_BURST = 10_000
    async_to_sync(scenario)(batch)
