"""One contract, run against every installed game (``settings.GAMESERVER_GAMES``) and the
example games the project ships (``EXAMPLES``).

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
  ``seat`` keeps secret. No other seat, and no spectator, may tell them apart;
- a game with a bot (``has_bot()``): ``legal_moves`` lists moves that ``apply``
  accepts (exactly those, where ``MOVE_SPACE`` knows the game's moves), and is empty
  once the match is over; the bot's moves and inputs are always legal plain data,
  chosen without touching the state, the same for the same seed; and over many
  seeded matches a searching bot beats a random mover, a random bot breaks even
  with one, and a real-time bot beats random inputs (where ``RANDOM_INPUTS`` has them).

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

from match.games.base import BOT_KINDS, REASONS, IllegalMove
from match.games.bots import RandomBot, choose_input, make_bot
from match.games.nim import Nim
from match.registry import installed_games

GAME_CODES = {"illegal_move", "not_your_turn", "invalid"}
#: Games the project ships without installing them: held to the same contract.
EXAMPLES = {"nim": Nim()}
NAMES = sorted(set(installed_games()) | set(EXAMPLES))
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
    "nim": st.fixed_dictionaries({"take": st.integers(0, 4)}),
}


def game_of(name):
    return installed_games().get(name) or EXAMPLES[name]


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


# --- bots -------------------------------------------------------------------------------

BOT_NAMES = [name for name in NAMES if game_of(name).has_bot()]
TURN_BOTS = [name for name in BOT_NAMES if not game_of(name).tick_rate]
REALTIME_BOTS = [name for name in BOT_NAMES if game_of(name).tick_rate]
#: Every well-formed move of the games we ship, and some near misses: on these,
#: ``legal_moves`` must be exactly the moves that ``apply`` accepts.
MOVE_SPACE = {
    "tictactoe": [{"cell": cell} for cell in range(-1, 10)],
    "rps": [{"choice": choice} for choice in ("rock", "paper", "scissors", "lizard")],
    "nim": [{"take": n} for n in range(5)],
}
#: A random mover's input in the real-time games we ship.
RANDOM_INPUTS = {
    "tag": lambda rng: {"dx": rng.choice((-1, 0, 1)), "dy": rng.choice((-1, 0, 1))},
}
MATCHES = 40  # seeded matches per measure: deterministic, so it cannot flake
MAX_STEPS = 1_000  # a match is cut off after this many moves (real time: seconds)


def accepts(game, state, seat, move):
    try:
        guarded(game.apply, state, seat, move)
    except IllegalMove:
        return False
    return True


def canonical(moves):
    return sorted(orjson.dumps(move, option=orjson.OPT_SORT_KEYS) for move in moves)


def bot_plays(bot, game, state, seat, rng):
    """The bot's move, checked: the state untouched, plain data, legal, and the same
    again from a generator seeded alike (the bot is deterministic)."""
    before, seed = orjson.dumps(state), rng.getrandbits(32)
    move = bot.choose(state, random.Random(seed))
    assert orjson.dumps(state) == before, f"{game.name}'s bot mutated the state"
    assert bot.choose(state, random.Random(seed)) == move, f"{game.name}'s bot is not deterministic"
    assert_round_trips(move, "bot move")
    assert move in game.legal_moves(state, seat)
    return move


def turn_based_match(game, players, seed, bots):
    """The final state of a match where ``bots[seat]`` plays each seat; while several
    seats may move, the match's rng picks who goes first. Every move must be legal."""
    rng = random.Random(seed)
    state = setup(game, players, seed)
    for _ in range(MAX_STEPS):
        if game.outcome(state) is not None:
            break
        movers = [seat for seat in range(players) if game.legal_moves(state, seat)]
        assert movers, f"{game.name}: the match goes on, yet no seat has a legal move"
        seat = rng.choice(movers)
        state = guarded(game.apply, state, seat, bot_plays(bots[seat], game, state, seat, rng))
    return state


def realtime_match(game, players, seed, inputs, ticks):
    """The final state after ``ticks`` ticks (or the end), ``inputs[seat](state, seat,
    rng)`` giving each seat's input before every tick."""
    rng = random.Random(seed)
    state = setup(game, players, seed)
    for _ in range(ticks):
        if game.outcome(state) is not None:
            break
        sent = {seat: inputs[seat](state, seat, rng) for seat in range(players)}
        latest = {seat: game.check_input(state, seat, raw) for seat, raw in sent.items()}
        state = game.tick(state, latest, 1 / game.tick_rate)
    return state


def checked_bot_input(game):
    """``game.bot_input``, checked: state untouched, accepted, plain, deterministic."""

    def send(state, seat, rng):
        before, seed = orjson.dumps(state), rng.getrandbits(32)
        raw = game.bot_input(state, seat, random.Random(seed))
        assert orjson.dumps(state) == before, f"{game.name}'s bot_input mutated the state"
        assert game.bot_input(state, seat, random.Random(seed)) == raw, "not deterministic"
        assert_round_trips(raw, "bot input")
        game.check_input(state, seat, raw)  # raises IllegalMove if the bot cheats
        return raw

    return send


def wins_and_losses(game, final, seat):
    outcome = game.outcome(final)
    if outcome is None or outcome.winner is None:
        return 0, 0
    return int(outcome.winner == seat), int(outcome.winner != seat)


@pytest.mark.parametrize("name", NAMES)
def test_bot_kind_fits_the_game(name):
    game = game_of(name)
    kind = game.bot_kind()
    assert kind is None or kind in BOT_KINDS
    assert game.has_bot() == (kind is not None)
    state = setup(game, game.min_players, 0)
    if kind == "input":
        assert game.tick_rate, "a turn-based game's bot plays moves, not inputs"
        game.bot_input(state, 0, random.Random(0))
    elif kind is not None:
        assert not game.tick_rate, "a real-time game's bot needs bot_input"
        assert isinstance(game.legal_moves(state, 0), list)


@pytest.mark.parametrize("name", TURN_BOTS)
@CONTRACT
@given(data=st.data())
def test_legal_moves_are_accepted_and_stop_at_the_end(name, data):
    game, players, seed, log = data.draw(matches(name))
    for state in play(game, players, seed, log):
        for seat in range(players):
            legal = guarded(game.legal_moves, state, seat)
            assert_round_trips(legal, "legal moves")
            if game.outcome(state) is not None:
                assert legal == []
            for move in legal:
                assert accepts(game, state, seat, move), f"legal {move!r} refused"


@pytest.mark.parametrize("name", sorted(set(TURN_BOTS) & set(MOVE_SPACE)))
@CONTRACT
@given(data=st.data())
def test_legal_moves_are_exactly_what_apply_accepts(name, data):
    """On states reached by legal play (hypothesis picks who moves and what)."""
    game = game_of(name)
    players = data.draw(st.integers(game.min_players, game.max_players))
    state = setup(game, players, 0)
    for _ in range(data.draw(st.integers(0, 30))):
        for seat in range(players):
            accepted = [m for m in MOVE_SPACE[name] if accepts(game, state, seat, m)]
            assert canonical(game.legal_moves(state, seat)) == canonical(accepted)
        movers = [seat for seat in range(players) if game.legal_moves(state, seat)]
        if not movers:
            break
        seat = data.draw(st.sampled_from(movers))
        state = game.apply(state, seat, data.draw(st.sampled_from(game.legal_moves(state, seat))))


@pytest.mark.parametrize("name", TURN_BOTS)
def test_bot_moves_are_always_legal(name):
    """Against a random mover and against itself, from every seat (bots kept for the
    whole test, as the host may keep one per seat for a match)."""
    game = game_of(name)
    players = game.min_players
    bots = [make_bot(game, seat) for seat in range(players)]
    randoms = [RandomBot(game, seat) for seat in range(players)]
    for seed in range(MATCHES):
        mixed = [bots[s] if s == seed % players else randoms[s] for s in range(players)]
        turn_based_match(game, players, seed, bots if seed % 4 == 0 else mixed)


@pytest.mark.parametrize("name", TURN_BOTS)
def test_bot_beats_a_random_mover_or_breaks_even(name):
    """A searching bot wins more than it loses against random moves; a random bot (the
    best there is in a game of secret simultaneous choices) wins about half."""
    game = game_of(name)
    players = game.min_players
    bots = [make_bot(game, seat) for seat in range(players)]
    randoms = [RandomBot(game, seat) for seat in range(players)]
    wins = losses = 0
    count = MATCHES if game.bot_kind() == "search" else 10 * MATCHES
    for seed in range(count):
        seat = seed % players
        mixed = [bots[s] if s == seat else randoms[s] for s in range(players)]
        won, lost = wins_and_losses(game, turn_based_match(game, players, seed, mixed), seat)
        wins, losses = wins + won, losses + lost
    if game.bot_kind() == "search":
        assert wins > losses
    else:
        assert wins + losses > count / 2, "too few decided matches to tell"
        assert 0.4 < wins / (wins + losses) < 0.6, (wins, losses)


@pytest.mark.parametrize("name", REALTIME_BOTS)
def test_bot_inputs_are_always_accepted(name):
    """Bots in every seat, from the fewest players to the most, for a while."""
    game = game_of(name)
    for seed in range(8):
        players = game.min_players + seed % (game.max_players - game.min_players + 1)
        send = checked_bot_input(game)
        realtime_match(game, players, seed, [send] * players, ticks=5 * game.tick_rate)


@pytest.mark.parametrize("name", sorted(set(REALTIME_BOTS) & set(RANDOM_INPUTS)))
def test_realtime_bot_beats_random_inputs(name):
    """Whole matches of one bot against random inputs: the bot wins most of them."""
    game = game_of(name)
    players = game.min_players

    def bot_input(state, seat, rng):
        return choose_input(game, state, seat, rng)

    def random_input(state, seat, rng):
        return RANDOM_INPUTS[name](rng)

    wins = 0
    for seed in range(10):
        seat = seed % players
        inputs = [bot_input if s == seat else random_input for s in range(players)]
        final = realtime_match(game, players, seed, inputs, ticks=MAX_STEPS * game.tick_rate)
        wins += wins_and_losses(game, final, seat)[0]
    assert wins > 7, f"the bot won {wins} of 10"


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
