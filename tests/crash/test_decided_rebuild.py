"""A match whose winning move was committed, but not its result, when its process died.

The repro: one process on PostgreSQL; six moves; another session holds the match row
(``FOR NO KEY UPDATE``), so the winning move's insert goes through while the result's
update waits; ``kill -9``; the lock goes; the process restarts and both seats
reconnect. The rebuilt host must end the match with the rules' outcome at once, not
wait for the seats' grace and record a forfeit won by the player who lost.
"""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest

from tests.live import migrate, postgres_database, server_env, start
from tests.services import postgres_url, require_postgres
from tests.test_cluster import http, join, matched, play, recv

pytestmark = [pytest.mark.live]


def wait_for_move(database: str, match_id: str, seq: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(database, autocommit=True) as conn:
        while time.monotonic() < deadline:
            query = "SELECT 1 FROM match_move WHERE match_id = %s AND seq = %s"
            if conn.execute(query, (match_id, seq)).fetchone():
                return
            time.sleep(0.05)
    raise AssertionError(f"move {seq} of {match_id} was never committed")


async def test_a_rebuilt_match_ends_with_the_outcome_its_committed_moves_decided(tmp_path):
    require_postgres()
    with postgres_database(postgres_url()) as database:
        env = server_env({"DATABASE_URL": database, "GAMESERVER_RECONNECT_GRACE": "30"}, tmp_path)
        migrate(env)
        proc = start(env, tmp_path)
        try:
            tokens, match_id = await matched(proc, proc)
            sockets = [(await join(proc, match_id, t))[0] for t in tokens]
            for ws in sockets:
                await recv(ws, "match.started")
            await play(sockets, [0, 1, 2, 3, 4, 5], 0)
            with psycopg.connect(database) as holder:  # a transaction: the lock stays
                holder.execute(
                    "SELECT 1 FROM match_match WHERE id = %s FOR NO KEY UPDATE", (match_id,)
                )
                await sockets[0].send('{"type": "move", "move": {"cell": 6}}')  # X wins
                await asyncio.to_thread(wait_for_move, database, match_id, 7)
                for ws in sockets:
                    assert (await recv(ws, "match.update"))["seq"] == 7
                proc.kill()  # the result's update is still waiting for the lock
                holder.rollback()
            proc.restart()
            seen = []
            for token in tokens:
                ws, state = await join(proc, match_id, token, deadline=10)
                seen.append(state)
                await ws.close()
            for state in seen:  # at once: no grace, no forfeit
                assert state["status"] == "over", state
                assert state["result"] == {"winner": 0, "ranking": [0, 1], "reason": "win"}
                assert state["seq"] == 7
            detail = http(f"{proc.url}/api/matches/{match_id}")
            assert (detail["status"], detail["winner"], detail["reason"]) == ("over", 0, "win")
            assert [m["seq"] for m in detail["moves"]] == list(range(1, 8))
            logged = proc.log_path.read_text()
            assert f"match {match_id}: rebuilt (restart) at seq 7: already decided" in logged
        finally:
            proc.kill()
