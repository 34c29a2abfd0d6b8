"""Running a game's own rules over a stored seed and log: replays and rebuilds.

Turn-based matches log ``(seat, move)`` pairs. Real-time matches log each change of a
seat's input as ``[tick, seat, input]`` (the input holds until the next change) and the
number of ticks played, packed as one MessagePack blob.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import msgpack

from ..games import Game, State


def pack_inputs(ticks: int, changes: list[list[Any]]) -> bytes:
    """The compact input log of a real-time match."""
    return msgpack.packb({"ticks": ticks, "inputs": changes}, use_bin_type=True)


def unpack_inputs(blob: bytes | None) -> tuple[int, list[list[Any]]]:
    if not blob:
        return 0, []
    data = msgpack.unpackb(blob, raw=False, strict_map_key=False)
    return data["ticks"], data["inputs"]


def initial_state(game: Game, players: int, options: dict[str, Any], seed: int) -> State:
    """The state a match starts from: its game's setup with the match's own seed."""
    return game.setup(players, options, random.Random(seed))


def turn_states(game: Game, state: State, moves: list[tuple[int, Any]]) -> Iterator[State]:
    """The state after each move."""
    for seat, move in moves:
        state = game.apply(state, seat, move)
        yield state


def tick_states(game: Game, state: State, ticks: int, changes: list[list[Any]]) -> Iterator[State]:
    """The state after each tick, feeding each seat's latest input."""
    dt = 1.0 / game.tick_rate
    inputs: dict[int, Any] = {}
    pending = iter(changes)
    nxt = next(pending, None)
    for tick in range(ticks):
        while nxt is not None and nxt[0] <= tick:
            inputs[nxt[1]] = nxt[2]
            nxt = next(pending, None)
        state = game.tick(state, inputs, dt)
        yield state


def replay(
    game: Game,
    players: int,
    options: dict[str, Any],
    seed: int,
    moves: list[tuple[int, Any]],
    input_log: bytes | None = None,
) -> list[State]:
    """Every state of a match, from setup to its last move or tick."""
    state = initial_state(game, players, options, seed)
    if game.tick_rate:
        ticks, changes = unpack_inputs(input_log)
        return [state, *tick_states(game, state, ticks, changes)]
    return [state, *turn_states(game, state, moves)]
