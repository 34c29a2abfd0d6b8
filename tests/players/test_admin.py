"""Moderation in the admin: ban, unban and void actions, the audit log, names not seats."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from match.games import Outcome
from match.models import Match
from match.persistence import create_match, finish_match
from players.models import Ban, ModerationAction, Rating
from tests.helpers import guest

pytestmark = [pytest.mark.django_db]

PLAYERS = "/admin/players/player/"
MATCHES = "/admin/match/match/"
LOG = "/admin/players/moderationaction/"


def act(client: Client, url: str, action: str, ids: list[str], **extra) -> str:
    data = {"action": action, "_selected_action": ids, "index": 0, **extra}
    answer = client.post(url, data, follow=True)
    assert answer.status_code == 200
    return answer.content.decode()


def test_staff_ban_and_unban_from_the_player_list(admin_client: Client):
    ann, bob = guest("ann")[0], guest("bob")[0]
    html = act(admin_client, PLAYERS, "ban_players", [ann, bob], reason="spam",
               until="2999-01-01 12:00:00")  # fmt: skip
    assert "Banned ann." in html and "Banned bob." in html
    ban = Ban.objects.get(player_id=ann)
    assert (ban.reason, ban.until.year, ban.by) == ("spam", 2999, "admin (admin)")
    listing = admin_client.get(PLAYERS).content.decode()
    assert listing.count('alt="True"') == 2  # the banned column
    html = act(admin_client, PLAYERS, "ban_players", [ann])
    assert "banned already" in html and Ban.objects.count() == 2
    html = act(admin_client, PLAYERS, "unban_players", [ann])
    assert "Unbanned ann." in html
    assert Ban.objects.get(player_id=ann).lifted_by == "admin (admin)"
    html = act(admin_client, PLAYERS, "ban_players", [ann], until="not a date")
    assert "Not banned" in html and Ban.objects.filter(lifted__isnull=True).count() == 1
    log = admin_client.get(LOG).content.decode()
    assert log.count("admin (admin)") == 3 and "spam" in log


def test_void_from_the_match_list(admin_client: Client):
    ann, bob = guest("ann")[0], guest("bob")[0]
    done = create_match("tictactoe", 1, {}, [ann, bob])
    finish_match(done, Outcome(0, [0, 1], "win"), {}, [])
    waiting = create_match("tictactoe", 2, {}, [ann, bob])
    html = act(admin_client, MATCHES, "void_matches", [done, waiting])
    assert f"Voided tictactoe {done}." in html and "is not over (waiting)" in html
    assert Match.objects.get(id=done).status == "voided" and not Rating.objects.exists()
    assert "Already voided" in act(admin_client, MATCHES, "void_matches", [done])
    assert ModerationAction.objects.get().match_id == done
    log = admin_client.get(LOG).content.decode()
    assert f"/admin/match/match/{done}/change/" in log


def test_the_match_page_names_players_and_shows_no_save_buttons(admin_client: Client):
    ann, bob = guest("ann")[0], guest("bob")[0]
    match_id = create_match("tictactoe", 1, {}, [ann, bob])
    finish_match(match_id, Outcome(1, [1, 0], "resign"), {}, [])
    html = admin_client.get(f"{MATCHES}{match_id}/change/").content.decode()
    assert "<label>Winner:</label>" in html and '<div class="readonly">bob</div>' in html
    assert "<label>Ranking:</label>" in html and '<div class="readonly">bob, ann</div>' in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert "0.00 → " in html  # the seats' ratings


@pytest.mark.parametrize("url", [LOG, "/admin/players/ban/", "/admin/players/rating/"])
def test_records_the_server_writes_are_read_only(admin_client: Client, url):
    ann = guest("ann")[0]
    from players.moderation import ban

    ban(ann, "staff", "spam")
    page = admin_client.get(url)
    if url.endswith("rating/"):
        assert page.status_code == 404  # ratings show on the player's page
        return
    assert page.status_code == 200 and f"{url}add/" not in page.content.decode()
    first = ModerationAction.objects.get() if url == LOG else Ban.objects.get()
    detail = admin_client.get(f"{url}{first.pk}/change/").content.decode()
    assert 'name="_save"' not in detail and "spam" in detail


def test_moderating_needs_the_permission(client: Client):
    create_match("tictactoe", 1, {}, [guest("ann")[0], guest("bob")[0]])  # rows: actions show
    staff = User.objects.create_user("sam", password="pw", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_player"),
        Permission.objects.get(codename="change_player"),
        Permission.objects.get(codename="view_match"),
    )
    client.force_login(staff)
    assert "ban_players" not in client.get(PLAYERS).content.decode()
    assert "void_matches" not in client.get(MATCHES).content.decode()
    staff.user_permissions.add(
        Permission.objects.get(codename="add_ban"), Permission.objects.get(codename="change_match")
    )
    assert "ban_players" in client.get(PLAYERS).content.decode()
    assert "void_matches" in client.get(MATCHES).content.decode()
