"""Rules are pure: no game module imports Django, Channels, asyncio or I/O, or uses the
global ``random`` functions (the seed is given; ``random.Random`` as a type is fine)."""

import ast
from pathlib import Path

import pytest

import match.games

GAMES_DIR = Path(match.games.__file__).parent
MODULES = sorted(GAMES_DIR.glob("*.py"))

FORBIDDEN_MODULES = {
    # the server around the rules
    "django", "channels", "channels_redis", "daphne", "redis", "gameserver", "lobby",
    # concurrency and the clock: the host owns time
    "asyncio", "threading", "multiprocessing", "concurrent", "signal", "time", "datetime",
    # I/O of any kind
    "os", "sys", "io", "pathlib", "shutil", "tempfile", "glob", "socket", "ssl", "select",
    "selectors", "subprocess", "urllib", "http", "requests", "httpx", "sqlite3", "logging",
    # randomness that ignores the seed
    "secrets", "uuid",
}  # fmt: skip
FORBIDDEN_CALLS = {"open", "input", "print", "eval", "exec", "compile", "__import__"}


def imported(node: ast.AST) -> list[str]:
    """The modules an import statement names (relative imports name none)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def random_aliases(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Names bound to the random module, and names bound to ``random.Random``."""
    modules, classes = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "random"}
        elif isinstance(node, ast.ImportFrom) and node.module == "random":
            classes |= {a.asname or a.name for a in node.names if a.name == "Random"}
    return modules, classes


def random_misuse(node: ast.AST, modules: set[str], classes: set[str]) -> str | None:
    """``random.<function>``, ``from random import <function>``, or an unseeded Random()."""
    if isinstance(node, ast.ImportFrom) and node.module == "random":
        names = [a.name for a in node.names if a.name != "Random"]
        return f"from random import {', '.join(names)}" if names else None
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in modules
        and node.attr != "Random"
    ):
        return f"global random.{node.attr}"
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        func = node.func
        if (isinstance(func, ast.Name) and func.id in classes) or (
            isinstance(func, ast.Attribute) and func.attr == "Random"
        ):
            return "Random() seeded from the OS"
    return None


def impurities(source: str) -> list[str]:
    """What in ``source`` breaks the purity rule, one line per finding."""
    tree = ast.parse(source)
    modules, classes = random_aliases(tree)
    found = []
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        for name in imported(node):
            if name.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{where}: import {name}")
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in FORBIDDEN_CALLS:
            found.append(f"{where}: {node.func.id}()")
        misuse = random_misuse(node, modules, classes)
        if misuse:
            found.append(f"{where}: {misuse}")
    return found


def test_there_are_game_modules():
    names = {module.stem for module in MODULES}
    assert {"base", "tictactoe", "tag", "rps"} <= names


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_game_module_is_pure(module):
    assert impurities(module.read_text()) == []


@pytest.mark.parametrize(
    "source",
    [
        "import django",
        "from django.conf import settings",
        "import channels.layers",
        "import asyncio",
        "import os.path",
        "from pathlib import Path",
        "import time",
        "from time import monotonic",
        "import socket",
        "import random\nx = random.random()",
        "import random\nrandom.seed(1)",
        "import random as r\nr.choice([1, 2])",
        "from random import randint",
        "from random import Random, shuffle",
        "data = open('f').read()",
        "print('hi')",
        "import random\nrng = random.Random()",
        "from random import Random\nrng = Random()",
    ],
)
def test_the_checker_catches(source):
    assert impurities(source)


@pytest.mark.parametrize(
    "source",
    [
        "import random\ndef f(rng: random.Random) -> int:\n    return rng.randrange(3)",
        "from random import Random\nrng = Random(4)",
        "import random\ndef f(state):\n    return random.Random(state['seed']).random()",
        "import math\nfrom dataclasses import dataclass\nfrom .base import Game",
        "from __future__ import annotations\nfrom typing import Any",
    ],
)
def test_the_checker_allows(source):
    assert impurities(source) == []
