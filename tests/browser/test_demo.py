"""The demo in real Chromium against a real server: play, watch, replay.

Each browser context is a separate player (the demo keeps its guest token per tab).
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None
else:
    expect.set_options(timeout=10_000)

pytestmark = [pytest.mark.live]

MSGPACK_BUILD = Path(__file__).resolve().parents[2] / "client_demo" / "node_modules" / "@msgpack"
PLAYING = re.compile(r"^(your-turn|their-turn|playing)$")


def login(page: Any, name: str) -> None:
    page.fill("#name", name)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#lobby")).to_be_visible()
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    expect(page.locator("#who")).to_have_text(name)


def queue(page: Any, game: str, first: bool = True) -> None:
    page.click(f"[data-testid=play-{game}]")
    if first:  # the second player may be matched before the queue status shows
        expect(page.locator("#queue-status")).to_be_visible()


def banner(page: Any) -> Any:
    return page.locator("#match-banner")


def wait_playing(*pages: Any) -> None:
    for page in pages:
        expect(banner(page)).to_have_attribute("data-state", PLAYING)


def match_id(page: Any) -> str:
    return page.locator("#match-view").get_attribute("data-match")


def api(base: str, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}{path}", timeout=5) as answer:
        return json.loads(answer.read())


def seated_pair(a: Any, b: Any) -> tuple[Any, Any]:
    """(the page playing X, the page playing O), once both boards are up."""
    wait_playing(a, b)
    expect(a.locator(".ttt-cell")).to_have_count(9)
    return (a, b) if banner(a).get_attribute("data-state") == "your-turn" else (b, a)


def click_cell(page: Any, other: Any, cell: int, mark: str) -> None:
    expect(banner(page)).to_have_attribute("data-state", "your-turn")
    page.click(f".ttt-cell[data-cell='{cell}']")
    for p in (page, other):
        expect(p.locator(f".ttt-cell[data-cell='{cell}']")).to_have_text(mark)


def start_pair(
    open_page: Any, game: str, names: tuple[str, str], query: str = ""
) -> tuple[Any, Any]:
    a, b = open_page(query), open_page(query)
    login(a, names[0])
    login(b, names[1])
    queue(a, game)
    queue(b, game, first=False)
    for page in (a, b):
        expect(page.locator("#match-view")).to_be_visible()
    assert match_id(a) == match_id(b)
    return a, b


@pytest.mark.parametrize("encoding", ["json", "msgpack"])
def test_tictactoe_to_a_win(open_page, demo_server, screenshot, requirement, encoding):
    if encoding == "msgpack":
        requirement(
            MSGPACK_BUILD.exists(), "@msgpack/msgpack is not installed: npm ci in client_demo/"
        )
    a = open_page(f"?encoding={encoding}")
    b = open_page(f"?encoding={encoding}")
    screenshot(a, f"login-{encoding}")
    login(a, f"alice-{encoding}")
    login(b, f"bob-{encoding}")
    expected = "MessagePack" if encoding == "msgpack" else "JSON"
    expect(a.locator("#encoding")).to_have_text(expected)
    queue(a, "tictactoe")
    screenshot(a, f"lobby-queued-{encoding}")
    queue(b, "tictactoe", first=False)

    x, o = seated_pair(a, b)
    screenshot(x, f"tictactoe-start-{encoding}")
    for page, other, cell, mark in [(x, o, 0, "X"), (o, x, 3, "O"), (x, o, 1, "X"), (o, x, 4, "O")]:
        click_cell(page, other, cell, mark)
    # Out of turn: the board refuses (the cells are disabled), nothing changes.
    expect(o.locator(".ttt-cell[data-cell='2']")).to_be_disabled()
    click_cell(x, o, 2, "X")

    expect(banner(x)).to_have_attribute("data-state", "won")
    expect(banner(o)).to_have_attribute("data-state", "lost")
    expect(banner(x)).to_contain_text("You won")
    expect(x.locator(".ttt-cell.win")).to_have_count(3)
    screenshot(x, f"tictactoe-won-{encoding}")
    screenshot(o, f"tictactoe-lost-{encoding}")

    record = api(demo_server, f"/api/matches/{match_id(x)}")
    assert record["status"] == "over"
    assert record["winner"] == 0 and record["reason"] == "win"
    assert [m["move"]["cell"] for m in record["moves"]] == [0, 3, 1, 4, 2]


def test_opponent_disconnect_and_reconnect(open_page, demo_server, screenshot):
    a, b = start_pair(open_page, "tictactoe", ("carol", "dave"))
    x, o = seated_pair(a, b)
    click_cell(x, o, 4, "X")

    # The library reconnects a dropped socket by itself and resyncs the state.
    o.evaluate("arcade.view.match.ws.close(4000)")
    expect(x.locator(".toast", has_text="is back")).to_be_visible()
    wait_playing(o)
    expect(o.locator(".ttt-cell[data-cell='4']")).to_have_text("X")

    # A player who leaves the page: the other sees the grace countdown.
    url = o.url
    o.goto("about:blank")
    expect(banner(x)).to_have_attribute("data-state", "disconnected")
    expect(banner(x)).to_contain_text("to come back")
    screenshot(x, "tictactoe-opponent-disconnected")
    o.goto(url)
    wait_playing(x, o)
    for page, other, cell, mark in [(o, x, 0, "O"), (x, o, 2, "X"), (o, x, 1, "O")]:
        click_cell(page, other, cell, mark)
    click_cell(x, o, 6, "X")
    expect(banner(x)).to_have_attribute("data-state", "won")
    expect(banner(o)).to_have_attribute("data-state", "lost")


def test_tag_runs_and_is_watched(open_page, demo_server, screenshot):
    a, b = start_pair(open_page, "tag", ("erin", "frank"))
    wait_playing(a, b)
    canvas = a.locator("canvas.tag-canvas")
    expect(canvas).to_have_attribute("data-positions", re.compile(r"\["))
    seat_a = _seat(a)
    before = positions(canvas)
    pixels_before = canvas.evaluate("c => c.toDataURL()")

    right = "ArrowRight" if before[seat_a][0] < 400 else "ArrowLeft"
    a.keyboard.down(right)
    b.keyboard.down("KeyS")
    a.wait_for_timeout(800)
    a.keyboard.up(right)
    b.keyboard.up("KeyS")
    after = positions(canvas)
    assert after[seat_a][0] != before[seat_a][0], (before, after)
    assert canvas.evaluate("c => c.toDataURL()") != pixels_before
    assert int(canvas.get_attribute("data-tick")) > 0
    screenshot(a, "tag-playing")

    watcher = open_page()
    login(watcher, "gwen")
    live_row = watcher.locator(f"#live-matches [data-match='{match_id(a)}']")
    expect(live_row).to_be_visible(timeout=15_000)
    screenshot(watcher, "lobby-live-matches")
    live_row.locator("[data-testid=watch]").click()
    expect(banner(watcher)).to_have_attribute("data-state", "spectating")
    expect(watcher.locator(".chip.spectator")).to_be_visible()
    watched = watcher.locator("canvas.tag-canvas")
    expect(watched).to_have_attribute("data-tick", re.compile(r"\d+"))
    first_tick = int(watched.get_attribute("data-tick"))
    expect(watched).not_to_have_attribute("data-tick", str(first_tick))
    screenshot(watcher, "tag-spectator")

    a.click("#resign")
    a.click("#resign")  # asks once more before resigning
    expect(banner(a)).to_have_attribute("data-state", "lost")
    expect(banner(b)).to_have_attribute("data-state", "won")
    expect(banner(watcher)).to_have_attribute("data-state", "over")
    screenshot(watcher, "tag-spectator-over")


def _seat(page: Any) -> int:
    return page.evaluate("arcade.view.match.seat")


def positions(canvas: Any) -> dict[int, tuple[float, float]]:
    """Seat -> (x, y) of the latest server update the canvas drew."""
    return {seat: (x, y) for seat, x, y in json.loads(canvas.get_attribute("data-positions"))}


def test_rock_paper_scissors(open_page, screenshot):
    a, b = start_pair(open_page, "rps", ("hana", "ivan"))
    wait_playing(a, b)
    seat_a = _seat(a)
    for round_no in (1, 2):
        a.click(".rps-choice[data-choice=rock]")
        expect(banner(a)).to_have_attribute("data-state", "their-turn")
        expect(a.locator(f".rps-chosen[data-seat='{seat_a}']")).to_contain_text("chosen")
        # Hidden information: b sees that a has chosen, not what.
        expect(b.locator(f".rps-chosen[data-seat='{seat_a}']")).to_have_text("✓ has chosen")
        assert "Rock" not in b.locator(".rps-scoreboard").inner_text()
        if round_no == 1:
            screenshot(b, "rps-opponent-has-chosen")
        b.click(".rps-choice[data-choice=scissors]")
        expect(a.locator(".rps-history li")).to_have_count(round_no)
        expect(b.locator(".rps-history li")).to_have_count(round_no)
    expect(banner(a)).to_have_attribute("data-state", "won")
    expect(banner(b)).to_have_attribute("data-state", "lost")
    expect(a.locator(f".rps-score[data-seat='{seat_a}']")).to_have_text("2")
    screenshot(a, "rps-won")
    screenshot(b, "rps-lost")


def test_history_and_replay(open_page, screenshot):
    a, b = start_pair(open_page, "tictactoe", ("judy", "karl"))
    x, o = seated_pair(a, b)
    played = match_id(x)
    for page, other, cell, mark in [(x, o, 4, "X"), (o, x, 0, "O"), (x, o, 2, "X"), (o, x, 1, "O")]:
        click_cell(page, other, cell, mark)
    click_cell(x, o, 6, "X")
    expect(banner(x)).to_have_attribute("data-state", "won")

    x.click("#back")
    row = x.locator(f"#history [data-match='{played}']")
    expect(row).to_be_visible()
    expect(row.locator(".result")).to_have_text(re.compile("won", re.I))
    screenshot(x, "lobby-history")
    row.locator("[data-testid=replay]").click()

    expect(x.locator("#replay-view")).to_be_visible()
    expect(x.locator("#replay-step")).to_have_text("step 5 of 5")
    expect(x.locator("#replay-banner")).to_have_attribute("data-state", "won")
    expect(x.locator(".ttt-cell[data-mark='X']")).to_have_count(3)
    screenshot(x, "replay-final")
    x.click("#replay-first")
    expect(x.locator("#replay-step")).to_have_text("step 0 of 5")
    expect(x.locator(".ttt-cell[data-mark='X']")).to_have_count(0)
    x.click("#replay-next")
    expect(x.locator(".ttt-cell[data-cell='4']")).to_have_text("X")
    x.click("#replay-play")
    expect(x.locator("#replay-step")).to_have_text("step 5 of 5", timeout=10_000)
    screenshot(x, "replay-played")


def test_a_refused_token_asks_for_a_name_again(open_page):
    page = open_page()
    page.allowed.append(r"WebSocket connection to .* failed")
    session = {"player": {"id": "nobody", "name": "mallory"}, "token": "forged"}
    page.evaluate("s => sessionStorage.setItem('arcade.session', JSON.stringify(s))", session)
    page.reload()
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator(".toast-error")).to_contain_text("pick a name again")
    login(page, "mallory")
