"""The side-by-side peer of ``make bench``: Colyseus 0.18 on the same workloads.

``bench/colyseus/`` holds a Colyseus server with our games (``server.js``) and a load
client for our workloads (``loadtest.js``), whose ``--json`` result has the shape and
key names of our load tester's. Each run is measured as ours are: a fresh server
pinned to core 0, the load client pinned to core 1, traffic on 127.0.0.1 only, every
run bounded in time, CPU and memory read from /proc.

    .venv/bin/python bench/peer.py --scenario w1 --players 100 --duration 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import pinned, stop  # noqa: E402

from loadtest.probe import free_port  # noqa: E402
from loadtest.runner import bottleneck  # noqa: E402

PEER = BENCH / "colyseus"
# As our bench's SERVER_ENV: tag rooms outlive a run, and a room waits 10 s for its 8th.
# A listen queue of 2048, as uvicorn's: with Node's 511, 1000 W1 bots connecting at once
# overflow it, their SYNs are dropped and retried 1 to 15 s later, and seats expire.
SERVER_ENV = {"TAG_DURATION_S": "600", "TAG_FILL_MS": "10000", "BACKLOG": "2048"}
PACKAGES = ("@colyseus/core", "@colyseus/ws-transport", "@colyseus/schema", "@colyseus/sdk")
INSTALL_TIMEOUT_S = 300
START_TIMEOUT_S = 30


def tools() -> tuple[str, str] | None:
    """(node, npm), or None with the reason printed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(n for n, p in (("node", node), ("npm", npm)) if p is None)
        print(f"[peer] {missing} not found: the Colyseus peer is skipped", file=sys.stderr)
        return None
    return node, npm


def install(npm: str) -> bool:
    """``npm ci`` in bench/colyseus when its node_modules is missing; False if that fails."""
    if (PEER / "node_modules" / ".package-lock.json").exists():
        return True
    print("[peer] npm ci in bench/colyseus", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER, capture_output=True, timeout=INSTALL_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        print(f"[peer] npm ci took over {INSTALL_TIMEOUT_S} s", file=sys.stderr)
        return False
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace")[-800:]
        print(f"[peer] npm ci failed (exit {done.returncode}): {tail}", file=sys.stderr)
        return False
    return True


def versions(node: str) -> dict[str, str]:
    """What the peer ran on: node and the installed Colyseus packages."""
    found = {"node": subprocess.run([node, "--version"], capture_output=True, text=True).stdout}
    for package in PACKAGES:
        try:
            meta = json.loads((PEER / "node_modules" / package / "package.json").read_text())
            found[package] = meta["version"]
        except (OSError, ValueError, KeyError):
            found[package] = "absent"
    return {k: v.strip() for k, v in found.items()}


def wait_listening(port: int, proc: subprocess.Popen[bytes], seconds: float) -> None:
    """Wait until ``proc`` accepts TCP connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Colyseus server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the Colyseus server did not listen on {port} in {seconds} s")


def flags(options: dict[str, Any]) -> list[str]:
    return [f"--{k.replace('_', '-')}={v}" for k, v in options.items()]


def run_colyseus(
    scenario: str, *, nice: int = 0, work: Path | None = None, label: str = "",
    **options: Any,
) -> dict[str, Any] | None:  # fmt: skip
    """One Colyseus run of ``scenario`` (w1, w2, w3) with load client ``options``.

    A fresh server on core 0, the load client on core 1, the server stopped after.
    Returns the load client's result (the shape of ours, with ``bottleneck``,
    ``server_cmd`` and ``tester_cmd``), ``{"failed": why, ...}`` when the run
    failed, or None (said on stderr) when node or npm is missing or npm ci fails.
    """
    found = tools()
    if found is None:
        return None
    node, npm = found
    if not install(npm):
        return None
    log_dir = work or Path(tempfile.mkdtemp(prefix="colyseus-peer-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server_cmd = pinned("0", [node, "server.js"], nice)
    env = {**os.environ, **SERVER_ENV, "PORT": str(port), "NODE_ENV": "production"}
    budget = float(options.get("duration", 10)) + float(options.get("warmup", 3)) + 120
    tester_cmd: list[str] = []
    with (log_dir / "server.log").open("wb") as log:
        proc = subprocess.Popen(server_cmd, cwd=PEER, env=env, stdout=log, stderr=log)
        try:
            wait_listening(port, proc, START_TIMEOUT_S)
            tester_cmd = pinned("1", [
                node, "loadtest.js", f"--url=http://127.0.0.1:{port}", f"--server-pid={proc.pid}",
                f"--scenario={scenario}", *flags(options), "--json", "--quiet",
            ], nice)  # fmt: skip
            shown = " ".join(tester_cmd[tester_cmd.index("loadtest.js") :])
            print(f"[peer] colyseus {label or scenario}: {shown}", file=sys.stderr, flush=True)
            result = load(tester_cmd, log_dir, budget)
        except RuntimeError as exc:
            result = {"failed": str(exc)}
        finally:
            stop(proc)
    result.update(server_kind="colyseus", label=label or scenario)
    result.update(server_cmd=server_cmd, tester_cmd=tester_cmd, server_env=SERVER_ENV)
    if "headline" in result:
        result["bottleneck"] = bottleneck(result)
        headline = json.dumps(result["headline"])
        print(f"[peer] colyseus {label or scenario}: {headline}", file=sys.stderr, flush=True)
    else:
        print(f"[peer] colyseus {label or scenario}: {result['failed']}", file=sys.stderr)
    return result


def load(argv: list[str], log_dir: Path, budget: float) -> dict[str, Any]:
    """Run the load client; its parsed JSON, or ``{"failed": why}``."""
    try:
        done = subprocess.run(argv, cwd=PEER, capture_output=True, timeout=budget)
    except subprocess.TimeoutExpired:
        return {"failed": f"the load client took over {budget:.0f} s"}
    (log_dir / "tester.log").write_bytes(done.stderr)
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        (log_dir / "tester.out").write_bytes(done.stdout)
        tail = done.stderr.decode(errors="replace")[-500:]
        return {"failed": f"no result (exit {done.returncode}): {tail}"}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", choices=("w1", "w2", "w3"), default="w1")
    parser.add_argument("--players", type=int)
    parser.add_argument("--rooms", type=int)
    parser.add_argument("--sockets", type=int)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--warmup", type=float)
    parser.add_argument("--nice", type=int, default=0, help="niceness of server and load client")
    args = parser.parse_args()
    options = {k: v for k, v in vars(args).items() if v is not None}
    scenario, nice = options.pop("scenario"), options.pop("nice")
    result = run_colyseus(scenario, nice=nice, **options)
    if result is None:
        return 2
    print(json.dumps(result, indent=2))
    return 0 if "headline" in result and not result["headline"]["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
