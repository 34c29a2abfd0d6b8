"""The dependency rules of the layout (DESIGN.md, "Rooms of the house")."""

from __future__ import annotations

import subprocess
import sys

from tests.live import ROOT

SERVER = {"django", "channels", "gameserver", "match", "lobby", "players", "client_demo"}
DJANGO = "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'gameserver.settings'"


def modules_after(statement: str) -> set[str]:
    """Every module a fresh interpreter has imported after ``statement``."""
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_the_load_tester_imports_nothing_of_the_server():
    packages = {name.split(".")[0] for name in modules_after("import loadtest, loadtest.cli")}
    assert "loadtest" in packages
    assert packages & SERVER == set()


def test_the_plumbing_does_not_import_the_match_package():
    plumbing = "gameserver.metrics, gameserver.sockets, gameserver.identity, gameserver.codec"
    modules = modules_after(f"{DJANGO}; import {plumbing}")
    assert "gameserver.sockets" in modules
    assert not {m for m in modules if m.split(".")[0] in {"match", "lobby", "players"}}
