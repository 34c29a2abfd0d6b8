"""The channel layer, measured: RedisPubSubChannelLayer against RedisChannelLayer.

For each layer, each run gets a fresh PostgreSQL database, an emptied Redis db 7 and
two fresh uvicorn processes (both pinned to core 0; the load tester on core 1). Lobby
sockets go to the first process; match sockets alternate between the two by seat
(``--match-urls``), so about half of all match frames cross processes through the
channel layer. Traffic stays on 127.0.0.1 and every run is bounded in time.

    .venv/bin/python bench/layers.py                 # both layers, ~6 minutes
    .venv/bin/python bench/layers.py --layers core --runs w2-10
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run import pinned, stop  # noqa: E402

from loadtest.probe import ServerProbe, free_port, wait_healthy  # noqa: E402
from tests.live import postgres_database  # noqa: E402

PYTHON = sys.executable
PG_BASE = "postgres://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/7"
SERVER_ENV = {
    "REDIS_URL": REDIS_URL,
    "GAMESERVER_FILL_TIMEOUT": "0.5",
    "GAMESERVER_GAME_OPTIONS": '{"tag": {"duration_s": 60}}',
    "GAMESERVER_SKILL_WINDOW": "1e9",  # bots re-queue at once: no waiting for a rating
    # The load tester's bots all come from this machine: past the per-address limits.
    "GAMESERVER_UNLIMITED_ADDRESSES": "127.0.0.1,::1",
}
RUNS = {
    "w2-10": {"scenario": "w2", "rooms": 10, "duration": 10, "warmup": 2},
    "w2-25": {"scenario": "w2", "rooms": 25, "duration": 10, "warmup": 2},
    "w1-400": {"scenario": "w1", "players": 400, "duration": 15, "warmup": 4},
    "w1-500": {"scenario": "w1", "players": 500, "duration": 15, "warmup": 4},
}
# What in a server log means a socket died of the channel layer or its pool.
KILLED = re.compile(r"MaxConnectionsError|Too many connections|ChannelFull|is full: dropped")


def cpu_s(pid: int) -> float:
    return ServerProbe(pid).cpu_s() or 0.0


def server_argv(port: int) -> list[str]:
    return pinned("0", [
        PYTHON, "-m", "uvicorn", "--loop", "uvloop", "--log-level", "warning",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--lifespan", "off",
        "gameserver.asgi:application",
    ])  # fmt: skip


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def one_run(layer: str, label: str, options: dict, run_dir: Path) -> dict:
    """Fresh database, flushed Redis, two servers, one load test; the figures."""
    run_dir.mkdir(parents=True)
    flush_redis()
    with postgres_database(PG_BASE) as db_url:
        env = {**os.environ, **SERVER_ENV, "DATABASE_URL": db_url}
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # both processes sign alike
        env["GAMESERVER_CHANNEL_LAYER"] = layer
        env.pop("DJANGO_SETTINGS_MODULE", None)
        migrate = [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"]
        subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=120)
        procs, urls, logs = [], [], []
        try:
            for n in range(2):
                port = free_port()
                log = (run_dir / f"server{n}.log").open("wb")
                logs.append(log)
                proc = subprocess.Popen(
                    server_argv(port), cwd=ROOT, env=env, stdout=log, stderr=log
                )
                procs.append(proc)
                urls.append(f"http://127.0.0.1:{port}")
                wait_healthy(urls[-1], proc)
            flags = [f"--{k.replace('_', '-')}={v}" for k, v in options.items()]
            tester = pinned("1", [
                PYTHON, "-m", "loadtest", f"--url={urls[0]}",
                f"--match-urls={','.join(urls)}", f"--server-pid={procs[0].pid}",
                *flags, "--json", "--quiet",
            ])  # fmt: skip
            print(f"[layers] {layer} {label}: {' '.join(tester)}", file=sys.stderr, flush=True)
            cpu0, began = [cpu_s(p.pid) for p in procs], time.monotonic()
            budget = float(options["duration"]) + float(options["warmup"]) + 120
            done = subprocess.run(tester, cwd=ROOT, capture_output=True, timeout=budget)
            span = time.monotonic() - began
            cpu = [round((cpu_s(p.pid) - c) / span, 3) for p, c in zip(procs, cpu0, strict=True)]
        finally:
            for proc in procs:
                stop(proc)
            for log in logs:
                log.close()
    (run_dir / "tester.log").write_bytes(done.stderr)
    try:
        result = json.loads(done.stdout)
    except ValueError:
        return {"layer": layer, "label": label, "failed": done.stderr.decode()[-800:]}
    killed = sum(
        len(KILLED.findall((run_dir / f"server{n}.log").read_text(errors="replace")))
        for n in range(2)
    )
    tracebacks = sum(
        (run_dir / f"server{n}.log").read_text(errors="replace").count("Traceback")
        for n in range(2)
    )
    errors = {k: v for k, v in result["totals"].items() if k.startswith("error")}
    summary = {
        "layer": layer,
        "label": label,
        "headline": result["headline"],
        "errors": errors,
        "pool_errors_in_server_logs": killed,
        "tracebacks_in_server_logs": tracebacks,
        "servers_cpu_util_whole_run": cpu,
        "tester_cpu_util": result["tester"]["cpu_util"],
        "window_s": result["window_s"],
        "counts": result["counts"],
        "tester_cmd": tester,
    }
    (run_dir / "result.json").write_text(json.dumps(result, indent=2))
    line = f"{json.dumps(summary['headline'])} errors={errors} pool={killed} cpu={cpu}"
    print(f"[layers] {layer} {label}: {line}", file=sys.stderr, flush=True)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", default="pubsub,core")
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--work", default=str(ROOT / "var" / "bench-layers"))
    args = parser.parse_args()
    work = Path(args.work) / time.strftime("%Y%m%d-%H%M%S")
    work.mkdir(parents=True)
    results, count = [], 0
    for layer in args.layers.split(","):
        for label in args.runs.split(","):
            count += 1
            results.append(
                one_run(layer, label, RUNS[label], work / f"{count:02d}-{layer}-{label}")
            )
    (work / "results.json").write_text(json.dumps(results, indent=2))
    print(f"[layers] {len(results)} runs -> {work / 'results.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
