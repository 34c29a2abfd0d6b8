// The demo's shell: picks the encoding, keeps the player's session (per tab), holds the
// one lobby socket, and routes between views by the URL's hash:
//   #/            lobby: games, queue, party, live matches, history
//   #/match/<id>  a match, as a player or a spectator
//   #/replay/<id> a finished match, step by step
//   #/leaderboard/<game>[/<page>|/me]   a game's leaderboard
//   #/player/<id> a player's ratings and matches
// An invite link (/?party=CODE) asks for a name if needed, then joins that party.

import { GameClient, loadMsgpack } from "../gameserver-client.js";
import { toast } from "./dom.js";
import { setAnnounced } from "./games/index.js";
import * as boardView from "./views/leaderboard.js";
import * as parties from "./views/parties.js";
import * as lobbyView from "./views/lobby.js";
import * as loginView from "./views/login.js";
import * as matchView from "./views/match.js";
import * as playerView from "./views/player.js";
import * as replayView from "./views/replay.js";

const SESSION_KEY = "arcade.session";
const config = JSON.parse(document.getElementById("demo-config").textContent);
const root = document.getElementById("app");

/** Everything the views share. */
const app = {
  client: null,
  lobby: null,
  games: [],
  ratings: {}, // game -> the player's rating object (welcome, then each match.over)
  queue: null, // {game, since, party} while a ticket is open
  found: new Map(), // match id -> match.found message (players' names before the API has them)
  view: null,
  party: null, // the party this tab is in ({code, leader, members, queued}), or null
  invite: parties.inviteFromUrl(), // a party code from an invite link, until joined

  go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },

  async login(name) {
    const { player, token } = await app.client.loginGuest(name);
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({ player, token }));
    await connectLobby();
  },

  logout() {
    sessionStorage.removeItem(SESSION_KEY);
    app.lobby?.close();
    app.lobby = null;
    app.queue = null;
    app.party = null;
    app.client.token = null;
    app.client.player = null;
    showPlayer();
    app.go("#/");
  },

  async queueFor(game) {
    await app.lobby.join(game);
    app.queue = { game, since: Date.now() };
    app.emitChange();
  },

  async leaveQueue() {
    app.queue = null;
    app.emitChange();
    await app.lobby.leave().catch(() => {});
  },

  listeners: new Set(),
  onChange(fn) {
    app.listeners.add(fn);
    return () => app.listeners.delete(fn);
  },
  emitChange() {
    for (const fn of app.listeners) fn();
  },
};
window.arcade = app; // handy in the console

async function chooseEncoding() {
  const wanted = new URLSearchParams(location.search).get("encoding");
  if (wanted !== "msgpack") return { encoding: "json", codec: null };
  const codec = config.msgpack ? await loadMsgpack(config.msgpack) : null;
  if (codec) return { encoding: "msgpack", codec };
  document.getElementById("encoding-note").textContent =
    "(MessagePack library not installed: run npm ci in client_demo/; using JSON)";
  return { encoding: "json", codec: null };
}

function setConn(state, text = state) {
  const el = document.getElementById("conn");
  el.dataset.state = state;
  el.textContent = text;
}

function showPlayer() {
  const who = document.getElementById("who");
  const logout = document.getElementById("logout");
  const player = app.client.player;
  who.hidden = logout.hidden = !player;
  who.textContent = player ? player.name : "";
  who.href = player ? `#/player/${player.id}` : "#/";
}

async function connectLobby() {
  const lobby = app.client.lobby({ graceMs: 10 * 60 * 1000 });
  app.lobby = lobby;
  lobby.on("welcome", (w) => {
    app.games = w.games;
    app.ratings = { ...(w.player.ratings || {}) };
    setAnnounced(w.games);
    app.emitChange();
  });
  lobby.on("open", ({ encoding }) => {
    setConn("online", "online");
    document.getElementById("encoding").textContent = encoding === "msgpack" ? "MessagePack" : "JSON";
  });
  lobby.on("close", () => setConn("offline", "offline"));
  lobby.on("reconnecting", () => setConn("connecting", "reconnecting…"));
  lobby.on("requeued", ({ game }) => {
    app.queue = { game, since: Date.now() };
    app.emitChange();
    toast(`Back in the ${game} queue`);
  });
  lobby.on("lost", () => toast("Lost the lobby connection. Reload the page.", "error"));
  lobby.on("server-error", (err) => toast(err.message, "error"));
  parties.listen(app, lobby);
  lobby.on("match.found", (found) => {
    app.queue = null;
    app.found.set(found.match_id, found);
    app.emitChange();
    const others = found.players.filter((p) => p.seat !== found.seat).map((p) => p.name);
    toast(`Matched with ${others.join(", ")}!`, "ok");
    app.go(`#/match/${found.match_id}`);
  });
  setConn("connecting", "connecting…");
  try {
    await lobby.connect();
  } catch (err) {
    setConn("offline", "offline");
    if (err.code === "unauthorized" || (err.code === "refused" && (await serverUp()))) {
      toast("Your session expired: pick a name again.", "error");
      app.logout();
      return;
    }
    throw err;
  }
  showPlayer();
  parties.acceptInvite(app);
}

/** True when the site answers over HTTP: a refused socket then means a refused token. */
async function serverUp() {
  try {
    return (await fetch("/healthz", { cache: "no-store" })).ok;
  } catch {
    return false;
  }
}

function route() {
  app.view?.destroy?.();
  app.view = null;
  window.scrollTo(0, 0);
  if (!app.client.token) {
    app.view = loginView.create(root, app);
    return;
  }
  const [, kind, id, more] = location.hash.match(/^#\/(match|replay|leaderboard|player)\/([^/]+)(?:\/([^/]+))?/) || [];
  if (kind === "match") app.view = matchView.create(root, app, decodeURIComponent(id));
  else if (kind === "replay") app.view = replayView.create(root, app, decodeURIComponent(id));
  else if (kind === "leaderboard") app.view = boardView.create(root, app, decodeURIComponent(id), more);
  else if (kind === "player") app.view = playerView.create(root, app, decodeURIComponent(id));
  else app.view = lobbyView.create(root, app);
}

async function boot() {
  const { encoding, codec } = await chooseEncoding();
  document.getElementById("encoding").textContent = encoding === "msgpack" ? "MessagePack" : "JSON";
  const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  app.client = new GameClient({ encoding, codec, token: saved?.token, player: saved?.player });
  document.getElementById("logout").addEventListener("click", () => app.logout());
  window.addEventListener("hashchange", route);
  if (saved) {
    showPlayer();
    connectLobby().catch((err) => toast(`Cannot reach the lobby: ${err.message}`, "error"));
  }
  route();
}

boot();
