// The lobby: the games to queue for, the live matches to watch, and one's history.

import { ago, clock, h, mount, toast } from "../dom.js";
import { blurbOf, titleOf } from "../games/index.js";
import * as parties from "./parties.js";

const REFRESH_MS = 4000;

export function create(root, app) {
  const player = app.client.player;
  const games = h("div", { class: "games", id: "games" });
  const party = h("div", { id: "party-slot" });
  const live = h("ul", { class: "list", id: "live-matches" });
  const history = h("ul", { class: "list", id: "history" });
  mount(
    root,
    h(
      "section",
      { class: "view view-lobby", id: "lobby" },
      h("div", { class: "hero" }, h("h1", {}, `Hi ${player.name}, what shall we play?`), h("p", { class: "muted" }, "Queue for a game and you are matched with the next player who does the same, or play against the computer.")),
      party,
      games,
      h(
        "div",
        { class: "columns" },
        h("div", { class: "card" }, h("h2", {}, "Live matches"), h("p", { class: "muted small" }, "Watch a match that is being played right now."), live),
        h("div", { class: "card" }, h("h2", {}, "Your matches"), history),
      ),
    ),
  );

  let tick = 0;
  function drawGames() {
    mount(party, parties.card(app));
    if (!app.games.length) {
      mount(games, h("div", { class: "card muted" }, "Connecting to the lobby…"));
      return;
    }
    mount(games, app.games.map(gameCard));
  }

  function gameCard(game) {
    const queued = app.queue && app.queue.game === game.name;
    const seats = game.min_players === game.max_players ? `${game.min_players} players` : `${game.min_players}–${game.max_players} players`;
    const action = queued
      ? h(
          "div",
          { class: "queue-status", id: "queue-status", dataset: { state: "waiting" } },
          h("span", { class: "spinner" }),
          h("span", {}, `Looking for ${game.min_players > 2 ? "players" : "an opponent"}… ${clock((Date.now() - app.queue.since) / 1000)}`),
          h("button", { class: "btn btn-ghost", type: "button", onclick: () => app.leaveQueue() }, "Cancel"),
        )
      : h(
          "button",
          {
            class: "btn btn-primary",
            type: "button",
            dataset: { testid: `play-${game.name}` },
            disabled: Boolean(app.queue),
            onclick: () => play(game.name),
          },
          "Play",
        );
    const solo = queued || !app.party ? action : null; // a party's own buttons instead
    return h(
      "article",
      { class: `card game-card${queued ? " queued" : ""}`, dataset: { game: game.name } },
      h("div", { class: "game-head" }, h("h3", {}, titleOf(game.name)), h("span", { class: `badge ${game.realtime ? "badge-rt" : ""}` }, game.realtime ? "real time" : "turn based")),
      h("p", { class: "muted" }, blurbOf(game.name)),
      h("p", { class: "small muted" }, seats, " · ", h("a", { href: `#/leaderboard/${game.name}`, dataset: { testid: `board-${game.name}` } }, "leaderboard")),
      app.ratings?.[game.name] ? h("p", { class: "small", dataset: { testid: `my-rating-${game.name}` } }, `Your rating: ${app.ratings[game.name].rating.toFixed(1)}`) : null,
      h("div", { class: "row card-actions" }, solo, queued ? null : parties.cardActions(app, game)),
    );
  }

  async function play(game) {
    try {
      await app.queueFor(game);
    } catch (err) {
      if (err.code === "in_match") toast("You are still seated in a match: finish it first.", "error");
      else toast(err.message, "error");
    }
  }

  function names(match) {
    return match.players.map((p) => p.name).join(" vs ");
  }

  function drawLive(page) {
    const rows = page.results.map((m) =>
      h(
        "li",
        { class: "list-row", dataset: { match: m.id } },
        h("span", { class: "pill" }, titleOf(m.game)),
        h("span", { class: "grow" }, names(m)),
        h("span", { class: "muted small" }, ago(m.started || m.created)),
        m.players.some((p) => p.id === player.id)
          ? h("a", { class: "btn btn-small", href: `#/match/${m.id}` }, "Resume")
          : h("a", { class: "btn btn-small", href: `#/match/${m.id}`, dataset: { testid: "watch" } }, "Watch"),
      ),
    );
    mount(live, rows.length ? rows : h("li", { class: "empty" }, "No match is being played right now."));
  }

  function drawHistory(page) {
    const rows = page.results.map((m) => {
      const me = m.players.find((p) => p.id === player.id);
      const [label, kind] = outcome(m, me ? me.seat : null);
      const others = m.players.filter((p) => p.id !== player.id).map((p) => p.name);
      return h(
        "li",
        { class: "list-row", dataset: { match: m.id } },
        h("span", { class: "pill" }, titleOf(m.game)),
        h("span", { class: "grow" }, others.length ? `vs ${others.join(", ")}` : "—"),
        h("span", { class: `result result-${kind}` }, label),
        h("span", { class: "muted small" }, ago(m.ended || m.created)),
        m.status === "over"
          ? h("a", { class: "btn btn-small", href: `#/replay/${m.id}`, dataset: { testid: "replay" } }, "Replay")
          : h("a", { class: "btn btn-small", href: `#/match/${m.id}` }, "Resume"),
      );
    });
    mount(history, rows.length ? rows : h("li", { class: "empty" }, "Your finished matches will show up here."));
  }

  async function refresh() {
    try {
      const [livePage, mine] = await Promise.all([
        app.client.listMatches({ status: "active" }),
        app.client.listMatches({ player: player.id }),
      ]);
      drawLive(livePage);
      drawHistory(mine);
    } catch (err) {
      mount(live, h("li", { class: "empty" }, `Cannot load matches: ${err.message}`));
    }
  }

  drawGames();
  refresh();
  const off = app.onChange(drawGames);
  const timer = setInterval(() => {
    tick += 1;
    if (app.queue) drawGames();
    if (tick % (REFRESH_MS / 1000) === 0) refresh();
  }, 1000);

  return {
    destroy() {
      off();
      clearInterval(timer);
    },
  };
}

/** [label, kind] of a match's result from the viewpoint of `seat` (null: not seated). */
export function outcome(match, seat) {
  if (match.status !== "over") return [match.status === "active" ? "in play" : "waiting", "live"];
  if (match.reason === "abandoned") return ["abandoned", "none"];
  if (match.winner === null || match.winner === undefined) return ["draw", "draw"];
  if (seat === null) return ["over", "none"];
  return match.winner === seat ? ["won", "won"] : ["lost", "lost"];
}
