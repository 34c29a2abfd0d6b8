"""Tic-tac-toe rules, called directly: no server."""

import random

import pytest

from match.games.base import IllegalMove
from match.games.tictactoe import LINES, TicTacToe

GAME = TicTacToe()


def play(cells, state=None):
    """Play ``cells`` in order, seats alternating from whoever's turn it is."""
    state = state or GAME.setup(2, {}, random.Random(0))
    for cell in cells:
        state = GAME.apply(state, state["turn"], {"cell": cell})
    return state


def test_setup_matches_the_protocol():
    state = GAME.setup(2, {}, random.Random(1))
    assert state == {"board": [None] * 9, "turn": 0, "marks": ["X", "O"]}
    assert GAME.outcome(state) is None


def test_seat_0_plays_x_and_turns_alternate():
    state = play([4])
    assert state["board"][4] == "X"
    assert state["turn"] == 1
    state = play([0], state)
    assert state["board"][0] == "O"
    assert state["turn"] == 0


@pytest.mark.parametrize("line", LINES)
def test_every_line_wins_for_x(line):
    # O's two marks can never make a line, so X wins with its third.
    o_cells = [cell for cell in range(9) if cell not in line][:2]
    state = play([line[0], o_cells[0], line[1], o_cells[1], line[2]])
    outcome = GAME.outcome(state)
    assert outcome is not None
    assert (outcome.winner, outcome.ranking, outcome.reason) == (0, [0, 1], "win")


def test_o_can_win():
    # X: 0, 1, 8; O: 3, 4, 5 (middle row).
    state = play([0, 3, 1, 4, 8, 5])
    outcome = GAME.outcome(state)
    assert (outcome.winner, outcome.ranking, outcome.reason) == (1, [1, 0], "win")


def test_full_board_without_a_line_is_a_draw():
    # X O X / X O O / O X X
    state = play([0, 1, 2, 4, 3, 5, 7, 6, 8])
    assert state["board"] == ["X", "O", "X", "X", "O", "O", "O", "X", "X"]
    outcome = GAME.outcome(state)
    assert (outcome.winner, outcome.reason) == (None, "draw")


def test_move_out_of_turn_is_refused():
    state = GAME.setup(2, {}, random.Random(0))
    with pytest.raises(IllegalMove) as err:
        GAME.apply(state, 1, {"cell": 0})
    assert err.value.code == "not_your_turn"


def test_taken_cell_is_illegal():
    state = play([4])
    with pytest.raises(IllegalMove) as err:
        GAME.apply(state, 1, {"cell": 4})
    assert err.value.code == "illegal_move"


@pytest.mark.parametrize(
    "move",
    [
        {"cell": True},
        {"cell": False},
        {"cell": 4.0},
        {"cell": "4"},
        {"cell": None},
        {"cell": -1},
        {"cell": 9},
        {"cell": 4, "extra": 1},
        {},
        {"Cell": 4},
        [4],
        4,
        "4",
        None,
    ],
)
def test_malformed_moves_are_invalid(move):
    state = GAME.setup(2, {}, random.Random(0))
    with pytest.raises(IllegalMove) as err:
        GAME.apply(state, 0, move)
    assert err.value.code == "invalid"


def test_apply_returns_a_new_state():
    state = GAME.setup(2, {}, random.Random(0))
    after = GAME.apply(state, 0, {"cell": 0})
    assert state["board"] == [None] * 9
    assert after is not state


def test_no_move_after_a_win():
    state = play([0, 3, 1, 4, 2])  # X wins the top row
    with pytest.raises(IllegalMove) as err:
        GAME.apply(state, 1, {"cell": 8})
    assert err.value.code == "illegal_move"


def test_legal_moves_are_the_free_cells_for_the_seat_to_move():
    state = play([4, 0])
    assert GAME.legal_moves(state, 0) == [{"cell": c} for c in (1, 2, 3, 5, 6, 7, 8)]
    assert GAME.legal_moves(state, 1) == []


def test_no_legal_moves_once_over():
    assert GAME.legal_moves(play([0, 3, 1, 4, 2]), 1) == []
    assert GAME.legal_moves(play([0, 1, 2, 4, 3, 5, 7, 6, 8]), 0) == []
