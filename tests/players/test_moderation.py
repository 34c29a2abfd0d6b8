"""Bans through real sockets, and the moderation commands."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.core.management import CommandError, call_command

from match.models import Match
from players import moderation
from players.models import Ban, ModerationAction, Rating
from tests.helpers import Client, guest, lobby_client, match_client

pytestmark = [pytest.mark.django_db(transaction=True)]

aguest = database_sync_to_async(guest)
aban = database_sync_to_async(moderation.ban)
aunban = database_sync_to_async(moderation.unban)


async def playing() -> tuple[dict, dict, str]:
    """ann and bob matched and playing; each has a lobby and a match client."""
    (ann, ta), (bob, tb) = await aguest("ann"), await aguest("bob")
    lobbies = [await lobby_client(ta), await lobby_client(tb)]
    for lobby in lobbies:
        await lobby.send({"type": "queue.join", "game": "tictactoe"})
        await lobby.expect("queue.joined")
    match_id = (await lobbies[0].expect("match.found"))["match_id"]
    await lobbies[1].expect("match.found")
    matches = [await match_client(match_id, ta), await match_client(match_id, tb)]
    for client in matches:
        await client.until("match.started")
    await matches[0].send({"type": "move", "move": {"cell": 4}})
    for client in matches:
        await client.expect("match.update")
    ann_side = {"id": ann, "token": ta, "lobby": lobbies[0], "match": matches[0]}
    bob_side = {"id": bob, "token": tb, "lobby": lobbies[1], "match": matches[1]}
    return ann_side, bob_side, match_id


async def test_a_ban_closes_the_sockets_and_forfeits_the_match():
    ann, bob, match_id = await playing()
    await aban(ann["id"], "staff", "cheating")
    assert await ann["match"].closed_with() == 4403
    assert await ann["lobby"].closed_with() == 4403
    over = await bob["match"].until("match.over")
    assert over["result"] == {"winner": 1, "ranking": [1, 0], "reason": "forfeit"}
    assert [r["seat"] for r in over["ratings"]] == [0, 1]
    assert over["ratings"][1]["after"]["rating"] > over["ratings"][1]["before"]["rating"]
    assert await bob["match"].closed_with() == 1000
    match = await database_sync_to_async(Match.objects.get)(id=match_id)
    assert (match.status, match.reason, match.winner) == ("over", "forfeit", 1)
    assert await bob["lobby"].nothing()  # bob keeps his lobby
    refused = Client(f"/ws/lobby/?token={ann['token']}")
    assert (await refused.connect())[0] is False  # 403 at the handshake
    refused = Client(f"/ws/match/{match_id}/?token={ann['token']}")
    assert (await refused.connect())[0] is False
    await aunban(ann["id"], "staff")
    back = await lobby_client(ann["token"])
    await back.close()


async def test_a_ban_drops_the_ticket():
    (ann, ta), (_bob, tb) = await aguest("ann"), await aguest("bob")
    lobby = await lobby_client(ta)
    await lobby.send({"type": "queue.join", "game": "tictactoe"})
    await lobby.expect("queue.joined")
    await aban(ann, "staff")
    assert await lobby.closed_with() == 4403
    from lobby.service import lobby as the_lobby

    assert await the_lobby.matchmaker.status(ann) is None
    other = await lobby_client(tb)
    await other.send({"type": "queue.join", "game": "tictactoe"})
    await other.expect("queue.joined")
    assert await other.nothing(0.3)  # ann is not there to be matched with
    await other.close()


async def test_a_ban_no_event_brought_is_found_by_the_sweep(settings):
    settings.GAMESERVER_BAN_SWEEP = 0.1
    ann, bob, _ = await playing()
    await database_sync_to_async(Ban.objects.create)(player_id=ann["id"], by="a script")
    assert await ann["match"].closed_with(timeout=5) == 4403
    assert (await bob["match"].until("match.over"))["result"]["reason"] == "forfeit"
    assert await ann["lobby"].closed_with() == 4403


async def test_a_ban_with_an_end_lets_the_player_back_after_it(settings):
    from django.utils import timezone

    (ann, ta) = await aguest("ann")
    await aban(ann, "staff", "", timezone.now() + timezone.timedelta(seconds=1))
    assert (await Client(f"/ws/lobby/?token={ta}").connect())[0] is False
    await asyncio.sleep(1.2)
    back = await lobby_client(ta)
    await back.close()


def test_the_commands_ban_unban_and_void_with_an_audit_trail(capsys):
    ann, bob = guest("ann")[0], guest("bob")[0]
    call_command("ban", ann, "--reason", "abuse", "--until", "2999-01-01T00:00:00")
    assert "banned ann" in capsys.readouterr().out
    ban = Ban.objects.get()
    assert (ban.reason, ban.until.year, ban.by.endswith("(manage.py)")) == ("abuse", 2999, True)
    assert moderation.is_banned(ann) and not moderation.is_banned(bob)
    call_command("unban", ann, "--by", "sam")
    assert not moderation.is_banned(ann)
    from match.games import Outcome
    from match.persistence import create_match, finish_match

    match_id = create_match("tictactoe", 1, {}, [ann, bob])
    finish_match(match_id, Outcome(0, [0, 1], "win"), {}, [])
    call_command("void", match_id)
    assert Match.objects.get(id=match_id).status == "voided"
    assert not Rating.objects.exists()
    call_command("void", match_id)
    assert "voided already" in capsys.readouterr().out
    kinds = [(a.kind, a.by) for a in ModerationAction.objects.order_by("id")]
    assert [k for k, _ in kinds] == ["ban", "unban", "void"] and kinds[1][1] == "sam"


@pytest.mark.parametrize(
    ("command", "args", "says"),
    [
        ("ban", ["Zzzzzzzzzzzz"], "no player"),
        ("ban", ["bad id!"], "is not a player id"),
        ("ban", ["{ann}", "--until", "yesterday"], "not an ISO 8601 time"),
        ("ban", ["{ann}", "--until", "2000-01-01"], "end in the past"),
        ("unban", ["{ann}"], "is not banned"),
        ("unban", ["Zzzzzzzzzzzz"], "no player"),
        ("void", ["Zzzzzzzzzzzz"], "no match"),
        ("void", ["{waiting}"], "is not over"),
    ],
)
def test_bad_commands_fail_clearly_and_change_nothing(command, args, says):
    from match.persistence import create_match

    ann, bob = guest("ann")[0], guest("bob")[0]
    waiting = create_match("tictactoe", 1, {}, [ann, bob])
    args = [a.format(ann=ann, waiting=waiting) for a in args]
    with pytest.raises(CommandError, match=says):
        call_command(command, *args)
    assert not Ban.objects.exists() and not ModerationAction.objects.exists()
    assert Match.objects.get(id=waiting).status == "waiting"


def test_a_second_ban_is_refused_until_unbanned():
    ann = guest("ann")[0]
    moderation.ban(ann, "staff")
    with pytest.raises(moderation.ModerationError, match="banned already"):
        moderation.ban(ann, "staff")
    assert Ban.objects.count() == 1
