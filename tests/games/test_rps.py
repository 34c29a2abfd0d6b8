"""Rock-paper-scissors rules, called directly: rounds, ties, the cap and hidden views."""

import json
import random

import pytest

from match.games.base import IllegalMove
from match.games.rps import CHOICES, MAX_ROUNDS, RockPaperScissors, round_winner

GAME = RockPaperScissors()


def new():
    return GAME.setup(2, {}, random.Random(0))


def play(*rounds, state=None):
    """Play rounds given as ``("rock", "paper")`` pairs, seat 0 choosing first."""
    state = state or new()
    for first, second in rounds:
        state = GAME.apply(state, 0, {"choice": first})
        state = GAME.apply(state, 1, {"choice": second})
    return state


def result(state):
    outcome = GAME.outcome(state)
    return outcome and (outcome.winner, outcome.ranking, outcome.reason)


def test_metadata_and_setup():
    info = GAME.info()
    assert (info.name, info.min_players, info.max_players, info.realtime) == ("rps", 2, 2, False)
    state = new()
    assert state == {"score": [0, 0], "choices": [None, None], "history": []}
    assert GAME.outcome(state) is None


@pytest.mark.parametrize(
    ("first", "second", "winner"),
    [
        ("rock", "scissors", 0),
        ("scissors", "paper", 0),
        ("paper", "rock", 0),
        ("scissors", "rock", 1),
        ("paper", "scissors", 1),
        ("rock", "paper", 1),
        ("rock", "rock", None),
        ("paper", "paper", None),
        ("scissors", "scissors", None),
    ],
)
def test_round_winner(first, second, winner):
    assert round_winner(first, second) == winner


def test_a_round_resolves_when_both_have_chosen():
    state = GAME.apply(new(), 0, {"choice": "rock"})
    assert state["choices"] == ["rock", None]
    assert state["history"] == []
    state = GAME.apply(state, 1, {"choice": "scissors"})
    assert state["choices"] == [None, None]
    assert state["score"] == [1, 0]
    assert state["history"] == [{"choices": ["rock", "scissors"], "winner": 0}]


def test_seats_may_choose_in_any_order():
    state = GAME.apply(new(), 1, {"choice": "paper"})
    state = GAME.apply(state, 0, {"choice": "rock"})
    assert state["score"] == [0, 1]


def test_choosing_twice_in_a_round_is_illegal():
    state = GAME.apply(new(), 0, {"choice": "rock"})
    with pytest.raises(IllegalMove) as err:
        GAME.apply(state, 0, {"choice": "paper"})
    assert err.value.code == "illegal_move"


def test_two_round_wins_take_the_match():
    state = play(("rock", "scissors"))
    assert GAME.outcome(state) is None
    state = play(("paper", "scissors"), ("paper", "rock"), state=state)
    assert state["score"] == [2, 1]
    assert result(state) == (0, [0, 1], "win")


def test_seat_1_can_win():
    state = play(("rock", "paper"), ("rock", "paper"))
    assert result(state) == (1, [1, 0], "win")


def test_a_tied_round_is_replayed():
    state = play(("rock", "rock"))
    assert state["score"] == [0, 0]
    assert state["history"] == [{"choices": ["rock", "rock"], "winner": None}]
    assert GAME.view(state, None)["round"] == 2
    assert GAME.outcome(state) is None


def test_after_the_last_round_a_level_score_is_a_draw():
    state = play(("rock", "paper"), ("rock", "scissors"), *[("rock", "rock")] * (MAX_ROUNDS - 2))
    assert len(state["history"]) == MAX_ROUNDS
    assert result(state) == (None, [0, 1], "draw")


def test_after_the_last_round_the_higher_score_wins():
    state = play(("rock", "paper"), *[("paper", "paper")] * (MAX_ROUNDS - 1))
    assert result(state) == (1, [1, 0], "win")


def test_no_moves_after_the_match():
    state = play(("rock", "scissors"), ("rock", "scissors"))
    with pytest.raises(IllegalMove) as err:
        GAME.apply(state, 1, {"choice": "rock"})
    assert err.value.code == "illegal_move"


@pytest.mark.parametrize(
    "move",
    [
        {"choice": "Rock"},
        {"choice": "lizard"},
        {"choice": True},
        {"choice": 1},
        {"choice": 1.0},
        {"choice": None},
        {"choice": ["rock"]},
        {"choice": "rock", "extra": 1},
        {},
        "rock",
        ["rock"],
        None,
    ],
)
def test_malformed_moves_are_invalid(move):
    with pytest.raises(IllegalMove) as err:
        GAME.apply(new(), 0, move)
    assert err.value.code == "invalid"


@pytest.mark.parametrize("seat", [-1, 2])
def test_unknown_seats_are_refused(seat):
    with pytest.raises(IllegalMove):
        GAME.apply(new(), seat, {"choice": "rock"})


def test_standing_follows_the_score():
    assert GAME.standing(new()) == [0, 1]
    assert GAME.standing(play(("rock", "paper"))) == [1, 0]


# --- hidden information ----------------------------------------------------------------


@pytest.mark.parametrize("secret", CHOICES)
def test_a_pending_choice_is_seen_only_by_its_owner(secret):
    state = GAME.apply(play(("rock", "rock")), 0, {"choice": secret})
    own = GAME.view(state, 0)
    assert own["choice"] == secret
    assert own["chosen"] == [True, False]
    for viewer in (1, None):
        view = GAME.view(state, viewer)
        assert view["chosen"] == [True, False]
        assert view["choice"] is None
        assert "choices" not in view
        # The secret may appear only where the public history already has it.
        assert json.dumps(view).count(secret) == json.dumps(state["history"]).count(secret)


def test_views_of_different_secrets_are_identical_to_others():
    base = play(("paper", "scissors"))
    for viewer in (0, None):
        views = [GAME.view(GAME.apply(base, 1, {"choice": choice}), viewer) for choice in CHOICES]
        assert len({json.dumps(view, sort_keys=True) for view in views}) == 1


def test_finished_rounds_are_visible_to_all():
    state = play(("rock", "scissors"))
    for viewer in (0, 1, None):
        view = GAME.view(state, viewer)
        assert view["history"] == [{"choices": ["rock", "scissors"], "winner": 0}]
        assert view["score"] == [1, 0]
        assert view["chosen"] == [False, False]


def test_secret_variants_cover_only_pending_choices():
    state = GAME.apply(new(), 1, {"choice": "rock"})
    assert GAME.secret_variants(state, 0) == []
    variants = GAME.secret_variants(state, 1)
    assert [v["choices"][1] for v in variants] == list(CHOICES)
    assert all(v["choices"][0] is None and v["history"] == [] for v in variants)


def test_legal_moves_are_the_three_choices_until_the_seat_has_chosen():
    everything = [{"choice": choice} for choice in CHOICES]
    state = new()
    assert GAME.legal_moves(state, 0) == everything
    state = GAME.apply(state, 0, {"choice": "rock"})
    assert GAME.legal_moves(state, 0) == []
    assert GAME.legal_moves(state, 1) == everything
    state = GAME.apply(state, 1, {"choice": "rock"})  # a tie: the next round opens
    assert GAME.legal_moves(state, 0) == everything


def test_no_legal_moves_once_over():
    state = play(("rock", "scissors"), ("rock", "scissors"))
    assert GAME.legal_moves(state, 0) == GAME.legal_moves(state, 1) == []
