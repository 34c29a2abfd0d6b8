"""Ranked play in the demo, in real Chromium: ratings on the match screen and the change
at the end, a game's leaderboard, and a player's page with their matches and replays.
"""

from __future__ import annotations

import pytest
from openskill.models import PlackettLuce

from tests.browser.test_demo import (
    api,
    banner,
    click_cell,
    expect,
    login,
    match_id,
    queue,
    seated_pair,
)

pytestmark = [pytest.mark.live]


def won_and_lost() -> tuple[str, str]:
    """The rating changes OpenSkill gives two new players, as the demo prints them."""
    model = PlackettLuce()
    [[won], [lost]] = model.rate([[model.rating()], [model.rating()]], ranks=[1, 2])
    return f"+{won.ordinal():.1f}", f"-{-lost.ordinal():.1f}"


def test_a_rated_match_then_the_board_and_the_player_page(open_page, demo_server, screenshot):
    a, b = open_page(), open_page()
    login(a, "lena")
    login(b, "milo")
    queue(a, "tictactoe")
    queue(b, "tictactoe", first=False)
    x, o = seated_pair(a, b)
    expect(x.locator(".chip .chip-rating")).to_have_text(["0.0", "0.0"])
    for page, other, cell, mark in [(x, o, 0, "X"), (o, x, 3, "O"), (x, o, 1, "X"), (o, x, 4, "O")]:
        click_cell(page, other, cell, mark)
    click_cell(x, o, 2, "X")
    expect(banner(x)).to_have_attribute("data-state", "won")
    plus, minus = won_and_lost()
    for page in (x, o):
        box = page.locator("#rating-change")
        expect(box).to_be_visible()
        expect(box.locator(".delta")).to_have_text([plus, minus])  # seat 0 (X) won
    expect(x.locator("#rating-change .list-row.me .delta")).to_have_text(plus)
    screenshot(x, "ranked-match-over")
    played = match_id(x)
    winner = x.locator("#who").inner_text()
    loser = o.locator("#who").inner_text()

    x.click("#boards")
    expect(x.locator("#leaderboard table")).to_be_visible()
    names = x.locator("#leaderboard tbody tr td:nth-child(2) a").all_inner_texts()
    assert names.index(winner) < names.index(loser)
    expect(x.locator("#leaderboard tr.me")).to_contain_text(winner)
    screenshot(x, "leaderboard")
    o.goto(f"{demo_server}/#/leaderboard/tictactoe/me")
    expect(o.locator("#leaderboard tr.me")).to_contain_text(f"{loser} (you)")

    x.locator("#leaderboard a", has_text=loser).click()
    expect(x.locator("#player-head h1")).to_have_text(loser)
    rating = api(demo_server, "/api/leaderboard/tictactoe")["results"]
    mine = next(line for line in rating if line["player"]["name"] == loser)
    expect(x.locator("[data-testid=rating-tictactoe]")).to_have_text(f"{mine['rating']:.1f}")
    row = x.locator(f"#player-matches [data-match='{played}']")
    expect(row.locator(".rating-moved")).to_contain_text(minus)
    expect(row.locator(".result")).to_have_text("lost")
    screenshot(x, "player-page")
    row.locator("[data-testid=replay]").click()
    expect(x.locator("#replay-view")).to_be_visible()
    expect(x.locator("#replay-step")).to_have_text("step 5 of 5")


def test_an_empty_board_and_an_unknown_player_say_so(open_page, demo_server):
    page = open_page()
    login(page, "nora")
    page.goto(f"{demo_server}/#/leaderboard/rps")
    expect(page.locator("#leaderboard .empty")).to_contain_text("Nobody has played")
    page.goto(f"{demo_server}/#/leaderboard/rps/me")
    expect(page.locator("#board-error")).to_contain_text("not on this board")
    page.goto(f"{demo_server}/#/player/Zzzzzzzzzzzz")
    expect(page.locator("#player-error")).to_have_text("There is no such player.")
    page.allowed.append(r"404|Failed to load resource")
