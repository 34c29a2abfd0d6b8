/**
 * gameserver-client.js: a browser client for the game server's wire protocol v1.
 *
 * One ES module, no build step, no dependencies of its own. MessagePack is optional:
 * pass a codec made by `loadMsgpack()` (which imports the `@msgpack/msgpack` package's
 * ES build) to speak `gameserver.v1.msgpack`; without it the client speaks JSON.
 *
 *   const client = new GameClient({ encoding: "json" });
 *   await client.loginGuest("alice");
 *   const lobby = client.lobby();
 *   await lobby.connect();                      // resolves with the `welcome` message
 *   lobby.on("match.found", (found) => { ... client.match(found.match_id) ... });
 *   await lobby.join("tictactoe");
 *
 * Every socket is an `Emitter`: `on(type, fn)` returns an unsubscribe function. Events
 * carry the server's message as it arrived (see docs/client.md for the full list).
 */

/**
 * @typedef {{id: string, name: string}} Player
 * @typedef {{name: string, min_players: number, max_players: number, realtime: boolean}} GameInfo
 * @typedef {{type: "welcome", protocol: number, player: Player, games: GameInfo[]}} Welcome
 * @typedef {{type: "match.found", match_id: string, game: string, seat: number,
 *            players: Array<Player & {seat: number, bot: boolean}>, party?: string}} MatchFound
 * @typedef {{code: string, leader: string, members: Player[], queued: string | null}} Party
 * @typedef {{winner: number | null, ranking: number[], reason: string}} Result
 * @typedef {{state: object, seq: number, status: "waiting" | "active" | "over",
 *            seat: number | null, t?: number,
 *            source: "snapshot" | "started" | "update" | "over"}} StateEvent
 */

export const PROTOCOL = 1;
export const SUBPROTOCOLS = { json: "gameserver.v1.json", msgpack: "gameserver.v1.msgpack" };

/**
 * Close codes after which reconnecting cannot help. A normal close (1000) is not one
 * of them: the server closes a match's sockets with 1000 only after `match.over`,
 * which marks the socket final by itself.
 */
const FINAL_CLOSE_CODES = new Set([1008, 1009, 4401, 4403, 4404, 4409, 4413, 4429]);
const CLOSE_ERRORS = {
  4401: ["unauthorized", "the server refused the identity (bad or expired token)"],
  4403: ["banned", "the player is banned"],
  4404: ["not_found", "no such match"],
  4409: ["too_many_sockets", "this player already holds as many sockets as allowed"],
  4413: ["spectators_full", "the match already has as many spectators as allowed"],
  4429: ["rate_limited", "the socket sent too fast and was closed"],
  1009: ["too_large", "a frame was over the size limit"],
};

/** An error reply from the server (`{"type": "error", "code", "message"}`), or a local one. */
export class ProtocolError extends Error {
  constructor(code, message, reply = null) {
    super(message || code);
    this.name = "ProtocolError";
    this.code = code;
    this.reply = reply;
  }
}

/** A non-2xx answer from the HTTP API, whose body is `{"error": code, "message"}`. */
export class HttpError extends Error {
  constructor(status, body) {
    const known = body && typeof body.error === "string";
    super(known ? body.message : `HTTP ${status}`);
    this.name = "HttpError";
    this.status = status;
    this.body = body;
    this.code = known ? body.error : `http_${status}`;
  }
}

/**
 * Imports the `@msgpack/msgpack` ES build from `url` and returns `{encode, decode}`,
 * or null when it cannot be loaded (callers then fall back to JSON).
 */
export async function loadMsgpack(url) {
  try {
    const mod = await import(url);
    return { encode: (value) => mod.encode(value), decode: (bytes) => mod.decode(bytes) };
  } catch {
    return null;
  }
}

/** A minimal typed-event emitter: `on` returns an unsubscribe function. */
export class Emitter {
  #handlers = new Map();

  on(type, handler) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    this.#handlers.get(type).add(handler);
    return () => this.off(type, handler);
  }

  off(type, handler) {
    this.#handlers.get(type)?.delete(handler);
  }

  once(type, handler) {
    const off = this.on(type, (detail) => {
      off();
      handler(detail);
    });
    return off;
  }

  /** A promise of the next `type` event; rejects after `timeoutMs` (0: never). */
  next(type, timeoutMs = 0) {
    return new Promise((resolve, reject) => {
      const off = this.once(type, (detail) => {
        clearTimeout(timer);
        resolve(detail);
      });
      const timer = timeoutMs
        ? setTimeout(() => {
            off();
            reject(new ProtocolError("timeout", `no ${type} within ${timeoutMs} ms`));
          }, timeoutMs)
        : null;
    });
  }

  emit(type, detail) {
    for (const handler of [...(this.#handlers.get(type) || [])]) {
      try {
        handler(detail);
      } catch (err) {
        console.error(`gameserver-client: a "${type}" handler failed`, err);
      }
    }
  }
}

/**
 * One protocol v1 WebSocket with request ids, promises for replies and reconnection.
 *
 * `connect()` resolves with the first message the server sends (`welcome` on the
 * lobby, `match.state` on a match). If the socket drops later, it reconnects with
 * backoff for up to `graceMs`, emitting `reconnecting`, then `reconnected` (or `lost`).
 */
export class Socket extends Emitter {
  constructor(client, path, { reconnect = true, graceMs = 30000, requestTimeoutMs = 10000 } = {}) {
    super();
    this.client = client;
    this.path = path;
    this.reconnect = reconnect;
    this.graceMs = graceMs;
    this.requestTimeoutMs = requestTimeoutMs;
    this.ws = null;
    this.encoding = null;
    this.closedByUs = false;
    this.final = false;
    this.nextId = 1;
    this.pending = new Map();
    this.retry = null;
  }

  get connected() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Opens the socket; resolves with the server's first message. */
  connect() {
    this.closedByUs = false;
    this.final = false;
    return this.#open();
  }

  /** Closes the socket for good (no reconnection). */
  close(code = 1000) {
    this.closedByUs = true;
    clearTimeout(this.retry?.timer);
    this.retry = null;
    this.ws?.close(code);
  }

  /** Sends a message without waiting for a reply. */
  send(message) {
    if (!this.connected) throw new ProtocolError("disconnected", "the socket is not open");
    const codec = this.client.codec;
    this.ws.send(this.encoding === "msgpack" ? codec.encode(message) : JSON.stringify(message));
  }

  /**
   * Sends `message` with a fresh `id`; resolves with the server's reply carrying that id,
   * rejects with a ProtocolError if the reply is an error (or none comes in time).
   */
  request(message, { timeoutMs = this.requestTimeoutMs, endsWithMatch = false } = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ProtocolError("timeout", `no reply to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, endsWithMatch });
      try {
        this.send({ ...message, id });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err);
      }
    });
  }

  /** Round trip time in ms, measured with `ping` / `pong`. */
  async ping() {
    const sent = performance.now();
    await this.request({ type: "ping", t: Date.now() });
    return performance.now() - sent;
  }

  url() {
    return this.client.socketUrl(this.path);
  }

  #open() {
    const preferred = this.client.encoding;
    const ws = new WebSocket(this.url(), [SUBPROTOCOLS[preferred]]);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    return new Promise((resolve, reject) => {
      let first = true;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.encoding = ws.protocol === SUBPROTOCOLS.msgpack ? "msgpack" : "json";
        this.emit("open", { encoding: this.encoding });
      };
      ws.onmessage = (event) => {
        const message = this.#decode(event.data);
        if (message === null) return;
        if (first) {
          first = false;
          resolve(message);
        }
        this.receive(message);
      };
      ws.onclose = (event) => {
        if (this.ws !== ws) return;
        this.ws = null;
        this.#failPending();
        const error = closeError(event.code, event.reason, opened);
        if (first) reject(error);
        this.emit("close", { code: event.code, reason: event.reason, error });
        this.#afterClose(event.code, !first);
      };
    });
  }

  #decode(data) {
    try {
      if (typeof data === "string") return JSON.parse(data);
      return this.client.codec.decode(new Uint8Array(data));
    } catch (err) {
      console.error("gameserver-client: undecodable frame", err);
      return null;
    }
  }

  /** Settles the request a message answers, then emits it by type (and as `message`). */
  receive(message) {
    const entry = message.id !== undefined ? this.pending.get(message.id) : undefined;
    if (entry) {
      this.pending.delete(message.id);
      clearTimeout(entry.timer);
      if (message.type === "error") {
        entry.reject(new ProtocolError(message.code, message.message, message));
      } else {
        entry.resolve(message);
      }
    }
    this.handle(message);
    this.emit("message", message);
    this.emit(message.type, message);
    if (message.type === "error" && !entry) {
      this.emit("server-error", new ProtocolError(message.code, message.message, message));
    }
  }

  /** Subclass hook: update local state from a message before it is emitted. */
  handle(message) {}

  /** Resolves (with null) the pending requests that the end of a match answers. */
  settleMatchRequests() {
    for (const [id, entry] of this.pending) {
      if (entry.endsWithMatch) {
        this.pending.delete(id);
        clearTimeout(entry.timer);
        entry.resolve(null);
      }
    }
  }

  #failPending() {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new ProtocolError("disconnected", "the socket closed before the reply"));
    }
    this.pending.clear();
  }

  #afterClose(code, wasUp) {
    const retrying = this.retry !== null;
    if (this.closedByUs || !this.reconnect || this.final || FINAL_CLOSE_CODES.has(code)) {
      this.final = true;
      this.retry = null;
      if (retrying && !this.closedByUs) this.emit("lost", { code });
      return;
    }
    if (!wasUp && !retrying) return; // the first connect failed: the caller decides
    if (!retrying) this.retry = { since: Date.now(), attempt: 0, timer: null };
    this.#scheduleRetry();
  }

  #scheduleRetry() {
    const retry = this.retry;
    const left = this.graceMs - (Date.now() - retry.since);
    if (left <= 0) {
      this.retry = null;
      this.final = true;
      this.emit("lost", {});
      return;
    }
    retry.attempt += 1;
    const delay = Math.min(250 * 2 ** (retry.attempt - 1), 3000, left) * (0.8 + Math.random() * 0.4);
    this.emit("reconnecting", { attempt: retry.attempt, delayMs: delay, remainingMs: left });
    retry.timer = setTimeout(() => this.#retry(), delay);
  }

  async #retry() {
    if (this.closedByUs || !this.retry) return;
    let first;
    try {
      first = await this.#open();
    } catch {
      return; // the close handler has already scheduled the next try, or given up
    }
    this.retry = null;
    this.emit("reconnected", first);
    this.resumed(first);
  }

  /** Subclass hook: called after a successful reconnection with the first message. */
  resumed(first) {}
}

/**
 * The ProtocolError for a close. A handshake that never opened is `refused`: the server
 * rejects a bad token or a foreign origin with HTTP 403, which a browser cannot tell
 * apart from an unreachable server (both close with 1006).
 */
function closeError(code, reason, opened) {
  const fallback = opened
    ? ["disconnected", reason || `socket closed (${code})`]
    : ["refused", "the server refused the socket (bad or expired token?) or is unreachable"];
  const [name, text] = CLOSE_ERRORS[code] || fallback;
  const err = new ProtocolError(name, text);
  err.closeCode = code;
  return err;
}

/**
 * The lobby socket: `welcome`, queueing, `match.found`, and parties.
 *
 * If it reconnects while queued, it joins the same queue again (the server drops a
 * ticket whose socket closed) and emits `requeued`; so it does when the server puts
 * the ticket back itself (a no-show abandoned the match: `queue.joined` with `requeued`).
 * If it was in a party, it joins the party again by its code (the server took it out
 * when the socket closed) and emits `party.rejoined`, or `party.lost` when it is gone.
 */
export class Lobby extends Socket {
  constructor(client, options = {}) {
    super(client, "/ws/lobby/", options);
    this.welcome = null;
    this.queued = null;
    this.party = null; // the last `party.state`'s party, or null
  }

  get games() {
    return this.welcome ? this.welcome.games : [];
  }

  /** Takes a ticket for `game`; resolves with `queue.joined`. `bots`: bots may fill in. */
  async join(game, { bots = false } = {}) {
    this.queued = game; // before the reply: match.found may follow it at once
    try {
      return await this.request(bots ? { type: "queue.join", game, bots } : { type: "queue.join", game });
    } catch (err) {
      if (this.queued === game) this.queued = null;
      throw err;
    }
  }

  /** Drops the ticket (a party's too, for any member); resolves with `queue.left`. */
  async leave() {
    const game = this.queued;
    this.queued = null;
    try {
      return await this.request({ type: "queue.leave" });
    } catch (err) {
      if (err.code !== "not_queued") this.queued = game;
      throw err;
    }
  }

  /** Leads a new party; resolves with `party.state` (its `party.code` is the invite). */
  createParty() {
    return this.request({ type: "party.create" });
  }

  /** Joins the party with `code`; resolves with `party.state`. */
  joinParty(code) {
    return this.request({ type: "party.join", code });
  }

  /** Leaves the party; resolves with `party.left`. */
  leaveParty() {
    return this.request({ type: "party.leave" });
  }

  /** Leader: a private match of the party plus `bots` bots; resolves with `match.found`. */
  startParty(game, bots = 0) {
    return this.request({ type: "party.start", game, bots });
  }

  /** Leader: the whole party queues as one ticket; resolves with `queue.joined`. */
  queueParty(game) {
    return this.request({ type: "party.queue", game });
  }

  /** Asks for the socket's party now; resolves with `party.state` (`party` may be null). */
  partyState() {
    return this.request({ type: "party.state" });
  }

  handle(message) {
    if (message.type === "welcome") this.welcome = message;
    if (message.type === "match.found") this.queued = null;
    if (message.type === "queue.joined" && message.requeued) {
      // A no-show abandoned our match: the server put the ticket back at its place.
      this.queued = message.game;
      this.emit("requeued", { game: message.game, matchId: message.match_id });
    }
    if (message.type === "party.state") this.party = message.party;
    if (message.type === "party.left") this.party = null;
    if (message.type === "queue.joined" && message.party) this.queued = message.game;
    if (message.type === "queue.left") this.queued = null;
  }

  resumed() {
    const code = this.party?.code;
    const game = this.party ? null : this.queued;
    if (code) {
      this.party = null;
      this.queued = null; // the party left the queue when the old socket closed
      this.joinParty(code).then(
        (state) => this.emit("party.rejoined", state),
        (err) => this.emit("party.lost", { code, error: err }),
      );
    }
    if (!game) return;
    this.join(game).then(
      () => this.emit("requeued", { game }),
      (err) => {
        this.queued = null;
        this.emit("server-error", err);
      },
    );
  }
}

/**
 * A match socket, for a seated player or a spectator (`seat === null`).
 *
 * Keeps `status`, `seq`, `seat`, `state` and `result` current and emits `state` after
 * every change. An update whose `seq` is not the previous one plus one means frames
 * were lost: it asks the server for a fresh `match.state` (`sync`).
 */
export class Match extends Socket {
  constructor(client, matchId, options = {}) {
    super(client, `/ws/match/${encodeURIComponent(matchId)}/`, options);
    this.matchId = matchId;
    this.game = null;
    this.seat = null;
    this.status = null;
    this.seq = -1;
    this.state = null;
    this.result = null;
    this.players = null; // [{id, name, seat, rating, bot}] from match.state
    this.ratings = null; // a rated match.over's [{seat, before, after}]
    this.lastT = null;
    this.syncing = false;
  }

  get isSpectator() {
    return this.seat === null;
  }

  /**
   * A turn-based move. Resolves once the move is applied: with the server's `ack`
   * (`{"type": "ack", "id", "seq"}`), or with null when the move ended the match.
   * Rejects with a ProtocolError (`not_your_turn`, `illegal_move`, ...).
   */
  move(move) {
    return this.request({ type: "move", move }, { endsWithMatch: true });
  }

  /** A real-time input (e.g. `{dx, dy}`); fire and forget, applied at the next tick. */
  input(input) {
    this.send({ type: "input", input });
  }

  /** Gives up the match; resolves once `match.over` arrives, rejects on an error. */
  resign() {
    return this.request({ type: "resign" }, { endsWithMatch: true });
  }

  /**
   * This seat's legal moves now (extension message `moves`): resolves with
   * `{moves: [{move, label}], to_move: [seat, ...], seq}`, for games that list them.
   */
  moves() {
    return this.request({ type: "moves" });
  }

  /** Asks the server for a fresh `match.state` (extension message `sync`). */
  sync() {
    if (this.syncing || !this.connected) return;
    this.syncing = true;
    this.send({ type: "sync" });
  }

  handle(message) {
    const handler = MATCH_HANDLERS[message.type];
    if (handler) handler.call(this, message);
  }

  resumed() {
    this.emit("resynced", { seq: this.seq, status: this.status });
  }

  apply(message, source) {
    if (message.state !== undefined) this.state = message.state;
    if (typeof message.seq === "number") this.seq = message.seq;
    if (typeof message.t === "number") this.lastT = message.t;
    this.emit("state", {
      state: this.state,
      seq: this.seq,
      status: this.status,
      seat: this.seat,
      t: message.t,
      source,
    });
  }
}

const MATCH_HANDLERS = {
  "match.state"(message) {
    this.syncing = false;
    this.game = message.game;
    this.seat = message.seat ?? null;
    this.status = message.status;
    if (message.players) this.players = message.players;
    if (message.result) this.result = message.result;
    if (message.players) this.players = message.players;
    if (message.status === "over") this.final = true;
    this.apply(message, "snapshot");
  },
  "match.started"(message) {
    this.status = "active";
    this.apply(message, "started");
  },
  "match.update"(message) {
    if (message.seq <= this.seq) return; // a late duplicate
    if (message.seq !== this.seq + 1) {
      this.emit("gap", { expected: this.seq + 1, got: message.seq });
      this.sync();
    }
    this.apply(message, "update");
  },
  "match.over"(message) {
    this.status = "over";
    this.result = message.result;
    if (message.ratings) this.ratings = message.ratings;
    this.final = true; // the server closes with 1000 next: nothing to reconnect to
    this.apply(message, "over");
    this.settleMatchRequests();
  },
};

/**
 * Entry point: identity (guest token or session cookie), the HTTP API, and sockets.
 *
 * Options: `baseUrl` (default: the page's origin), `encoding` ("json" | "msgpack"),
 * `codec` (required for msgpack: `await loadMsgpack(url)`), `token`, `player`.
 */
export class GameClient extends Emitter {
  constructor({ baseUrl = "", encoding = "json", codec = null, token = null, player = null } = {}) {
    super();
    if (encoding === "msgpack" && !codec) {
      throw new Error('encoding "msgpack" needs a codec: pass {codec: await loadMsgpack(url)}');
    }
    this.baseUrl = baseUrl || globalThis.location?.origin || "";
    this.encoding = encoding;
    this.codec = codec;
    this.token = token;
    this.player = player;
  }

  /** `POST /api/guest`: a new guest player; keeps and returns `{player, token}`. */
  async loginGuest(name) {
    const body = await this.fetchJson("/api/guest", { method: "POST", body: { name } });
    this.token = body.token;
    this.player = body.player;
    this.emit("login", body);
    return body;
  }

  /** `GET /api/matches`, newest first; `filters` may hold player, game, status, page. */
  listMatches(filters = {}) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) {
      if (value !== undefined && value !== null && value !== "") query.set(key, value);
    }
    const suffix = query.toString() ? `?${query}` : "";
    return this.fetchJson(`/api/matches${suffix}`);
  }

  /** `GET /api/matches/<id>`: one match with its moves. */
  getMatch(matchId) {
    return this.fetchJson(`/api/matches/${encodeURIComponent(matchId)}`);
  }

  /** `GET /api/matches/<id>/replay`: `{match, frames: [{step, state}, ...]}`. */
  getReplay(matchId) {
    return this.fetchJson(`/api/matches/${encodeURIComponent(matchId)}/replay`);
  }

  /** `GET /api/leaderboard/<game>`: a page (`{page}`, from 1) or the page `{around}` a
   * player id; `{game, page, results: [{rank, player, rating, ...}], next, previous}`. */
  getLeaderboard(game, { page, around } = {}) {
    const query = new URLSearchParams();
    if (around) query.set("around", around);
    else if (page) query.set("page", page);
    const suffix = query.toString() ? `?${query}` : "";
    return this.fetchJson(`/api/leaderboard/${encodeURIComponent(game)}${suffix}`);
  }

  /** `GET /api/players/<id>`: `{id, name, created, bot, ratings: {<game>: {...}}, matches}`. */
  getPlayer(playerId) {
    return this.fetchJson(`/api/players/${encodeURIComponent(playerId)}`);
  }

  /** A fetch of JSON from this server (or an absolute `next` URL); throws HttpError. */
  async fetchJson(path, { method = "GET", body } = {}) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(new URL(path, this.baseUrl), init);
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new HttpError(response.status, data);
    return data;
  }

  /** The WebSocket URL of `path`, with the token when there is one. */
  socketUrl(path) {
    const url = new URL(path, this.baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (this.token) url.searchParams.set("token", this.token);
    return url.toString();
  }

  /** A lobby socket (not yet connected: call `connect()`). */
  lobby(options) {
    return new Lobby(this, options);
  }

  /** A match socket for `matchId`, as a player or a spectator (call `connect()`). */
  match(matchId, options) {
    return new Match(this, matchId, options);
  }
}
