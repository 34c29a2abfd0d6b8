"""``make chaos``: kill server processes under load and check that no result changed.

N server processes (``deploy/cluster.sh``: uvicorn, supervised, behind nginx; without
nginx the load tester gets the processes' own URLs) on Redis and a fresh PostgreSQL
database; W1 (tic-tac-toe bots) and W2 (tag rooms) from the load tester, reconnecting
as clients do; ``kill -9`` of one process every ``--kill-every`` seconds, which the
supervisor restarts 5 s later. Then, once the load is over: the database against what
the clients saw (results lost, doubled, contradicting the final state), matches and
players stuck, Redis keys left over, failover times. Traffic stays on 127.0.0.1.

    make chaos                                   # about 5 minutes
    .venv/bin/python deploy/chaos.py --duration 60 --kill-every 20   # shorter

Writes ``var/chaos/<time>/report.md`` (and the logs); ``--doc`` also puts the report
into docs/deploy.md between its ``chaos:`` markers. Exits 1 when a figure is not zero.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import chaos_check as check  # noqa: E402

from loadtest.probe import free_port  # noqa: E402

PY = str(ROOT / ".venv/bin/python")
KEYS_SETTLE_S = 3.0  # past a process TTL and a heartbeat: dead processes' keys are gone


def consecutive_free_ports(count: int) -> int:
    while True:
        first = free_port()
        if first + count < 65000 and all(port_free(first + i) for i in range(count)):
            return first


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


class Cluster:
    """``deploy/cluster.sh`` in the background, and the pids of its server processes."""

    def __init__(self, args: argparse.Namespace, rundir: Path, env: dict[str, str]) -> None:
        self.count, self.rundir = args.processes, rundir
        self.first, self.port = consecutive_free_ports(args.processes), free_port()
        self.nginx = shutil.which("nginx") is not None
        env = {**env, "PROCESSES": str(self.count), "PORT": str(self.port),
               "FIRST_BACKEND_PORT": str(self.first), "RUNDIR": str(rundir),
               "SERVER": "uvicorn", "RESTART_DELAY": str(args.restart_delay),
               "PROXY": "nginx" if self.nginx else "none",
               # the bots all come from loopback: past the per-address limits
               "GAMESERVER_UNLIMITED_ADDRESSES": "127.0.0.1,::1"}  # fmt: skip
        out = open(rundir / "cluster.out", "wb")  # noqa: SIM115
        root = Path(args.server_root or ROOT)  # another checkout's servers (e.g. an old one)
        env["CLUSTER_ROOT"] = str(root)
        self.proc = subprocess.Popen(
            ["bash", str(ROOT / "deploy/cluster.sh")], cwd=root, env=env,
            stdout=out, stderr=out, start_new_session=True,
        )  # fmt: skip
        self.urls = [f"http://127.0.0.1:{self.first + i}" for i in range(self.count)]
        self.url = f"http://127.0.0.1:{self.port}" if self.nginx else self.urls[0]
        deadline = time.monotonic() + 90
        while not all(healthy(u) for u in [*self.urls, self.url]):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError((rundir / "cluster.out").read_text()[-3000:])
            time.sleep(0.5)

    def kill(self, index: int) -> int:
        """``kill -9`` one server process (its supervisor restarts it); returns its pid."""
        pid = int((self.rundir / f"server-{self.first + index}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def load(cluster: Cluster, args: argparse.Namespace, scenario: str, rundir: Path):
    """One load tester process, reconnecting as clients do; its JSON goes to a file."""
    size = ["--players", str(args.players)] if scenario == "w1" else ["--rooms", str(args.rooms)]
    command = [PY, "-m", "loadtest", "--url", cluster.url, "--scenario", scenario, *size,
               "--duration", str(args.duration), "--warmup", "1", "--reconnect", "--json",
               "--quiet", "--drain", "10"]  # fmt: skip
    if not cluster.nginx:
        command += ["--match-urls", ",".join(cluster.urls)]
    out = open(rundir / f"{scenario}.json", "wb")  # noqa: SIM115
    err = open(rundir / f"{scenario}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)


def create_database(base: str) -> str:
    name = f"chaos_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PrivateRedis:
    """A Redis server of the run's own on a free port (no other work shares its keys)."""

    def __init__(self, rundir: Path) -> None:
        port = free_port()
        command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", str(rundir)]  # fmt: skip
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def run(args: argparse.Namespace, rundir: Path) -> dict[str, Any]:
    private = None
    if not args.redis:
        if shutil.which("redis-server") is None:
            raise SystemExit("redis-server is not installed: set CHAOS_REDIS_URL to a Redis "
                             "database the run may empty")  # fmt: skip
        private = PrivateRedis(rundir)
        args.redis = private.url
    else:
        redis.Redis.from_url(args.redis).flushdb()
    try:
        return run_on(args, rundir)
    finally:
        if private is not None:
            private.stop()


def run_on(args: argparse.Namespace, rundir: Path) -> dict[str, Any]:
    database = create_database(args.postgres)
    options = json.dumps({"tag": {"duration_s": args.tag_seconds}})
    env = {**os.environ, "DATABASE_URL": database, "REDIS_URL": args.redis,
           "GAMESERVER_GAME_OPTIONS": options, "GAMESERVER_FILL_TIMEOUT": "1",
           "LOG_LEVEL": "INFO"}  # fmt: skip
    cluster = Cluster(args, rundir, env)
    try:
        testers = [load(cluster, args, s, rundir) for s in ("w1", "w2")]
        kills = kill_on_schedule(cluster, testers, args)
        for tester in testers:
            tester.wait(args.duration + 120)
        results = [json.loads((rundir / f"{s}.json").read_text() or "{}") for s in ("w1", "w2")]
        check.setup_django(database)
        deadline = time.monotonic() + args.settle
        stuck = settle(deadline)
        time.sleep(KEYS_SETTLE_S)  # keys of matches that just ended are released or expire
        while check.redis_keys(args.redis, args.processes)[1] and time.monotonic() < deadline:
            time.sleep(1)  # keys with a TTL (a dead placer's players) go on their own
        return check.figures(args, kills, results, stuck)
    finally:
        cluster.stop()
        if args.keep_db:
            print(f"chaos: the database is kept: {database}")
        else:
            drop_database(database)


def kill_on_schedule(cluster: Cluster, testers: list, args: argparse.Namespace) -> list:
    kills, index = [], 0
    time.sleep(args.first_kill)
    while all(t.poll() is None for t in testers) and len(kills) < args.kills:
        kills.append((time.time(), cluster.kill(index % cluster.count)))
        print(f"chaos: kill -9 of process {index % cluster.count} (pid {kills[-1][1]})",
              flush=True)  # fmt: skip
        index += 1
        deadline = time.monotonic() + args.kill_every
        while time.monotonic() < deadline and all(t.poll() is None for t in testers):
            time.sleep(0.5)
    return kills


def settle(deadline: float) -> list[str]:
    """Wait (up to ``deadline``) for every match to be over; the ones that are not."""
    while (left := check.unfinished()) and time.monotonic() < deadline:
        time.sleep(1)
    return left


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--processes", type=int, default=3)
    add("--players", type=int, default=60, help="W1 bots")
    add("--rooms", type=int, default=3, help="W2 rooms of 8 bots")
    add("--duration", type=float, default=150, help="seconds of load")
    add("--kill-every", type=float, default=30)
    add("--first-kill", type=float, default=20, help="seconds from the start of the load")
    add("--kills", type=int, default=5)
    add("--restart-delay", type=float, default=5)
    add("--tag-seconds", type=float, default=100, help="how long a tag match lasts")
    add("--settle", type=float, default=60, help="seconds for the last matches to end")
    add(
        "--postgres",
        default=os.environ.get("CHAOS_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    add("--redis", default=os.environ.get("CHAOS_REDIS_URL", ""),
        help="a Redis database of the run's own, emptied first (default: a private "
             "redis-server on a free port)")  # fmt: skip
    add("--server-root", default="", help="run the servers of another checkout (with a .venv)")
    add("--keep-db", action="store_true", help="keep the run's database to look into")
    add("--doc", action="store_true", help="write the report into docs/deploy.md")
    args = parser.parse_args()
    rundir = ROOT / "var/chaos" / time.strftime("%Y%m%d-%H%M%S")
    rundir.mkdir(parents=True)
    result = run(args, rundir)
    failed = check.verdict(result["zero"], result["failover"])
    text = check.report(result, failed)
    (rundir / "report.md").write_text(text + "\n")
    (rundir / "figures.json").write_text(json.dumps(result, indent=2))
    print(text)
    if args.doc:
        check.write_doc(text, "make chaos")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
