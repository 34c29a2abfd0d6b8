// A game's leaderboard: best rating first, a page at a time, and "find me".
//   #/leaderboard/<game>           the first page
//   #/leaderboard/<game>/<page>    another page
//   #/leaderboard/<game>/me        the page the player is on

import { h, mount } from "../dom.js";
import { titleOf } from "../games/index.js";
import { shown } from "./ratings.js";

export function create(root, app, game, where) {
  const me = app.client.player;
  const body = h("div", { class: "card", id: "leaderboard" }, h("p", { class: "muted" }, "Loading…"));
  const tabs = h("nav", { class: "tabs", id: "board-tabs" });
  mount(
    root,
    h(
      "section",
      { class: "view view-board", dataset: { game } },
      h("div", { class: "hero" }, h("h1", {}, `${titleOf(game)} leaderboard`), h("p", { class: "muted" }, "Ratings are OpenSkill ordinals (mu − 3σ): they rise as you win and as the server grows sure of you.")),
      tabs,
      body,
    ),
  );
  mount(
    tabs,
    (app.games.length ? app.games.map((g) => g.name) : [game]).map((name) =>
      h("a", { class: `btn btn-small${name === game ? " btn-primary" : " btn-ghost"}`, href: `#/leaderboard/${name}` }, titleOf(name)),
    ),
  );

  function row(line) {
    const mine = me && line.player.id === me.id;
    return h(
      "tr",
      { class: mine ? "me" : "", dataset: { player: line.player.id } },
      h("td", { class: "rank" }, String(line.rank)),
      h("td", {}, h("a", { href: `#/player/${line.player.id}` }, line.player.name), mine ? " (you)" : ""),
      h("td", { class: "num rating" }, shown(line.rating)),
      h("td", { class: "num" }, String(line.matches)),
      h("td", { class: "num" }, String(line.wins)),
    );
  }

  function pager(page) {
    return h(
      "div",
      { class: "row pager" },
      page.previous ? h("a", { class: "btn btn-ghost btn-small", href: `#/leaderboard/${game}/${page.page - 1}`, id: "board-previous" }, "← Better") : null,
      h("span", { class: "muted small grow", id: "board-page" }, `Page ${page.page}`),
      page.next ? h("a", { class: "btn btn-ghost btn-small", href: `#/leaderboard/${game}/${page.page + 1}`, id: "board-next" }, "Worse →") : null,
      me ? h("a", { class: "btn btn-small", href: `#/leaderboard/${game}/me`, id: "find-me" }, "Find me") : null,
    );
  }

  function draw(page) {
    if (!page.results.length) {
      mount(body, h("p", { class: "empty" }, "Nobody has played a rated match of this game yet."));
      return;
    }
    const head = h("tr", {}, ...["#", "Player", "Rating", "Matches", "Wins"].map((t) => h("th", {}, t)));
    mount(body, h("table", { class: "board-table" }, h("thead", {}, head), h("tbody", {}, page.results.map(row))), pager(page));
  }

  async function load() {
    try {
      const query = where === "me" ? { around: me?.id } : { page: Number(where) || 1 };
      draw(await app.client.getLeaderboard(game, query));
    } catch (err) {
      const text = err.code === "not_on_board" ? "You are not on this board yet: play a rated match first." : err.message;
      mount(body, h("p", { class: "empty", id: "board-error" }, text));
    }
  }

  load();
  return { destroy() {} };
}
