// A player's page: their rating in every game, and their recent matches with the
// rating each moved and a link to its replay.
//   #/player/<id>

import { ago, h, mount } from "../dom.js";
import { titleOf } from "../games/index.js";
import { outcome } from "./lobby.js";
import { change, shown } from "./ratings.js";

export function create(root, app, playerId) {
  const head = h("div", { class: "hero", id: "player-head" }, h("h1", {}, "Player"));
  const ratings = h("div", { class: "games", id: "player-ratings" });
  const matches = h("ul", { class: "list", id: "player-matches" });
  mount(
    root,
    h(
      "section",
      { class: "view view-player", dataset: { player: playerId } },
      head,
      ratings,
      h("div", { class: "card" }, h("h2", {}, "Recent matches"), matches),
    ),
  );

  function drawRatings(player) {
    const games = Object.entries(player.ratings);
    if (!games.length) {
      mount(ratings, h("div", { class: "card muted" }, "No rated match yet."));
      return;
    }
    mount(
      ratings,
      games.map(([game, r]) =>
        h(
          "article",
          { class: "card game-card", dataset: { game } },
          h("div", { class: "game-head" }, h("h3", {}, titleOf(game)), h("a", { class: "small", href: `#/leaderboard/${game}` }, "leaderboard")),
          h("p", { class: "big-rating", dataset: { testid: `rating-${game}` } }, shown(r.rating)),
          h("p", { class: "small muted" }, `μ ${r.mu.toFixed(2)} · σ ${r.sigma.toFixed(2)} · ${r.matches} rated matches`),
        ),
      ),
    );
  }

  function matchRow(m) {
    const me = m.players.find((p) => p.id === playerId);
    const [label, kind] = outcome(m, me ? me.seat : null);
    const others = m.players.filter((p) => p.id !== playerId).map((p) => p.name);
    const moved = me && me.rating_before !== null && me.rating_after !== null;
    return h(
      "li",
      { class: "list-row", dataset: { match: m.id } },
      h("span", { class: "pill" }, titleOf(m.game)),
      h("span", { class: "grow" }, others.length ? `vs ${others.join(", ")}` : "—"),
      h("span", { class: `result result-${kind}` }, m.status === "voided" ? "voided" : label),
      h("span", { class: "muted small rating-moved" }, moved ? `${shown(me.rating_after)} (${change(me.rating_before, me.rating_after)})` : m.rated ? "" : "unrated"),
      h("span", { class: "muted small" }, ago(m.ended || m.created)),
      ["over", "voided"].includes(m.status) ? h("a", { class: "btn btn-small", href: `#/replay/${m.id}`, dataset: { testid: "replay" } }, "Replay") : null,
    );
  }

  async function load() {
    try {
      const player = await app.client.getPlayer(playerId);
      const you = app.client.player && app.client.player.id === playerId;
      mount(head, h("h1", {}, player.name, you ? " (you)" : ""), h("p", { class: "muted small" }, `Playing since ${new Date(player.created).toLocaleDateString()}${player.bot ? " · a bot" : ""}`));
      drawRatings(player);
      const page = await app.client.fetchJson(player.matches);
      mount(matches, page.results.length ? page.results.map(matchRow) : h("li", { class: "empty" }, "No match yet."));
    } catch (err) {
      mount(head, h("h1", {}, "Player"), h("p", { class: "empty", id: "player-error" }, err.code === "not_found" ? "There is no such player." : err.message));
    }
  }

  load();
  return { destroy() {} };
}
