"""The Colyseus peer of ``make bench`` (bench/peer.py, bench/colyseus/) plays W1 cleanly."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.services import in_ci

pytestmark = [pytest.mark.live]

BENCH = Path(__file__).resolve().parent.parent.parent / "bench"


def test_colyseus_peer_plays_tictactoe_without_errors(tmp_path, monkeypatch):
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not found: the Colyseus peer needs Node.js and npm"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    monkeypatch.setattr(sys, "path", [str(BENCH), *sys.path])  # restored after the test
    import peer

    result = peer.run_colyseus("w1", work=tmp_path, players=4, duration=2, warmup=0.5)
    assert result is not None, "npm ci failed in bench/colyseus (see above)"
    assert "headline" in result, result.get("failed")
    assert result["counts"].get("matches", 0) > 0, result["totals"]
    assert result["headline"]["errors"] == 0, result["totals"]
    assert result["latency_ms"]["move_rtt"]["n"] > 0
    assert result["server"]["cpu_s"] is not None, "the peer reads the server's CPU time"
