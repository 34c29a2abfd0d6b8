"""The bots, called directly: which bot a game gets, tic-tac-toe's search that never
loses, the search's budget, and tag's bot against random movers (simulated with the
pure ``tick``). Every match is seeded: the results are the same on every run."""

import random

import pytest

from match.games.base import Game, IllegalMove, Outcome
from match.games.bots import (
    DRAW,
    LOSS,
    SEARCH_BUDGET,
    WIN,
    RandomBot,
    SearchBot,
    bot_rng,
    choose_input,
    choose_move,
    make_bot,
)
from match.games.rps import RockPaperScissors
from match.games.tag import Tag
from match.games.tictactoe import TicTacToe

TTT, RPS, TAG = TicTacToe(), RockPaperScissors(), Tag()
EMPTY = TTT.setup(2, {}, random.Random(0))


class Plain(Game):
    name = "plain"


class Enumerates(Game):
    name = "enumerates"

    def legal_moves(self, state, seat):
        return []


class Declares(Enumerates):
    bot = "search"


class Steers(Game):
    name = "steers"
    tick_rate = 10

    def bot_input(self, state, seat, rng):
        return {}


class Nim(Game):
    """Take 1 to 3 from the pile; whoever takes the last one wins (the docs' example).
    The seat to move wins exactly when the pile is not a multiple of 4."""

    name = "nim"
    bot = "search"

    def setup(self, players, options, rng):
        return {"pile": 21, "turn": 0, "last": None}

    def legal_moves(self, state, seat):
        if seat != state["turn"] or state["pile"] == 0:
            return []
        return [{"take": n} for n in (1, 2, 3) if n <= state["pile"]]

    def apply(self, state, seat, move):
        if move not in self.legal_moves(state, seat):
            raise IllegalMove("illegal_move", "no")
        return {"pile": state["pile"] - move["take"], "turn": 1 - seat, "last": seat}

    def outcome(self, state):
        if state["pile"]:
            return None
        return Outcome(state["last"], [state["last"], 1 - state["last"]], "win")


class Forever(Game):
    """Two seats pass a token back and forth, and nobody ever wins."""

    name = "forever"
    bot = "search"

    def legal_moves(self, state, seat):
        return [{"pass": True}] if seat == state["turn"] else []

    def apply(self, state, seat, move):
        return {"turn": 1 - seat}

    def outcome(self, state):
        return None


def board(*cells):
    """Tic-tac-toe after ``cells``, seats alternating from X."""
    state = EMPTY
    for cell in cells:
        state = TTT.apply(state, state["turn"], {"cell": cell})
    return state


# --- which bot a game gets -------------------------------------------------------------


def test_bot_kind_is_the_declared_one_else_what_the_hooks_allow():
    assert (Plain.bot_kind(), Plain.has_bot()) == (None, False)
    assert (Enumerates.bot_kind(), Enumerates.has_bot()) == ("random", True)
    assert Declares.bot_kind() == "search"
    assert Steers.bot_kind() == "input"


def test_the_shipped_games_bots():
    assert [g.bot_kind() for g in (TTT, RPS, TAG)] == ["search", "random", "input"]


def test_the_default_hooks_are_not_implemented():
    with pytest.raises(NotImplementedError):
        Plain().legal_moves({}, 0)
    with pytest.raises(NotImplementedError):
        Plain().bot_input({}, 0, random.Random(0))


def test_make_bot_follows_the_game():
    assert isinstance(make_bot(TTT, 0), SearchBot)
    assert isinstance(make_bot(RPS, 1), RandomBot)
    for game in (TAG, Plain()):
        with pytest.raises(ValueError):
            make_bot(game, 0)


def test_choose_move_is_none_when_the_seat_has_no_move():
    assert choose_move(TTT, board(4), 0, random.Random(0)) is None
    assert choose_move(TTT, board(0, 3, 1, 4, 2), 1, random.Random(0)) is None
    chosen = RPS.apply(RPS.setup(2, {}, random.Random(0)), 0, {"choice": "rock"})
    assert choose_move(RPS, chosen, 0, random.Random(0)) is None
    assert choose_move(RPS, chosen, 1, random.Random(0)) in RPS.legal_moves(chosen, 1)


def test_choose_move_depends_only_on_the_state_and_the_seed():
    state = board(4)  # O must answer the centre with a corner; the seed picks which
    moves = [choose_move(TTT, state, 1, random.Random(seed)) for seed in range(10)]
    assert moves == [choose_move(TTT, state, 1, random.Random(seed)) for seed in range(10)]
    cells = {move["cell"] for move in moves}
    assert len(cells) > 1 and cells <= {0, 2, 6, 8}


def test_bot_rng_is_derived_from_seed_seat_and_seq():
    assert bot_rng(7, 1, 3).random() == bot_rng(7, 1, 3).random()
    draws = {bot_rng(7, seat, seq).random() for seat in (0, 1) for seq in (3, 4)}
    assert len(draws) == 4


def test_choose_input_is_the_bot_input_normalised():
    state = TAG.setup(3, {}, random.Random(2))
    for seat in range(3):
        raw = TAG.bot_input(state, seat, random.Random(5))
        assert choose_input(TAG, state, seat, random.Random(5)) == TAG.check_input(state, seat, raw)


# --- tic-tac-toe's search ---------------------------------------------------------------


def test_takes_a_win_at_once():
    # X X . / O O . / . . .  X to move: 2 wins now (X also has other wins later).
    for seed in range(10):
        assert choose_move(TTT, board(0, 3, 1, 4), 0, random.Random(seed)) == {"cell": 2}


def test_blocks_a_win():
    # X X . / . O . / . . .  O to move must take 2.
    for seed in range(10):
        assert choose_move(TTT, board(0, 4, 1), 1, random.Random(seed)) == {"cell": 2}


def test_answers_a_corner_with_the_centre():
    # Every other reply to a corner opening loses.
    for seed in range(10):
        assert choose_move(TTT, board(0), 1, random.Random(seed)) == {"cell": 4}


def test_proves_the_empty_board_a_draw_well_inside_the_budget():
    for seed in range(5):
        result = SearchBot(TTT, 0).search(EMPTY, random.Random(seed))
        assert result.complete and result.value == DRAW
        assert result.nodes < 6_000 < SEARCH_BUDGET


def test_finds_a_forced_win():
    # X in a corner, O on an edge next to it: X forces a win.
    result = SearchBot(TTT, 0).search(board(0, 1), random.Random(0))
    assert (result.value, result.complete) == (WIN, True)


def test_out_of_budget_it_still_plays_a_legal_move():
    result = SearchBot(TTT, 0, budget=50).search(EMPTY, random.Random(0))
    assert not result.complete
    assert result.nodes == 50
    assert result.move in TTT.legal_moves(EMPTY, 0)


def test_a_kept_bot_plays_as_fresh_ones_do():
    """What the table remembers is proved, so it changes the cost, never the move."""
    kept, rng = SearchBot(TTT, 1), random.Random(4)
    for count in [1, 3] * 15:
        state = board(*rng.sample(range(9), count))  # O to move
        seed = rng.getrandbits(32)
        fresh = SearchBot(TTT, 1).choose(state, random.Random(seed))
        assert kept.choose(state, random.Random(seed)) == fresh


def ttt_match(bots, seed):
    """A whole game, ``bots[seat]`` choosing each seat's moves; the outcome."""
    rng, state = random.Random(seed), EMPTY
    while TTT.outcome(state) is None:
        seat = state["turn"]
        state = TTT.apply(state, seat, bots[seat].choose(state, rng))
    return TTT.outcome(state)


@pytest.mark.parametrize("seat", [0, 1])
def test_never_loses_to_a_random_mover(seat):
    # One bot for all 200 games: as a kept bot plays as fresh ones do, this is the
    # same as 200 fresh bots, only faster.
    bots = [RandomBot(TTT, 0), RandomBot(TTT, 1)]
    bots[seat] = SearchBot(TTT, seat)
    winners = [ttt_match(bots, seed).winner for seed in range(200)]
    assert 1 - seat not in winners
    assert winners.count(seat) > 100


def test_never_loses_to_itself():
    bots = [SearchBot(TTT, 0), SearchBot(TTT, 1)]
    outcomes = [ttt_match(bots, seed) for seed in range(50)]
    assert {outcome.reason for outcome in outcomes} == {"draw"}


@pytest.mark.parametrize("pile", range(1, 25))
def test_search_solves_another_game(pile):
    """Nothing in the search is tic-tac-toe's: it solves Nim too."""
    state = {"pile": pile, "turn": 1, "last": 0}
    result = SearchBot(Nim(), 1).search(state, random.Random(pile))
    assert result.complete
    assert result.value == (LOSS if pile % 4 == 0 else WIN)
    if pile % 4:
        assert result.move == {"take": pile % 4}


def test_search_stops_at_its_depth_in_a_game_without_end():
    result = SearchBot(Forever(), 0).search({"turn": 0}, random.Random(0))
    assert result.move == {"pass": True}
    assert (result.value, result.complete) == (DRAW, False)


def test_search_copes_with_simultaneous_choices():
    """rps declares a random bot, but a search given it still plays legal moves."""
    state = RPS.setup(2, {}, random.Random(0))
    for seat in (0, 1):
        result = SearchBot(RPS, seat, budget=300).search(state, random.Random(seat))
        assert result.move in RPS.legal_moves(state, seat)
        assert result.nodes <= 300


# --- tag's bot, against random movers ---------------------------------------------------

DT = 1 / TAG.tick_rate


def random_input(state, seat, rng):
    return {"dx": rng.choice((-1, 0, 1)), "dy": rng.choice((-1, 0, 1))}


def bot_input(state, seat, rng):
    return choose_input(TAG, state, seat, rng)


def chase(it, runner, seed, seconds=10):
    """Seat 0 starts as "it" and seat 1 runs; ``(seconds until the first tag, or None;
    seat 1's time as "it" by the end)``."""
    rng = random.Random(seed)
    state = {**TAG.setup(2, {"duration_s": seconds}, rng), "it": 0}
    caught = None
    while TAG.outcome(state) is None:
        state = TAG.tick(state, {0: it(state, 0, rng), 1: runner(state, 1, rng)}, DT)
        if caught is None and state["it"] == 1:
            caught = state["tick"] * DT
    return caught, state["it_s"][1]


SEEDS = range(20)


def test_tag_bot_as_it_catches_a_random_mover_more_often_than_a_random_it():
    by_bot = [chase(bot_input, random_input, seed)[0] for seed in SEEDS]
    by_random = [chase(random_input, random_input, seed)[0] for seed in SEEDS]
    assert by_bot.count(None) == 0
    assert by_random.count(None) > 10


def test_tag_bot_as_runner_spends_less_time_it_than_a_random_runner():
    bot_runs = [chase(bot_input, bot_input, seed) for seed in SEEDS]
    random_runs = [chase(bot_input, random_input, seed) for seed in SEEDS]
    assert sum(it_s for _, it_s in bot_runs) < sum(it_s for _, it_s in random_runs) / 2
    survived = [caught or 10 for caught, _ in bot_runs]
    assert sum(survived) > 2 * sum(caught or 10 for caught, _ in random_runs)
