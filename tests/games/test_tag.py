"""Tag rules, called directly: movement, clamping, tagging, immunity, time, ranking."""

import math
import random

import pytest

from match.games.base import IllegalMove
from match.games.tag import HEIGHT, WIDTH, Tag

GAME = Tag()
DT = 1 / GAME.tick_rate
STILL = {"dx": 0, "dy": 0}


def arena(*positions, it=0, remaining_s=60.0, immune=None):
    """A hand-made state with players at ``positions``."""
    players = [{"seat": s, "x": float(x), "y": float(y)} for s, (x, y) in enumerate(positions)]
    return {
        "tick": 0,
        "it": it,
        "remaining_s": remaining_s,
        "players": players,
        "it_s": [0.0] * len(players),
        "immune": immune,
    }


def run(state, inputs, ticks, dt=DT):
    for _ in range(ticks):
        state = GAME.tick(state, inputs, dt)
    return state


def xy(state, seat):
    player = state["players"][seat]
    return player["x"], player["y"]


# --- metadata and setup ---------------------------------------------------------------


def test_metadata():
    info = GAME.info()
    assert (info.name, info.min_players, info.max_players, info.realtime) == ("tag", 2, 8, True)
    assert GAME.tick_rate == 20
    assert info.options == {"duration_s": 60}


@pytest.mark.parametrize("players", range(2, 9))
def test_setup_places_everyone_inside_the_arena(players):
    state = GAME.setup(players, {}, random.Random(players))
    assert [p["seat"] for p in state["players"]] == list(range(players))
    assert all(0 <= p["x"] <= WIDTH and 0 <= p["y"] <= HEIGHT for p in state["players"])
    assert 0 <= state["it"] < players
    assert state["tick"] == 0
    assert state["remaining_s"] == 60
    assert state["it_s"] == [0.0] * players
    assert GAME.outcome(state) is None


def test_setup_starts_players_apart():
    state = GAME.setup(8, {}, random.Random(3))
    points = [(p["x"], p["y"]) for p in state["players"]]
    assert min(math.dist(a, b) for a in points for b in points if a != b) > 20


def test_setup_uses_the_given_rng():
    first = GAME.setup(4, {}, random.Random(7))
    assert GAME.setup(4, {}, random.Random(7)) == first
    others = [GAME.setup(4, {}, random.Random(seed)) for seed in range(8)]
    assert any(other != first for other in others)
    assert len({other["it"] for other in others}) > 1


def test_duration_option():
    state = GAME.setup(2, {"duration_s": 5}, random.Random(0))
    assert state["remaining_s"] == 5


@pytest.mark.parametrize("duration", [0, -1, "60", True, None])
def test_bad_duration_is_refused(duration):
    with pytest.raises(ValueError):
        GAME.setup(2, {"duration_s": duration}, random.Random(0))


@pytest.mark.parametrize("players", [0, 1, 9])
def test_wrong_player_count_is_refused(players):
    with pytest.raises(ValueError):
        GAME.setup(players, {}, random.Random(0))


# --- inputs ------------------------------------------------------------------------


@pytest.mark.parametrize("dx", [-1, 0, 1])
@pytest.mark.parametrize("dy", [-1, 0, 1])
def test_valid_inputs_are_normalised_copies(dx, dy):
    state = arena((100, 100), (300, 300))
    raw = {"dx": dx, "dy": dy}
    checked = GAME.check_input(state, 0, raw)
    assert checked == raw
    assert checked is not raw


@pytest.mark.parametrize(
    "raw",
    [
        {"dx": True, "dy": 0},
        {"dx": 0, "dy": False},
        {"dx": 1.0, "dy": 0},
        {"dx": 0.5, "dy": 0},
        {"dx": "1", "dy": 0},
        {"dx": None, "dy": 0},
        {"dx": 2, "dy": 0},
        {"dx": 0, "dy": -2},
        {"dx": 1},
        {"dy": 1},
        {"dx": 1, "dy": 0, "run": True},
        {},
        [1, 0],
        "up",
        None,
        1,
    ],
)
def test_malformed_inputs_are_invalid(raw):
    with pytest.raises(IllegalMove) as err:
        GAME.check_input(arena((100, 100), (300, 300)), 0, raw)
    assert err.value.code == "invalid"


def test_tag_takes_no_moves():
    with pytest.raises(IllegalMove):
        GAME.apply(arena((100, 100), (300, 300)), 0, {"cell": 1})


# --- movement ----------------------------------------------------------------------


def test_one_second_of_input_moves_200_units():
    state = run(arena((100, 100), (700, 500)), {0: {"dx": 1, "dy": 0}}, 20)
    assert xy(state, 0) == (300, 100)
    assert xy(state, 1) == (700, 500)  # no input: standing still
    assert state["tick"] == 20


def test_movement_scales_with_dt():
    state = GAME.tick(arena((100, 100), (700, 500)), {0: {"dx": 0, "dy": 1}}, 0.25)
    assert xy(state, 0) == (100, 150)


def test_diagonals_are_no_faster():
    state = run(arena((100, 100), (700, 500)), {0: {"dx": 1, "dy": 1}}, 20)
    x, y = xy(state, 0)
    assert math.dist((100, 100), (x, y)) == pytest.approx(200, abs=0.1)
    assert x == y


def test_positions_are_rounded():
    state = run(arena((100, 100), (700, 500)), {0: {"dx": 1, "dy": -1}}, 3)
    x, y = xy(state, 0)
    assert round(x, 2) == x and round(y, 2) == y


@pytest.mark.parametrize(
    ("move", "corner"),
    [
        ({"dx": -1, "dy": -1}, (0, 0)),
        ({"dx": 1, "dy": 1}, (WIDTH, HEIGHT)),
        ({"dx": 1, "dy": -1}, (WIDTH, 0)),
        ({"dx": -1, "dy": 1}, (0, HEIGHT)),
    ],
)
def test_players_are_clamped_to_the_arena(move, corner):
    state = run(arena((400, 300), (10, 590), it=1), {0: move}, 100)
    assert xy(state, 0) == corner


def test_inputs_for_unknown_seats_are_ignored():
    state = arena((100, 100), (700, 500))
    assert GAME.tick(state, {5: {"dx": 1, "dy": 0}}, DT)["players"] == state["players"]


# --- tagging and immunity ------------------------------------------------------------


def test_touching_passes_it_on():
    state = GAME.tick(arena((100, 100), (125, 100)), {0: {"dx": 1, "dy": 0}}, DT)
    assert xy(state, 0) == (110, 100)
    assert state["it"] == 1
    assert state["immune"] == {"seat": 0, "remaining_s": 1.0}


def test_exactly_20_units_is_a_touch_and_more_is_not():
    assert GAME.tick(arena((100, 100), (120, 100)), {}, DT)["it"] == 1
    assert GAME.tick(arena((100, 100), (120.01, 100)), {}, DT)["it"] == 0


def test_the_nearest_player_is_tagged_then_the_lowest_seat():
    state = arena((100, 100), (115, 100), (110, 100), it=0)
    assert GAME.tick(state, {}, DT)["it"] == 2
    state = arena((100, 100), (100, 110), (110, 100), it=0)
    assert GAME.tick(state, {}, DT)["it"] == 1


def test_the_tagger_is_immune_for_one_second():
    # 0 tags 1; the two stand together, so 1 tags 0 back the moment immunity ends.
    state = GAME.tick(arena((100, 100), (110, 100)), {}, DT)
    assert (state["it"], state["immune"]["seat"]) == (1, 0)
    state = run(state, {}, 19)
    assert state["it"] == 1
    assert state["immune"]["remaining_s"] == pytest.approx(0.05)
    state = GAME.tick(state, {}, DT)  # 1.0 s after the tag
    assert state["it"] == 0
    assert state["immune"]["seat"] == 1


def test_immunity_protects_only_the_tagger():
    # 0 tags 1, and 1 is also touching 2: 2 is fair game at once.
    state = GAME.tick(arena((100, 100), (115, 100), (130, 100)), {}, DT)
    assert state["it"] == 1
    state = GAME.tick(state, {}, DT)
    assert state["it"] == 2
    assert state["immune"] == {"seat": 1, "remaining_s": 1.0}


def test_one_tag_per_tick():
    state = GAME.tick(arena((100, 100), (110, 100), (105, 100)), {}, DT)
    assert state["it"] == 2
    assert state["immune"]["seat"] == 0


# --- time and ranking ---------------------------------------------------------------


def test_time_as_it_is_counted_for_whoever_is_it():
    state = run(arena((100, 100), (700, 500), it=1), {}, 10)
    assert state["it_s"] == [0.0, 0.5]
    assert state["remaining_s"] == 59.5


def test_match_ends_after_the_duration():
    state = GAME.setup(3, {"duration_s": 2}, random.Random(5))
    state = run(state, {}, 39)
    assert GAME.outcome(state) is None
    assert state["remaining_s"] == pytest.approx(0.05)
    state = GAME.tick(state, {}, DT)
    assert state["remaining_s"] == 0
    assert state["tick"] == 40
    assert GAME.outcome(state) is not None
    assert sum(state["it_s"]) == pytest.approx(2.0)


def test_default_match_lasts_60_seconds():
    state = run(GAME.setup(2, {}, random.Random(0)), {}, 1199)
    assert GAME.outcome(state) is None
    state = GAME.tick(state, {}, DT)
    assert state["remaining_s"] == 0
    assert GAME.outcome(state) is not None


def test_a_long_last_tick_is_cut_to_the_time_left():
    state = GAME.tick(arena((100, 100), (700, 500), remaining_s=0.1), {0: STILL}, 1.0)
    assert state["it_s"] == [0.1, 0.0]
    assert state["remaining_s"] == 0


def test_ticks_after_the_end_change_nothing():
    state = arena((100, 100), (700, 500), remaining_s=0.0)
    assert GAME.tick(state, {0: {"dx": 1, "dy": 0}}, DT) == state


def test_ranking_is_by_least_time_as_it_then_seat():
    state = arena((0, 0), (100, 0), (200, 0), (300, 0), remaining_s=0.0)
    state["it_s"] = [3.0, 1.5, 3.0, 0.5]
    assert GAME.standing(state) == [3, 1, 0, 2]
    outcome = GAME.outcome(state)
    assert (outcome.winner, outcome.ranking, outcome.reason) == (3, [3, 1, 0, 2], "win")


def test_standing_mid_match():
    state = arena((0, 0), (100, 0), remaining_s=30.0)
    state["it_s"] = [1.0, 2.0]
    assert GAME.standing(state) == [0, 1]
    assert GAME.outcome(state) is None


def test_a_chase_is_deterministic():
    def chase(seed):
        state = GAME.setup(4, {"duration_s": 3}, random.Random(seed))
        moves = random.Random(seed + 1)
        while GAME.outcome(state) is None:
            inputs = {seat: {"dx": moves.choice((-1, 0, 1)), "dy": moves.choice((-1, 0, 1))}
                      for seat in range(4)}  # fmt: skip
            state = GAME.tick(state, inputs, DT)
        return state

    assert chase(11) == chase(11)


# --- the bot's input --------------------------------------------------------------------


def bot(state, seat, seed=0):
    return GAME.bot_input(state, seat, random.Random(seed))


def test_bot_as_it_heads_for_the_nearest_player():
    state = arena((100, 100), (300, 100), (100, 500), it=0)
    assert bot(state, 0) == {"dx": 1, "dy": 0}


def test_bot_as_it_skips_the_immune_player():
    immune = {"seat": 1, "remaining_s": 0.5}
    state = arena((100, 100), (140, 100), (100, 400), it=0, immune=immune)
    assert bot(state, 0) == {"dx": 0, "dy": 1}


def test_bot_as_it_chases_the_immune_player_when_nobody_else_is_left():
    state = arena((100, 100), (100, 140), it=0, immune={"seat": 1, "remaining_s": 0.5})
    assert bot(state, 0) == {"dx": 0, "dy": 1}


def test_bot_runs_away_from_it_in_the_open():
    state = arena((300, 300), (400, 300), it=0)
    assert bot(state, 1) == {"dx": 1, "dy": 0}


def test_bot_pinned_against_a_wall_slides_along_it_toward_the_middle():
    # "it" comes straight down at a runner on the bottom wall, left of the middle.
    state = arena((300, 500), (300, HEIGHT), it=0)
    assert bot(state, 1) == {"dx": 1, "dy": 0}


def test_bot_in_a_corner_leaves_along_a_wall():
    state = arena((60, 60), (0, 0), it=0)
    assert bot(state, 1) == {"dx": 1, "dy": 0}


def test_bot_on_top_of_it_still_moves():
    state = arena((300, 300), (300, 300), it=0)
    assert bot(state, 1) != STILL


def test_bot_input_is_accepted_and_depends_only_on_state_and_seed():
    state = GAME.setup(4, {}, random.Random(3))
    for seat in range(4):
        move = bot(state, seat, seed=9)
        assert GAME.check_input(state, seat, move) == move
        assert bot(state, seat, seed=9) == move
