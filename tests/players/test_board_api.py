"""Leaderboards, player pages, ratings in the match history, and JSON errors everywhere."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from match.games import Outcome
from match.persistence import create_match, finish_match
from players.models import Ban, Rating
from tests.helpers import guest

pytestmark = [pytest.mark.django_db]


def play(winner: str, loser: str, game: str = "tictactoe", **kwargs) -> str:
    match_id = create_match(game, 1, {}, [winner, loser], **kwargs)
    finish_match(match_id, Outcome(0, [0, 1], "win"), {}, [])
    return match_id


def board(client: Client, query: str = "", game: str = "tictactoe", status: int = 200):
    answer = client.get(f"/api/leaderboard/{game}{query}")
    assert answer.status_code == status, answer.content
    return answer.json()


@pytest.fixture
def five():
    """ann beats everyone twice, bob beats cat, dan and eve; cat beats dan: a ladder."""
    ids = {n: guest(n)[0] for n in ("ann", "bob", "cat", "dan", "eve")}
    for loser in ("bob", "cat", "dan", "eve"):
        play(ids["ann"], ids[loser])
    for loser in ("cat", "dan", "eve"):
        play(ids["bob"], ids[loser])
    play(ids["cat"], ids["dan"])
    return ids


def names(page: dict) -> list[str]:
    return [line["player"]["name"] for line in page["results"]]


def test_the_board_is_best_first_and_pages(client: Client, settings, five):
    settings.GAMESERVER_LEADERBOARD_PAGE_SIZE = 2
    first = board(client)
    assert first["game"] == "tictactoe" and first["page"] == 1
    assert [line["rank"] for line in first["results"]] == [1, 2]
    assert names(first)[:2] == ["ann", "bob"]
    rows = {r.player_id: r for r in Rating.objects.all()}
    top = first["results"][0]
    ann = rows[five["ann"]]
    assert top == {
        "rank": 1,
        "player": {"id": five["ann"], "name": "ann"},
        "rating": ann.ordinal,
        "mu": ann.mu,
        "sigma": ann.sigma,
        "matches": 4,
        "wins": 4,
    }
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    assert third["next"] is None and second["previous"].endswith("page=1")
    everyone = names(first) + names(second) + names(third)
    assert sorted(everyone) == sorted(five)
    ratings = [line["rating"] for p in (first, second, third) for line in p["results"]]
    assert ratings == sorted(ratings, reverse=True)
    assert [line["rank"] for line in third["results"]] == [5]


def test_around_a_player_is_the_page_that_holds_them(client: Client, settings, five):
    settings.GAMESERVER_LEADERBOARD_PAGE_SIZE = 2
    order = names(board(client, "?page=1")) + names(board(client, "?page=2"))
    order += names(board(client, "?page=3"))
    last = order[-1]
    around = board(client, f"?around={five[last]}")
    assert around["page"] == 3 and names(around) == [last]
    assert board(client, f"?around={five[order[2]]}")["page"] == 2


def test_players_who_never_played_a_rated_match_are_not_on_the_board(client: Client):
    ann, bob, cat = (guest(n)[0] for n in ("ann", "bob", "cat"))
    play(ann, bob, rated=False)
    assert board(client)["results"] == []
    assert board(client, f"?around={ann}", status=404)["error"] == "not_on_board"
    play(ann, cat, game="tag")
    assert names(board(client, game="tag")) == ["ann", "cat"]
    assert board(client)["next"] is None


def test_banned_players_leave_the_board(client: Client, five):
    Ban.objects.create(player_id=five["ann"], by="test")
    page = board(client)
    assert "ann" not in names(page) and page["results"][0]["rank"] == 1
    assert board(client, f"?around={five['ann']}", status=404)["error"] == "not_on_board"
    Ban.objects.create(player_id=five["bob"], by="test", until=timezone.now())  # over already
    assert "bob" in names(board(client))


def test_bad_board_requests_are_clear_errors(client: Client, five):
    assert board(client, game="chess", status=404) == {
        "error": "unknown_game",
        "message": "no game called 'chess'",
    }
    assert board(client, "?page=2", status=404)["error"] == "not_found"
    for bad in ("?page=0", "?page=-1", "?page=x", "?page=1.5", f"?page=1&around={five['ann']}"):
        assert board(client, bad, status=400)["error"] == "invalid", bad
    assert board(client, "?around=no%20such!", status=400)["error"] == "invalid"
    assert board(client, "?around=Zzzzzzzzzzzz", status=404)["error"] == "not_on_board"
    assert client.post("/api/leaderboard/tictactoe").status_code == 405


def test_a_player_page(client: Client, five):
    answer = client.get(f"/api/players/{five['bob']}").json()
    row = Rating.objects.get(player_id=five["bob"])
    assert answer["id"] == five["bob"] and answer["name"] == "bob" and answer["bot"] is False
    assert answer["ratings"] == {
        "tictactoe": {"mu": row.mu, "sigma": row.sigma, "rating": row.ordinal, "matches": 4}
    }
    assert answer["created"].startswith(str(timezone.now().year))
    assert answer["matches"] == f"http://testserver/api/matches?player={five['bob']}"
    assert len(client.get(answer["matches"]).json()["results"]) == 4
    fresh = client.get(f"/api/players/{guest('new')[0]}").json()
    assert fresh["ratings"] == {}


def test_bad_player_requests_are_clear_errors(client: Client):
    assert client.get("/api/players/Zzzzzzzzzzzz").json() == {
        "error": "not_found",
        "message": "no player 'Zzzzzzzzzzzz'",
    }
    assert client.get("/api/players/x-y").json()["error"] == "invalid"
    assert client.get(f"/api/players/{'a' * 17}").status_code == 400
    assert client.delete("/api/players/Zzzzzzzzzzzz").status_code == 405


def test_the_history_carries_ratings(client: Client):
    ann, bob = guest("ann")[0], guest("bob")[0]
    ranked = play(ann, bob)
    private = play(ann, bob, rated=False)
    waiting = create_match("tictactoe", 1, {}, [ann, bob])
    listed = {m["id"]: m for m in client.get(f"/api/matches?player={ann}").json()["results"]}
    assert (listed[ranked]["rated"], listed[private]["rated"]) == (True, False)
    before_after = [(p["rating_before"], p["rating_after"]) for p in listed[ranked]["players"]]
    rows = {r.player_id: r for r in Rating.objects.all()}
    assert before_after == [(0.0, rows[ann].ordinal), (0.0, rows[bob].ordinal)]
    for unrated in (private, waiting):
        assert {(p["rating_before"], p["rating_after"]) for p in listed[unrated]["players"]} == {
            (None, None)
        }
    detail = client.get(f"/api/matches/{ranked}").json()
    assert detail["rated"] and detail["players"][0]["rating_after"] == rows[ann].ordinal


def test_bad_history_requests_are_clear_errors(client: Client):
    for url, status, code in (
        ("/api/matches?game=chess", 404, "unknown_game"),
        ("/api/matches?player=no!", 400, "invalid"),
        ("/api/matches?page=x", 400, "invalid"),
        ("/api/matches?page=0", 400, "invalid"),
        ("/api/matches?page=9", 404, "not_found"),
        ("/api/matches/bad!id", 400, "invalid"),
        ("/api/matches/Zzzzzzzzzzzz", 404, "not_found"),
        ("/api/matches/Zzzzzzzzzzzz/replay", 404, "not_found"),
    ):
        answer = client.get(url)
        assert (answer.status_code, answer.json()["error"]) == (status, code), url


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize(
    "path", ["/api/", "/api/nothing", "/api/matches/x/y/z", "/api/leaderboard/", "/api/guest/x"]
)
def test_every_api_error_is_json(client: Client, method, path):
    answer = getattr(client, method)(path)
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {"error": "not_found", "message": f"nothing at {path}"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/matches"),
        ("delete", "/api/matches/Zzzzzzzzzzzz"),
        ("put", "/api/leaderboard/tag"),
        ("get", "/api/guest"),
        ("patch", "/api/players/Zzzzzzzzzzzz"),
    ],
)
def test_a_wrong_method_is_a_json_405(client: Client, method, path):
    answer = getattr(client, method)(path)
    assert answer.status_code == 405 and answer["Allow"]
    body = answer.json()
    assert body["error"] == "method_not_allowed" and method.upper() in body["message"]


def test_a_server_error_under_the_api_is_json(rf):
    from django.http import HttpResponseServerError

    from gameserver.http import as_api_error

    answer = as_api_error(rf.get("/api/matches"), HttpResponseServerError("<h1>boom</h1>"))
    assert answer.status_code == 500
    assert json.loads(answer.content) == {"error": "internal", "message": "server error"}
    page = HttpResponseServerError("<h1>boom</h1>")
    assert as_api_error(rf.get("/admin/"), page) is page  # only the API's answers
