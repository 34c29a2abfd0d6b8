"""The HTTP API: match history, replays and health."""

from __future__ import annotations

import random

import pytest
from django.test import Client

from match.games import Outcome
from match.persistence import create_match, finish_match
from tests.helpers import guest

pytestmark = [pytest.mark.django_db]


def played(names: list[str], cells: list[int], game: str = "tictactoe") -> str:
    ids = [guest(n)[0] for n in names]
    match_id = create_match(game, random.getrandbits(40), {}, ids)
    moves = [(i % 2, {"cell": c}) for i, c in enumerate(cells)]
    finish_match(match_id, Outcome(0, [0, 1], "win"), {"board": []}, moves)
    return match_id


def test_history_lists_filters_and_pages(client: Client, settings):
    settings.GAMESERVER_PAGE_SIZE = 2
    first = played(["ann", "bob"], [0, 3, 1, 4, 2])
    second = played(["cat", "dan"], [0, 1, 2, 3, 4, 5, 6])
    third = played(["eve", "fay"], [4, 0, 8, 2, 6, 1])
    page = client.get("/api/matches").json()
    assert [m["id"] for m in page["results"]] == [third, second]
    assert page["next"] is not None
    rest = client.get(page["next"]).json()
    assert [m["id"] for m in rest["results"]] == [first] and rest["next"] is None
    entry = rest["results"][0]
    assert entry["players"][0]["name"] == "ann" and entry["players"][1]["seat"] == 1
    assert (entry["status"], entry["winner"], entry["reason"]) == ("over", 0, "win")
    ann = entry["players"][0]["id"]
    assert [m["id"] for m in client.get(f"/api/matches?player={ann}").json()["results"]] == [first]
    assert client.get("/api/matches?game=tag").json()["results"] == []
    assert client.get("/api/matches?page=99").status_code == 404


def test_match_detail_has_the_moves_and_replays(client: Client):
    match_id = played(["ann", "bob"], [0, 1, 2, 3, 4, 5, 6])
    detail = client.get(f"/api/matches/{match_id}").json()
    assert [m["move"]["cell"] for m in detail["moves"]] == [0, 1, 2, 3, 4, 5, 6]
    assert [m["seq"] for m in detail["moves"]] == list(range(1, 8))
    assert client.get("/api/matches/nope").status_code == 404
    frames = client.get(f"/api/matches/{match_id}/replay").json()["frames"]
    assert len(frames) == 8
    assert frames[-1]["state"]["board"] == ["X", "O", "X", "O", "X", "O", "X", None, None]


def test_a_result_is_written_once():
    match_id = played(["ann", "bob"], [0, 3, 1, 4, 2])
    assert not finish_match(match_id, Outcome(1, [1, 0], "resign"), {}, [(0, {"cell": 8})])
    from match.models import Match

    match = Match.objects.get(id=match_id)
    assert (match.winner, match.reason, match.moves.count()) == (0, "win", 5)
    assert list(match.seats.values_list("rank", flat=True)) == [1, 2]


def test_healthz(client: Client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": True, "channel_layer": True}


def test_healthz_says_503_when_the_layer_is_down(client: Client, settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                    "CONFIG": {"hosts": ["redis://127.0.0.1:1"]}}
    }  # fmt: skip
    channel_layers.backends.clear()
    assert client.get("/healthz").status_code == 503


def test_bad_game_options_fail_the_system_check(settings):
    from match.checks import games_set_up

    assert games_set_up() == []
    settings.GAMESERVER_GAME_OPTIONS = {"tag": {"duration_s": -1}}
    [problem] = games_set_up()
    assert problem.id == "match.E002" and "tag" in problem.msg
    settings.GAMESERVER_GAME_OPTIONS = {"rps": {"turn_timeout_s": "soon"}}
    [problem] = games_set_up()
    assert problem.id == "match.E003" and "rps" in problem.msg


def test_metrics_are_served_in_prometheus_format(client: Client):
    played(["ann", "bob"], [0, 3, 1, 4, 2])
    answer = client.get("/metrics")
    assert answer.status_code == 200
    text = answer.content.decode()
    for name in ("gs_open_sockets", "gs_messages_in_total", "gs_move_latency_seconds_bucket",
                 "gs_result_write_seconds_count", "gs_tick_lateness_seconds_count"):  # fmt: skip
        assert name in text, name
