"""Parties and bots in real Chromium against a real server: an invite link, a private
match and playing again; a party queueing together; and one person against the
computer in every built-in game, to the end.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.browser.test_demo import banner, click_cell, login, match_id
from tests.live import server

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = [pytest.mark.live]
OVER = re.compile(r"^(won|lost|draw)$")
MY_TURN_OR_OVER = re.compile(r"^(your-turn|won|lost|draw)$")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory):
    """One process with quick bots and short tag matches."""
    env = {
        "REDIS_URL": "",
        "GAMESERVER_FILL_TIMEOUT": "1",
        "GAMESERVER_BOT_DELAY": "0.1",
        "GAMESERVER_GAME_OPTIONS": json.dumps({"tag": {"duration_s": 3}}),
    }
    with server(env, tmp_path_factory.mktemp("parties-server")) as url:
        yield url


def members(page: Any) -> Any:
    return page.locator("#party-members li")


def in_match(*pages: Any) -> str:
    for page in pages:
        expect(page.locator("#match-view")).to_be_visible()
    ids = {match_id(page) for page in pages}
    assert len(ids) == 1, ids
    return ids.pop()


def test_invite_link_private_match_and_play_again(open_page, demo_server, screenshot):
    a = open_page()
    login(a, "alice")
    a.click("#party-create")
    code = a.locator("#party-code").inner_text()
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{6}", code)
    link = a.locator("#party-link").input_value()
    assert link == f"{demo_server}/?party={code}"
    screenshot(a, "party-created")

    b = open_page(f"?party={code}")  # the invite link, in another browser
    expect(b.locator("#invite-note")).to_contain_text(code)
    login(b, "bob")
    for page in (a, b):
        expect(members(page)).to_have_count(2)
    expect(b.locator("#party")).to_contain_text("alice picks the game")
    assert "party=" not in b.url
    screenshot(b, "party-joined")

    a.click("[data-testid=party-start-tictactoe]")
    first = in_match(a, b)
    for page, other, cell, mark in [(a, b, 0, "X"), (b, a, 3, "O"), (a, b, 1, "X"), (b, a, 4, "O")]:
        click_cell(page, other, cell, mark)
    click_cell(a, b, 2, "X")
    expect(banner(a)).to_have_attribute("data-state", "won")
    expect(banner(b)).to_have_attribute("data-state", "lost")

    a.click("#play-again")  # the leader starts again: bob opens this time
    expect(a.locator("#match-view")).not_to_have_attribute("data-match", first)
    second = in_match(a, b)
    assert second != first
    for page, other, cell, mark in [(b, a, 0, "X"), (a, b, 3, "O"), (b, a, 1, "X"), (a, b, 4, "O")]:
        click_cell(page, other, cell, mark)
    click_cell(b, a, 2, "X")
    expect(banner(b)).to_have_attribute("data-state", "won")
    screenshot(b, "party-played-again")
    b.click("#back")
    expect(members(b)).to_have_count(2)  # the party outlived both matches


def test_a_party_of_two_queues_for_tag_and_is_placed_together(open_page):
    a, b, c = open_page(), open_page(), open_page()
    login(a, "carol")
    a.click("#party-create")
    code = a.locator("#party-code").inner_text()
    login(b, "dave")
    b.fill("#party-code-input", code.lower())
    b.click("#party-join")
    expect(members(a)).to_have_count(2)
    a.click("[data-testid=party-queue-tag]")
    for page in (a, b):
        expect(page.locator("#queue-status")).to_be_visible()
    login(c, "erin")
    c.click("[data-testid=play-tag]")
    in_match(a, b, c)
    for page in (a, b, c):
        expect(page.locator(".roster .chip")).to_have_count(3)


def play_tictactoe(page: Any) -> None:
    """The lowest free cell on every turn, until the match is over."""
    while True:
        expect(banner(page)).to_have_attribute("data-state", MY_TURN_OR_OVER)
        if OVER.match(banner(page).get_attribute("data-state") or ""):
            return
        marked = page.locator(".ttt-cell[data-mark=X], .ttt-cell[data-mark=O]").count()
        cell = page.locator(".ttt-cell:not([disabled])").first
        expect(cell).to_be_enabled()
        cell.click()
        page.wait_for_function(
            "n => document.querySelectorAll('.ttt-cell[data-mark=X], .ttt-cell[data-mark=O]')"
            ".length > n || /^(won|lost|draw)$/.test(document.querySelector('#match-banner')"
            ".dataset.state)",
            arg=marked,
        )


def play_rps(page: Any) -> None:
    """Rock every round, until the match is over."""
    while True:
        expect(banner(page)).to_have_attribute("data-state", MY_TURN_OR_OVER)
        if OVER.match(banner(page).get_attribute("data-state") or ""):
            return
        rounds = page.locator(".rps-history li").count()
        rock = page.locator(".rps-choice[data-choice=rock]")
        expect(rock).to_be_enabled()
        rock.click()
        page.wait_for_function(
            "n => document.querySelectorAll('.rps-history li').length > n ||"
            " /^(won|lost|draw)$/.test(document.querySelector('#match-banner').dataset.state)",
            arg=rounds,
        )


def play_tag(page: Any) -> None:
    """Run right for a while; the bot chases or flees until the three seconds are up."""
    page.keyboard.down("ArrowRight")
    page.wait_for_timeout(500)
    page.keyboard.up("ArrowRight")


@pytest.mark.parametrize("game", ["tictactoe", "rps", "tag"])
def test_play_against_the_computer_to_the_end(open_page, screenshot, game):
    page = open_page()
    login(page, f"solo-{game}")
    expect(page.locator(f"[data-testid=bots-{game}]")).to_be_enabled()
    page.click(f"[data-testid=bots-{game}]")
    in_match(page)
    expect(page.locator(".roster")).to_contain_text("Bot 1 · computer")
    {"tictactoe": play_tictactoe, "rps": play_rps, "tag": play_tag}[game](page)
    expect(banner(page)).to_have_attribute("data-state", OVER, timeout=20_000)
    if game == "tictactoe":
        assert banner(page).get_attribute("data-state") in ("lost", "draw")  # it never loses
    screenshot(page, f"bots-{game}-over")
    first = match_id(page)
    expect(page.locator("#play-again")).to_be_visible()
    page.click("#play-again")  # another match against the computer, seats turned
    expect(page.locator("#match-view")).not_to_have_attribute("data-match", first)
    expect(banner(page)).to_have_attribute(
        "data-state", re.compile(r"^(your-turn|their-turn|playing)$")
    )
