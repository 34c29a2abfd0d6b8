"""How long a leaderboard page takes on a generated board of 100,000 players.

    .venv/bin/python bench/leaderboard.py [--players 100000] [--postgres postgres://...]

Builds a fresh database (a SQLite file, and PostgreSQL when ``--postgres`` names a
server it may create databases on), fills one game's board with generated ratings, a
few hundred of them banned, and times ``GET /api/leaderboard/<game>`` through Django's
test client: the first page, a middle and the last page, and ``?around=`` the best,
a middle and the worst player; each through the test client and as its queries alone,
the fastest and the median of 20 runs.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(players: int) -> list[str]:
    """The board: ``players`` rated players of tictactoe; returns their ids best first."""
    from players.models import Ban, Player, Rating

    rng = random.Random(3)
    ids = [f"b{i:09}" for i in range(players)]
    for start in range(0, players, 5000):
        chunk = ids[start : start + 5000]
        Player.objects.bulk_create(Player(id=pid, name=f"player {pid}") for pid in chunk)
        rows = []
        for pid in chunk:
            mu, sigma = rng.gauss(25, 6), rng.uniform(1, 8.3)
            rows.append(
                Rating(
                    player_id=pid, game="tictactoe", mu=mu, sigma=sigma, ordinal=mu - 3 * sigma,
                    matches=rng.randint(1, 300), wins=0,
                )
            )  # fmt: skip
        Rating.objects.bulk_create(rows)
    Ban.objects.bulk_create(Ban(player_id=pid, by="bench") for pid in rng.sample(ids, 300))
    board = Rating.objects.filter(game="tictactoe").order_by("-ordinal", "player_id")
    return list(board.values_list("player_id", flat=True))


def timed_ms(call, runs: int = 20) -> tuple[float, float]:
    """(fastest, median) of ``runs`` calls, in ms: on a busy machine the fastest is the
    closer to what the code costs."""
    took = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        took.append(time.perf_counter() - began)
    return min(took) * 1000, statistics.median(took) * 1000


def fetch(client, url: str):
    def call() -> None:
        answer = client.get(url)
        assert answer.status_code == 200, answer.content

    return call


def measure(players: int) -> None:
    import django
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    django.setup()
    settings.ALLOWED_HOSTS = ["testserver"]
    fill(players)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE players_rating")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    from players import board

    client, size = Client(), settings.GAMESERVER_LEADERBOARD_PAGE_SIZE
    pages = (players - 300 + size - 1) // size
    base = "/api/leaderboard/tictactoe"
    listed = list(board.listed("tictactoe").values_list("player_id", flat=True))
    cases = [
        ("page 1", f"{base}?page=1", lambda: board.page("tictactoe", 0, size + 1)),
        (f"page {pages // 2}", f"{base}?page={pages // 2}",
         lambda: board.page("tictactoe", (pages // 2 - 1) * size, size + 1)),
        (f"page {pages} (last)", f"{base}?page={pages}",
         lambda: board.page("tictactoe", (pages - 1) * size, size + 1)),
    ]  # fmt: skip
    for name, pid in (("best", listed[0]), ("middle", listed[len(listed) // 2]),
                      ("worst", listed[-1])):  # fmt: skip
        cases.append((f"around the {name}", f"{base}?around={pid}",
                      lambda pid=pid: board.position("tictactoe", pid)))  # fmt: skip
    client.get(f"{base}?page=1")  # warm
    print(f"{connection.vendor}, {players} players, fastest / median of 20, in ms:")
    print(f"  {'':22} {'request':>15}   {'its queries':>15}")
    for name, url, queries in cases:
        whole, alone = timed_ms(fetch(client, url)), timed_ms(queries)
        print(f"  {name:22} {whole[0]:6.2f} / {whole[1]:6.2f}   {alone[0]:6.2f} / {alone[1]:6.2f}")


def run_on(database_url: str, players: int) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "gameserver.settings",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import bench.leaderboard as b"
    code += f"; b.measure({players})"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to create a database on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_on(f"sqlite:///{tmp}/board.sqlite3", args.players)
    if args.postgres:
        import psycopg

        name = f"gs_board_{secrets.token_hex(4)}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            run_on(args.postgres.rsplit("/", 1)[0] + "/" + name, args.players)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
