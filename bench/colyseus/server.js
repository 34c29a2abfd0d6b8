// The Colyseus 0.18 peer of our server, for `make bench`: the same two games, written
// the way a Colyseus developer would (rooms, @colyseus/schema state sync, the built-in
// matchmaker's joinOrCreate), so that our figures can be read as ratios to it.
//
//   PORT=2567 node server.js          # listens on 127.0.0.1:$PORT
//
// Rooms: `tictactoe` (2 seats), `tag` (up to 8, 20 Hz) and `lobby` (Colyseus's own
// LobbyRoom, where the idle sockets of W3 wait). Colyseus keeps nothing: no database,
// no record of a match once its room is disposed (ours commits every move and result).
//
// Environment: PORT (default 2567), BACKLOG (the listen queue, default Node's 511; the
// bench uses 2048, uvicorn's default), TAG_DURATION_S (default 60), TAG_FILL_MS (how
// long a tag room waits for its 8th player before it starts with fewer; default 10000),
// TICTACTOE_PATCH ("immediate", the default: the state goes out as soon as the match
// starts and after each move, as ours does; "tick": only at the room's 50 ms patch rate,
// Colyseus's default for every room).

import { LobbyRoom, Room, Server } from "@colyseus/core";
import { schema, t } from "@colyseus/schema";
import { WebSocketTransport } from "@colyseus/ws-transport";

const PORT = Number(process.env.PORT || 2567);
const TAG_DURATION_S = Number(process.env.TAG_DURATION_S || 60);
const TAG_FILL_MS = Number(process.env.TAG_FILL_MS || 10000);
const TICTACTOE_PATCH = process.env.TICTACTOE_PATCH || "immediate";

// ---- tic-tac-toe: match/games/tictactoe.py ----------------------------------------

const LINES = [
  [0, 1, 2], [3, 4, 5], [6, 7, 8],
  [0, 3, 6], [1, 4, 7], [2, 5, 8],
  [0, 4, 8], [2, 4, 6],
];
const MARKS = ["X", "O"];

export const TicTacToeState = schema(
  {
    board: t.array("string"), // "" (empty), "X" (seat 0) or "O" (seat 1)
    seats: t.array("string"), // session ids, by seat
    turn: t.uint8(),
    status: t.string(), // waiting | active | over
    winner: t.int8(), // -1: nobody (yet, or a draw)
    reason: t.string(), // win | draw | forfeit
  },
  "TicTacToeState",
);

function winningMark(board) {
  for (const [a, b, c] of LINES) {
    if (board[a] !== "" && board[a] === board[b] && board[a] === board[c]) return board[a];
  }
  return null;
}

export class TicTacToeRoom extends Room {
  maxClients = 2;
  state = new TicTacToeState({
    board: ["", "", "", "", "", "", "", "", ""],
    seats: [],
    turn: 0,
    status: "waiting",
    winner: -1,
    reason: "",
  });

  messages = {
    move: (client, move) => this.move(client, move),
  };

  onJoin(client) {
    this.state.seats.push(client.sessionId);
    if (this.state.seats.length === this.maxClients) {
      this.state.status = "active";
      this.changed();
    }
  }

  move(client, move) {
    const state = this.state;
    const seat = state.seats.indexOf(client.sessionId);
    if (state.status !== "active") return this.refuse(client, "not_active");
    if (seat !== state.turn) return this.refuse(client, "not_your_turn");
    const cell = move && move.cell;
    if (!Number.isInteger(cell) || cell < 0 || cell > 8) return this.refuse(client, "invalid");
    if (state.board[cell] !== "") return this.refuse(client, "illegal_move");
    state.board[cell] = MARKS[seat];
    state.turn = 1 - seat;
    const mark = winningMark(state.board);
    if (mark !== null) this.over(MARKS.indexOf(mark), "win");
    else if (!state.board.includes("")) this.over(-1, "draw");
    else this.changed();
  }

  changed() {
    if (TICTACTOE_PATCH === "immediate") this.broadcastPatch();
  }

  refuse(client, code) {
    client.send("error", { code });
  }

  over(winner, reason) {
    this.state.status = "over";
    this.state.winner = winner;
    this.state.reason = reason;
    this.broadcastPatch(); // the final board goes out before the sockets close
    this.disconnect();
  }

  onLeave(client) {
    const seat = this.state.seats.indexOf(client.sessionId);
    if (seat === -1 || this.state.status === "over") return;
    if (this.state.status === "waiting") this.state.seats.splice(seat, 1); // the seat is free again
    else this.over(1 - seat, "forfeit");
  }
}

// ---- tag: match/games/tag.py ------------------------------------------------------

const WIDTH = 800;
const HEIGHT = 600;
const SPEED = 200; // units per second, diagonals included
const TAG_DISTANCE = 20;
const IMMUNITY_S = 1;
const SPAWN_MARGIN = 20;
const SPAWN_SPACING = 100;
const TICK_MS = 50; // 20 Hz
const DIRECTIONS = [-1, 0, 1];

export const TagPlayer = schema(
  { seat: t.uint8(), x: t.float32(), y: t.float32(), it_s: t.float32() },
  "TagPlayer",
);

export const TagState = schema(
  {
    tick: t.uint32(),
    it: t.uint8(),
    remaining_s: t.float32(),
    players: t.array(TagPlayer),
    immune_seat: t.int8(), // -1: nobody
    immune_s: t.float32(),
    status: t.string(), // waiting | active | over
    winner: t.int8(),
    t: t.float64(), // server time (ms since the epoch, to the µs) when this patch was encoded
  },
  "TagState",
);

const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;

export class TagRoom extends Room {
  maxClients = 8;
  patchRate = TICK_MS;
  state = new TagState({
    tick: 0,
    it: 0,
    remaining_s: TAG_DURATION_S,
    players: [],
    immune_seat: -1,
    immune_s: 0,
    status: "waiting",
    winner: -1,
    t: 0,
  });
  inputs = new Map(); // seat -> {dx, dy}, the latest of each

  messages = {
    input: (client, input) => {
      const seat = client.userData?.seat;
      if (seat === undefined || this.state.status !== "active") return;
      if (!input || !DIRECTIONS.includes(input.dx) || !DIRECTIONS.includes(input.dy)) {
        return client.send("error", { code: "invalid" });
      }
      this.inputs.set(seat, { dx: input.dx, dy: input.dy });
    },
  };

  onCreate() {
    this.fillTimer = this.clock.setTimeout(() => this.begin(), TAG_FILL_MS);
  }

  onJoin(client) {
    const seat = this.state.players.length;
    client.userData = { seat };
    this.state.players.push(new TagPlayer({ seat, x: 0, y: 0, it_s: 0 }));
    if (this.state.players.length === this.maxClients) this.begin();
  }

  begin() {
    if (this.state.status !== "waiting" || this.state.players.length < 2) return;
    this.fillTimer.clear();
    this.lock();
    this.spawn();
    this.state.it = Math.floor(Math.random() * this.state.players.length);
    this.state.status = "active";
    this.setTimestep((deltaMs) => this.tick(deltaMs / 1000), TICK_MS);
  }

  spawn() {
    const placed = [];
    for (const player of this.state.players) {
      let x = 0;
      let y = 0;
      for (let attempt = 0; attempt < 100; attempt++) {
        x = round(SPAWN_MARGIN + Math.random() * (WIDTH - 2 * SPAWN_MARGIN), 2);
        y = round(SPAWN_MARGIN + Math.random() * (HEIGHT - 2 * SPAWN_MARGIN), 2);
        if (placed.every((p) => Math.hypot(x - p.x, y - p.y) >= SPAWN_SPACING)) break;
      }
      player.x = x;
      player.y = y;
      placed.push({ x, y });
    }
  }

  tick(dt) {
    const state = this.state;
    if (state.status !== "active") return;
    dt = Math.min(Math.max(dt, 0), state.remaining_s);
    for (const player of state.players) {
      const input = this.inputs.get(player.seat);
      if (!input || (input.dx === 0 && input.dy === 0)) continue;
      const scale = (SPEED * dt) / Math.hypot(input.dx, input.dy); // diagonals are no faster
      player.x = round(Math.min(Math.max(player.x + input.dx * scale, 0), WIDTH), 2);
      player.y = round(Math.min(Math.max(player.y + input.dy * scale, 0), HEIGHT), 2);
    }
    const chaser = state.players[state.it];
    chaser.it_s = round(chaser.it_s + dt, 3);
    if (state.immune_seat !== -1) {
      state.immune_s = round(state.immune_s - dt, 3);
      if (state.immune_s <= 0) {
        state.immune_seat = -1;
        state.immune_s = 0;
      }
    }
    const victim = this.tagged(chaser);
    if (victim !== null) {
      state.immune_seat = state.it;
      state.immune_s = IMMUNITY_S;
      state.it = victim;
    }
    state.tick += 1;
    state.remaining_s = Math.max(round(state.remaining_s - dt, 3), 0);
    if (state.remaining_s <= 0) this.finish();
  }

  tagged(chaser) {
    let best = null;
    for (const p of this.state.players) {
      if (p.seat === this.state.it || p.seat === this.state.immune_seat) continue;
      const distance = Math.hypot(p.x - chaser.x, p.y - chaser.y);
      if (distance <= TAG_DISTANCE && (best === null || distance < best.distance)) {
        best = { distance, seat: p.seat }; // the nearest; ties go to the lower seat
      }
    }
    return best === null ? null : best.seat;
  }

  finish() {
    const ranking = [...this.state.players].sort((a, b) => a.it_s - b.it_s || a.seat - b.seat);
    this.state.status = "over";
    this.state.winner = ranking[0].seat;
    this.broadcastPatch();
    this.disconnect();
  }

  onBeforePatch(state) {
    if (state.status === "active") state.t = performance.timeOrigin + performance.now();
  }
}

// ---- the server -------------------------------------------------------------------

const server = new Server({
  transport: new WebSocketTransport(),
  greet: false,
});
server.define("tictactoe", TicTacToeRoom);
server.define("tag", TagRoom);
server.define("lobby", LobbyRoom);
await server.listen(PORT, "127.0.0.1", Number(process.env.BACKLOG || 511));
console.log(`colyseus listening on 127.0.0.1:${PORT}`);
