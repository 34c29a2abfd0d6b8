// A finished match, step by step, from GET /api/matches/<id>/replay: the server
// rebuilds every state with the game's own rules; the page plays them back.

import { h, mount, nameOf } from "../dom.js";
import { rendererFor, titleOf } from "../games/index.js";
import { outcome } from "./lobby.js";

export function create(root, app, matchId) {
  const player = app.client.player;
  const title = h("h1", {}, "Replay");
  const summary = h("div", { class: "roster" });
  const banner = h("div", { id: "replay-banner", class: "banner", dataset: { state: "connecting" } }, "Loading…");
  const board = h("div", { class: "board", id: "board" });
  const slider = h("input", { type: "range", min: "0", max: "0", value: "0", id: "replay-slider", "aria-label": "step" });
  const stepLabel = h("span", { class: "muted small", id: "replay-step" });
  const playButton = h("button", { class: "btn btn-primary", type: "button", id: "replay-play" }, "▶ Play");
  const controls = h(
    "div",
    { class: "replay-controls" },
    h("button", { class: "btn btn-ghost", type: "button", id: "replay-first", "aria-label": "first step", onclick: () => seek(0) }, "«"),
    h("button", { class: "btn btn-ghost", type: "button", id: "replay-prev", "aria-label": "previous step", onclick: () => seek(index - 1) }, "‹"),
    playButton,
    h("button", { class: "btn btn-ghost", type: "button", id: "replay-next", "aria-label": "next step", onclick: () => seek(index + 1) }, "›"),
    h("button", { class: "btn btn-ghost", type: "button", id: "replay-last", "aria-label": "last step", onclick: () => seek(frames.length - 1) }, "»"),
    slider,
    stepLabel,
  );
  mount(
    root,
    h(
      "section",
      { class: "view view-replay", id: "replay-view", dataset: { match: matchId } },
      h("div", { class: "match-head" }, h("div", {}, title, summary), h("div", { class: "actions" }, h("a", { class: "btn btn-ghost", href: "#/" }, "Back to lobby"))),
      banner,
      board,
      controls,
    ),
  );

  let frames = [];
  let index = 0;
  let renderer = null;
  let timer = null;
  let match = null;
  let realtime = false;

  function seek(i) {
    if (!frames.length) return;
    index = Math.min(Math.max(i, 0), frames.length - 1);
    const last = index === frames.length - 1;
    renderer.render(frames[index].state, { status: last ? "over" : "active", source: "seek", t: frames[index].step * 50 });
    slider.value = String(index);
    stepLabel.textContent = `step ${index} of ${frames.length - 1}`;
    if (last) stop();
  }

  function play() {
    if (timer) return stop();
    if (index >= frames.length - 1) seek(0);
    playButton.textContent = "⏸ Pause";
    timer = setInterval(() => seek(index + 1), realtime ? 50 : 700);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    playButton.textContent = "▶ Play";
  }

  playButton.addEventListener("click", play);
  slider.addEventListener("input", () => {
    stop();
    seek(Number(slider.value));
  });

  async function load() {
    try {
      const data = await app.client.getReplay(matchId);
      match = data.match;
      frames = data.frames;
    } catch (err) {
      banner.dataset.state = "error";
      banner.textContent = err.status === 409 ? "This match is still being played." : `Cannot load the replay: ${err.message}`;
      return;
    }
    const me = match.players.find((p) => p.id === player.id);
    const seat = me ? me.seat : null;
    realtime = app.games.find((g) => g.name === match.game)?.realtime ?? match.game === "tag";
    title.textContent = `Replay: ${titleOf(match.game)}`;
    mount(summary, match.players.map((p) => h("span", { class: `chip${p.seat === seat ? " me" : ""}` }, p.name, p.seat === seat ? " (you)" : "")));
    const [, kind] = outcome(match, seat);
    banner.dataset.state = kind === "none" ? "over" : kind;
    banner.textContent = resultText(match, seat);
    renderer = rendererFor(match.game).create(board, { seat, players: match.players, mode: "replay", move() {}, input() {} });
    slider.max = String(Math.max(frames.length - 1, 0));
    seek(frames.length - 1);
  }

  load();
  return {
    destroy() {
      stop();
      renderer?.destroy();
    },
  };
}

function resultText(match, seat) {
  if (match.reason === "abandoned") return "Abandoned: not everyone joined in time";
  if (match.winner === null || match.winner === undefined) return "Draw";
  const who = match.winner === seat ? "You won" : seat === null ? `${nameOf(match.players, match.winner)} won` : "You lost";
  const loser = (match.ranking || []).at(-1);
  const why = { resign: "resigned", forfeit: "left the match", timeout: "ran out of time" }[match.reason];
  if (!why || loser === undefined) return who;
  return `${who} (${loser === seat ? "you" : nameOf(match.players, loser)} ${why})`;
}
