"""Profile the server under W1 with py-spy: where the server's CPU time goes.

Starts a fresh server pinned to core 0 (as ``bench/run.py`` does), runs W1 against it
from core 1, samples the server with ``py-spy record`` during the steady part, and
prints the functions with the most samples (own and inclusive) and the share of each
package. Writes a flame graph (SVG) and the raw stacks next to the bench's runs.

    .venv/bin/pip install py-spy
    .venv/bin/python bench/profile.py --server uvicorn --players 400
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import run
from run import PYTHON, ROOT, SERVERS, Bench, free_port, pinned, stop, wait_healthy

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*)\)$")
PACKAGES = [
    ("gameserver/", "gameserver"), ("match/", "match"), ("lobby/", "lobby"),
    ("site-packages/django/", "django"), ("site-packages/channels/", "channels"),
    ("site-packages/daphne/", "daphne"), ("site-packages/twisted/", "twisted"),
    ("site-packages/autobahn/", "autobahn"), ("site-packages/uvicorn/", "uvicorn"),
    ("site-packages/websockets/", "websockets"), ("site-packages/asgiref/", "asgiref"),
    ("/asyncio/", "asyncio"), ("sqlite3", "sqlite3"), ("/concurrent/", "concurrent"),
    ("/threading.py", "threading"), ("/logging/", "logging"), ("/uvloop/", "uvloop"),
    ("site-packages/prometheus_client/", "prometheus_client"), ("/json/", "json"),
    ("/uuid.py", "uuid"), ("/random.py", "random"), ("/h11/", "h11"),
]  # fmt: skip


def package(frame: str) -> str:
    for needle, name in PACKAGES:
        if needle in frame:
            return name
    match = FRAME.match(frame)
    return Path(match["file"]).name if match else frame


def analyse(raw: Path, top: int) -> str:
    """Own and inclusive samples per function, and own samples per package."""
    own, inclusive, packages, total = Counter(), Counter(), Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if f]
        n = int(count)
        total += n
        own[frames[-1]] += n
        packages[package(frames[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n
    lines = [f"{total} samples", "", "own time, by package:"]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in packages.most_common(15)]
    lines += ["", "own time, by function:"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    lines += ["", "inclusive time, by function:"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in inclusive.most_common(top * 2)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", choices=sorted(SERVERS), default="uvicorn")
    parser.add_argument("--players", type=int, default=400)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--work", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--nice", type=int, default=0, help="niceness of server and tester")
    args = parser.parse_args()
    run.NICE = args.nice
    work = Path(args.work) / time.strftime("profile-%Y%m%d-%H%M%S")
    work.mkdir(parents=True)
    bench = Bench(work, quick=False)
    bench.migrate()
    db = work / "db.sqlite3"
    db.write_bytes(bench.template.read_bytes())
    port = free_port()
    argv = pinned("0", [PYTHON, *(a.format(port=port) for a in SERVERS[args.server])])
    log = (work / "server.log").open("wb")
    server = subprocess.Popen(argv, cwd=ROOT, env=bench.env(db), stdout=log, stderr=log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server)
        options = {"scenario": "w1", "players": args.players, "warmup": 6}
        tester = bench.tester_argv(port, server.pid, {**options, "duration": args.seconds + 6})
        load = subprocess.Popen(tester, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(8)  # identities, sockets and the warmup first
        raw, svg = work / "stacks.txt", work / "profile.svg"
        # --gil: only the thread holding the GIL, i.e. Python's CPU time, not threads
        # waiting in the pool or the loop waiting in epoll.
        spy = [str(Path(PYTHON).parent / "py-spy"), "record", "--pid", str(server.pid)]
        spy += ["--rate", "250", "--nolineno", "--gil", "--full-filenames"]
        half = str(args.seconds // 2)
        subprocess.run(pinned("1", [*spy, "-d", half, "-f", "raw", "-o", str(raw)]), check=True)
        subprocess.run(pinned("1", [*spy, "-d", half, "-o", str(svg)]), check=False)
        load.communicate(timeout=120)
        print(f"stacks: {raw}\nflame graph: {svg}\n{analyse(raw, args.top)}")
    finally:
        stop(server)
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
