"""Ratings written with the result: OpenSkill's own numbers, once per match."""

from __future__ import annotations

import pytest
from openskill.models import PlackettLuce

from match.games import Outcome
from match.models import Match, Seat
from match.persistence import create_match, finish_match
from players.models import Rating
from tests.helpers import guest

pytestmark = [pytest.mark.django_db]

WIN = Outcome(0, [0, 1], "win")


def players(*names: str) -> list[str]:
    return [guest(n)[0] for n in names]


def rated(ids: list[str], game: str = "tictactoe", **kwargs) -> str:
    return create_match(game, 1, {}, ids, **kwargs)


def skill(pid: str, game: str = "tictactoe") -> tuple[float, float, int, int]:
    row = Rating.objects.get(player_id=pid, game=game)
    return row.mu, row.sigma, row.matches, row.wins


def expected(teams: list[tuple[float, float]], ranks: list[int]) -> list[tuple[float, float]]:
    """What the library itself says, computed here independently of the server's code."""
    model = PlackettLuce()
    rated = model.rate([[model.rating(mu=m, sigma=s)] for m, s in teams], ranks=ranks)
    return [(team[0].mu, team[0].sigma) for team in rated]


def test_a_win_moves_both_ratings_by_openskill():
    ann, bob = players("ann", "bob")
    done = finish_match(rated([ann, bob]), WIN, {}, [])
    start = (25.0, 25 / 3)
    (wm, ws), (lm, ls) = expected([start, start], [1, 2])
    assert skill(ann) == (wm, ws, 1, 1) and skill(bob) == (lm, ls, 1, 0)
    assert wm > 25 > lm
    assert done.written and done.result == {"winner": 0, "ranking": [0, 1], "reason": "win"}
    [first, second] = done.ratings
    assert first["seat"] == 0 and first["before"] == {
        "mu": 25.0,
        "sigma": 25 / 3,
        "rating": 0.0,
        "matches": 0,
    }
    assert first["after"] == {"mu": wm, "sigma": ws, "rating": wm - 3 * ws, "matches": 1}
    assert second["after"]["rating"] == pytest.approx(lm - 3 * ls)
    seats = list(Seat.objects.order_by("seat"))
    assert [s.rating_after for s in seats] == [first["after"], second["after"]]
    assert Rating.objects.get(player_id=ann).ordinal == pytest.approx(wm - 3 * ws)


def test_the_next_match_starts_from_the_last():
    ann, bob, cat = players("ann", "bob", "cat")
    finish_match(rated([ann, bob]), WIN, {}, [])
    after_first = skill(ann)[:2]
    finish_match(rated([cat, ann]), WIN, {}, [])  # cat (new) beats ann
    [(cm, cs), (am, as_)] = expected([(25.0, 25 / 3), after_first], [1, 2])
    assert skill(ann) == (am, as_, 2, 1) and skill(cat) == (cm, cs, 1, 1)
    match_id = rated([ann, cat])
    assert list(Seat.objects.filter(match_id=match_id).values_list("rating", flat=True)) == [
        pytest.approx(am - 3 * as_),
        pytest.approx(cm - 3 * cs),
    ]


def test_a_draw_is_a_tie():
    ann, bob = players("ann", "bob")
    finish_match(rated([ann, bob]), Outcome(None, [0, 1], "draw"), {}, [])
    [(am, as_), (bm, bs)] = expected([(25.0, 25 / 3)] * 2, [1, 1])
    assert skill(ann) == (am, as_, 1, 0) and skill(bob) == (bm, bs, 1, 0)
    assert am == bm == 25.0 and as_ < 25 / 3


@pytest.mark.parametrize("reason", ["resign", "forfeit", "timeout"])
def test_resign_forfeit_and_timeout_rate_by_the_ranking(reason):
    ann, bob = players("ann", "bob")
    finish_match(rated([ann, bob]), Outcome(1, [1, 0], reason), {}, [])
    [(am, _), (bm, _)] = expected([(25.0, 25 / 3)] * 2, [2, 1])
    assert skill(ann)[0] == am and skill(bob)[0] == bm and bm > am


def test_many_seats_rate_by_the_ranking():
    ids = players("a", "b", "c", "d")
    finish_match(rated(ids, "tag"), Outcome(2, [2, 0, 3, 1], "win"), {}, [])
    want = expected([(25.0, 25 / 3)] * 4, [2, 4, 1, 3])
    assert [skill(p, "tag")[:2] for p in ids] == want
    assert [skill(p, "tag")[3] for p in ids] == [0, 0, 1, 0]


def test_abandoned_and_unrated_matches_move_nothing():
    ann, bob = players("ann", "bob")
    done = finish_match(rated([ann, bob]), Outcome(None, [], "abandoned"), None, [])
    assert done.written and done.ratings is None
    private = rated([ann, bob], rated=False)
    assert finish_match(private, WIN, {}, []).ratings is None
    assert not Rating.objects.exists()
    assert not Match.objects.get(id=private).rated
    assert set(Seat.objects.values_list("rating_after", flat=True)) == {None}


def test_a_second_write_moves_no_rating_and_returns_the_first():
    ann, bob = players("ann", "bob")
    match_id = rated([ann, bob])
    first = finish_match(match_id, WIN, {}, [])
    moved = skill(ann), skill(bob)
    again = finish_match(match_id, Outcome(1, [1, 0], "forfeit"), {}, [])  # a second host
    assert not again.written
    assert again.result == first.result and again.ratings == first.ratings
    assert (skill(ann), skill(bob)) == moved
    assert Match.objects.get(id=match_id).reason == "win"
