"""Tag: the worked example of a real-time game.

Up to eight players run around an 800 x 600 arena at 200 units/s. One of them is
"it" and passes it on by touching another (distance <= 20). The player who just
tagged is safe from the new "it" for one second. When time runs out, whoever spent
the least time as "it" wins.

An input is ``{"dx": -1|0|1, "dy": -1|0|1}``; the host keeps each seat's latest
input and calls ``tick`` 20 times a second. State::

    {"tick": int, "it": seat, "remaining_s": float,
     "players": [{"seat", "x", "y"}, ...],
     "it_s": [seconds as "it", one per seat],
     "immune": None | {"seat": seat, "remaining_s": float}}

Times are rounded to the millisecond and positions to 1/100 of a unit, so that
frames stay small and a replay lands on exactly the same numbers.

Its bot (``bot_input``) chases the nearest player it can tag when it is "it", and
otherwise runs from "it", pushed off the walls so that it slides along them rather
than into a corner.
"""

from __future__ import annotations

import math
import random
from typing import Any

from .base import Game, IllegalMove, Outcome, State

WIDTH, HEIGHT = 800.0, 600.0
SPEED = 200.0  # units per second, diagonals included
TAG_DISTANCE = 20.0
IMMUNITY_S = 1.0
SPAWN_MARGIN = 20.0
SPAWN_SPACING = 100.0  # try to start players this far apart
DIRECTIONS = (-1, 0, 1)
COMPASS = tuple((dx, dy) for dx in DIRECTIONS for dy in DIRECTIONS if dx or dy)
WALL_MARGIN = 100.0  # a fleeing bot is pushed off walls closer than this
SLIDE_BELOW = 0.6  # when the push nearly cancels the flight, the bot slides along the wall


def spawn(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` players at random spots, spaced out when the arena allows it."""
    players: list[dict[str, Any]] = []
    for seat in range(count):
        for _ in range(100):
            x = round(rng.uniform(SPAWN_MARGIN, WIDTH - SPAWN_MARGIN), 2)
            y = round(rng.uniform(SPAWN_MARGIN, HEIGHT - SPAWN_MARGIN), 2)
            if all(math.dist((x, y), (p["x"], p["y"])) >= SPAWN_SPACING for p in players):
                break
        players.append({"seat": seat, "x": x, "y": y})
    return players


def step(player: dict[str, Any], input: dict[str, int] | None, dt: float) -> dict[str, Any]:
    """``player`` moved by ``input`` for ``dt`` seconds, kept inside the arena."""
    dx, dy = (input["dx"], input["dy"]) if input else (0, 0)
    if dx == 0 and dy == 0:
        return player
    scale = SPEED * dt / math.hypot(dx, dy)  # diagonals are no faster
    x = min(max(player["x"] + dx * scale, 0.0), WIDTH)
    y = min(max(player["y"] + dy * scale, 0.0), HEIGHT)
    return {**player, "x": round(x, 2), "y": round(y, 2)}


def tagged(players: list[dict[str, Any]], it: int, safe: int | None) -> int | None:
    """The seat that "it" touches (the nearest, then the lowest seat), or None."""
    chaser = players[it]
    touched = [
        (math.dist((p["x"], p["y"]), (chaser["x"], chaser["y"])), p["seat"])
        for p in players
        if p["seat"] not in (it, safe)
    ]
    touched = [t for t in touched if t[0] <= TAG_DISTANCE]
    return min(touched)[1] if touched else None


def toward(vx: float, vy: float, rng: random.Random) -> dict[str, int]:
    """The input whose direction is closest to the vector ``(vx, vy)``; ties by ``rng``."""
    if math.hypot(vx, vy) < 1e-9:
        return {"dx": 0, "dy": 0}
    headings = list(COMPASS)
    rng.shuffle(headings)
    dx, dy = max(headings, key=lambda d: (d[0] * vx + d[1] * vy) / math.hypot(*d))
    return {"dx": dx, "dy": dy}


def wall_push(x: float, y: float) -> tuple[float, float]:
    """Away from the walls nearer than ``WALL_MARGIN``: 0 at the margin, 1 at the wall."""

    def push(gap: float) -> float:
        return max(0.0, (WALL_MARGIN - gap) / WALL_MARGIN)

    return push(x) - push(WIDTH - x), push(y) - push(HEIGHT - y)


def chase(me: dict[str, Any], state: State, rng: random.Random) -> dict[str, int]:
    """Toward the nearest player "it" may tag (the immune one if nobody else is left)."""
    safe = state["immune"]["seat"] if state["immune"] else None
    others = [p for p in state["players"] if p["seat"] != me["seat"]]
    targets = [p for p in others if p["seat"] != safe] or others
    target = min(targets, key=lambda p: (math.hypot(p["x"] - me["x"], p["y"] - me["y"]), p["seat"]))
    return toward(target["x"] - me["x"], target["y"] - me["y"], rng)


def flee(me: dict[str, Any], it: dict[str, Any], rng: random.Random) -> dict[str, int]:
    """Away from "it" and off the walls; where the two cancel (pinned against a wall),
    sideways: perpendicular to "it", on the side of the arena's centre."""
    away_x, away_y = me["x"] - it["x"], me["y"] - it["y"]
    if away_x == away_y == 0:  # right on top of "it": any way out
        away_x, away_y = rng.choice(COMPASS)
    length = math.hypot(away_x, away_y)
    away_x, away_y = away_x / length, away_y / length
    push_x, push_y = wall_push(me["x"], me["y"])
    vx, vy = away_x + push_x, away_y + push_y
    if math.hypot(vx, vy) < SLIDE_BELOW:
        side_x, side_y = -away_y, away_x
        if side_x * (WIDTH / 2 - me["x"]) + side_y * (HEIGHT / 2 - me["y"]) < 0:
            side_x, side_y = -side_x, -side_y
        vx, vy = vx + side_x, vy + side_y
    return toward(vx, vy, rng)


class Tag(Game):
    """Real-time tag for 2 to 8 players; the least time spent as "it" wins."""

    name = "tag"
    title = "Tag"
    description = 'Real time, 2 to 8 players: whoever is "it" passes it on by touching.'
    min_players = 2
    max_players = 8
    tick_rate = 20
    options = {"duration_s": 60}

    def setup(self, players: int, options: dict[str, Any], rng: random.Random) -> State:
        """Scatter the players with ``rng`` and let it pick who is "it"."""
        duration = self.resolve_options(options)["duration_s"]
        if type(duration) not in (int, float) or not duration > 0:
            raise ValueError("duration_s must be a positive number")
        if not self.min_players <= players <= self.max_players:
            raise ValueError(f"tag takes {self.min_players} to {self.max_players} players")
        return {
            "tick": 0,
            "it": rng.randrange(players),
            "remaining_s": round(float(duration), 3),
            "players": spawn(players, rng),
            "it_s": [0.0] * players,
            "immune": None,
        }

    def check_input(self, state: State, seat: int, input: Any) -> dict[str, int]:
        """Accept exactly ``{"dx": -1|0|1, "dy": -1|0|1}``; return a fresh copy."""
        if not isinstance(input, dict) or set(input) != {"dx", "dy"}:
            raise IllegalMove("invalid", 'an input is {"dx": -1|0|1, "dy": -1|0|1}')
        for key in ("dx", "dy"):
            if type(input[key]) is not int or input[key] not in DIRECTIONS:
                raise IllegalMove("invalid", f"{key} must be -1, 0 or 1")
        return {"dx": input["dx"], "dy": input["dy"]}

    def bot_input(self, state: State, seat: int, rng: random.Random) -> dict[str, int]:
        """Chase when ``seat`` is "it", run from "it" otherwise."""
        me = state["players"][seat]
        if state["it"] == seat:
            return chase(me, state, rng)
        return flee(me, state["players"][state["it"]], rng)

    def tick(self, state: State, inputs: dict[int, Any], dt: float) -> State:
        """Move everyone, charge "it" for the time, then let "it" tag someone."""
        if state["remaining_s"] <= 0:
            return state
        dt = min(max(dt, 0.0), state["remaining_s"])
        players = [step(p, inputs.get(p["seat"]), dt) for p in state["players"]]
        it = state["it"]
        it_s = list(state["it_s"])
        it_s[it] = round(it_s[it] + dt, 3)
        immune = state["immune"]
        if immune is not None:
            left = round(immune["remaining_s"] - dt, 3)
            immune = {**immune, "remaining_s": left} if left > 0 else None
        victim = tagged(players, it, immune["seat"] if immune else None)
        if victim is not None:
            immune = {"seat": it, "remaining_s": IMMUNITY_S}
            it = victim
        return {
            "tick": state["tick"] + 1,
            "it": it,
            "remaining_s": max(round(state["remaining_s"] - dt, 3), 0.0),
            "players": players,
            "it_s": it_s,
            "immune": immune,
        }

    def standing(self, state: State) -> list[int]:
        """Seats by least time spent as "it"; ties go to the lower seat."""
        return sorted(range(len(state["players"])), key=lambda seat: (state["it_s"][seat], seat))

    def outcome(self, state: State) -> Outcome | None:
        """Over when time runs out; the least time as "it" wins."""
        if state["remaining_s"] > 0:
            return None
        ranking = self.standing(state)
        return Outcome(ranking[0], ranking, "win")
