"""Runs a load test: workers (on this loop, or one process each), the clock, the result.

The runner talks to each worker through a link: ``ready`` once prepared, ``go`` with
the measurement window, ``progress`` twice a second, ``stop``, then ``done`` with the
worker's recorder. Around the window it reads the server's CPU time and memory.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from typing import Any, Protocol

from .links import Link, PipeLink, local_pair
from .probe import ServerProbe, machine_busy_s
from .scenarios import SCENARIOS
from .stats import Recorder
from .worker import PROGRESS_EVERY_S, Config, Worker

PREPARE_TIMEOUT_S = 300.0
SETTLE_TIMEOUT_S = 300.0
SETTLE_S = 1.0
FINISH_TIMEOUT_S = 30.0


class View(Protocol):
    """Where progress goes (a live display, or nowhere)."""

    def phase(self, name: str) -> None: ...

    def progress(
        self, totals: dict[str, int], gauges: dict[str, int], recent: Recent | None = None
    ) -> None: ...


Recent = dict[str, tuple[int, float, float]]  # series -> (n, p50, p99) of the last report


class Quiet:
    def phase(self, name: str) -> None:
        pass

    def progress(
        self, totals: dict[str, int], gauges: dict[str, int], recent: Recent | None = None
    ) -> None:
        pass


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop when it is installed: the bots' own overhead is the tester's bottleneck."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(config: Config, view: View | None = None) -> dict[str, Any]:
    """Run one load test to the end and return its result as plain data."""
    if config.scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {config.scenario!r}; one of {sorted(SCENARIOS)}")
    view = view or Quiet()
    if config.procs <= 1:
        with asyncio.Runner(loop_factory=new_loop) as runner:
            return runner.run(execute(config, view))
    context = multiprocessing.get_context("fork")  # before any loop exists in this process
    links, procs = [], []
    for index in range(config.procs):
        ours, theirs = context.Pipe()
        share = config.share(index, config.procs)
        proc = context.Process(target=work_in_process, args=(share, index, theirs), daemon=True)
        proc.start()
        theirs.close()
        links.append(PipeLink(ours))
        procs.append(proc)
    try:
        with asyncio.Runner(loop_factory=new_loop) as runner:
            return runner.run(orchestrate(config, links, view))
    finally:
        for proc in procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()


async def execute(config: Config, view: View | None = None) -> dict[str, Any]:
    """One worker on the running loop (no extra process): what tests call."""
    ours, theirs = local_pair()
    worker = asyncio.create_task(work(config, 0, theirs))
    try:
        return await orchestrate(config, [ours], view or Quiet())
    finally:
        if not worker.done():
            worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


def work_in_process(config: Config, index: int, conn: Any) -> None:
    with asyncio.Runner(loop_factory=new_loop) as runner:
        runner.run(work(config, index, PipeLink(conn)))


async def work(config: Config, index: int, link: Link) -> None:
    """A worker's life: prepare, ready, go, run, stop, finish, done."""
    worker = Worker(config, index)
    scenario = SCENARIOS[config.scenario](worker)
    helpers = [asyncio.create_task(report(worker, link))]
    try:
        await scenario.prepare()
        link.put(("ready", index))
        _, go, start, end = await link.get()
        await asyncio.sleep(max(0.0, go - time.monotonic()))
        worker.open_window(start, end)
        helpers.append(asyncio.create_task(worker.watch_lag()))
        helpers.append(asyncio.create_task(obey(worker, link)))
        worker.said = lambda name: link.put((name, index))
        await scenario.run()
        async with asyncio.timeout(FINISH_TIMEOUT_S - 5):
            await scenario.finish()
        link.put(("done", index, worker.rec.dump(), worker.cpu_s))
    except Exception as exc:
        link.put(("failed", index, f"{type(exc).__name__}: {exc}"))
    finally:
        for helper in helpers:
            helper.cancel()


async def report(worker: Worker, link: Link) -> None:
    marks: dict[str, int] = {}
    while True:
        totals, gauges = dict(worker.rec.totals), dict(worker.gauges)
        link.put(("progress", worker.index, totals, gauges, worker.rec.recent(marks)))
        await asyncio.sleep(PROGRESS_EVERY_S)


async def obey(worker: Worker, link: Link) -> None:
    """After go the runner only says ``proceed`` (settling scenarios) and ``stop``."""
    while True:
        kind = (await link.get())[0]
        if kind == "proceed":
            worker.proceed.set()
        elif kind == "stop":
            worker.close_window()
            worker.stop.set()
            return


class Board:
    """The runner's view of its workers: their last progress and what they have said."""

    def __init__(self, links: list[Link], view: View) -> None:
        self.links, self.view = links, view
        self.said: dict[str, dict[int, Any]] = {"ready": {}, "half": {}, "settled": {}, "done": {}}
        self.totals: dict[int, dict[str, int]] = {}
        self.gauges: dict[int, dict[str, int]] = {}
        self.recent: dict[int, Recent] = {}
        self.failures: list[str] = []
        self.changed = asyncio.Event()

    async def listen(self, index: int) -> None:
        while True:
            try:
                message = await self.links[index].get()
            except (EOFError, OSError):
                self.failures.append(f"worker {index} died")
                self.changed.set()
                return
            kind = message[0]
            if kind == "progress":
                self.totals[index], self.gauges[index] = message[2], message[3]
                self.recent[index] = message[4]
                self.view.progress(
                    summed(self.totals), summed(self.gauges), merged_recent(self.recent)
                )
            elif kind == "failed":
                self.failures.append(f"worker {index}: {message[2]}")
            else:
                self.said[kind][index] = message[2:]
            self.changed.set()
            if kind in ("done", "failed"):
                return

    async def all_say(self, kind: str, timeout: float) -> None:
        """Wait until every worker has said ``kind``; raise if one failed or it takes too long."""
        async with asyncio.timeout(timeout):
            while len(self.said[kind]) < len(self.links):
                if self.failures:
                    raise RuntimeError("; ".join(self.failures))
                self.changed.clear()
                await self.changed.wait()

    def broadcast(self, message: tuple[Any, ...]) -> None:
        for link in self.links:
            link.put(message)


def summed(per_worker: dict[int, dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for values in per_worker.values():
        for name, value in values.items():
            total[name] = total.get(name, 0) + value
    return total


def merged_recent(per_worker: dict[int, Recent]) -> Recent:
    """Every worker's last latencies as one: counts added, p50 weighted, the worst p99."""
    merged: Recent = {}
    for recent in per_worker.values():
        for name, (n, p50, p99) in recent.items():
            m, q50, q99 = merged.get(name, (0, 0.0, 0.0))
            merged[name] = (m + n, (q50 * m + p50 * n) / (m + n), max(q99, p99))
    return merged


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


class Session:
    """One test as the runner drives it: the workers' board, the server probe, the clock."""

    def __init__(self, config: Config, links: list[Link], view: View) -> None:
        self.config, self.view = config, view
        self.scenario = SCENARIOS[config.scenario]
        self.probe, self.board = ServerProbe(config.server_pid), Board(links, view)
        self.server: dict[str, Any] = {"pid": config.server_pid}
        self.began = time.monotonic()
        self.go_at = self.start = self.end = self.window = self.span = 0.0
        self.prepare_s = 0.0
        self.cpu: list[float | None] = []
        self.busy: list[float | None] = []

    async def prepare(self) -> None:
        self.server["rss_start_kib"] = self.probe.rss_kib()
        self.view.phase("preparing")
        await self.board.all_say("ready", PREPARE_TIMEOUT_S)
        self.prepare_s = time.monotonic() - self.began
        self.server["rss_ready_kib"] = self.probe.rss_kib()

    def go(self) -> None:
        """Start every worker at once; the window opens after the warmup."""
        self.go_at = time.monotonic() + 0.2
        self.start = self.go_at if self.scenario.settles else self.go_at + self.config.warmup
        self.end = self.start + self.config.duration
        workers_end = None if self.scenario.settles else self.end
        self.board.broadcast(("go", self.go_at, self.start, workers_end))
        self.view.phase("running")

    async def settle(self) -> None:
        """Memory with half of the sockets open, then the window opens with all of them."""
        await self.board.all_say("half", SETTLE_TIMEOUT_S)
        await asyncio.sleep(SETTLE_S)
        self.server["rss_half_kib"] = self.probe.rss_kib()
        self.board.broadcast(("proceed",))
        await self.board.all_say("settled", SETTLE_TIMEOUT_S)
        self.start = time.monotonic()
        self.end = self.start + self.config.duration

    async def measure(self) -> None:
        await sleep_until(self.start)
        self.cpu.append(self.probe.cpu_s())
        self.busy.append(machine_busy_s())
        self.view.phase("measuring")
        await sleep_until(self.end)
        self.cpu.append(self.probe.cpu_s())
        self.busy.append(machine_busy_s())
        self.server["rss_end_kib"] = self.probe.rss_kib()
        self.window = time.monotonic() - self.start

    async def stop(self) -> None:
        self.span = time.monotonic() - self.go_at  # what a settling scenario's tester CPU covers
        self.board.broadcast(("stop",))
        self.view.phase("stopping")
        await self.board.all_say("done", self.config.drain + FINISH_TIMEOUT_S)

    def result(self) -> dict[str, Any]:
        (cpu0, cpu1), (busy0, busy1), window = self.cpu, self.busy, self.window
        if cpu0 is not None and cpu1 is not None:
            self.server["cpu_s"] = round(cpu1 - cpu0, 3)
            self.server["cpu_util"] = round((cpu1 - cpu0) / window, 3)
        covered = self.span if self.scenario.settles else window
        result = build(self.config, self.board, self.server, covered, self.prepare_s)
        result["window_s"] = round(window, 3)
        if busy0 is not None and busy1 is not None and not self.scenario.settles:
            # Cores kept busy by anything but the server and the tester: other load skews a run.
            ours = self.server.get("cpu_s", 0) + result["tester"]["cpu_s"]
            result["machine"] = {"other_busy_cores": round((busy1 - busy0 - ours) / window, 2)}
        return result


async def orchestrate(config: Config, links: list[Link], view: View) -> dict[str, Any]:
    """Drive the workers through one test and build the result."""
    session = Session(config, links, view)
    listeners = [asyncio.create_task(session.board.listen(i)) for i in range(len(links))]
    try:
        await session.prepare()
        session.go()
        if session.scenario.settles:
            await session.settle()
        await session.measure()
        await session.stop()
    finally:
        for listener in listeners:
            listener.cancel()
    return session.result()


def build(
    config: Config, board: Board, server: dict[str, Any], window: float, prepare_s: float
) -> dict[str, Any]:
    """The result; ``window`` is the span the workers' counters and CPU times cover."""
    rec = Recorder.merge(said[0] for said in board.said["done"].values())
    counts = dict(rec.counts)
    counts["messages"] = counts.get("sent", 0) + counts.get("received", 0)
    tester_cpu = [said[1] for said in board.said["done"].values()]
    result: dict[str, Any] = {
        "scenario": config.scenario,
        "title": SCENARIOS[config.scenario].title,
        "config": config.as_dict(),
        "window_s": round(window, 3),
        "prepare_s": round(prepare_s, 3),
        "counts": counts,
        "totals": dict(rec.totals),
        "latency_ms": rec.latencies(),
        "lows": rec.lows,
        "notes": rec.notes,
        "server": server,
        "tester": {
            "procs": len(tester_cpu),
            "cpu_s": round(sum(tester_cpu), 3),
            "cpu_util": round(sum(tester_cpu) / window, 3),
            "cpu_util_busiest_proc": round(max(tester_cpu) / window, 3),
        },
    }
    result["headline"] = SCENARIOS[config.scenario].headline(result)
    result["bottleneck"] = bottleneck(result)
    return result


def bottleneck(result: dict[str, Any]) -> str:
    """Which side ran out: "server", "tester", "both" or "neither".

    The server when it used >= 90 % of a core; the tester when it used >= 85 % or its
    loop woke >= 100 ms late (p99): then it delays what it measures.
    """
    server, tester = result["server"].get("cpu_util"), result["tester"]["cpu_util_busiest_proc"]
    lag = result["latency_ms"].get("tester.loop_lag", {}).get("p99") or 0.0
    server_busy = server is not None and server >= 0.9
    tester_busy = tester >= 0.85 or lag >= 100
    if server_busy and tester_busy:
        return "both"
    return "server" if server_busy else "tester" if tester_busy else "neither"
