"""What the load tester can see of the server process from /proc: CPU time and memory."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Wait until the server started as ``proc`` answers ``GET /healthz`` with 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy in {seconds} s")


def machine_busy_s() -> float | None:
    """CPU seconds all cores have spent busy since boot (anything but idle and iowait)."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    ticks = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / TICKS


class ServerProbe:
    """Reads /proc/<pid>/stat and /proc/<pid>/status; every reading is None without a pid."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid

    def cpu_s(self) -> float | None:
        """User plus system CPU seconds of every thread of the process so far."""
        if self.pid is None:
            return None
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rpartition(")")[2].split()  # fields[0] is the state, field 3
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime and stime: 14 and 15

    def rss_kib(self) -> int | None:
        """Resident set size (VmRSS) in KiB."""
        if self.pid is None:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return None
