// The load client for server.js: our load tester's workloads (loadtest/),
// played through the Colyseus SDK, measured the same way, reported under the same keys.
//
//   node loadtest.js --port 2567 --scenario w1 --players 100 --duration 15 --warmup 4 \
//                    --server-pid PID --json
//
// W1: P bots; each joinOrCreate("tictactoe"), plays the lowest empty cell on its turn
//     (X wins on the 7th move), and when the server ends the match joins again.
// W2: R rooms of 8 bots on "tag", every bot sending an input 20 times a second.
// W3: N idle sockets on Colyseus's LobbyRoom; server RSS growth from N/2 to N.
//
// Everything is bounded in time, and all traffic goes to the one --url (127.0.0.1).

import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { Client, Room } from "@colyseus/sdk";
import { Connection } from "@colyseus/sdk/Connection";

// stdout carries the result only (--json): whatever the SDK logs goes to stderr.
console.log = console.info = console.error;

const CYCLE_TIMEOUT_MS = 30_000; // one match, joining included: longer means it is stuck
const START_TIMEOUT_MS = 30_000; // W2: every room full and started
const SETTLE_MS = 1000; // W3: before reading memory at half
const LAG_PERIOD_MS = 10;
const ROOM = 8;
const SLOTS = 10;
const ROOM_RATE_OK = 19.5;
const P99_OK_MS = 50;
const TITLES = { w1: "W1 tictactoe-cycle", w2: "W2 tag-realtime", w3: "W3 idle" };

// ---- options ----------------------------------------------------------------------

function parseArgs(argv) {
  const config = {
    url: "http://127.0.0.1:2567",
    scenario: "w1",
    players: 100,
    rooms: 10,
    sockets: 1000,
    duration: 15,
    warmup: 3,
    rate: 20,
    concurrency: 64, // W2 and W3 set-up: joins (reservation + socket) at once, as ours
    drain: 5,
    server_pid: null,
    json: false,
    quiet: false,
  };
  const numbers = new Set(["players", "rooms", "sockets", "duration", "warmup", "rate"]);
  ["concurrency", "drain", "server_pid", "port"].forEach((k) => numbers.add(k));
  for (let i = 0; i < argv.length; i++) {
    let [key, value] = argv[i].replace(/^--/, "").split(/=(.*)/s, 2);
    key = key.replace(/-/g, "_");
    if (key === "help" || key === "h") {
      process.stdout.write(
        "node loadtest.js [--url URL | --port PORT] [--scenario w1|w2|w3] [--players P]\n" +
          "  [--rooms R] [--sockets N] [--duration S] [--warmup S] [--rate HZ]\n" +
          "  [--concurrency C] [--drain S] [--server-pid PID] [--json] [--quiet]\n",
      );
      process.exit(0);
    }
    if (key === "json" || key === "quiet") {
      config[key] = true;
      continue;
    }
    if (value === undefined) value = argv[++i];
    if (!(key in config) && key !== "port") throw new Error(`unknown option --${key}`);
    config[key] = numbers.has(key) ? Number(value) : value;
  }
  if (config.port) config.url = `http://127.0.0.1:${config.port}`;
  delete config.port;
  if (!TITLES[config.scenario]) throw new Error(`unknown scenario ${config.scenario}`);
  return config;
}

// ---- what we can see of the server and the machine: /proc -------------------------

let TICKS = 100;
try {
  TICKS = Number(execSync("getconf CLK_TCK", { encoding: "utf8" }).trim()) || 100;
} catch {}

function cpuS(pid) {
  if (!pid) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(")").pop().trim().split(/\s+/);
    return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime + stime
  } catch {
    return null;
  }
}

function rssKiB(pid) {
  if (!pid) return null;
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m);
    return line ? Number(line[1]) : null;
  } catch {
    return null;
  }
}

function machineBusyS() {
  try {
    const ticks = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].split(/\s+/).slice(1, 9);
    const n = ticks.map(Number);
    return (n.reduce((a, b) => a + b, 0) - n[3] - n[4]) / TICKS;
  } catch {
    return null;
  }
}

const testerCpuS = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

// ---- counts and samples, as loadtest/stats.py ----------------------------

class Recorder {
  constructor() {
    this.recording = false;
    this.totals = {};
    this.counts = {};
    this.samples = {};
    this.lows = {};
  }
  count(name, n = 1) {
    this.totals[name] = (this.totals[name] || 0) + n;
    if (this.recording) this.counts[name] = (this.counts[name] || 0) + n;
  }
  sample(name, ms) {
    if (this.recording) (this.samples[name] ||= []).push(ms);
  }
  low(name, key, value) {
    const table = (this.lows[name] ||= {});
    table[key] = Math.min(value, table[key] ?? value);
  }
  error(kind) {
    this.count("errors");
    this.count(`error.${kind}`);
  }
  latencies() {
    const out = {};
    for (const name of Object.keys(this.samples).sort()) out[name] = summarize(this.samples[name]);
    return out;
  }
}

function percentile(ordered, q) {
  if (!ordered.length) return NaN;
  const pos = ((ordered.length - 1) * q) / 100;
  const low = Math.floor(pos);
  const high = Math.min(low + 1, ordered.length - 1);
  return ordered[low] + (ordered[high] - ordered[low]) * (pos - low);
}

function summarize(values) {
  const ordered = Float64Array.from(values).sort();
  if (!ordered.length) return { n: 0 };
  const r = (v) => Math.round(v * 100) / 100;
  return {
    n: ordered.length,
    mean: r(ordered.reduce((a, b) => a + b, 0) / ordered.length),
    p50: r(percentile(ordered, 50)),
    p95: r(percentile(ordered, 95)),
    p99: r(percentile(ordered, 99)),
    max: r(ordered[ordered.length - 1]),
  };
}

const rec = new Recorder();
const firstErrors = new Set();

function fail(kind, error) {
  if (!firstErrors.has(kind)) {
    firstErrors.add(kind);
    console.error(`[loadtest] first ${kind} error: ${error?.message ?? error}`);
  }
  rec.error(kind);
}

// Every frame through the server in either direction is a "message", as our bots count.
const dispatch = Room.prototype.onMessageCallback;
Room.prototype.onMessageCallback = function (event) {
  rec.count("received");
  return dispatch.call(this, event);
};
const transmit = Connection.prototype.send;
Connection.prototype.send = function (data) {
  rec.count("sent");
  return transmit.call(this, data);
};

// The SDK's matchmaking request, on node:http with kept-alive connections (as a browser
// keeps them) instead of the global fetch, which costs this one core several times more.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function leanFetch(url, options, retried = false) {
  const began = now();
  return new Promise((resolve, reject) => {
    const headers = Object.fromEntries(options.headers ?? []);
    const request = http.request(url, { method: options.method, headers, agent }, (answer) => {
      const chunks = [];
      answer.on("data", (chunk) => chunks.push(chunk));
      answer.on("error", reject);
      answer.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        rec.sample("matchmake_http", now() - began);
        resolve({
          ok: answer.statusCode >= 200 && answer.statusCode < 300,
          status: answer.statusCode,
          statusText: answer.statusMessage,
          headers: { get: (name) => answer.headers[name.toLowerCase()] ?? null },
          json: async () => JSON.parse(body),
          text: async () => body,
          blob: async () => body,
        });
      });
    });
    request.setTimeout(30_000, () => request.destroy(new Error("matchmaking request timed out")));
    request.on("error", (error) => {
      // A kept-alive connection the server closed as we reused it: once more, on a new one
      // (what Node's documentation and browsers do).
      if (request.reusedSocket && error.code === "ECONNRESET" && !retried) {
        resolve(leanFetch(url, options, true));
      } else reject(error);
    });
    request.end(options.body);
  });
}

const newClient = (url) => new Client(url, { fetchFn: leanFetch });

// ---- helpers ----------------------------------------------------------------------

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Semaphore {
  constructor(n) {
    this.free = n;
    this.waiting = [];
  }
  async run(make) {
    if (this.free > 0) this.free--;
    else await new Promise((resolve) => this.waiting.push(resolve));
    try {
      return await make();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

class Stop {
  constructor() {
    this.set = false;
    this.waiters = [];
  }
  fire() {
    this.set = true;
    this.waiters.splice(0).forEach((resolve) => resolve());
  }
  wait() {
    return this.set ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

// ---- W1 tictactoe-cycle -----------------------------------------------------------

const LINES = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6]];

function decided(board) {
  return LINES.some(([a, b, c]) => board[a] && board[a] === board[b] && board[a] === board[c]) ||
    !board.includes("");
}

// A joinOrCreate is Colyseus's matchmaking, the equivalent of our queue.join, which our
// tester does not hold back: W1's joins are not capped by --concurrency (a cap of 64 made
// this client's own queue the bottleneck, with seconds of waiting in it at P=1000).
class TicTacToeCycle {
  constructor(config, stop) {
    this.config = config;
    this.stop = stop;
    this.rooms = new Set();
  }

  async prepare() {
    this.clients = Array.from({ length: this.config.players }, () => newClient(this.config.url));
  }

  async run() {
    const bots = this.clients.map((client) => this.cycleForever(client));
    await this.stop.wait();
    const drained = Promise.allSettled(bots);
    await Promise.race([drained, sleep(this.config.drain * 1000)]);
    for (const room of this.rooms) room.leave().catch(() => {});
    await Promise.race([drained, sleep(2000)]);
  }

  async cycleForever(client) {
    while (!this.stop.set) {
      try {
        await this.cycle(client);
      } catch (error) {
        fail(error.kind || "join", error);
        await sleep(100);
      }
    }
  }

  async cycle(client) {
    const queued = now();
    const room = await withTimeout(client.joinOrCreate("tictactoe"), CYCLE_TIMEOUT_MS, "joinOrCreate");
    this.rooms.add(room);
    try {
      await this.play(room, queued);
    } finally {
      this.rooms.delete(room);
    }
  }

  play(room, queued) {
    return new Promise((resolve, reject) => {
      let seat = -1;
      let active = false;
      let over = false;
      let pending = null; // [cell, sent at]
      const refuse = (kind, message) => reject(Object.assign(new Error(message), { kind }));
      const timer = setTimeout(() => {
        room.leave().catch(() => {});
        refuse("timeout", "a match took over 30 s");
      }, CYCLE_TIMEOUT_MS);
      room.onMessage("error", (message) => {
        room.leave().catch(() => {});
        refuse(message?.code || "error", `the server refused a move: ${message?.code}`);
      });
      room.onError((code, message) => refuse("match_connection", `error ${code}: ${message}`));
      room.onLeave((code) => {
        clearTimeout(timer);
        if (over) resolve();
        else {
          const status = room.state?.status;
          refuse("match_connection", `left the room before the end (${code}, status ${status})`);
        }
      });
      room.onStateChange((state) => {
        const board = state.board;
        if (pending !== null && board[pending[0]] !== "") {
          rec.sample("move_rtt", now() - pending[1]);
          pending = null;
        }
        if (!active && state.status === "active") {
          active = true;
          seat = state.seats.indexOf(room.sessionId);
          rec.sample("queue_wait", now() - queued);
        }
        if (state.status === "over" && !over) {
          over = true;
          if (state.winner !== 0 || state.reason !== "win") {
            fail("unexpected_result", new Error(`winner ${state.winner}, ${state.reason}`));
          }
          else if (seat === 0) rec.count("matches");
          return;
        }
        if (active && pending === null && state.turn === seat && !decided(board)) {
          const cell = board.indexOf("");
          pending = [cell, now()];
          room.send("move", { cell });
          rec.count("moves");
        }
      });
    });
  }

  static headline(result) {
    return {
      players: result.config.players,
      matches_per_s: perS(result, "matches"),
      ...latency(result, "move_rtt", "p50", "p95", "p99"),
      ...latency(result, "queue_wait", "p50", "p99"),
      errors: result.totals.errors || 0,
      server_cpu_util: result.server.cpu_util ?? null,
      messages_per_s: perS(result, "messages"),
      server_cpu_s_per_1000_matches: per1000(result, "matches"),
      server_cpu_s_per_1000_messages: per1000(result, "messages"),
    };
  }
}

// ---- W2 tag-realtime --------------------------------------------------------------

class TagRealtime {
  constructor(config, stop) {
    this.config = config;
    this.stop = stop;
    this.limit = new Semaphore(config.concurrency);
  }

  async prepare() {
    const count = this.config.rooms * ROOM;
    this.players = [];
    // Joined in order, ROOM at a time, so that each room fills to 8 before the next opens.
    for (let first = 0; first < count; first += ROOM) {
      const group = Array.from({ length: Math.min(ROOM, count - first) }, () => this.join());
      this.players.push(...(await Promise.all(group)));
    }
    const rooms = new Map();
    for (const player of this.players) rooms.set(player.room.roomId, (rooms.get(player.room.roomId) || 0) + 1);
    for (const size of rooms.values()) if (size !== ROOM) rec.error("room_not_full");
    await withTimeout(Promise.all(this.players.map((p) => p.started)), START_TIMEOUT_MS, "rooms starting");
  }

  async join() {
    const client = newClient(this.config.url);
    const room = await this.limit.run(() => withTimeout(client.joinOrCreate("tag"), 30_000, "join"));
    const player = { room, updates: 0, input: [rand3(), rand3()] };
    player.started = new Promise((resolve) => {
      room.onStateChange((state) => {
        if (state.status === "active") resolve();
        if (state.status !== "active" || !state.t) return;
        rec.sample("update_delivery", performance.timeOrigin + performance.now() - state.t);
        if (rec.recording) player.updates += 1;
      });
    });
    room.onMessage("error", (message) => rec.error(message?.code || "error"));
    room.onLeave((code) => {
      if (!this.stop.set) fail("connection", new Error(`left the room (${code})`));
    });
    return player;
  }

  async run() {
    const slots = Array.from({ length: SLOTS }, (_, k) => this.players.filter((_, i) => i % SLOTS === k));
    const step = 1000 / this.config.rate / SLOTS;
    let due = now();
    for (let k = 0; !this.stop.set; k++) {
      due += step;
      const delay = due - now();
      if (delay > 0) await sleep(delay);
      else if (delay < -1000) due = now(); // far behind: skip the backlog rather than burst
      const slot = slots[k % SLOTS];
      for (const player of slot) {
        if (Math.random() < 0.05) player.input = [rand3(), rand3()]; // about once a second
        player.room.send("input", { dx: player.input[0], dy: player.input[1] });
      }
      rec.count("inputs", slot.length);
    }
    for (const player of this.players) rec.low("room_updates", player.room.roomId, player.updates);
  }

  async finish() {
    await Promise.race([
      Promise.allSettled(this.players.map((p) => p.room.leave())),
      sleep(5000),
    ]);
  }

  static headline(result) {
    const window = result.window_s || NaN;
    const rates = Object.values(result.lows.room_updates || {}).map((n) => n / window).sort((a, b) => a - b);
    const roomsOk = rates.filter((rate) => rate >= ROOM_RATE_OK - 1 / window).length;
    const figures = {
      rooms: result.config.rooms,
      rooms_formed: rates.length,
      ...latency(result, "update_delivery", "p50", "p99"),
      room_rate_min: rates.length ? round(rates[0], 2) : null,
      room_rate_median: rates.length ? round(rates[rates.length >> 1], 2) : null,
      rooms_at_20_hz: roomsOk,
      outbound_per_s: perS(result, "received"),
      inputs_per_s: perS(result, "inputs"),
      messages_per_s: perS(result, "messages"),
      seq_gaps: 0, // a Colyseus patch carries no sequence number
      errors: result.totals.errors || 0,
      server_cpu_util: result.server.cpu_util ?? null,
      server_cpu_s_per_1000_messages: per1000(result, "messages"),
    };
    const p99 = figures.update_delivery_p99_ms;
    figures.ok = Boolean(
      rates.length &&
        roomsOk === rates.length &&
        rates.length === result.config.rooms &&
        p99 !== null &&
        p99 < P99_OK_MS &&
        !figures.errors,
    );
    return figures;
  }
}

const rand3 = () => Math.floor(Math.random() * 3) - 1;

// ---- W3 idle ----------------------------------------------------------------------

class IdleSockets {
  static settles = true;

  constructor(config, stop) {
    this.config = config;
    this.stop = stop;
    this.limit = new Semaphore(config.concurrency);
    this.rooms = [];
  }

  async prepare() {}

  async open(count) {
    await Promise.all(Array.from({ length: count }, () => this.enter()));
  }

  async enter() {
    try {
      const client = newClient(this.config.url);
      const room = await this.limit.run(() => withTimeout(client.joinOrCreate("lobby"), 30_000, "join"));
      for (const kind of ["rooms", "+", "-"]) room.onMessage(kind, () => {}); // the room list
      this.rooms.push(room);
      rec.count("open");
    } catch (error) {
      fail("connection", error);
    }
  }

  async finish() {
    await Promise.race([Promise.allSettled(this.rooms.map((r) => r.leave())), sleep(5000)]);
  }

  static headline(result) {
    const { server, counts } = result;
    const opened = counts.open || 0;
    const atHalf = counts.open_at_half || 0;
    const half = server.rss_half_kib;
    const after = server.rss_end_kib;
    const before = server.rss_ready_kib;
    const grown = opened - atHalf;
    const marginal = half && after && grown > 0 ? (after - half) / grown : null;
    const overall = before && after && opened ? (after - before) / opened : null;
    return {
      sockets: result.config.sockets,
      idle_on: "lobby",
      open: opened,
      rss_before_mib: before ? round(before / 1024, 1) : null,
      rss_after_mib: after ? round(after / 1024, 1) : null,
      kib_per_socket: marginal !== null ? round(marginal, 1) : null,
      kib_per_socket_overall: overall !== null ? round(overall, 1) : null,
      errors: result.totals.errors || 0,
    };
  }
}

// ---- the figures ------------------------------------------------------------------

const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;

function perS(result, name) {
  return round((result.counts[name] || 0) / (result.window_s || NaN), 1);
}

function per1000(result, name) {
  const cpu = result.server.cpu_s;
  const n = result.counts[name] || 0;
  return cpu != null && n ? round((cpu / n) * 1000, 3) : null;
}

function latency(result, name, ...qs) {
  const summary = result.latency_ms[name] || {};
  return Object.fromEntries(qs.map((q) => [`${name}_${q}_ms`, summary[q] ?? null]));
}

// ---- the run: prepare, warmup, the window, stop, finish ----------------------------

function watchLag(stop) {
  (async () => {
    while (!stop.set) {
      const due = now() + LAG_PERIOD_MS;
      await sleep(LAG_PERIOD_MS);
      rec.sample("tester.loop_lag", now() - due);
    }
  })();
}

async function main() {
  const config = parseArgs(process.argv.slice(2));
  const Scenario = { w1: TicTacToeCycle, w2: TagRealtime, w3: IdleSockets }[config.scenario];
  const stop = new Stop();
  const scenario = new Scenario(config, stop);
  const pid = config.server_pid;
  const server = { pid, rss_start_kib: rssKiB(pid) };
  const say = (text) => config.quiet || console.error(`[loadtest] ${text}`);
  const began = now();

  await scenario.prepare();
  const prepareS = (now() - began) / 1000;
  server.rss_ready_kib = rssKiB(pid);
  say(`${TITLES[config.scenario]}: prepared in ${prepareS.toFixed(1)} s`);

  const goAt = now();
  let running;
  if (Scenario.settles) {
    const half = Math.floor(config.sockets / 2);
    await scenario.open(half);
    rec.totals.open_at_half = rec.totals.open || 0;
    await sleep(SETTLE_MS);
    server.rss_half_kib = rssKiB(pid);
    await scenario.open(config.sockets - half);
  } else {
    running = scenario.run();
    await sleep(config.warmup * 1000);
  }

  const start = now();
  const cpu0 = cpuS(pid);
  const busy0 = machineBusyS();
  const tester0 = testerCpuS();
  rec.recording = true;
  if (Scenario.settles) rec.counts.open_at_half = rec.totals.open_at_half;
  if (Scenario.settles) rec.counts.open = rec.totals.open || 0;
  watchLag(stop);
  say("measuring");
  await sleep(config.duration * 1000);
  rec.recording = false;
  const window = (now() - start) / 1000;
  const cpu1 = cpuS(pid);
  const busy1 = machineBusyS();
  const tester1 = testerCpuS();
  server.rss_end_kib = rssKiB(pid);
  const span = (now() - goAt) / 1000;

  stop.fire();
  say("stopping");
  await withTimeout(Promise.resolve(running), (config.drain + 10) * 1000, "stopping").catch((e) => fail("stop", e));
  if (scenario.finish) await scenario.finish();

  if (cpu0 !== null && cpu1 !== null) {
    server.cpu_s = round(cpu1 - cpu0, 3);
    server.cpu_util = round((cpu1 - cpu0) / window, 3);
  }
  const counts = { ...rec.counts };
  counts.messages = (counts.sent || 0) + (counts.received || 0);
  // A settling run's tester CPU covers opening the sockets, as ours does (span).
  const testerS = Scenario.settles ? testerCpuS() - tester0 : tester1 - tester0;
  const covered = Scenario.settles ? span : window;
  const result = {
    scenario: config.scenario,
    title: TITLES[config.scenario],
    config,
    window_s: round(window, 3),
    prepare_s: round(prepareS, 3),
    counts,
    totals: { ...rec.totals },
    latency_ms: rec.latencies(),
    lows: rec.lows,
    server,
    tester: {
      procs: 1,
      cpu_s: round(testerS, 3),
      cpu_util: round(testerS / covered, 3),
      cpu_util_busiest_proc: round(testerS / covered, 3),
      runtime: `node ${process.version}`,
    },
  };
  if (busy0 !== null && busy1 !== null && !Scenario.settles) {
    const ours = (server.cpu_s || 0) + (tester1 - tester0);
    result.machine = { other_busy_cores: round((busy1 - busy0 - ours) / window, 2) };
  }
  result.headline = Scenario.headline(result);
  const shown = config.json ? result : result.headline;
  process.stdout.write(JSON.stringify(shown, null, config.json ? 0 : 2) + "\n");
  process.exit(result.headline.errors ? 1 : 0);
}

const deadline = setTimeout(() => {
  console.error("[loadtest] gave up: the run took over 15 minutes");
  process.exit(2);
}, 15 * 60_000);
deadline.unref();

main().catch((error) => {
  console.error(`[loadtest] failed: ${error?.stack ?? error}`);
  process.exit(2);
});
