"""Voiding: the voided match counts for nobody, and every rating it touched is what a
fresh replay of the whole history says.
"""

from __future__ import annotations

import random

import pytest

from match.games import Outcome
from match.models import Match, Seat
from match.persistence import create_match, finish_match
from players.models import ModerationAction, Rating
from players.moderation import ModerationError
from players.voiding import replay_history, void_match
from tests.helpers import guest

pytestmark = [pytest.mark.django_db]


def random_history(rng: random.Random, names: list[str], count: int) -> list[str]:
    """``count`` finished matches among ``names``: tic-tac-toe and tag, wins, draws,
    resignations, now and then an unrated or abandoned one.
    """
    ids = [guest(n)[0] for n in names]
    made = []
    for _ in range(count):
        game = rng.choice(["tictactoe", "tictactoe", "tag"])
        seated = rng.sample(ids, 2 if game == "tictactoe" else rng.randint(2, 4))
        match_id = create_match(game, 1, {}, seated, rated=rng.random() > 0.1)
        ranking = rng.sample(range(len(seated)), len(seated))
        reason = rng.choice(["win", "win", "draw", "resign", "abandoned"])
        if reason == "abandoned":
            outcome = Outcome(None, [], reason)
        else:
            outcome = Outcome(None if reason == "draw" else ranking[0], ranking, reason)
        finish_match(match_id, outcome, {}, [])
        made.append(match_id)
    return made


def check_against_a_fresh_replay() -> None:
    for game in ("tictactoe", "tag"):
        skills, seats = replay_history(game)
        stored = {r.player_id: r for r in Rating.objects.filter(game=game)}
        assert set(stored) == {pid for pid, s in skills.items() if s.matches}
        for pid, skill in skills.items():
            row = stored[pid]
            assert (row.mu, row.sigma) == pytest.approx((skill.mu, skill.sigma), rel=1e-12)
            assert (row.matches, row.wins) == (skill.matches, skill.wins)
            assert row.ordinal == pytest.approx(skill.ordinal, rel=1e-12)
        for seat in Seat.objects.filter(match__game=game, rating_after__isnull=False):
            before, after = seats[(seat.match_id, seat.seat)]
            assert seat.rating_before == pytest.approx(before, rel=1e-12)
            assert seat.rating_after == pytest.approx(after, rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_voids_recompute_what_a_fresh_replay_says(seed):
    rng = random.Random(seed)
    made = random_history(rng, [f"p{i}" for i in range(7)], 45)
    check_against_a_fresh_replay()  # before any void, too
    for match_id in rng.sample(made, 6):
        assert void_match(match_id, by="test")
        check_against_a_fresh_replay()
    voided = Match.objects.filter(status="voided")
    assert voided.count() == 6
    assert not Seat.objects.filter(match__in=voided, rating_after__isnull=False).exists()
    assert ModerationAction.objects.filter(kind="void").count() == 6


def test_voiding_twice_is_voiding_once():
    made = random_history(random.Random(9), ["a", "b", "c", "d"], 12)
    target = next(m for m in made if Match.objects.get(id=m).rating_order is not None)
    assert void_match(target, by="staff")
    after_once = sorted(Rating.objects.values_list("player_id", "game", "mu", "sigma", "matches"))
    assert not void_match(target, by="staff")
    assert sorted(Rating.objects.values_list("player_id", "game", "mu", "sigma", "matches")) == (
        after_once
    )
    assert ModerationAction.objects.filter(kind="void").count() == 1


def test_a_players_only_match_voided_takes_them_off_the_board():
    ann, bob = guest("ann")[0], guest("bob")[0]
    match_id = create_match("tictactoe", 1, {}, [ann, bob])
    finish_match(match_id, Outcome(0, [0, 1], "win"), {}, [])
    assert Rating.objects.count() == 2
    void_match(match_id, by="staff")
    assert not Rating.objects.exists()
    action = ModerationAction.objects.get()
    assert (action.kind, action.match_id, action.by) == ("void", match_id, "staff")


def test_bad_voids_change_nothing():
    ann, bob = guest("ann")[0], guest("bob")[0]
    waiting = create_match("tictactoe", 1, {}, [ann, bob])
    for bad, says in (
        (waiting, r"is not over \(waiting\)"),
        ("Zzzzzzzzzzzz", "no match"),
        ("bad id!", "is not a match id"),
    ):
        with pytest.raises(ModerationError, match=says):
            void_match(bad, by="staff")
    assert Match.objects.get(id=waiting).status == "waiting"
    assert not ModerationAction.objects.exists()
