"""``make bench``: every workload against daphne and uvicorn, written to docs/performance.md.

Each run gets a fresh server on a copy of one migrated SQLite database, pinned to
core 0, and the load tester pinned to core 1; both talk over 127.0.0.1 only. Every
run is bounded in time. ``--quick`` runs each workload small and short (a smoke test).
``--peer colyseus`` (the default; ``--no-peer`` skips it) then runs W1, W2 and W3 on
the Colyseus 0.18 peer (bench/peer.py) the same way, into the results' ``colyseus``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from doc import write_doc  # noqa: E402

from loadtest.probe import free_port, wait_healthy  # noqa: E402

PYTHON = sys.executable
SERVERS = {
    "daphne": ["-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "gameserver.asgi:application"],
    "uvicorn": [
        "-m", "uvicorn", "--loop", "uvloop", "--log-level", "warning", "--host", "127.0.0.1",
        "--port", "{port}",
        "--no-access-log", "--lifespan", "off", "gameserver.asgi:application",
    ],
}  # fmt: skip
SERVER_ENV = {
    "GAMESERVER_BENCH_RELAY": "1",
    # Tag rooms must outlive a run; full rooms of 8 form at once, the fill timeout
    # only ever matters for a leftover group, and must not split rooms while bots queue.
    "GAMESERVER_GAME_OPTIONS": '{"tag": {"duration_s": 600}}',
    "GAMESERVER_FILL_TIMEOUT": "10",
    # W1's bots re-queue the moment a match ends: a skill window would measure how long
    # they wait for an opponent of their rating, not the server. So: any rating will do.
    "GAMESERVER_SKILL_WINDOW": "1e9",
    # The load tester's bots all come from this machine: past the per-address limits.
    "GAMESERVER_UNLIMITED_ADDRESSES": "127.0.0.1,::1",
}
W2_P99_MS = 50.0


def plan(quick: bool) -> list[tuple[str, dict[str, object]]]:
    """The fixed runs of one server: (label, load tester options)."""
    if quick:
        return [
            ("relay", {"scenario": "relay", "pairs": 10, "duration": 3, "warmup": 1}),
            ("w1-20", {"scenario": "w1", "players": 20, "duration": 3, "warmup": 1}),
            ("w2-2", {"scenario": "w2", "rooms": 2, "duration": 3, "warmup": 1}),
            ("w3-200", {"scenario": "w3", "sockets": 200, "duration": 1}),
            ("w3-relay-200", {"scenario": "w3", "sockets": 200, "duration": 1, "idle": "relay"}),
        ]
    w1 = {"scenario": "w1", "duration": 15, "warmup": 4}
    w2 = {"scenario": "w2", "duration": 10, "warmup": 2}
    w3 = {"scenario": "w3", "duration": 2}
    return [
        ("relay", {"scenario": "relay", "pairs": 50, "duration": 10, "warmup": 2}),
        *[(f"w1-{p}", {**w1, "players": p}) for p in (100, 400, 1000)],
        *[(f"w2-{r}", {**w2, "rooms": r}) for r in (10, 50, 100)],
        *[(f"w3-{n}", {**w3, "sockets": n}) for n in (1000, 5000)],
        ("w3-relay-1000", {**w3, "sockets": 1000, "idle": "relay"}),
    ]


def peer_plan(quick: bool) -> list[tuple[str, dict[str, object]]]:
    """The runs of the Colyseus peer: ours of W1, W2 and W3 at N=1000 (200 when quick)."""
    labels = ("w1-20", "w2-2", "w3-200") if quick else ("w1-100", "w1-400", "w1-1000")
    labels += () if quick else ("w2-10", "w2-50", "w2-100", "w3-1000")
    return [(label, options) for label, options in plan(quick) if label in labels]


NICE = 0  # --nice: a shared machine's other processes then take less of the two cores


def pinned(core: str, argv: list[str], nice: int | None = None) -> list[str]:
    """``argv`` on one core (taskset), at the bench's priority (or at ``nice``)."""
    nice = NICE if nice is None else nice
    if shutil.which("taskset"):
        argv = ["taskset", "-c", core, *argv]
    return ["nice", "-n", str(nice), *argv] if nice else argv


class Bench:
    """Runs the plan and keeps every result, with the exact commands that produced it."""

    def __init__(self, work: Path, quick: bool) -> None:
        self.work, self.quick = work, quick
        self.template = work / "template.sqlite3"
        self.results: list[dict[str, object]] = []
        self.peer_results: list[dict[str, object]] = []
        self.runs = 0

    def migrate(self) -> None:
        env = self.env(self.template)
        cmd = [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"]
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, timeout=120)

    def env(self, db: Path) -> dict[str, str]:
        env = {**os.environ, **SERVER_ENV, "DATABASE_URL": f"sqlite:///{db}"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        return env

    def run(self, server: str, label: str, options: dict[str, object]) -> dict[str, object]:
        """One fresh server, one load test, the server stopped; the load tester's result."""
        self.runs += 1
        run_dir = self.work / f"{self.runs:02d}-{server}-{label}"
        run_dir.mkdir(parents=True)
        if server == "colyseus":
            return self.run_peer(label, options, run_dir)
        shutil.copy(self.template, run_dir / "db.sqlite3")
        port = free_port()
        argv = pinned("0", [PYTHON, *(a.format(port=port) for a in SERVERS[server])])
        log = (run_dir / "server.log").open("wb")
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=self.env(run_dir / "db.sqlite3"), stdout=log, stderr=log
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}", proc)
            tester = self.tester_argv(port, proc.pid, options)
            print(f"[bench] {server} {label}: {' '.join(tester[3:])}", file=sys.stderr, flush=True)
            result = self.load(tester, run_dir, options)
        finally:
            stop(proc)
            log.close()
        result.update(server_kind=server, label=label, server_cmd=argv)
        self.results.append(result)
        print(f"[bench] {server} {label}: {json.dumps(result.get('headline'))}", file=sys.stderr)
        return result

    def run_peer(self, label: str, options: dict[str, object], run_dir: Path) -> dict:
        """One run on the Colyseus peer (bench/peer.py), kept apart from ours."""
        import peer  # here: bench/peer.py imports this module

        scenario, rest = options["scenario"], {k: v for k, v in options.items() if k != "scenario"}
        result = peer.run_colyseus(str(scenario), nice=NICE, work=run_dir, label=label, **rest)
        if result is None:
            result = {"failed": "node or npm is missing, or npm ci failed", "label": label}
        self.peer_results.append(result)
        return result

    def peer_section(self, quick: bool) -> dict[str, object]:
        """The ``colyseus`` part of the results: its runs, its W2 search, its versions."""
        import peer

        found = peer.tools()
        if found is None or not peer.install(found[1]):
            return {"skipped": "node or npm is missing, or npm ci failed in bench/colyseus"}
        w2: dict[int, bool] = {}
        for label, options in peer_plan(quick):
            result = self.run("colyseus", label, options)
            if options["scenario"] == "w2":
                w2[int(options["rooms"])] = bool((result.get("headline") or {}).get("ok"))
        search = None if quick else self.search_w2("colyseus", w2)
        return {
            "versions": peer.versions(found[0]),
            "server_env": peer.SERVER_ENV,
            "largest_w2_rooms": search,
            "results": self.peer_results,
        }

    def tester_argv(self, port: int, pid: int, options: dict[str, object]) -> list[str]:
        flags = [f"--{k.replace('_', '-')}={v}" for k, v in options.items()]
        url = f"http://127.0.0.1:{port}"
        argv = [PYTHON, "-m", "loadtest", f"--url={url}", f"--server-pid={pid}"]
        return pinned("1", [*argv, *flags, "--json", "--quiet"])

    def load(self, argv: list[str], run_dir: Path, options: dict[str, object]) -> dict:
        budget = float(options.get("duration", 10)) + float(options.get("warmup", 3)) + 300
        try:
            done = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=budget)
        except subprocess.TimeoutExpired:
            return {"failed": f"the load tester took over {budget:.0f} s", "tester_cmd": argv}
        (run_dir / "tester.log").write_bytes(done.stderr)
        try:
            result = json.loads(done.stdout)
        except ValueError:
            tail = done.stderr.decode(errors="replace")[-500:]
            return {"failed": f"no result (exit {done.returncode}): {tail}", "tester_cmd": argv}
        result["tester_cmd"] = argv
        return result

    def search_w2(self, server: str, measured: dict[int, bool]) -> int:
        """The largest R with p99 < 50 ms and every room at 20 updates/s (to about 10 %)."""
        passing = [r for r, ok in measured.items() if ok]
        failing = [r for r, ok in measured.items() if not ok]
        low, high = max(passing, default=0), min(failing, default=None)
        for _ in range(5):  # bounded: at most five more runs
            if high is None:
                probe = low * 2 if low < 200 else None
            elif high - low > max(5, low // 10):
                probe = (low + high) // 2
            else:
                probe = None
            if probe is None:
                break
            options = {"scenario": "w2", "rooms": probe, "duration": 6, "warmup": 2}
            result = self.run(server, f"w2-search-{probe}", options)
            ok = bool((result.get("headline") or {}).get("ok"))
            low, high = (probe, high) if ok else (low, probe)
        return low


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small, short runs (a smoke test)")
    parser.add_argument("--servers", default="daphne,uvicorn")
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument("--work", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--nice", type=int, default=0, help="niceness of server and tester")
    parser.add_argument("--peer", choices=("colyseus",), default="colyseus",
                        help="also run the workloads on this peer (default: colyseus)")  # fmt: skip
    parser.add_argument("--no-peer", dest="peer", action="store_const", const=None,
                        help="run no peer")  # fmt: skip
    args = parser.parse_args()
    global NICE
    NICE = args.nice
    work = Path(args.work) / time.strftime("%Y%m%d-%H%M%S")
    work.mkdir(parents=True)
    bench = Bench(work, args.quick)
    bench.migrate()
    began = time.monotonic()
    searches: dict[str, int] = {}
    for server in args.servers.split(","):
        w2: dict[int, bool] = {}
        for label, options in plan(args.quick):
            result = bench.run(server, label, options)
            if options["scenario"] == "w2":
                w2[int(options["rooms"])] = bool((result.get("headline") or {}).get("ok"))
        if not args.quick:
            searches[server] = bench.search_w2(server, w2)
    colyseus = bench.peer_section(args.quick) if args.peer == "colyseus" else None
    elapsed = time.monotonic() - began
    meta = {"searches": searches, "argv": sys.argv[1:], "server_env": SERVER_ENV}
    everything = {**meta, "results": bench.results}
    if colyseus is not None:
        everything["colyseus"] = colyseus
    (work / "results.json").write_text(json.dumps(everything, indent=2))
    argv = sys.argv[1:]
    write_doc(Path(args.out), bench.results, searches, elapsed, args.quick, argv, SERVER_ENV,
              peer=colyseus)  # fmt: skip
    print(f"[bench] {len(bench.results)} runs in {elapsed:.0f} s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
