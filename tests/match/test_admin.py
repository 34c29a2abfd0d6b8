"""The match admin: history list, read-only detail, and replays that check determinism."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from match.games import Outcome
from match.models import Match
from match.persistence import create_match, finish_match
from match.registry import get_game
from match.runtime.replay import pack_inputs, replay
from tests.helpers import guest

pytestmark = [pytest.mark.django_db]

SEVEN = [0, 1, 2, 3, 4, 5, 6]  # X wins on the diagonal 2-4-6 with its 4th mark
LIST = "/admin/match/match/"


def url(match_id: str, page: str = "") -> str:
    return f"{LIST}{match_id}/{page}"


def finished(game: str, names: list[str], moves: list[Any], options=None, log=None, **how) -> str:
    """A finished match whose final state and result come from the game's own rules."""
    rules = get_game(game)
    options = options or {}
    match_id = create_match(game, 1234, options, [guest(n)[0] for n in names])
    blob = pack_inputs(*log) if log else None
    final = replay(rules, len(names), options, 1234, moves, blob)[-1]
    outcome = Outcome(**how) if how else rules.outcome(final)
    finish_match(match_id, outcome, final, moves, blob)
    return match_id


def tictactoe(names=("ann", "bob"), cells=SEVEN) -> str:
    return finished("tictactoe", list(names), [(i % 2, {"cell": c}) for i, c in enumerate(cells)])


def frames(answer) -> list[dict[str, Any]]:
    """The frames the replay page embeds for its script."""
    found = re.search(r'<script id="replay-frames" type="application/json">(.*?)</script>',
                      answer.content.decode(), re.S)  # fmt: skip
    assert found, "the page embeds no frames"
    return json.loads(found.group(1))


def test_the_list_shows_columns_filters_and_searches(admin_client: Client):
    first = tictactoe(("ann", "bob"))
    second = tictactoe(("cat", "dan"), [0, 3, 1, 4, 2])
    waiting = create_match("tictactoe", 7, {}, [guest("eve")[0], guest("fay")[0]])
    page = admin_client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    columns = ("game", "players", "status", "result", "reason", "created", "duration")
    for column in (*columns, "replay_link"):
        assert f'class="sortable column-{column}' in html or f'class="column-{column}' in html
    assert "ann, bob" in html and "ann won" in html
    for title in ("By game", "By status", "By reason", "By created"):
        assert title in html
    listed = page.context["cl"].result_list
    assert {m.id for m in listed} == {first, second, waiting}
    assert html.count('">replay</a>') == 2  # finished matches only
    assert [m.id for m in admin_client.get(LIST, {"q": "cat"}).context["cl"].result_list] == [
        second
    ]
    assert [m.id for m in admin_client.get(LIST, {"q": first}).context["cl"].result_list] == [first]
    by_status = admin_client.get(LIST, {"status__exact": "waiting"}).context["cl"].result_list
    assert [m.id for m in by_status] == [waiting]
    by_game = admin_client.get(LIST, {"game": "tag"}).context["cl"].result_list
    assert list(by_game) == []


def test_the_change_page_shows_seats_and_moves_read_only(admin_client: Client):
    match_id = tictactoe()
    page = admin_client.get(url(match_id, "change/"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "ann" in html and "bob" in html
    assert 'name="seats-0-seat"' not in html and 'name="moves-0-payload"' not in html
    seats, moves = (f for f in page.context["inline_admin_formsets"])
    assert len(seats.formset.forms) == 2 and len(moves.formset.forms) == 7
    assert not seats.has_add_permission and not moves.has_change_permission
    assert f'href="{url(match_id, "replay/")}"' in html
    assert admin_client.get(f"{LIST}add/").status_code == 403


def test_a_finished_tictactoe_match_replays_every_step(admin_client: Client):
    match_id = tictactoe()
    page = admin_client.get(url(match_id, "replay/"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Replay matches the recorded result" in html
    assert not page.context["replay"].problems
    steps = frames(page)
    assert [f["step"] for f in steps] == list(range(8))
    assert steps[0]["state"]["board"] == [None] * 9
    assert steps[-1]["state"]["board"] == ["X", "O", "X", "O", "X", "O", "X", None, None]
    assert (steps[3]["seat"], steps[3]["move"]) == (0, {"cell": 2})
    assert steps[3]["caption"] == 'seat 0 (ann) played {"cell": 2}'
    assert "match/replay.js" in html and 'id="replay-slider"' in html


def test_a_tampered_final_state_shows_a_mismatch(admin_client: Client):
    match_id = tictactoe()
    match = Match.objects.get(id=match_id)
    board = list(match.final_state["board"])
    board[8] = "O"
    Match.objects.filter(id=match_id).update(final_state={**match.final_state, "board": board})
    html = admin_client.get(url(match_id, "replay/")).content.decode()
    assert "Replay does not match the recorded result" in html
    assert "final state differs from the stored one (board)" in html
    assert "Replay matches" not in html


def test_a_tampered_result_shows_a_mismatch(admin_client: Client):
    match_id = tictactoe()
    Match.objects.filter(id=match_id).update(winner=1, ranking=[1, 0])
    problems = admin_client.get(url(match_id, "replay/")).context["replay"].problems
    assert problems == [
        "The rules give winner 0, the record 1.",
        "The rules give ranking [0, 1], the record [1, 0].",
    ]


def test_a_log_the_rules_refuse_shows_a_mismatch(admin_client: Client):
    match_id = tictactoe()
    Match.objects.get(id=match_id).moves.filter(seq=2).update(payload={"cell": 0})
    page = admin_client.get(url(match_id, "replay/"))
    assert "The rules refused the stored log" in page.content.decode()
    assert 'id="replay-frames"' not in page.content.decode()


def test_a_resigned_match_checks_the_final_state_only(admin_client: Client):
    match_id = finished(
        "tictactoe", ["ann", "bob"], [(0, {"cell": 4})], winner=1, ranking=[1, 0], reason="resign"
    )
    page = admin_client.get(url(match_id, "replay/"))
    assert "Replay matches the recorded result" in page.content.decode()
    assert len(frames(page)) == 2


def test_a_tag_match_replays_tick_by_tick(admin_client: Client):
    inputs = [[0, 0, {"dx": 1, "dy": 0}], [0, 1, {"dx": -1, "dy": 0}], [10, 0, {"dx": 0, "dy": 1}]]
    match_id = finished("tag", ["ann", "bob", "cat"], [], {"duration_s": 1}, (20, inputs))
    page = admin_client.get(url(match_id, "replay/"))
    assert "Replay matches the recorded result" in page.content.decode()
    steps = frames(page)
    assert len(steps) == 21
    assert [f["state"]["tick"] for f in steps] == list(range(21))
    assert steps[-1]["state"]["remaining_s"] == 0
    assert len(steps[5]["state"]["players"]) == 3
    assert steps[1]["caption"].startswith("tick 1: seat 0 input")
    assert steps[11]["caption"] == 'tick 11: seat 0 input {"dx": 0, "dy": 1}'
    assert page.context["info"]["interval_ms"] == 50


def test_a_rps_match_replays(admin_client: Client):
    choices = ["rock", "scissors", "paper", "paper", "paper", "rock"]
    moves = [(i % 2, {"choice": c}) for i, c in enumerate(choices)]
    match_id = finished("rps", ["ann", "bob"], moves)
    page = admin_client.get(url(match_id, "replay/"))
    assert "Replay matches the recorded result" in page.content.decode()
    steps = frames(page)
    assert len(steps) == 7
    assert steps[1]["state"]["choices"] == ["rock", None]  # staff see the secret choice
    assert steps[-1]["state"]["score"] == [2, 0]  # rock beats scissors, a tie, paper beats rock
    assert [r["winner"] for r in steps[-1]["state"]["history"]] == [0, None, 0]


def test_an_unfinished_match_says_so(admin_client: Client):
    match_id = create_match("tictactoe", 7, {}, [guest("ann")[0], guest("bob")[0]])
    page = admin_client.get(url(match_id, "replay/"))
    assert page.status_code == 200
    assert "not over yet" in page.content.decode()
    assert 'id="replay-frames"' not in page.content.decode()
    assert admin_client.get(url("nope", "replay/")).status_code == 404


def test_the_replay_is_for_staff_with_view_permission(client: Client):
    match_id = tictactoe()
    answer = client.get(url(match_id, "replay/"))
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]
    staff = User.objects.create_user("sam", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(url(match_id, "replay/")).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_match"))
    assert client.get(url(match_id, "replay/")).status_code == 200
