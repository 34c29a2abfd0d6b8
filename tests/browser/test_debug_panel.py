"""The debug panel (``?debug=1``) of a match page, in Chromium against a real server."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_demo import expect, seated_pair, start_pair

pytestmark = [pytest.mark.live]


def send(page, kind: str, value: str) -> None:
    page.select_option("#debug-kind", kind)
    page.fill("#debug-move", value)
    page.click("#debug-send")


def test_the_debug_panel_shows_frames_state_and_sends_moves(open_page, screenshot):
    a, b = start_pair(open_page, "tictactoe", ("dev", "tester"), query="?debug=1")
    x, o = seated_pair(a, b)
    panel = x.locator("#debug-panel")
    expect(panel).to_be_visible()
    expect(x.locator("#debug-log")).to_contain_text("match.state")
    expect(x.locator("#debug-where")).to_contain_text("(live)")

    send(x, "move", '{"cell": 4}')  # through the panel, not the board
    expect(x.locator("#debug-result")).to_have_text("ack, seq 1")
    expect(o.locator(".ttt-cell[data-cell='4']")).to_have_text("X")
    expect(x.locator("#debug-state")).to_contain_text('"turn": 1')
    expect(x.locator("#debug-log")).to_contain_text("match.update")

    send(x, "move", '{"cell": 0}')  # out of turn: the server's refusal is shown as it came
    expect(x.locator("#debug-result")).to_have_text(re.compile(r"^not_your_turn: "))
    send(x, "move", "{cell: 0")
    expect(x.locator("#debug-result")).to_contain_text("not JSON")

    x.click("#debug-back")  # back to the state before the move
    expect(x.locator("#debug-where")).to_contain_text("back; live is 1")
    expect(x.locator("#debug-state")).to_contain_text('"turn": 0')
    x.click("#debug-live")
    expect(x.locator("#debug-where")).to_have_text("seq 1 (live)")
    expect(x.locator("#debug-rtt")).to_have_text(re.compile(r"^\d+\.\d$"), timeout=6000)
    screenshot(x, "debug-panel")


def test_without_the_flag_there_is_no_panel(open_page):
    a, b = start_pair(open_page, "tictactoe", ("plain", "player"))
    seated_pair(a, b)
    expect(a.locator("#debug-panel")).to_have_count(0)
