"""One contract, run against every installed game (``settings.GAMESERVER_GAMES``).

What the match host relies on, whatever the rules:

- ``setup`` depends only on its arguments: the same seed gives the same state, and
  replaying the same log of moves (or inputs) gives the same states;
- a refused move or input raises ``IllegalMove`` with a game error code and changes
  nothing; no method mutates its arguments;
- every state and every view is plain data that JSON and MessagePack carry unchanged,
  with str dict keys only;
- ``outcome`` is None at setup, and a well-formed ``Outcome`` when it is not None;
- hidden information stays hidden. A game whose ``view`` hides something declares
  ``secret_variants(state, seat)``: states that differ from ``state`` only in what
  ``seat`` keeps secret. No other seat, and no spectator, may tell them apart.

Moves are random (hypothesis). ``PLAUSIBLE`` adds near-legal moves for the games we
ship so that matches get somewhere; a new game runs the contract without an entry,
on arbitrary JSON-like moves, and gets better coverage with one.
"""

import contextlib
import copy
import random

import msgpack
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from match.games.base import REASONS, IllegalMove
from match.registry import installed_games

GAME_CODES = {"illegal_move", "not_your_turn", "invalid"}
NAMES = sorted(installed_games())
CONTRACT = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 10)
    | st.floats(allow_nan=False, width=32)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
PLAUSIBLE = {
    "tictactoe": st.fixed_dictionaries({"cell": st.integers(-1, 9)}),
    "rps": st.fixed_dictionaries(
        {"choice": st.sampled_from(["rock", "paper", "scissors", "lizard"])}
    ),
    "tag": st.fixed_dictionaries({"dx": st.integers(-2, 2), "dy": st.integers(-1, 1)}),
}


def game_of(name):
    return installed_games()[name]


def moves(game):
    """Mostly near-legal moves when we know the game, and always some garbage."""
    plausible = PLAUSIBLE.get(game.name)
    return JSONISH if plausible is None else st.one_of(plausible, plausible, plausible, JSONISH)


@st.composite
def matches(draw, name):
    """``(game, players, seed, log)``: a log of ``(seat, move)`` for a turn-based game,
    or of ``{seat: input}`` per tick for a real-time one."""
    game = game_of(name)
    players = draw(st.integers(game.min_players, game.max_players))
    seats = st.integers(0, players - 1)
    if game.tick_rate:
        step = st.dictionaries(seats, moves(game), max_size=players)
        log = draw(st.lists(step, max_size=60))
    else:
        log = draw(st.lists(st.tuples(seats, moves(game)), max_size=40))
    return game, players, draw(st.integers(0, 2**32 - 1)), log


def guarded(method, *args):
    """Call ``method`` and check that it left its arguments alone, even when it raised."""
    before = copy.deepcopy(args)
    try:
        return method(*args)
    except IllegalMove as refused:
        assert refused.code in GAME_CODES, f"unexpected IllegalMove code {refused.code!r}"
        raise
    finally:
        assert args == before, f"{method.__name__} mutated its arguments"


def setup(game, players, seed, options=None):
    """``game.setup`` from ``seed``, checking that it leaves the options alone.

    (The rng is the one argument that setup may, and should, change.)
    """
    options = game.resolve_options(options)
    before = copy.deepcopy(options)
    state = game.setup(players, options, random.Random(seed))
    assert options == before, "setup mutated its options"
    return state


def play(game, players, seed, log):
    """Every state of a match replayed from ``seed`` and ``log``, refused moves skipped."""
    state = setup(game, players, seed)
    states, latest = [state], {}
    for step in log:
        if game.outcome(state) is not None:
            break
        if game.tick_rate:
            for seat, raw in step.items():
                with contextlib.suppress(IllegalMove):
                    latest[seat] = guarded(game.check_input, state, seat, raw)
            state = guarded(game.tick, state, dict(latest), 1 / game.tick_rate)
        else:
            seat, move = step
            try:
                state = guarded(game.apply, state, seat, move)
            except IllegalMove:
                continue
        states.append(state)
    return states


def assert_plain(value, path="state"):
    """Only str-keyed dicts, lists, str, int, float, bool and None."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{path} has a non-str key {key!r}"
            assert_plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_plain(item, f"{path}[{index}]")
    else:
        assert value is None or type(value) in (str, int, float, bool), (
            f"{path} is a {type(value).__name__}"
        )


def assert_round_trips(value, path):
    assert_plain(value, path)
    assert orjson.loads(orjson.dumps(value)) == value, f"{path} changes through JSON"
    assert msgpack.unpackb(msgpack.packb(value)) == value, f"{path} changes through MessagePack"


def assert_sound(game, players, state):
    """Everything the host does with a state works and gives well-formed answers."""
    assert_round_trips(state, "state")
    for viewer in [*range(players), None]:
        assert_round_trips(guarded(game.view, state, viewer), f"view for {viewer}")
    assert sorted(guarded(game.standing, state)) == list(range(players))
    outcome = guarded(game.outcome, state)
    if outcome is not None:
        assert sorted(outcome.ranking) == list(range(players))
        assert outcome.reason in REASONS
        assert outcome.winner is None or outcome.winner == outcome.ranking[0]
        assert_round_trips(outcome.as_dict(), "outcome")


def assert_secrets_kept(game, players, state):
    """No seat but the owner (and no spectator) can tell a secret's variants apart."""
    hides = any(game.view(state, viewer) != state for viewer in [*range(players), None])
    if not hasattr(game, "secret_variants"):
        assert not hides, f"{game.name}'s view hides something: declare secret_variants"
        return
    for owner in range(players):
        for variant in guarded(game.secret_variants, state, owner):
            for viewer in [*range(players), None]:
                if viewer != owner:
                    assert game.view(variant, viewer) == game.view(state, viewer), (
                        f"{game.name}: seat {viewer} can see seat {owner}'s secret"
                    )


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    game = game_of(name)
    assert game.name == name
    assert 1 <= game.min_players <= game.max_players
    assert game.tick_rate >= 0
    assert_round_trips(game.options, "options")
    assert game.resolve_options(None) == game.options


@pytest.mark.parametrize("name", NAMES)
@CONTRACT
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_setup_is_deterministic_and_not_over(name, seed, data):
    game = game_of(name)
    players = data.draw(st.integers(game.min_players, game.max_players))
    first = setup(game, players, seed)
    assert setup(game, players, seed) == first
    assert game.outcome(first) is None
    assert_sound(game, players, first)


@pytest.mark.parametrize("name", NAMES)
@CONTRACT
@given(data=st.data())
def test_replay_is_deterministic(name, data):
    game, players, seed, log = data.draw(matches(name))
    assert play(game, players, seed, log) == play(game, players, seed, log)


@pytest.mark.parametrize("name", NAMES)
@CONTRACT
@given(data=st.data())
def test_every_state_is_sound(name, data):
    game, players, seed, log = data.draw(matches(name))
    for state in play(game, players, seed, log):
        assert_sound(game, players, state)


@pytest.mark.parametrize("name", NAMES)
@CONTRACT
@given(data=st.data())
def test_hidden_information_stays_hidden(name, data):
    game, players, seed, log = data.draw(matches(name))
    for state in play(game, players, seed, log):
        assert_secrets_kept(game, players, state)


@pytest.mark.parametrize("name", NAMES)
@CONTRACT
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_arbitrary_moves_are_refused_cleanly_or_accepted(name, data, seed):
    """Whatever a client sends, the game answers or raises IllegalMove, and never crashes."""
    game = game_of(name)
    state = setup(game, game.min_players, seed)
    method = game.check_input if game.tick_rate else game.apply
    garbage = data.draw(JSONISH)
    with contextlib.suppress(IllegalMove):
        guarded(method, state, 0, garbage)


# The turn timer and hidden information: what the host and the HTTP API rely on.


@pytest.mark.parametrize("name", NAMES)
def test_a_game_that_hides_says_so(name):
    """The move log of an unfinished match is shown over HTTP unless the game hides."""
    game = game_of(name)
    assert game.hidden_information == hasattr(game, "secret_variants")


@pytest.mark.parametrize("name", NAMES)
@CONTRACT
@given(data=st.data())
def test_to_move_names_the_seats_the_game_waits_on(name, data):
    """``to_move``: seats in range, none once over; a turn-based game with a turn timer
    always waits on someone while it runs, and refuses a move from anyone else."""
    game, players, seed, log = data.draw(matches(name))
    timed = "turn_timeout_s" in game.options
    for state in play(game, players, seed, log):
        waiting = guarded(game.to_move, state)
        assert len(set(waiting)) == len(waiting) and set(waiting) <= set(range(players))
        if game.outcome(state) is not None:
            assert waiting == []
        elif timed and not game.tick_rate:
            assert waiting, f"{name} waits on nobody: its turn timer would never run"
            idle = [seat for seat in range(players) if seat not in waiting]
            for seat in idle:
                with pytest.raises(IllegalMove):
                    game.apply(state, seat, data.draw(moves(game)))
