"""A game the demo has no board for (Nim, installed by a setting) is playable in the
generic view: its title and description on the lobby card, a button per legal move,
and a banner that says whose turn it is."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.test_demo import banner, expect, login, queue
from tests.live import server

pytestmark = [pytest.mark.live]

GAMES = "match.games.tictactoe.TicTacToe,match.games.nim.Nim"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {
        "GAMESERVER_FILL_TIMEOUT": "1",
        "REDIS_URL": "",
        "GAMESERVER_GAMES": GAMES,
        "GAMESERVER_GAME_OPTIONS": '{"nim": {"pile": 5}}',
    }
    with server(env, tmp_path_factory.mktemp("generic-game")) as url:
        yield url


def take(page, n: int) -> None:
    expect(banner(page)).to_have_text("Your turn")
    page.click(f"#generic-moves button:text-is('take {n}')")


def test_nim_plays_to_the_end_in_the_generic_view(open_page, screenshot):
    a, b = open_page(), open_page()
    login(a, "nia")
    login(b, "max")
    card = a.locator("[data-game=nim]")
    expect(card.locator("h3")).to_have_text("Nim")
    expect(card).to_contain_text("Take 1 to 3 stones")
    queue(a, "nim")
    queue(b, "nim", first=False)
    for page in (a, b):
        expect(page.locator("#match-view")).to_be_visible()
    for page in (a, b):  # one of them moves first: both banners say who
        expect(banner(page)).to_have_text(re.compile(r"^(Your turn|nia's turn|max's turn)$"))
    first, second = (a, b) if banner(a).text_content() == "Your turn" else (b, a)
    expect(banner(second)).to_have_text(f"{'nia' if first is a else 'max'}'s turn")
    expect(first.locator("#generic-moves button")).to_have_count(3)
    screenshot(first, "generic-nim")
    take(first, 3)  # pile 5 -> 2
    expect(second.locator("#generic-moves button")).to_have_count(2)  # only 1 or 2 left
    take(second, 2)  # takes the last stones
    expect(banner(second)).to_have_attribute("data-state", "won")
    expect(banner(first)).to_have_attribute("data-state", "lost")
    expect(first.locator("#generic-moves button")).to_have_count(0)
