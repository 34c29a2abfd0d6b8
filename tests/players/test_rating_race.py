"""Processes racing to write results, on SQLite and on PostgreSQL: a rating moves once
per result, and results of different matches of one player never lose each other's move.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from openskill.models import PlackettLuce

from tests.live import ROOT, migrate, server_env
from tests.services import require_postgres

pytestmark = [pytest.mark.live]

SETUP = """
import json, django
django.setup()
from match.persistence import create_match
from players.models import Player
ids = [Player.objects.create(name=n).id for n in ("ann", "bob", "cat")]
one = create_match("tictactoe", 1, {}, ids[:2])
two = create_match("tictactoe", 2, {}, ids[:2])  # ann plays two at once only in this test
three = create_match("tictactoe", 3, {}, [ids[0], ids[2]])
print(json.dumps({"players": ids, "matches": [one, two, three]}))
"""

WRITER = """
import json, sys, django
django.setup()
from match.games import Outcome
from match.persistence import finish_match
print("ready", flush=True)
sys.stdin.readline()
done = finish_match(sys.argv[1], Outcome(0, [0, 1], "win"), {}, [])
print(json.dumps({"written": done.written, "ratings": done.ratings}), flush=True)
"""

REPORT = """
import json, django
django.setup()
from match.models import Match
from players.models import Rating
ratings = {f"{r.player_id}": [r.mu, r.sigma, r.matches, r.wins] for r in Rating.objects.all()}
over = Match.objects.filter(status="over").order_by("rating_order", "id")
order = list(over.values_list("id", flat=True))
print(json.dumps({"ratings": ratings, "order": order}))
"""


DJANGO = "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gameserver.settings')\n"


def python(env: dict[str, str], code: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", DJANGO + code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def race(env: dict[str, str], match_ids: list[str]) -> list[dict]:
    """One writer process per entry of ``match_ids``, all let go at once."""
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", DJANGO + WRITER, match_id], cwd=ROOT, env=env, text=True, **pipes
        )
        for match_id in match_ids
    ]
    for writer in writers:
        assert writer.stdout.readline() == "ready\n", writer.stderr.read()
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    outputs = [writer.communicate(timeout=60) for writer in writers]
    assert [w.returncode for w in writers] == [0] * len(writers), [e for _, e in outputs]
    return [json.loads(out) for out, _ in outputs]


def replayed(order: list[str], seats: dict[str, list[str]]) -> dict[str, list]:
    """Every result in the order it moved ratings, rated by the library alone."""
    model, now = PlackettLuce(), {}
    for match_id in order:
        pair = seats[match_id]
        teams = [[now.get(p, model.rating())] for p in pair]
        for pid, team in zip(pair, model.rate(teams, ranks=[1, 2]), strict=True):
            now[pid] = team[0]
    return now


def check_races(env: dict[str, str]) -> None:
    migrate(env)
    made = json.loads(python(env, SETUP))
    (ann, bob, cat), (one, two, three) = made["players"], made["matches"]
    outputs = race(env, [one] * 4)  # four hosts write one result
    assert sorted(o["written"] for o in outputs) == [False, False, False, True]
    assert all(o["ratings"] == outputs[0]["ratings"] for o in outputs)
    race(env, [two, three])  # two results that both move ann
    report = json.loads(python(env, REPORT))
    assert sorted(report["order"]) == sorted([one, two, three])
    want = replayed(report["order"], {one: [ann, bob], two: [ann, bob], three: [ann, cat]})
    for pid, matches, wins in ((ann, 3, 3), (bob, 2, 0), (cat, 1, 0)):
        mu, sigma, got_matches, got_wins = report["ratings"][pid]
        assert (got_matches, got_wins) == (matches, wins)
        assert (mu, sigma) == pytest.approx((want[pid].mu, want[pid].sigma), rel=1e-12)


def test_racing_writers_on_sqlite(tmp_path):
    check_races(server_env({}, tmp_path))


def test_racing_writers_on_postgresql(tmp_path):
    from tests.live import postgres_database

    with postgres_database(require_postgres()) as url:
        check_races(server_env({"DATABASE_URL": url}, tmp_path))
