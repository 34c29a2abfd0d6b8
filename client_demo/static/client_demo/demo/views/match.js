// One match, as a player or a spectator. The banner always says where things stand:
// connecting, waiting, your turn, opponent disconnected, won, lost, draw...

import { h, mount, nameOf, toast } from "../dom.js";
import { rendererFor, titleOf } from "../games/index.js";
import * as debug from "./debug.js";
import * as parties from "./parties.js";
import { changes, shown } from "./ratings.js";

const REASONS = {
  resign: "resigned",
  forfeit: "left the match",
  timeout: "ran out of time",
};

export function create(root, app, matchId) {
  const client = app.client;
  const match = client.match(matchId, { graceMs: 30000 });
  const found = app.found.get(matchId);
  let players = found ? found.players : [];
  let renderer = null;
  let reconnecting = false;
  const away = new Map(); // seat -> deadline (ms) while a seat is disconnected
  const offs = [];

  const title = h("h1", {}, "Match");
  const roster = h("div", { class: "roster" });
  const banner = h("div", { id: "match-banner", class: "banner", dataset: { state: "connecting" } }, "Connecting…");
  const board = h("div", { class: "board", id: "board" });
  const actions = h("div", { class: "actions" });
  const ratingBox = h("div", { class: "rating-box" });
  mount(
    root,
    h(
      "section",
      { class: "view view-match", id: "match-view", dataset: { match: matchId } },
      h("div", { class: "match-head" }, h("div", {}, title, roster), actions),
      banner,
      board,
      ratingBox,
    ),
  );

  const undebug = debug.wanted() ? debug.attach(root.querySelector("#match-view"), match) : null;

  const mode = () => (match.status === null ? "connecting" : match.isSpectator ? "watch" : "play");

  function setBanner(state, text) {
    banner.dataset.state = state;
    banner.textContent = text;
  }

  function resultBanner() {
    const result = match.result || {};
    const { winner, reason } = result;
    if (reason === "abandoned") return ["abandoned", "Match abandoned: not everyone joined in time"];
    if (winner === null || winner === undefined) return ["draw", "It's a draw"];
    const loser = (result.ranking || []).at(-1);
    const why = REASONS[reason] ? ` (${loser === match.seat ? "you" : nameOf(players, loser)} ${REASONS[reason]})` : "";
    if (match.isSpectator) return ["over", `${nameOf(players, winner)} won${why}`];
    return winner === match.seat ? ["won", `You won!${why}`] : ["lost", `You lost${why}`];
  }

  function drawBanner() {
    if (match.status === null) return setBanner("connecting", "Connecting…");
    if (reconnecting) return setBanner("reconnecting", "Connection lost: reconnecting…");
    if (match.status === "over") return setBanner(...resultBanner());
    if (match.status === "waiting") {
      return match.isSpectator
        ? setBanner("waiting", "Waiting for the players to connect…")
        : setBanner("waiting", "Matched! Waiting for your opponent to connect…");
    }
    if (away.size) {
      const [seat, deadline] = [...away.entries()][0];
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      return setBanner("disconnected", `${nameOf(players, seat)} disconnected: ${left} s to come back`);
    }
    const hint = renderer?.hint();
    if (hint) return setBanner(hint.state, hint.text);
    return setBanner("playing", "In play");
  }

  // Head and actions change rarely; rebuilding them on every tick would also break
  // clicks (a real-time game updates 20 times a second).
  let drawn = { head: null, actions: null };

  function drawHead() {
    const key = JSON.stringify([match.game, match.seat, match.status, players, [...away.keys()]]);
    if (key === drawn.head) return;
    drawn.head = key;
    title.textContent = match.game ? titleOf(match.game) : "Match";
    mount(
      roster,
      players.map((p) =>
        h(
          "span",
          { class: `chip${p.seat === match.seat ? " me" : ""}${away.has(p.seat) ? " away" : ""}` },
          p.name,
          p.seat === match.seat ? " (you)" : "",
          p.bot ? " · computer" : "",
          typeof p.rating === "number" ? h("span", { class: "chip-rating", title: "rating" }, shown(p.rating)) : null,
        ),
      ),
      match.isSpectator && match.status ? h("span", { class: "chip spectator" }, "spectating") : null,
    );
  }

  function drawActions() {
    const key = `${mode()}/${match.status}`;
    if (key === drawn.actions) return;
    drawn.actions = key;
    const buttons = [];
    if (mode() === "play" && match.status === "active") {
      buttons.push(h("button", { class: "btn btn-ghost", type: "button", id: "resign", onclick: resign }, "Resign"));
    }
    if (match.status === "over") {
      buttons.push(h("a", { class: "btn btn-ghost", href: `#/replay/${matchId}`, id: "open-replay" }, "Replay"));
      if (mode() === "play") {
        buttons.push(h("button", { class: "btn btn-primary", type: "button", id: "play-again", onclick: playAgain }, "Play again"));
      }
    }
    if (match.status !== "active" || match.isSpectator) {
      buttons.push(h("a", { class: "btn btn-ghost", href: "#/", id: "back" }, match.isSpectator ? "Stop watching" : "Back to lobby"));
    }
    mount(actions, buttons);
  }

  function drawAll() {
    drawHead();
    drawBanner();
    drawActions();
    drawRatings();
  }

  function drawRatings() {
    if (!match.ratings || ratingBox.childElementCount) return;
    mount(ratingBox, changes(match.ratings, players, match.seat));
    const mine = match.ratings.find((r) => r.seat === match.seat);
    if (mine && app.ratings) app.ratings[match.game] = mine.after;
  }

  function ensureRenderer() {
    if (renderer || !match.game) return;
    renderer = rendererFor(match.game).create(board, {
      seat: match.seat,
      players,
      mode: mode(),
      move: (m) => match.move(m),
      input: (i) => match.input(i),
      moves: () => match.moves(),
      refresh: () => drawAll(),
    });
  }

  let armed = null; // the Resign button asks once more before it resigns
  async function resign(event) {
    const button = event.currentTarget;
    if (!armed) {
      button.textContent = "Really resign?";
      button.classList.add("btn-danger");
      armed = setTimeout(() => {
        armed = null;
        button.textContent = "Resign";
        button.classList.remove("btn-danger");
      }, 3000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    try {
      await match.resign();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function playAgain() {
    try {
      if (await parties.playAgain(app, found || { game: match.game }, players)) return;
      await app.queueFor(match.game);
      app.go("#/");
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function loadPlayers() {
    try {
      // match.state lists the players (with their bot flags); older servers: the API
      players = match.players || (await client.getMatch(matchId)).players;
      if (renderer) {
        // names arrived after the first draw: rebuild the board with them
        renderer.destroy();
        renderer = null;
        ensureRenderer();
        if (match.state) renderer.render(match.state, { status: match.status, seq: match.seq, source: "snapshot" });
      }
      drawAll();
    } catch {
      // names are a nicety: the match plays without them
    }
  }

  offs.push(
    match.on("state", (info) => {
      if (match.players) players = match.players; // with their ratings
      ensureRenderer();
      renderer.render(info.state, info);
      drawAll();
    }),
    match.on("match.started", () => toast("The match has started", "ok")),
    match.on("player.disconnected", ({ seat, grace_s }) => {
      away.set(seat, Date.now() + grace_s * 1000);
      drawAll();
    }),
    match.on("player.reconnected", ({ seat }) => {
      away.delete(seat);
      toast(`${nameOf(players, seat)} is back`, "ok");
      drawAll();
    }),
    match.on("reconnecting", () => {
      reconnecting = true;
      drawBanner();
    }),
    match.on("reconnected", () => {
      reconnecting = false;
      drawAll();
    }),
    match.on("lost", () => {
      reconnecting = false;
      setBanner("lost-connection", "Connection lost. Reload the page to try again.");
    }),
    match.on("server-error", (err) => toast(err.message, "error")),
  );

  const countdown = setInterval(() => away.size && drawBanner(), 1000);
  match.connect().then(() => (match.players ? drawAll() : loadPlayers()), (err) => {
    const text = err.code === "not_found" ? "There is no such match." : `Cannot join the match: ${err.message}`;
    setBanner("error", text);
    drawn.actions = "error";
    mount(actions, h("a", { class: "btn btn-ghost", href: "#/" }, "Back to lobby"));
  });

  return {
    match, // for the console and the browser tests
    destroy() {
      clearInterval(countdown);
      undebug?.();
      for (const off of offs) off();
      renderer?.destroy();
      match.close();
    },
  };
}
