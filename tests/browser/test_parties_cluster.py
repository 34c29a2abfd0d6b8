"""Two browsers on two server processes (Redis and PostgreSQL between them): a party
made by invite link, a private match whose sockets sit on both processes, and playing
again. Each browser talks to its own process only: nothing reaches the other except
through Redis, the channel layer and the database.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_demo import banner, click_cell, login, match_id
from tests.live import cluster, postgres_database
from tests.services import (
    clear_server_keys,
    postgres_url,
    redis_url,
    require_postgres,
    require_redis,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = [pytest.mark.live]


@pytest.fixture(scope="module")
def processes(tmp_path_factory):
    require_redis()
    require_postgres()
    url = redis_url(db=5)  # the server-process tests' database, one module at a time
    clear_server_keys(url)
    with postgres_database(postgres_url()) as database:
        env = {"DATABASE_URL": database, "REDIS_URL": url, "GAMESERVER_BOT_DELAY": "0.1"}
        with cluster(2, env, tmp_path_factory.mktemp("browser-cluster")) as procs:
            yield procs


@pytest.fixture(scope="module")
def demo_server(processes):
    return processes[0].url  # open_page's default; the second browser goes elsewhere


def test_a_party_across_two_processes_by_invite_link(open_page, processes, screenshot):
    a = open_page()
    login(a, "alice")
    a.click("#party-create")
    code = a.locator("#party-code").inner_text()
    assert a.locator("#party-link").input_value() == f"{processes[0].url}/?party={code}"

    b = open_page()
    b.goto(f"{processes[1].url}/?party={code}")  # the same invite, on the other process
    expect(b.locator("#invite-note")).to_contain_text(code)
    login(b, "bob")
    for page in (a, b):
        expect(page.locator("#party-members li")).to_have_count(2)

    a.click("[data-testid=party-start-tictactoe]")
    for page in (a, b):
        expect(page.locator("#match-view")).to_be_visible()
    first = match_id(a)
    assert match_id(b) == first
    for page, other, cell, mark in [(a, b, 0, "X"), (b, a, 3, "O"), (a, b, 1, "X"), (b, a, 4, "O")]:
        click_cell(page, other, cell, mark)
    click_cell(a, b, 2, "X")
    expect(banner(a)).to_have_attribute("data-state", "won")
    expect(banner(b)).to_have_attribute("data-state", "lost")

    a.click("#play-again")
    for page in (a, b):
        expect(page.locator("#match-view")).not_to_have_attribute("data-match", first)
    assert match_id(a) == match_id(b)
    for page, other, cell, mark in [(b, a, 0, "X"), (a, b, 3, "O"), (b, a, 1, "X"), (a, b, 4, "O")]:
        click_cell(page, other, cell, mark)
    click_cell(b, a, 2, "X")
    expect(banner(b)).to_have_attribute("data-state", "won")
    screenshot(b, "party-cluster-played-again")

    b.click("#back")  # bob plays the computer on his process while still in the party
    expect(b.locator("#party-members li")).to_have_count(2)
    expect(b.locator("[data-testid=bots-tictactoe]")).to_have_count(0)  # the leader picks
    a.click("#back")
    a.click("#party-leave")
    expect(b.locator("#party-members li")).to_have_count(1)
    b.click("[data-testid=bots-tictactoe]")
    expect(b.locator(".roster")).to_contain_text("Bot 1 · computer")
    expect(banner(b)).to_have_attribute("data-state", re.compile(r"^(your-turn|their-turn)$"))
